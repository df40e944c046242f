"""Signing in to the user pool: SRP or password, the challenges that may follow, refresh.

A sign-in is a short conversation: :meth:`SignIn.start` returns either :class:`Tokens` or a
:class:`Challenge` (an MFA code, a new password, MFA set-up, ...), which :meth:`SignIn.answer`
(or :meth:`SignIn.setup_totp` / :meth:`SignIn.finish_totp_setup`) answers, until tokens come
back. Challenges are values, not exceptions. Cognito quirks followed here:

- USER_SRP_AUTH whenever the pool id is known; USER_PASSWORD_AUTH when pinned or when only a
  client id is known. If Cognito says the app client does not allow SRP, the password is not
  sent: :class:`~scribeauth.errors.SrpNotAllowedError` (no flow pinned) or ConfigError (SRP
  pinned) says to pin ``scribe_auth_flow = USER_PASSWORD_AUTH``; the person decides.
- InitiateAuth takes the name the user typed; every challenge response (and its SECRET_HASH) uses
  ``USER_ID_FOR_SRP`` from the challenge, kept in :attr:`Challenge.username`.
- A refresh for a confidential client hashes the internal username (``cognito:username``).

The password lives only in the arguments and locals of :meth:`SignIn.start`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from . import srp
from .errors import (
    CodeMismatchError,
    ConfigError,
    MissingIdException,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    SrpNotAllowedError,
    UnauthorizedException,
    UnknownException,
)
from .ids import AUTH_FLOWS, DEFAULT_REGION, PASSWORD, SRP, USER_POOL_ID, region_of
from .models import Challenge, Jwt, Tokens
from .replies import (
    CODE_KEYS,
    SUPPORTED_CHALLENGES,
    code_of,
    mfa_choice,
    outcome,
    parameters,
    session_of,
)
from .user_pool import UserPoolClient, srp_not_enabled

if TYPE_CHECKING:
    from .config import Profile

__all__ = [
    "AUTH_FLOWS",
    "DEFAULT_REGION",
    "SUPPORTED_CHALLENGES",
    "SignIn",
    "TotpSetup",
    "can_revoke",
    "region_of",
]

_log = logging.getLogger(__name__)

_ISSUER = "Scribe"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def can_revoke(tokens: Tokens) -> bool:
    """Whether RevokeToken can work for these tokens.

    Cognito only revokes refresh tokens issued while token revocation was on, and marks the
    tokens they issue with ``origin_jti`` (the rule Amplify follows).
    """
    for raw in (tokens.access_token, tokens.id_token):
        try:
            if "origin_jti" in Jwt.parse(raw).claims:
                return True
        except UnknownException:
            continue
    return False


@dataclass(frozen=True)
class TotpSetup:
    """A TOTP secret Cognito generated for MFA set-up, to load into an authenticator app.

    Attributes:
        secret: the base32 secret (show it once; never log it).
        session: the session to verify the first code with.
        uri: the ``otpauth://`` URI (for a QR code); it contains the secret.
    """

    secret: str = field(repr=False)
    session: str = field(repr=False)
    uri: str = field(repr=False)


class SignIn:
    """The user-pool sign-in flows for one app client.

    Args:
        client_id: the app client id.
        user_pool_id: the user pool id; without it only USER_PASSWORD_AUTH is possible.
        client_secret: the app client secret (confidential clients only).
        auth_flow: ``USER_SRP_AUTH`` or ``USER_PASSWORD_AUTH`` to pin the flow; None to choose.
        profile: the AWS config profile whose ``services`` section may set the endpoint.
        now: the clock (aware UTC), for the SRP timestamp.
        random_bytes: the source of randomness for SRP.
        warn: where warnings go (none are sent today; kept for callers that pass it).

    Raises:
        MissingIdException: no client id.
        ConfigError: an unknown auth flow, SRP pinned without a pool id, or a malformed pool id.
    """

    def __init__(
        self,
        *,
        client_id: str,
        user_pool_id: str | None,
        client_secret: str | None = None,
        auth_flow: str | None = None,
        profile: str | None = None,
        now: Callable[[], datetime] = _utc_now,
        random_bytes: Callable[[int], bytes] = os.urandom,
        warn: Callable[[str], None] = _log.warning,
    ) -> None:
        if not client_id:
            raise MissingIdException("no app client id: set scribe_client_id in the profile")
        if auth_flow is not None and auth_flow not in AUTH_FLOWS:
            raise ConfigError(
                f"unknown auth flow {auth_flow!r}: set scribe_auth_flow to "
                "USER_SRP_AUTH or USER_PASSWORD_AUTH"
            )
        if auth_flow == SRP and not user_pool_id:
            raise ConfigError("USER_SRP_AUTH needs the user pool id: set scribe_user_pool_id")
        if user_pool_id and not USER_POOL_ID.match(user_pool_id):
            raise ConfigError(
                f"{user_pool_id!r} is not a user pool id (e.g. eu-west-2_AbCdEf123); "
                "fix scribe_user_pool_id"
            )
        self.client_id = client_id
        self.user_pool_id = user_pool_id or None
        self.auth_flow = auth_flow
        self.region = region_of(self.user_pool_id)
        self._pool = UserPoolClient(self.region, client_id, client_secret, profile)
        self._now = now
        self._random_bytes = random_bytes
        self._warn = warn

    @classmethod
    def from_profile(cls, profile: Profile, *, now: Callable[[], datetime] = _utc_now) -> SignIn:
        """The sign-in flows of a profile's app client (the one place a profile becomes them).

        Raises:
            MissingIdException: the profile has no client id.
            ConfigError: its auth flow or user pool id is malformed.
        """
        return cls(
            client_id=profile.client_id,
            user_pool_id=profile.user_pool_id,
            client_secret=profile.client_secret,
            auth_flow=profile.auth_flow,
            profile=profile.name,
            now=now,
        )

    def __repr__(self) -> str:
        return (
            f"SignIn(client_id={self.client_id!r}, user_pool_id={self.user_pool_id!r}, "
            f"auth_flow={self.flow!r})"
        )

    @property
    def flow(self) -> str:
        """The auth flow the next :meth:`start` will try first."""
        if self.auth_flow:
            return self.auth_flow
        return SRP if self.user_pool_id else PASSWORD

    # -- sign-in -----------------------------------------------------------------------------
    def start(self, username: str, password: str) -> Tokens | Challenge:
        """Signs in with a username (or alias) and password.

        Returns:
            The tokens, or the next challenge to answer with :meth:`answer`.

        Raises:
            UnauthorizedException: wrong username or password (and its subclasses).
            SrpNotAllowedError: the app client does not allow SRP and no flow is pinned; the
                password was not sent (pin USER_PASSWORD_AUTH to send it).
            ConfigError: SRP is pinned but the app client does not allow it.
            ServiceUnavailableError: Cognito unreachable or throttling after retries.
            ServiceError: Cognito's reply is unusable, or asks for an unsupported challenge.
        """
        if not username:
            raise ConfigError("no username: set scribe_username or pass --username")
        if self.flow == SRP:
            try:
                return self._start_srp(username, password)
            except ServiceError as err:
                if not srp_not_enabled(err):
                    raise
                cls = ConfigError if self.auth_flow == SRP else SrpNotAllowedError
                raise cls(
                    "the app client does not allow SRP sign-in, so the password would have to be "
                    "sent to Cognito (over TLS); nothing was sent. To allow that, set "
                    "scribe_auth_flow = USER_PASSWORD_AUTH in the profile (or pass "
                    "--auth-flow USER_PASSWORD_AUTH)",
                    code=err.code,
                ) from err
        reply = self._pool.initiate_auth(PASSWORD, {"USERNAME": username, "PASSWORD": password})
        return self._outcome(reply, username)

    def _start_srp(self, username: str, password: str) -> Tokens | Challenge:
        pool_id = self.user_pool_id or ""
        a, big_a = srp.generate_a(self._random_bytes)
        reply = self._pool.initiate_auth(SRP, {"USERNAME": username, "SRP_A": srp.srp_a_hex(big_a)})
        if reply.get("ChallengeName") != "PASSWORD_VERIFIER":
            return self._outcome(reply, username)
        params = parameters(reply)
        user_id = params.get("USER_ID_FOR_SRP") or params.get("USERNAME") or username
        try:
            srp_b, salt, block = params["SRP_B"], params["SALT"], params["SECRET_BLOCK"]
        except KeyError as err:
            raise UnknownException(
                f"Cognito's PASSWORD_VERIFIER challenge lacks {err.args[0]}; try again"
            ) from err
        claim = srp.password_claim(
            pool_id, user_id, password, a, big_a, srp_b, salt, block, self._now()
        )
        try:
            reply = self._pool.respond_to_auth_challenge(
                "PASSWORD_VERIFIER",
                session_of(reply, required=False),
                {"USERNAME": user_id, **claim},
            )
        except UnauthorizedException as err:
            # The pool id is only in the SRP proof, so a pool Cognito does not know reads as a
            # wrong password; its public key set (404 for no such pool) tells the two apart.
            if type(err) is UnauthorizedException and self._unknown_pool():
                raise ResourceNotFoundException(
                    f"Cognito does not know user pool {pool_id}; check scribe_user_pool_id "
                    "in the profile",
                    code=err.code,
                ) from err
            raise
        return self._outcome(reply, user_id)

    def _unknown_pool(self) -> bool:
        """Whether Cognito says this user pool does not exist (no key set at its address)."""
        from .tokens import fetch_jwks

        try:
            fetch_jwks(self.user_pool_id or "", endpoint_url=self._pool.endpoint_url, timeout=5)
        except ResourceNotFoundException:
            return True
        except ScribeAuthError:
            return False
        return False

    def answer(
        self,
        challenge: Challenge,
        answer: str | None = None,
        *,
        new_password: str | None = None,
        mfa_type: str | None = None,
    ) -> Tokens | Challenge:
        """Answers a challenge returned by :meth:`start` or a previous :meth:`answer`.

        Args:
            challenge: the challenge to answer.
            answer: the code for SOFTWARE_TOKEN_MFA, SMS_MFA and EMAIL_OTP; the new password for
                NEW_PASSWORD_REQUIRED; the MFA type for SELECT_MFA_TYPE.
            new_password: the new password for NEW_PASSWORD_REQUIRED (instead of ``answer``).
            mfa_type: for SELECT_MFA_TYPE: ``SOFTWARE_TOKEN_MFA``/``totp``, ``SMS_MFA``/``sms``
                or ``EMAIL_OTP``/``email`` (instead of ``answer``).

        Returns:
            The tokens, or the next challenge.

        Raises:
            ValueError: the answer is missing or does not fit the challenge (a caller's bug).
            CodeMismatchError, ExpiredCodeError, PasswordPolicyError, UnauthorizedException:
                Cognito refused the answer.
        """
        name = challenge.name
        responses = {"USERNAME": challenge.username}
        if name in CODE_KEYS:
            responses[CODE_KEYS[name]] = code_of(answer)
        elif name == "NEW_PASSWORD_REQUIRED":
            password = new_password if new_password is not None else answer
            if not password:
                raise ValueError("NEW_PASSWORD_REQUIRED needs the new password")
            responses["NEW_PASSWORD"] = password
        elif name == "SELECT_MFA_TYPE":
            responses["ANSWER"] = mfa_choice(challenge, mfa_type or answer)
        elif name == "MFA_SETUP":
            raise ValueError("answer MFA_SETUP with setup_totp() and finish_totp_setup()")
        else:
            raise ValueError(f"cannot answer the {name} challenge")
        reply = self._pool.respond_to_auth_challenge(name, challenge.session, responses)
        return self._outcome(reply, challenge.username)

    def setup_totp(self, challenge: Challenge, *, label: str | None = None) -> TotpSetup:
        """Starts MFA_SETUP: asks Cognito for a new TOTP secret for this user.

        Args:
            challenge: the MFA_SETUP challenge.
            label: the account name the authenticator app shows (default: the challenge's user).
        """
        if challenge.name != "MFA_SETUP":
            raise ValueError(f"setup_totp() answers MFA_SETUP, not {challenge.name}")
        reply = self._pool.associate_software_token(session=challenge.session)
        secret = reply.get("SecretCode")
        if not isinstance(secret, str) or not secret:
            raise UnknownException("Cognito's AssociateSoftwareToken reply lacks the secret")
        session = session_of(reply, required=False) or challenge.session
        account = quote(f"{_ISSUER}:{label or challenge.username}", safe=":@")
        query = urlencode({"secret": secret, "issuer": _ISSUER}, quote_via=quote)
        return TotpSetup(secret=secret, session=session, uri=f"otpauth://totp/{account}?{query}")

    def finish_totp_setup(
        self, challenge: Challenge, setup: TotpSetup, code: str
    ) -> Tokens | Challenge:
        """Finishes MFA_SETUP with the first code the authenticator app shows."""
        reply = self._pool.verify_software_token(
            code_of(code), session=setup.session, friendly_name="scribeauth"
        )
        if reply.get("Status") != "SUCCESS":
            raise CodeMismatchError(
                "Cognito did not accept the authenticator code; check the app and try again"
            )
        session = session_of(reply, required=False) or setup.session
        reply = self._pool.respond_to_auth_challenge(
            "MFA_SETUP", session, {"USERNAME": challenge.username}
        )
        return self._outcome(reply, challenge.username)

    # -- after sign-in -------------------------------------------------------------------------
    def refresh(self, refresh_token: str, *, username: str | None = None) -> Tokens:
        """New id and access tokens from a refresh token (one InitiateAuth call).

        Args:
            refresh_token: the refresh token.
            username: the internal username (``Tokens.username`` of the old tokens); needed only
                for an app client with a secret, which Cognito checks against it.

        Returns:
            The new tokens, keeping ``refresh_token`` unless Cognito rotated it.

        Raises:
            UnauthorizedException: the refresh token is revoked, expired or unknown.
        """
        reply = self._pool.initiate_auth(
            "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token}, secret_hash_username=username
        )
        result = self._outcome(reply, username or "")
        if isinstance(result, Challenge):
            raise UnknownException(
                f"Cognito answered a refresh with the {result.name} challenge; sign in again"
            )
        return result.with_refresh_token(refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """Revokes a refresh token (and the tokens it issued) at Cognito."""
        self._pool.revoke_token(refresh_token)

    def global_sign_out(self, access_token: str) -> None:
        """Signs the user out everywhere: all their refresh tokens stop working."""
        self._pool.global_sign_out(access_token)

    def change_password(self, access_token: str, old: str, new: str) -> None:
        """Changes the signed-in user's password."""
        self._pool.change_password(access_token, old, new)

    def forgot_password(self, username: str) -> dict[str, Any]:
        """Asks Cognito to send a password-reset code; returns where it went."""
        return self._pool.forgot_password(username)

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        """Sets a new password with the code :meth:`forgot_password` sent."""
        self._pool.confirm_forgot_password(username, code_of(code), new_password)

    # What a reply means is protocol, in scribeauth.replies.
    _outcome = staticmethod(outcome)
