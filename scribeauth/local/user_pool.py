"""A strict Cognito user pool (cognito-idp) on top of moto's backend.

moto keeps the pools, app clients, users, passwords and the token signing key; this module takes
over every call where moto is lax, and enforces what real Cognito enforces:

- ``USER_SRP_AUTH`` with real server-side SRP-6a (see ``srp_server``), ``USER_PASSWORD_AUTH`` with
  a password check, and the app client's ``ExplicitAuthFlows``;
- ``SECRET_HASH`` on every call that needs one for a confidential client (on refresh, a hash of
  the internal user name or of ``sub``);
- challenges with expiring, single-use sessions: NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA (a
  random TOTP secret per user), SMS_MFA, EMAIL_OTP (codes readable via ``last_code``),
  SELECT_MFA_TYPE and MFA_SETUP (AssociateSoftwareToken / VerifySoftwareToken);
- tokens stamped with the stack clock and lifetime, ``RevokeToken``, ``GlobalSignOut``, and access
  tokens that expire and die with their refresh token;
- no user enumeration: an unknown user fails exactly like a wrong password.

Everything else (GetUser, admin calls, ...) is served by moto's own response class.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
    cognitoidp_backends,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.request import Request

from scribeauth.local import srp_server
from scribeauth.local.cognito_rules import (
    CODE_MISMATCH,
    EXPIRED_SESSION,
    INVALID_SESSION,
    CognitoError,
    allowed_flows,
    check_password_policy,
    check_secret_hash,
    invalid,
    mask_destination,
    new_code,
    new_totp_secret,
    not_authorized,
    srp_timestamp_ok,
    totp_ok,
)
from scribeauth.local.token_store import TokenStore

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_TYPE = "application/x-amz-json-1.1"
SESSION_SECONDS = 180
CODE_SECONDS = 3600
MAX_CODE_ATTEMPTS = 3


@dataclass
class UserExtra:
    """What moto does not keep about a user: TOTP secrets and e-mail MFA."""

    totp_secret: str | None = field(default=None, repr=False)
    pending_totp_secret: str | None = field(default=None, repr=False)
    email_mfa: bool = False


@dataclass
class _Session:
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


@dataclass
class _SrpState:
    pool_id: str
    client_id: str
    user_id_for_srp: str
    known: bool
    exchange: srp_server.ServerExchange
    public_a: int = field(repr=False)
    expires_at: float


@dataclass
class _Code:
    value: str = field(repr=False)
    expires_at: float


class StrictUserPool:
    """The cognito-idp service of a local stack.

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
        self._extras: dict[tuple[str, str], UserExtra] = {}
        self._sessions: dict[str, _Session] = {}
        self._srp: dict[str, _SrpState] = {}
        self._last_codes: dict[tuple[str, str], str] = {}
        self._reset_codes: dict[tuple[str, str], _Code] = {}

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

    def _client(self, client_id: Any) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
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
            return self._extras.setdefault((pool_id, username), UserExtra())

    def last_code(self, username: str, pool_id: str | None = None) -> str | None:
        """The last SMS / e-mail code "sent" to a user (MFA or forgot-password), or None.

        Args:
            username: the internal user name (or an e-mail alias).
            pool_id: which pool; by default the first of this stack's pools that knows the user.
        """
        with self.lock:
            for pool in self.backend.user_pools.values():
                if pool_id is not None and pool.id != pool_id:
                    continue
                user = self.resolve_user(pool, username)
                if user is not None and (pool.id, user.username) in self._last_codes:
                    return self._last_codes[(pool.id, user.username)]
            return None

    # ----------------------------------------------------------------------------- dispatch
    def handle(self, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve one cognito-idp call (JSON 1.1 body in, status, headers, body out)."""
        headers = {"Content-Type": JSON_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise invalid("Request body must be a JSON object")
        except ValueError:
            return self._error(CognitoError("SerializationException", "Malformed JSON"), headers)
        handler = self._handlers().get(operation)
        with self.lock:
            try:
                if handler is not None:
                    return 200, headers, json.dumps(handler(params)).encode()
                self._precheck(operation, params)
                return self._delegate(operation, body)
            except CognitoError as err:
                return self._error(err, headers)

    @staticmethod
    def _error(err: CognitoError, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        headers = {**headers, "x-amzn-ErrorType": err.code}
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        return err.status, headers, body

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "InitiateAuth": self._initiate_auth,
            "RespondToAuthChallenge": self._respond_to_auth_challenge,
            "AssociateSoftwareToken": self._associate_software_token,
            "VerifySoftwareToken": self._verify_software_token,
            "RevokeToken": self._revoke_token,
            "GlobalSignOut": self._global_sign_out,
            "ChangePassword": self._change_password,
            "ForgotPassword": self._forgot_password,
            "ConfirmForgotPassword": self._confirm_forgot_password,
        }

    def _precheck(self, operation: str, params: Mapping[str, Any]) -> None:
        # Calls moto serves still get Cognito's token and secret-hash rules first.
        if isinstance(params.get("AccessToken"), str):
            self.user_for_access_token(params["AccessToken"])
        if operation in {"SignUp", "ConfirmSignUp", "ResendConfirmationCode"}:
            _, client = self._client(params.get("ClientId"))
            check_secret_hash(client, params.get("SecretHash"), [str(params.get("Username"))])

    def _delegate(self, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        request = Request.from_primitives(
            "POST",
            f"https://cognito-idp.{self.region}.amazonaws.com/",
            {
                "X-Amz-Target": TARGET_PREFIX + operation,
                "Content-Type": JSON_TYPE,
                "x-moto-account-id": self.account_id,
            },
            body,
        )
        status, raw_headers, raw_body = CognitoIdpResponse.dispatch(request)
        headers = {
            str(k): str(v)
            for k, v in dict(raw_headers).items()
            if str(k).lower() not in {"status", "content-length", "server", "date"}
            and not str(k).lower().startswith("x-moto")
        }
        headers.setdefault("Content-Type", JSON_TYPE)
        data = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body or b"")
        return int(dict(raw_headers).get("status", status)), headers, data

    # ----------------------------------------------------------------------------- checks
    def user_for_access_token(self, token: str) -> tuple[CognitoIdpUserPool, CognitoIdpUser]:
        """The pool and user behind a live access token; NotAuthorized if expired or revoked."""
        record = self.tokens.access_record(token)
        pool = self.pool(record.pool_id)
        user = pool.users.get(record.username)
        if user is None:
            raise not_authorized("User does not exist.")
        return pool, user

    # ----------------------------------------------------------------------------- sessions
    def _new_session(self, session: _Session) -> str:
        token = base64.urlsafe_b64encode(secrets.token_bytes(96)).decode()
        self._sessions[token] = session
        return token

    def _open_session(
        self, token: Any, client_id: str, challenge: str, stage: str = ""
    ) -> _Session:
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter Session")
        session = self._sessions.get(token)
        if session is None or session.client_id != client_id:
            raise not_authorized(INVALID_SESSION)
        if self.now() >= session.expires_at:
            del self._sessions[token]
            raise not_authorized(EXPIRED_SESSION)
        if session.challenge != challenge or session.stage != stage:
            raise not_authorized(INVALID_SESSION)
        return session

    def _wrong_code(self, token: str, session: _Session) -> None:
        session.attempts += 1
        if session.attempts >= MAX_CODE_ATTEMPTS:
            self._sessions.pop(token, None)

    # ----------------------------------------------------------------------------- InitiateAuth
    def _initiate_auth(self, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(params.get("ClientId"))
        flow = params.get("AuthFlow")
        auth = params.get("AuthParameters") or {}
        allowed = allowed_flows(client)
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if "REFRESH_TOKEN_AUTH" not in allowed:
                raise invalid("REFRESH_TOKEN_AUTH is not enabled for the client.")
            return self._refresh_flow(pool, client, auth)
        if flow == "USER_SRP_AUTH":
            if "USER_SRP_AUTH" not in allowed:
                raise invalid("USER_SRP_AUTH is not enabled for the client.")
        elif flow == "USER_PASSWORD_AUTH":
            if "USER_PASSWORD_AUTH" not in allowed:
                raise invalid("USER_PASSWORD_AUTH flow not enabled for this client")
        elif flow == "CUSTOM_AUTH":
            raise invalid("Custom auth lambda trigger is not configured for the user pool.")
        else:
            raise invalid(
                f"1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy "
                "constraint: Member must satisfy enum value set: [USER_SRP_AUTH, "
                "REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH]"
            )
        typed = auth.get("USERNAME")
        if not isinstance(typed, str) or not typed:
            raise invalid("Missing required parameter USERNAME")
        check_secret_hash(client, auth.get("SECRET_HASH"), [typed])
        user = self.resolve_user(pool, typed)
        if flow == "USER_PASSWORD_AUTH":
            password = auth.get("PASSWORD")
            if not isinstance(password, str):
                raise invalid("Missing required parameter PASSWORD")
            if (
                user is None
                or user.password is None
                or not hmac.compare_digest(user.password.encode(), password.encode())
            ):
                raise not_authorized()
            return self._after_password(pool, client, user)
        return self._srp_start(pool, client, typed, user, auth.get("SRP_A"))

    def _srp_start(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        typed: str,
        user: CognitoIdpUser | None,
        srp_a: Any,
    ) -> dict[str, Any]:
        if not isinstance(srp_a, str) or not srp_a:
            raise invalid("Missing required parameter SRP_A")
        try:
            public_a = int(srp_a, 16)
        except ValueError:
            raise invalid("SRP_A is not a hex number") from None
        if public_a % srp_server.N == 0:
            raise invalid("SRP_A cannot be 0 mod N")
        # The salt never starts with a zero nibble, so every client's "padded hex" agrees on it.
        salt = format(secrets.randbelow(0xF << 124) + (1 << 124), "x")
        if user is not None and user.password is not None:
            user_id = user.username
            verifier = srp_server.compute_verifier(pool.id, user_id, user.password, salt)
        else:
            # Unknown user: a challenge indistinguishable from a real one, bound to fail.
            user_id = typed
            verifier = pow(srp_server.G, secrets.randbits(256), srp_server.N)
        exchange = srp_server.ServerExchange(verifier, secrets.randbits(256) | (1 << 255))
        block = base64.b64encode(secrets.token_bytes(96)).decode()
        self._srp[block] = _SrpState(
            pool.id,
            client.id,
            user_id,
            user is not None,
            exchange,
            public_a,
            self.now() + SESSION_SECONDS,
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": salt,
                "SRP_B": format(exchange.public_b, "x"),
                "SECRET_BLOCK": block,
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        }

    def _refresh_flow(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, auth: Mapping[str, Any]
    ) -> dict[str, Any]:
        token = auth.get("REFRESH_TOKEN")
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter REFRESH_TOKEN")
        if client.generate_secret and not auth.get("SECRET_HASH"):
            check_secret_hash(client, None, [])
        record = self.tokens.refresh_record(token)
        if record is None or record.client_id != client.id or record.pool_id != pool.id:
            raise not_authorized("Invalid Refresh Token")
        user = pool.users.get(record.username)
        if user is None:
            raise not_authorized("Invalid Refresh Token")
        check_secret_hash(client, auth.get("SECRET_HASH"), [user.username, user.id], refresh=True)
        if record.revoked:
            raise not_authorized("Refresh Token has been revoked")
        if self.now() >= record.expires_at:
            raise not_authorized("Refresh Token has expired")
        if not user.enabled:
            raise not_authorized("User is disabled.")
        id_token, access_token = self.tokens.mint(
            pool, client, user, record.origin_jti, record.auth_time
        )
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": access_token,
                "ExpiresIn": int(self.token_lifetime),
                "TokenType": "Bearer",
                "IdToken": id_token,
            },
        }

    # ----------------------------------------------------------------------------- after password
    def _after_password(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, user: CognitoIdpUser
    ) -> dict[str, Any]:
        if not user.enabled:
            raise not_authorized("User is disabled.")
        if user.status == UserStatus.UNCONFIRMED:
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        if user.status == UserStatus.RESET_REQUIRED:
            raise CognitoError(
                "PasswordResetRequiredException", "Password reset required for the user"
            )
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            attrs = {
                k: v for k, v in user.attribute_lookup.items() if k not in {"sub", "email_verified"}
            }
            return self._challenge(
                pool,
                client,
                user,
                "NEW_PASSWORD_REQUIRED",
                {"requiredAttributes": "[]", "userAttributes": json.dumps(attrs)},
            )
        return self._mfa_or_tokens(pool, client, user)

    def mfa_methods(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> list[str]:
        """The MFA methods a user has enabled, in Cognito's order."""
        extra = self.user_state(pool.id, user.username)
        methods = []
        if user.sms_mfa_enabled:
            methods.append("SMS_MFA")
        if user.software_token_mfa_enabled and extra.totp_secret:
            methods.append("SOFTWARE_TOKEN_MFA")
        if extra.email_mfa:
            methods.append("EMAIL_OTP")
        return methods

    def _mfa_or_tokens(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, user: CognitoIdpUser
    ) -> dict[str, Any]:
        if pool.mfa_config == "OFF":
            return self.tokens.sign_in(pool, client, user)
        methods = self.mfa_methods(pool, user)
        preferred = user.preferred_mfa_setting
        if preferred in methods:
            return self._mfa_challenge(pool, client, user, str(preferred))
        if len(methods) == 1:
            return self._mfa_challenge(pool, client, user, methods[0])
        if methods:
            return self._challenge(
                pool,
                client,
                user,
                "SELECT_MFA_TYPE",
                {"MFAS_CAN_CHOOSE": json.dumps(methods)},
                choices=tuple(methods),
            )
        if pool.mfa_config == "ON":
            can_setup = ["SOFTWARE_TOKEN_MFA"]
            if pool.sms_mfa_config:
                can_setup.insert(0, "SMS_MFA")
            return self._challenge(
                pool, client, user, "MFA_SETUP", {"MFAS_CAN_SETUP": json.dumps(can_setup)}
            )
        return self.tokens.sign_in(pool, client, user)

    def _mfa_challenge(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        name: str,
    ) -> dict[str, Any]:
        if name == "SOFTWARE_TOKEN_MFA":
            return self._challenge(pool, client, user, name, {})
        code = new_code()
        self._last_codes[(pool.id, user.username)] = code
        if name == "SMS_MFA":
            where = str(user.attribute_lookup.get("phone_number", "+00000000000"))
            params = {"CODE_DELIVERY_DELIVERY_MEDIUM": "SMS"}
        else:
            where = str(user.attribute_lookup.get("email", "unknown@example.com"))
            params = {"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL"}
        params["CODE_DELIVERY_DESTINATION"] = mask_destination(where)
        return self._challenge(pool, client, user, name, params, code=code)

    def _challenge(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        name: str,
        params: dict[str, str],
        *,
        code: str | None = None,
        choices: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        session = _Session(
            pool.id,
            client.id,
            user.username,
            name,
            self.now() + SESSION_SECONDS,
            code=code,
            choices=choices,
        )
        return {
            "ChallengeName": name,
            "Session": self._new_session(session),
            "ChallengeParameters": {**params, "USER_ID_FOR_SRP": user.username},
        }

    # ----------------------------------------------------------------------------- challenges
    def _respond_to_auth_challenge(self, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(params.get("ClientId"))
        name = params.get("ChallengeName")
        answers = params.get("ChallengeResponses") or {}
        username = answers.get("USERNAME")
        if not isinstance(username, str) or not username:
            raise invalid("Missing required parameter USERNAME")
        check_secret_hash(client, answers.get("SECRET_HASH"), [username])
        if name == "PASSWORD_VERIFIER":
            return self._password_verifier(pool, client, username, answers)
        if name not in {
            "NEW_PASSWORD_REQUIRED",
            "SOFTWARE_TOKEN_MFA",
            "SMS_MFA",
            "EMAIL_OTP",
            "SELECT_MFA_TYPE",
            "MFA_SETUP",
        }:
            raise invalid(f"Unsupported challenge {name}")
        stage = "verified" if name == "MFA_SETUP" else ""
        token = params.get("Session")
        session = self._open_session(token, client.id, str(name), stage)
        assert isinstance(token, str)
        # Challenge answers name the user by USER_ID_FOR_SRP, never by an alias.
        if username != session.username:
            raise not_authorized(INVALID_SESSION)
        user = pool.users.get(session.username)
        if user is None:
            raise not_authorized(INVALID_SESSION)
        if name == "NEW_PASSWORD_REQUIRED":
            password = answers.get("NEW_PASSWORD")
            if not isinstance(password, str):
                raise invalid("Missing required parameter NEW_PASSWORD")
            check_password_policy(pool, password)
            del self._sessions[token]
            user.password = password
            user.status = UserStatus.CONFIRMED
            return self._mfa_or_tokens(pool, client, user)
        if name == "SELECT_MFA_TYPE":
            answer = answers.get("ANSWER")
            if answer not in session.choices:
                raise invalid("Invalid MFA type selected")
            del self._sessions[token]
            return self._mfa_challenge(pool, client, user, str(answer))
        if name == "MFA_SETUP":
            del self._sessions[token]
            return self.tokens.sign_in(pool, client, user)
        key = {
            "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
            "SMS_MFA": "SMS_MFA_CODE",
            "EMAIL_OTP": "EMAIL_OTP_CODE",
        }[str(name)]
        code = answers.get(key)
        if not isinstance(code, str) or not code:
            raise invalid(f"Missing required parameter {key}")
        if name == "SOFTWARE_TOKEN_MFA":
            secret = self.user_state(pool.id, user.username).totp_secret
            good = secret is not None and totp_ok(secret, code, self.now())
        else:
            good = session.code is not None and hmac.compare_digest(session.code, code)
        if not good:
            self._wrong_code(token, session)
            raise CognitoError("CodeMismatchException", CODE_MISMATCH)
        del self._sessions[token]
        return self.tokens.sign_in(pool, client, user)

    def _password_verifier(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        for required in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
            if not isinstance(answers.get(required), str) or not answers.get(required):
                raise invalid(f"Missing required parameter {required}")
        block = str(answers["PASSWORD_CLAIM_SECRET_BLOCK"])
        state = self._srp.pop(block, None)
        if state is None or state.client_id != client.id or state.pool_id != pool.id:
            raise not_authorized()
        now = self.now()
        if now >= state.expires_at:
            raise not_authorized(EXPIRED_SESSION)
        if username != state.user_id_for_srp:
            raise not_authorized()
        timestamp = str(answers["TIMESTAMP"])
        if not srp_timestamp_ok(timestamp, now):
            raise not_authorized()
        key = state.exchange.session_key(state.public_a)
        if key is None:
            raise not_authorized()
        expected = srp_server.claim_signature(key, pool.id, state.user_id_for_srp, block, timestamp)
        signature = str(answers["PASSWORD_CLAIM_SIGNATURE"])
        if not hmac.compare_digest(expected.encode(), signature.encode()) or not state.known:
            raise not_authorized()
        user = pool.users.get(state.user_id_for_srp)
        if user is None:
            raise not_authorized()
        return self._after_password(pool, client, user)

    # ----------------------------------------------------------------------------- software token
    def _associate_software_token(self, params: dict[str, Any]) -> dict[str, Any]:
        secret = new_totp_secret()
        token = params.get("Session")
        if isinstance(token, str) and token:
            session = self._sessions.get(token)
            if session is None:
                raise not_authorized(INVALID_SESSION)
            self._open_session(token, session.client_id, "MFA_SETUP")
            del self._sessions[token]
            follow = _Session(
                session.pool_id,
                session.client_id,
                session.username,
                "MFA_SETUP",
                self.now() + SESSION_SECONDS,
                stage="associated",
                secret=secret,
            )
            return {"SecretCode": secret, "Session": self._new_session(follow)}
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken or Session")
        pool, user = self.user_for_access_token(access)
        self.user_state(pool.id, user.username).pending_totp_secret = secret
        return {"SecretCode": secret}

    def _verify_software_token(self, params: dict[str, Any]) -> dict[str, Any]:
        code = params.get("UserCode")
        if not isinstance(code, str) or not code:
            raise invalid("Missing required parameter UserCode")
        token = params.get("Session")
        if isinstance(token, str) and token:
            session = self._sessions.get(token)
            if session is None:
                raise not_authorized(INVALID_SESSION)
            self._open_session(token, session.client_id, "MFA_SETUP", "associated")
            assert session.secret is not None
            if not totp_ok(session.secret, code, self.now()):
                self._wrong_code(token, session)
                raise CognitoError("EnableSoftwareTokenMFAException", "Code mismatch")
            del self._sessions[token]
            pool = self.pool(session.pool_id)
            user = pool.users[session.username]
            self._enable_totp(pool, user, session.secret, preferred=True)
            follow = _Session(
                session.pool_id,
                session.client_id,
                session.username,
                "MFA_SETUP",
                self.now() + SESSION_SECONDS,
                stage="verified",
            )
            return {"Status": "SUCCESS", "Session": self._new_session(follow)}
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken or Session")
        pool, user = self.user_for_access_token(access)
        extra = self.user_state(pool.id, user.username)
        if extra.pending_totp_secret is None:
            raise invalid("Software token has not been associated with the user")
        if not totp_ok(extra.pending_totp_secret, code, self.now()):
            raise CognitoError("EnableSoftwareTokenMFAException", "Code mismatch")
        extra.totp_secret, extra.pending_totp_secret = extra.pending_totp_secret, None
        # moto's SetUserMFAPreference enables TOTP only for a verified token.
        user.token_verified = True
        return {"Status": "SUCCESS"}

    def _enable_totp(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, secret: str, *, preferred: bool
    ) -> None:
        self.user_state(pool.id, user.username).totp_secret = secret
        user.token_verified = True
        user.software_token_mfa_enabled = True
        if preferred:
            user.preferred_mfa_setting = "SOFTWARE_TOKEN_MFA"

    # ----------------------------------------------------------------------------- sign-out
    def _revoke_token(self, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("Token")
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter Token")
        client_id = params.get("ClientId")
        if not isinstance(client_id, str) or not self.owns_client(client_id):
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        pool, client = self._client(client_id)
        if client.generate_secret and not hmac.compare_digest(
            str(params.get("ClientSecret") or "").encode(), client.secret.encode()
        ):
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        if not client.extended_config.get("EnableTokenRevocation", True):
            raise CognitoError(
                "UnsupportedOperationException", "Token revocation is not enabled for the client."
            )
        record = self.tokens.refresh_record(token)
        if record is None:
            if self.tokens.is_access_token(token) or token in pool.id_tokens:
                raise CognitoError("UnsupportedTokenTypeException", "Unsupported token type")
            # RFC 7009: an unknown token is simply "revoked".
            return {}
        if record.client_id != client.id:
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        self.tokens.revoke_family(pool, record.origin_jti)
        return {}

    def _global_sign_out(self, params: dict[str, Any]) -> dict[str, Any]:
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.user_for_access_token(access)
        self.tokens.revoke_user(pool, user.username)
        pool.sign_out(user.username)
        return {}

    # ----------------------------------------------------------------------------- passwords
    def _change_password(self, params: dict[str, Any]) -> dict[str, Any]:
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.user_for_access_token(access)
        previous = params.get("PreviousPassword")
        if (
            not isinstance(previous, str)
            or user.password is None
            or not hmac.compare_digest(previous.encode(), user.password.encode())
        ):
            raise not_authorized()
        proposed = params.get("ProposedPassword")
        check_password_policy(pool, proposed)
        user.password = str(proposed)
        return {}

    def _forgot_password(self, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(params.get("ClientId"))
        typed = params.get("Username")
        if not isinstance(typed, str) or not typed:
            raise invalid("Missing required parameter Username")
        check_secret_hash(client, params.get("SecretHash"), [typed])
        user = self.resolve_user(pool, typed)
        email = str(user.attribute_lookup.get("email", "")) if user else f"{typed}@example.com"
        if user is not None:
            if not email:
                raise invalid(
                    "Cannot reset password for the user as there is no registered/verified "
                    "email or phone_number"
                )
            code = new_code()
            self._reset_codes[(pool.id, user.username)] = _Code(code, self.now() + CODE_SECONDS)
            self._last_codes[(pool.id, user.username)] = code
        # An unknown user gets the same answer (no user enumeration).
        return {
            "CodeDeliveryDetails": {
                "Destination": mask_destination(email or "x@example.com"),
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            }
        }

    def _confirm_forgot_password(self, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self._client(params.get("ClientId"))
        typed = params.get("Username")
        if not isinstance(typed, str) or not typed:
            raise invalid("Missing required parameter Username")
        check_secret_hash(client, params.get("SecretHash"), [typed])
        mismatch = CognitoError(
            "CodeMismatchException", "Invalid verification code provided, please try again."
        )
        user = self.resolve_user(pool, typed)
        if user is None:
            raise mismatch
        stored = self._reset_codes.get((pool.id, user.username))
        given = params.get("ConfirmationCode")
        if stored is None or not isinstance(given, str):
            raise mismatch
        if self.now() >= stored.expires_at:
            raise CognitoError(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if not hmac.compare_digest(stored.value, given):
            raise mismatch
        check_password_policy(pool, params.get("Password"))
        del self._reset_codes[(pool.id, user.username)]
        user.password = str(params["Password"])
        user.status = UserStatus.CONFIRMED
        return {}
