"""Choice-based sign-in (``USER_AUTH``): the first factor, and the ``SELECT_CHALLENGE`` answer.

A part of :class:`scribeauth.login.SignIn` (mixed in), kept here to keep that module small.
``PREFERRED_CHALLENGE`` (``PASSWORD_SRP`` by default, ``PASSWORD``, ``EMAIL_OTP``, ``SMS_OTP``)
starts that factor at once when the user has it; otherwise Cognito answers ``SELECT_CHALLENGE``,
kept as a :class:`~scribeauth.models.Challenge` whose ``AVAILABLE_CHALLENGES`` parameter (JSON)
lists the factors. Passkeys (``WEB_AUTHN``) need a browser: :data:`PASSKEY_HINT`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from . import srp
from .errors import ConfigError
from .ids import CHOICE
from .models import Challenge, Tokens
from .replies import available_challenges, factor_choice
from .user_pool import UserPoolClient

__all__ = ["PASSKEY_HINT", "ChoiceSteps", "available_challenges"]

#: What a passkey-only sign-in is told (the browser sign-in is ``login --browser``).
PASSKEY_HINT = (
    "this account signs in with a passkey (WEB_AUTHN), which needs a browser; "
    "run: scribeauth login --browser"
)


class _SignInState(Protocol):
    """What the choice steps use of :class:`~scribeauth.login.SignIn`."""

    _pool: UserPoolClient
    _random_bytes: Callable[[int], bytes]
    _srp_secret: tuple[int, int] | None
    preferred_challenge: str
    user_pool_id: str | None

    def _device_key(self) -> dict[str, str]: ...

    def _outcome(self, reply: Mapping[str, Any], username: str) -> Tokens | Challenge: ...

    def answer(
        self, challenge: Challenge, answer: str | None = None, *, password: str | None = None
    ) -> Tokens | Challenge: ...


class ChoiceSteps:
    """USER_AUTH's own steps, mixed into :class:`~scribeauth.login.SignIn`."""

    _srp_secret: tuple[int, int] | None

    def _start_choice(
        self: _SignInState, username: str, password: str | None
    ) -> Tokens | Challenge:
        if not self.user_pool_id and self.preferred_challenge == "PASSWORD_SRP":
            raise ConfigError("USER_AUTH with PASSWORD_SRP needs scribe_user_pool_id")
        params = {
            "USERNAME": username,
            "PREFERRED_CHALLENGE": self.preferred_challenge,
            **self._device_key(),
        }
        if self.preferred_challenge == "PASSWORD_SRP":
            secret = srp.generate_a(self._random_bytes)
            self._srp_secret = secret
            params["SRP_A"] = srp.srp_a_hex(secret[1])
        elif self.preferred_challenge == "PASSWORD":
            if not password:
                raise ValueError("USER_AUTH with PASSWORD needs the password")
            params["PASSWORD"] = password
        step = self._outcome(self._pool.initiate_auth(CHOICE, params), username)
        if isinstance(step, Challenge) and step.name == "PASSWORD_VERIFIER" and password:
            return self.answer(step, password)
        return step

    def _select(
        self: _SignInState, challenge: Challenge, choice: str | None, password: str | None
    ) -> Tokens | Challenge:
        chosen = factor_choice(challenge, choice)
        if chosen == "WEB_AUTHN":
            raise ConfigError(PASSKEY_HINT)
        responses = {"USERNAME": challenge.username, "ANSWER": chosen, **self._device_key()}
        if chosen == "PASSWORD_SRP":
            secret = srp.generate_a(self._random_bytes)
            self._srp_secret = secret
            responses["SRP_A"] = srp.srp_a_hex(secret[1])
        elif chosen == "PASSWORD":
            if not password:
                raise ValueError("the PASSWORD factor needs the password")
            responses["PASSWORD"] = password
        reply = self._pool.respond_to_auth_challenge(
            "SELECT_CHALLENGE", challenge.session, responses
        )
        step = self._outcome(reply, challenge.username)
        if isinstance(step, Challenge) and step.name == "PASSWORD_VERIFIER" and password:
            return self.answer(step, password=password)
        return step
