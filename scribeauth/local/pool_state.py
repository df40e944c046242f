"""What the strict user pool keeps beside moto's backend, and the lookups every operation shares.

moto keeps the pools, app clients, users, passwords and refresh-token maps; :class:`PoolState`
adds what moto does not: per-user TOTP secrets, challenge sessions, SRP exchanges in flight, the
codes "sent" by SMS or e-mail, and the token store. The operation modules (``auth_flows``,
``challenges``, ``token_ops``, ``passwords``, ``devices``) each get one ``PoolState``; nothing here
serves a call by itself. Not thread-safe: the user pool takes ``lock`` around every call.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    cognitoidp_backends,
)

from scribeauth.local import srp_server
from scribeauth.local.cognito_rules import (
    EXPIRED_SESSION,
    INVALID_SESSION,
    CognitoError,
    check_secret_hash,
    hides_users,
    invalid,
    not_authorized,
    user_not_found,
)
from scribeauth.local.token_store import TokenStore

SESSION_SECONDS = 180
CODE_SECONDS = 3600
MAX_CODE_ATTEMPTS = 3
MAX_PASSWORD_FAILURES = 5
LOCKOUT_SECONDS = 900
PASSWORD_ATTEMPTS_EXCEEDED = "Password attempts exceeded"  # noqa: S105 (a message)


@dataclass
class UserExtra:
    """What moto does not keep about a user: TOTP secrets and e-mail MFA."""

    totp_secret: str | None = field(default=None, repr=False)
    pending_totp_secret: str | None = field(default=None, repr=False)
    email_mfa: bool = False


@dataclass
class AuthSession:
    """One challenge in flight: who, which challenge, until when (the ``Session`` string)."""

    pool_id: str
    client_id: str
    username: str
    challenge: str
    expires_at: float
    stage: str = ""
    code: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    choices: tuple[str, ...] = ()
    attempts: int = 0
    device_key: str | None = None


@dataclass
class SrpState:
    """One SRP exchange in flight, keyed by its ``SECRET_BLOCK``."""

    pool_id: str
    client_id: str
    user_id_for_srp: str
    known: bool
    exchange: srp_server.ServerExchange
    public_a: int = field(repr=False)
    expires_at: float
    device_key: str | None = None


@dataclass
class Device:
    """A device Cognito tracks for a user (``NewDeviceMetadata``, then ``ConfirmDevice``)."""

    pool_id: str
    username: str
    key: str
    group_key: str
    created: float
    name: str | None = None
    salt_hex: str | None = None
    verifier: int | None = field(default=None, repr=False)
    remembered: bool = False
    last_modified: float = 0.0
    last_authenticated: float = 0.0

    @property
    def confirmed(self) -> bool:
        """Whether ConfirmDevice gave this device its SRP verifier."""
        return self.verifier is not None


@dataclass
class Failures:
    """Failed sign-ins of one user, and until when the user is locked out."""

    count: int = 0
    locked_until: float = 0.0


@dataclass
class Code:
    """A code sent for ForgotPassword, with its expiry."""

    value: str = field(repr=False)
    expires_at: float


class PoolState:
    """The strict pool's own state for one stack, and the lookups shared by its operations.

    Args:
        account_id: the moto account this stack's pools live in (one per stack).
        region: the stack's region.
        now: the stack clock (epoch seconds).
        token_lifetime: id/access token lifetime in seconds (may be changed at runtime).
    """

    def __init__(
        self, *, account_id: str, region: str, now: Callable[[], float], token_lifetime: int = 3600
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.now = now
        self.tokens = TokenStore(now, token_lifetime)
        self.lock = threading.RLock()
        self.extras: dict[tuple[str, str], UserExtra] = {}
        self.sessions: dict[str, AuthSession] = {}
        self.srp: dict[str, SrpState] = {}
        self.last_codes: dict[tuple[str, str], str] = {}
        self.reset_codes: dict[tuple[str, str], Code] = {}
        self.devices: dict[str, Device] = {}
        self.failures: dict[tuple[str, str], Failures] = {}
        self.lockout_seconds: float = LOCKOUT_SECONDS
        self.code_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.sent_codes: list[dict[str, Any]] = []

    @property
    def token_lifetime(self) -> int:
        """Id/access token lifetime in seconds."""
        return self.tokens.token_lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        self.tokens.token_lifetime = seconds

    # ----------------------------------------------------------------------------- lookups
    @property
    def backend(self) -> Any:
        """moto's cognito-idp backend for this stack's account and region."""
        return cognitoidp_backends[self.account_id][self.region]

    def pool(self, pool_id: str) -> CognitoIdpUserPool:
        """A pool of this stack by id (KeyError if unknown)."""
        pool: CognitoIdpUserPool = self.backend.user_pools[pool_id]
        return pool

    def client(self, client_id: Any) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
        """The pool and app client of ``client_id``; ResourceNotFound when unknown."""
        if not isinstance(client_id, str) or not client_id:
            raise invalid("Missing required parameter ClientId")
        for pool in self.backend.user_pools.values():
            if client_id in pool.clients:
                return pool, pool.clients[client_id]
        raise CognitoError(
            "ResourceNotFoundException", f"User pool client {client_id} does not exist."
        )

    def owns_client(self, client_id: str) -> bool:
        """Whether ``client_id`` is an app client of one of this stack's pools."""
        return any(client_id in pool.clients for pool in self.backend.user_pools.values())

    def sign_in_user(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, auth: Mapping[str, Any]
    ) -> tuple[str, CognitoIdpUser | None]:
        """The typed ``USERNAME`` of a sign-in's ``AuthParameters`` and the user it means.

        The user is None only for a client that hides unknown users (PreventUserExistenceErrors).
        """
        typed = auth.get("USERNAME")
        if not isinstance(typed, str) or not typed:
            raise invalid("Missing required parameter USERNAME")
        check_secret_hash(client, auth.get("SECRET_HASH"), [typed])
        user = self.resolve_user(pool, typed)
        if user is None and not hides_users(client):
            raise user_not_found()
        return typed, user

    @staticmethod
    def resolve_user(pool: CognitoIdpUserPool, typed: str) -> CognitoIdpUser | None:
        """The user a typed sign-in name means: the user name, or a verified e-mail alias."""
        user: CognitoIdpUser | None = pool.users.get(typed)
        if user is not None:
            return user
        aliases = set(pool.extended_config.get("AliasAttributes") or []) | set(
            pool.extended_config.get("UsernameAttributes") or []
        )
        if "email" in aliases and "@" in typed:
            for candidate in pool.users.values():
                attrs = candidate.attribute_lookup
                if str(attrs.get("email", "")).lower() == typed.lower() and (
                    str(attrs.get("email_verified", "")).lower() == "true"
                    or "email" in (pool.extended_config.get("UsernameAttributes") or [])
                ):
                    return candidate
        return None

    def user_state(self, pool_id: str, username: str) -> UserExtra:
        """The strict pool's own state for a user (created empty on first use)."""
        with self.lock:
            return self.extras.setdefault((pool_id, username), UserExtra())

    def last_code(self, username: str, pool_id: str | None = None) -> str | None:
        """The last SMS / e-mail code "sent" to a user (MFA, sign-in or forgot-password), or None.

        Args:
            username: the internal user name (or an e-mail alias).
            pool_id: which pool; by default the first of this stack's pools that knows the user.
        """
        with self.lock:
            for pool in self.backend.user_pools.values():
                if pool_id is not None and pool.id != pool_id:
                    continue
                user = self.resolve_user(pool, username)
                if user is not None and (pool.id, user.username) in self.last_codes:
                    return self.last_codes[(pool.id, user.username)]
            return None

    def record_code(
        self,
        pool: CognitoIdpUserPool,
        user: CognitoIdpUser,
        code: str,
        *,
        purpose: str = "",
        medium: str = "EMAIL",
        destination: str = "",
    ) -> None:
        """Remember a code "sent" to a user (``last_code``, ``sent_codes``, the listeners)."""
        self.last_codes[(pool.id, user.username)] = code
        sent = {
            "user_pool_id": pool.id,
            "username": user.username,
            "purpose": purpose,
            "medium": medium,
            "destination": destination,
            "code": code,
            "sent_at": self.now(),
        }
        self.sent_codes.append(sent)
        for listener in list(self.code_listeners):
            listener(dict(sent))

    # ----------------------------------------------------------------------------- lock-out
    def check_lockout(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
        """Refuse a sign-in of a locked-out user, whatever the password."""
        failures = self.failures.get((pool.id, user.username))
        if failures is None or not failures.locked_until:
            return
        if self.now() < failures.locked_until:
            raise not_authorized(PASSWORD_ATTEMPTS_EXCEEDED)
        del self.failures[(pool.id, user.username)]

    def password_failed(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
        """Count a wrong password; the fifth in a row locks the user out for a while."""
        failures = self.failures.setdefault((pool.id, user.username), Failures())
        failures.count += 1
        if failures.count >= MAX_PASSWORD_FAILURES:
            failures.locked_until = self.now() + self.lockout_seconds

    def password_ok(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> None:
        """A right password clears the count of failures."""
        self.failures.pop((pool.id, user.username), None)

    def clear_lockout(self, pool_id: str, username: str) -> None:
        """Forget a user's failures (an administrator reset the password)."""
        self.failures.pop((pool_id, username), None)

    def user_for_access_token(self, token: str) -> tuple[CognitoIdpUserPool, CognitoIdpUser]:
        """The pool and user behind a live access token; NotAuthorized if expired or revoked."""
        record = self.tokens.access_record(token)
        pool = self.pool(record.pool_id)
        user = pool.users.get(record.username)
        if user is None:
            raise not_authorized("User does not exist.")
        return pool, user

    # ----------------------------------------------------------------------------- sessions
    def new_session(self, session: AuthSession) -> str:
        """Store a challenge session; returns the opaque ``Session`` string."""
        token = base64.urlsafe_b64encode(secrets.token_bytes(96)).decode()
        self.sessions[token] = session
        return token

    def open_session(
        self,
        token: Any,
        client_id: str,
        challenge: str,
        stage: str = "",
        *,
        username: str | None = None,
    ) -> AuthSession:
        """The live session ``token`` for this client and challenge, or NotAuthorized.

        ``username``, when given, must be the session's user: challenge answers name the user by
        USER_ID_FOR_SRP, never by an alias.
        """
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter Session")
        session = self.sessions.get(token)
        if session is None or session.client_id != client_id:
            raise not_authorized(INVALID_SESSION)
        if self.now() >= session.expires_at:
            del self.sessions[token]
            raise not_authorized(EXPIRED_SESSION)
        if session.challenge != challenge or session.stage != stage:
            raise not_authorized(INVALID_SESSION)
        if username is not None and username != session.username:
            raise not_authorized(INVALID_SESSION)
        return session

    def wrong_code(self, token: str, session: AuthSession) -> None:
        """Count a wrong code; the session dies after ``MAX_CODE_ATTEMPTS``."""
        session.attempts += 1
        if session.attempts >= MAX_CODE_ATTEMPTS:
            self.sessions.pop(token, None)

    def challenge(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        name: str,
        params: dict[str, str],
        *,
        code: str | None = None,
        choices: tuple[str, ...] = (),
        device_key: str | None = None,
    ) -> dict[str, Any]:
        """A challenge reply (``ChallengeName``, ``Session``, ``ChallengeParameters``)."""
        session = AuthSession(
            pool.id,
            client.id,
            user.username,
            name,
            self.now() + SESSION_SECONDS,
            code=code,
            choices=choices,
            device_key=device_key,
        )
        return {
            "ChallengeName": name,
            "Session": self.new_session(session),
            "ChallengeParameters": {**params, "USER_ID_FOR_SRP": user.username},
        }
