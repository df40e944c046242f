"""Challenges after the password, and MFA: what ``RespondToAuthChallenge`` answers.

NEW_PASSWORD_REQUIRED (with the pool's password policy), SOFTWARE_TOKEN_MFA (a random TOTP secret
per user), SMS_MFA and EMAIL_OTP (codes readable via ``last_code``), SELECT_MFA_TYPE and
MFA_SETUP (``AssociateSoftwareToken`` / ``VerifySoftwareToken``, with a session or an access
token); the passwordless EMAIL_OTP / SMS_OTP codes of ``USER_AUTH`` are answered here too.
Sessions expire, are single-use, and die after three wrong codes.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)

from scribeauth.local.cognito_rules import (
    CODE_MISMATCH,
    INVALID_SESSION,
    CognitoError,
    check_password_policy,
    invalid,
    mask_destination,
    new_code,
    new_totp_secret,
    not_authorized,
    totp_ok,
)
from scribeauth.local.pool_state import SESSION_SECONDS, AuthSession, PoolState

MFA_CHALLENGES = frozenset(
    {
        "NEW_PASSWORD_REQUIRED",
        "SOFTWARE_TOKEN_MFA",
        "SMS_MFA",
        "EMAIL_OTP",
        "SMS_OTP",
        "SELECT_MFA_TYPE",
        "MFA_SETUP",
    }
)
_CODE_KEYS = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SMS_OTP": "SMS_OTP_CODE",
}

# Issues the tokens of a finished sign-in: (pool, client, user, session device key) -> reply.
IssueTokens = Callable[
    [CognitoIdpUserPool, CognitoIdpUserPoolClient, CognitoIdpUser, "str | None"], dict[str, Any]
]


class Challenges:
    """The MFA and new-password steps of a sign-in.

    Args:
        state: the pool's shared state.
        issue: what a finished sign-in returns (tokens, and device metadata where tracked).
    """

    def __init__(self, state: PoolState, issue: IssueTokens) -> None:
        self.state = state
        self.issue = issue

    # ----------------------------------------------------------------------------- respond
    def respond(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        name: str,
        username: str,
        token: Any,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Answer one of ``MFA_CHALLENGES`` in session ``token``."""
        state = self.state
        stage = "verified" if name == "MFA_SETUP" else ""
        session = state.open_session(token, client.id, name, stage, username=username)
        assert isinstance(token, str)
        user = pool.users.get(session.username)
        if user is None:
            raise not_authorized(INVALID_SESSION)
        if name == "NEW_PASSWORD_REQUIRED":
            password = answers.get("NEW_PASSWORD")
            if not isinstance(password, str):
                raise invalid("Missing required parameter NEW_PASSWORD")
            check_password_policy(pool, password)
            del state.sessions[token]
            user.password = password
            user.status = UserStatus.CONFIRMED
            return self.mfa_or_tokens(pool, client, user, session.device_key)
        if name == "SELECT_MFA_TYPE":
            answer = answers.get("ANSWER")
            if answer not in session.choices:
                raise invalid("Invalid MFA type selected")
            del state.sessions[token]
            return self.mfa_challenge(pool, client, user, str(answer), session.device_key)
        if name == "MFA_SETUP":
            del state.sessions[token]
            return self.issue(pool, client, user, session.device_key)
        key = _CODE_KEYS[name]
        code = answers.get(key)
        if not isinstance(code, str) or not code:
            raise invalid(f"Missing required parameter {key}")
        if name == "SOFTWARE_TOKEN_MFA":
            secret = state.user_state(pool.id, user.username).totp_secret
            good = secret is not None and totp_ok(secret, code, state.now())
        else:
            good = session.code is not None and hmac.compare_digest(session.code, code)
        if not good:
            state.wrong_code(token, session)
            raise CognitoError("CodeMismatchException", CODE_MISMATCH)
        del state.sessions[token]
        return self.issue(pool, client, user, session.device_key)

    # ----------------------------------------------------------------------------- MFA choice
    def mfa_methods(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> list[str]:
        """The MFA methods a user has enabled, in Cognito's order."""
        extra = self.state.user_state(pool.id, user.username)
        methods = []
        if user.sms_mfa_enabled:
            methods.append("SMS_MFA")
        if user.software_token_mfa_enabled and extra.totp_secret:
            methods.append("SOFTWARE_TOKEN_MFA")
        if extra.email_mfa:
            methods.append("EMAIL_OTP")
        return methods

    def mfa_or_tokens(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None = None,
    ) -> dict[str, Any]:
        """After the password: the MFA challenge the user owes, or the tokens."""
        if pool.mfa_config == "OFF":
            return self.issue(pool, client, user, device_key)
        methods = self.mfa_methods(pool, user)
        preferred = user.preferred_mfa_setting
        if preferred in methods:
            return self.mfa_challenge(pool, client, user, str(preferred), device_key)
        if len(methods) == 1:
            return self.mfa_challenge(pool, client, user, methods[0], device_key)
        if methods:
            return self.state.challenge(
                pool,
                client,
                user,
                "SELECT_MFA_TYPE",
                {"MFAS_CAN_CHOOSE": json.dumps(methods)},
                choices=tuple(methods),
                device_key=device_key,
            )
        if pool.mfa_config == "ON":
            can_setup = ["SOFTWARE_TOKEN_MFA"]
            if pool.sms_mfa_config:
                can_setup.insert(0, "SMS_MFA")
            return self.state.challenge(
                pool,
                client,
                user,
                "MFA_SETUP",
                {"MFAS_CAN_SETUP": json.dumps(can_setup)},
                device_key=device_key,
            )
        return self.issue(pool, client, user, device_key)

    def mfa_challenge(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        name: str,
        device_key: str | None = None,
    ) -> dict[str, Any]:
        """The challenge ``name`` (SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP), sending a code."""
        if name == "SOFTWARE_TOKEN_MFA":
            return self.state.challenge(pool, client, user, name, {}, device_key=device_key)
        medium = "SMS" if name == "SMS_MFA" else "EMAIL"
        code, params = self.send_code(pool, user, medium, purpose=name)
        return self.state.challenge(
            pool, client, user, name, params, code=code, device_key=device_key
        )

    def send_code(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, medium: str, *, purpose: str
    ) -> tuple[str, dict[str, str]]:
        """Send a fresh code ("by SMS or e-mail"); returns it and the delivery parameters."""
        code = new_code()
        if medium == "SMS":
            where = str(user.attribute_lookup.get("phone_number", "+00000000000"))
        else:
            where = str(user.attribute_lookup.get("email", "unknown@example.com"))
        self.state.record_code(
            pool, user, code, purpose=purpose, medium=medium, destination=mask_destination(where)
        )
        return code, {
            "CODE_DELIVERY_DELIVERY_MEDIUM": medium,
            "CODE_DELIVERY_DESTINATION": mask_destination(where),
        }

    # ----------------------------------------------------------------------------- software token
    def associate_software_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """AssociateSoftwareToken, in an MFA_SETUP session or with an access token."""
        state = self.state
        secret = new_totp_secret()
        token = params.get("Session")
        if isinstance(token, str) and token:
            session = self._setup_session(token, "")
            del state.sessions[token]
            return {
                "SecretCode": secret,
                "Session": self._next_setup_session(session, "associated", secret),
            }
        pool, user = self._access_user(params)
        state.user_state(pool.id, user.username).pending_totp_secret = secret
        return {"SecretCode": secret}

    def verify_software_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """VerifySoftwareToken, in an MFA_SETUP session or with an access token."""
        state = self.state
        code = params.get("UserCode")
        if not isinstance(code, str) or not code:
            raise invalid("Missing required parameter UserCode")
        token = params.get("Session")
        if isinstance(token, str) and token:
            session = self._setup_session(token, "associated")
            assert session.secret is not None
            if not totp_ok(session.secret, code, state.now()):
                state.wrong_code(token, session)
                raise CognitoError("EnableSoftwareTokenMFAException", "Code mismatch")
            del state.sessions[token]
            pool = state.pool(session.pool_id)
            user = pool.users[session.username]
            self.enable_totp(pool, user, session.secret, preferred=True)
            return {"Status": "SUCCESS", "Session": self._next_setup_session(session, "verified")}
        pool, user = self._access_user(params)
        extra = state.user_state(pool.id, user.username)
        if extra.pending_totp_secret is None:
            raise invalid("Software token has not been associated with the user")
        if not totp_ok(extra.pending_totp_secret, code, state.now()):
            raise CognitoError("EnableSoftwareTokenMFAException", "Code mismatch")
        extra.totp_secret, extra.pending_totp_secret = extra.pending_totp_secret, None
        # moto's SetUserMFAPreference enables TOTP only for a verified token.
        user.token_verified = True
        return {"Status": "SUCCESS"}

    def _setup_session(self, token: str, stage: str) -> AuthSession:
        """The live MFA_SETUP session ``token`` at ``stage``, checked against its own client."""
        session = self.state.sessions.get(token)
        if session is None:
            raise not_authorized(INVALID_SESSION)
        self.state.open_session(token, session.client_id, "MFA_SETUP", stage)
        return session

    def _next_setup_session(
        self, session: AuthSession, stage: str, secret: str | None = None
    ) -> str:
        """A new MFA_SETUP session token following ``session`` at ``stage``."""
        follow = AuthSession(
            session.pool_id,
            session.client_id,
            session.username,
            "MFA_SETUP",
            self.state.now() + SESSION_SECONDS,
            stage=stage,
            secret=secret,
            device_key=session.device_key,
        )
        return self.state.new_session(follow)

    def _access_user(self, params: Mapping[str, Any]) -> tuple[CognitoIdpUserPool, CognitoIdpUser]:
        """The pool and user of the ``AccessToken`` in ``params`` (the no-session form)."""
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken or Session")
        return self.state.user_for_access_token(access)

    def enable_totp(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, secret: str, *, preferred: bool
    ) -> None:
        """Turn TOTP MFA on for a user with ``secret``."""
        self.state.user_state(pool.id, user.username).totp_secret = secret
        user.token_verified = True
        user.software_token_mfa_enabled = True
        if preferred:
            user.preferred_mfa_setting = "SOFTWARE_TOKEN_MFA"
