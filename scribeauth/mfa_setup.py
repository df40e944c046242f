"""MFA set-up (``MFA_SETUP``): a new TOTP secret for an authenticator app, then its first code.

A part of :class:`scribeauth.login.SignIn` (mixed in), kept here to keep that module small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from .errors import CodeMismatchError, UnknownException
from .models import Challenge, Tokens
from .replies import code_of, session_of
from .user_pool import UserPoolClient

__all__ = ["MfaSetupSteps", "TotpSetup"]

_ISSUER = "Scribe"


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


class _SignInState(Protocol):
    """What the MFA set-up steps use of :class:`~scribeauth.login.SignIn`."""

    _pool: UserPoolClient

    def _device_key(self) -> dict[str, str]: ...

    def _outcome(self, reply: Mapping[str, Any], username: str) -> Tokens | Challenge: ...


class MfaSetupSteps:
    """MFA_SETUP's steps, mixed into :class:`~scribeauth.login.SignIn`."""

    def setup_totp(
        self: _SignInState, challenge: Challenge, *, label: str | None = None
    ) -> TotpSetup:
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
        self: _SignInState, challenge: Challenge, setup: TotpSetup, code: str
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
            "MFA_SETUP", session, {"USERNAME": challenge.username, **self._device_key()}
        )
        return self._outcome(reply, challenge.username)
