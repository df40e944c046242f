"""Choice-based sign-in: ``InitiateAuth`` ``USER_AUTH`` and the ``SELECT_CHALLENGE`` answer.

The app client must allow ``ALLOW_USER_AUTH``; the pool's ``SignInPolicy.AllowedFirstAuthFactors``
says which first factors exist (``PASSWORD`` always; ``EMAIL_OTP`` and ``SMS_OTP`` when listed).
A user's available challenges are ``PASSWORD_SRP`` and ``PASSWORD`` when they have a password,
``EMAIL_OTP`` with a verified e-mail address and ``SMS_OTP`` with a verified phone number.

``PREFERRED_CHALLENGE`` that is available starts that challenge at once (``PASSWORD`` needs
``PASSWORD``, ``PASSWORD_SRP`` needs ``SRP_A``, the one-time codes are sent); otherwise the reply
is ``SELECT_CHALLENGE`` with ``AvailableChallenges``. A passwordless code answered right ends the
sign-in (no further MFA); a password goes on to MFA like any other password sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local.auth_flows import AuthFlows
from scribeauth.local.challenges import Challenges
from scribeauth.local.cognito_rules import (
    INVALID_SESSION,
    allowed_flows,
    first_factors,
    invalid,
    not_authorized,
)
from scribeauth.local.pool_state import SESSION_SECONDS, AuthSession, PoolState

CHALLENGE_ORDER = ("PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP")


class UserAuth:
    """``USER_AUTH`` and ``SELECT_CHALLENGE``.

    Args:
        state: the pool's shared state.
        flows: the password sign-in (password check, SRP, what follows a password).
        challenges: sends the one-time codes.
    """

    def __init__(self, state: PoolState, flows: AuthFlows, challenges: Challenges) -> None:
        self.state = state
        self.flows = flows
        self.challenges = challenges

    def available(self, pool: CognitoIdpUserPool, user: CognitoIdpUser | None) -> list[str]:
        """The first-factor challenges ``user`` can take in ``pool``, in Cognito's order."""
        factors = set(first_factors(pool))
        attrs = user.attribute_lookup if user is not None else {}
        usable = {
            "PASSWORD_SRP": user is None or user.password is not None,
            "PASSWORD": user is None or user.password is not None,
            "EMAIL_OTP": "EMAIL_OTP" in factors
            and str(attrs.get("email_verified", "")).lower() == "true",
            "SMS_OTP": "SMS_OTP" in factors
            and str(attrs.get("phone_number_verified", "")).lower() == "true",
        }
        return [name for name in CHALLENGE_ORDER if usable[name]]

    def initiate(self, params: dict[str, Any]) -> dict[str, Any]:
        """InitiateAuth with ``AuthFlow`` USER_AUTH."""
        pool, client = self.state.client(params.get("ClientId"))
        if "USER_AUTH" not in allowed_flows(client):
            raise invalid("USER_AUTH flow not enabled for this client")
        auth = params.get("AuthParameters") or {}
        typed, user = self.state.sign_in_user(pool, client, auth)
        choices = self.available(pool, user)
        preferred = auth.get("PREFERRED_CHALLENGE")
        if isinstance(preferred, str) and preferred in choices:
            return self._start(pool, client, typed, user, preferred, auth)
        session = AuthSession(
            pool.id,
            client.id,
            user.username if user is not None else typed,
            "SELECT_CHALLENGE",
            self.state.now() + SESSION_SECONDS,
            choices=tuple(choices),
        )
        return {
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": self.state.new_session(session),
            "ChallengeParameters": {},
            "AvailableChallenges": choices,
        }

    def select(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str,
        token: Any,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Answer SELECT_CHALLENGE: ``ANSWER`` and what that challenge needs."""
        session = self.state.open_session(token, client.id, "SELECT_CHALLENGE")
        user = self.state.resolve_user(pool, username)
        if user is not None and user.username != session.username:
            raise not_authorized(INVALID_SESSION)
        answer = answers.get("ANSWER")
        if not isinstance(answer, str) or answer not in session.choices:
            raise invalid(f"Invalid challenge selected: {answer}")
        del self.state.sessions[str(token)]
        return self._start(pool, client, username, user, answer, answers)

    def _start(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        typed: str,
        user: CognitoIdpUser | None,
        name: str,
        given: Mapping[str, Any],
    ) -> dict[str, Any]:
        device_key = given.get("DEVICE_KEY")
        device_key = device_key if isinstance(device_key, str) else None
        if name == "PASSWORD_SRP":
            return self.flows.srp_start(pool, client, typed, user, given.get("SRP_A"), device_key)
        if name == "PASSWORD":
            password = given.get("PASSWORD")
            if not isinstance(password, str):
                raise invalid("Missing required parameter PASSWORD")
            self.flows.check_password(pool, user, password)
            assert user is not None
            return self.flows.after_password(pool, client, user, device_key)
        if user is None:  # pragma: no cover - an unknown user is never offered a code
            raise not_authorized()
        medium = "EMAIL" if name == "EMAIL_OTP" else "SMS"
        code, params = self.challenges.send_code(pool, user, medium, purpose=name)
        return self.state.challenge(
            pool, client, user, name, params, code=code, device_key=device_key
        )
