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
- A remembered device goes as ``DEVICE_KEY`` with every sign-in step and refresh;
  ``DEVICE_SRP_AUTH`` is answered without asking anyone (:mod:`scribeauth.device_steps`).
- ``USER_AUTH`` (choice-based sign-in) is :mod:`scribeauth.choice`; MFA set-up is
  :mod:`scribeauth.mfa_setup`; refresh (GetTokensFromRefreshToken, rotation) and the signed-in
  user's calls are :mod:`scribeauth.account`; what a reply means is :mod:`scribeauth.replies`.

The password lives only in the arguments and locals of :meth:`SignIn.start` and
:meth:`SignIn.answer`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import devices, srp
from .account import AccountCalls, can_revoke
from .choice import PASSKEY_HINT, ChoiceSteps, available_challenges
from .device_steps import DeviceSteps
from .errors import (
    ConfigError,
    MissingIdException,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    SrpNotAllowedError,
    UnauthorizedException,
)
from .ids import (
    AUTH_FLOWS,
    CHOICE,
    DEFAULT_REGION,
    PASSWORD,
    PREFERRED_CHALLENGES,
    SRP,
    USER_POOL_ID,
    region_of,
)
from .mfa_setup import MfaSetupSteps, TotpSetup
from .models import Challenge, RememberedDevice, Tokens
from .replies import (
    CODE_KEYS,
    SUPPORTED_CHALLENGES,
    code_of,
    mfa_choice,
    outcome,
    parameters,
    session_of,
    srp_fields,
)
from .user_pool import UserPoolClient, srp_not_enabled

if TYPE_CHECKING:
    from .config import Profile

__all__ = [
    "AUTH_FLOWS",
    "CHOICE",
    "DEFAULT_REGION",
    "PASSKEY_HINT",
    "PREFERRED_CHALLENGES",
    "SUPPORTED_CHALLENGES",
    "SignIn",
    "TotpSetup",
    "available_challenges",
    "can_revoke",
    "region_of",
]

_log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class SignIn(ChoiceSteps, DeviceSteps, MfaSetupSteps, AccountCalls):
    """The user-pool sign-in flows for one app client.

    Args:
        client_id: the app client id.
        user_pool_id: the user pool id; without it only USER_PASSWORD_AUTH is possible.
        client_secret: the app client secret (confidential clients only).
        auth_flow: ``USER_SRP_AUTH`` or ``USER_PASSWORD_AUTH`` to pin the flow; None to choose.
        profile: the AWS config profile whose ``services`` section may set the endpoint.
        now: the clock (aware UTC), for the SRP timestamp.
        random_bytes: the source of randomness for SRP.
        warn: where warnings go (a remembered device Cognito no longer knows).
        device: this machine's remembered device for the user, if any.
        preferred_challenge: for USER_AUTH: ``PASSWORD_SRP`` (default), ``PASSWORD``,
            ``EMAIL_OTP`` or ``SMS_OTP``.

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
        device: RememberedDevice | None = None,
        preferred_challenge: str | None = None,
    ) -> None:
        if not client_id:
            raise MissingIdException("no app client id: set scribe_client_id in the profile")
        if auth_flow is not None and auth_flow not in AUTH_FLOWS:
            raise ConfigError(
                f"unknown auth flow {auth_flow!r}: set scribe_auth_flow to "
                "USER_SRP_AUTH, USER_PASSWORD_AUTH or USER_AUTH"
            )
        if preferred_challenge is not None and preferred_challenge not in PREFERRED_CHALLENGES:
            raise ConfigError(
                f"unknown preferred challenge {preferred_challenge!r}: set "
                f"scribe_preferred_challenge to one of {', '.join(PREFERRED_CHALLENGES)}"
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
        self.device = device
        self.preferred_challenge = preferred_challenge or PREFERRED_CHALLENGES[0]
        #: ``NewDeviceMetadata`` of the last tokens: confirm it with :meth:`confirm_new_device`.
        self.new_device: devices.NewDevice | None = None
        self.device_dropped = False
        self._device_failed = False
        self._srp_secret: tuple[int, int] | None = None

    @classmethod
    def from_profile(
        cls,
        profile: Profile,
        *,
        now: Callable[[], datetime] = _utc_now,
        device: RememberedDevice | None = None,
    ) -> SignIn:
        """The sign-in flows of a profile's app client (the one place a profile becomes them).

        Args:
            profile: the profile.
            now: the clock.
            device: the remembered device of the profile's user (from its cache), if any.

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
            device=device,
            preferred_challenge=profile.preferred_challenge,
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

    @property
    def password_first(self) -> bool:
        """Whether :meth:`start` needs the password (False for USER_AUTH unless PASSWORD is
        preferred: a code, or the SRP proof later, may be all it takes)."""
        return self.flow != CHOICE or self.preferred_challenge == "PASSWORD"

    # -- sign-in -----------------------------------------------------------------------------
    def start(self, username: str, password: str | None) -> Tokens | Challenge:
        """Signs in with a username (or alias) and password.

        With USER_AUTH the password may be None (see :attr:`password_first`): then a
        ``PASSWORD_VERIFIER`` or ``SELECT_CHALLENGE`` challenge comes back for it.

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
        try:
            return self._start(username, password)
        except ScribeAuthError as err:
            # Cognito forgot the device (or its proof failed): sign in without it, as Amplify.
            if not self._drop_forgotten_device(err):
                raise
            return self._start(username, password)

    def _start(self, username: str, password: str | None) -> Tokens | Challenge:
        if self.flow == CHOICE:
            return self._start_choice(username, password)
        if password is None:
            raise ValueError(f"{self.flow} needs the password")
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
        reply = self._pool.initiate_auth(
            PASSWORD, {"USERNAME": username, "PASSWORD": password, **self._device_key()}
        )
        return self._outcome(reply, username)

    def _start_srp(self, username: str, password: str) -> Tokens | Challenge:
        self._srp_secret = srp.generate_a(self._random_bytes)
        reply = self._pool.initiate_auth(
            SRP,
            {
                "USERNAME": username,
                "SRP_A": srp.srp_a_hex(self._srp_secret[1]),
                **self._device_key(),
            },
        )
        if reply.get("ChallengeName") != "PASSWORD_VERIFIER":
            return self._outcome(reply, username)
        params = parameters(reply)
        user_id = params.get("USER_ID_FOR_SRP") or params.get("USERNAME") or username
        return self._verify_password(params, session_of(reply, required=False), user_id, password)

    def _verify_password(
        self, params: Mapping[str, str], session: str, user_id: str, password: str
    ) -> Tokens | Challenge:
        """Answers PASSWORD_VERIFIER with the SRP secret drawn for this attempt."""
        if self._srp_secret is None:
            raise ValueError("PASSWORD_VERIFIER answers an SRP start of this SignIn")
        a, big_a = self._srp_secret
        self._srp_secret = None  # one proof per secret
        srp_b, salt, block = srp_fields(params, "PASSWORD_VERIFIER", "try again")
        claim = srp.password_claim(
            self.user_pool_id or "", user_id, password, a, big_a, srp_b, salt, block, self._now()
        )
        try:
            reply = self._pool.respond_to_auth_challenge(
                "PASSWORD_VERIFIER", session, {"USERNAME": user_id, **claim, **self._device_key()}
            )
        except UnauthorizedException as err:
            # The pool id is only in the SRP proof, so a pool Cognito does not know reads as a
            # wrong password; its public key set (404 for no such pool) tells the two apart.
            if type(err) is UnauthorizedException and self._unknown_pool():
                raise ResourceNotFoundException(
                    f"Cognito does not know user pool {self.user_pool_id}; check "
                    "scribe_user_pool_id in the profile",
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
        password: str | None = None,
    ) -> Tokens | Challenge:
        """Answers a challenge returned by :meth:`start` or a previous :meth:`answer`.

        Args:
            challenge: the challenge to answer.
            answer: the code for SOFTWARE_TOKEN_MFA, SMS_MFA and EMAIL_OTP; the new password for
                NEW_PASSWORD_REQUIRED; the MFA type for SELECT_MFA_TYPE.
            new_password: the new password for NEW_PASSWORD_REQUIRED (instead of ``answer``).
            mfa_type: for SELECT_MFA_TYPE: ``SOFTWARE_TOKEN_MFA``/``totp``, ``SMS_MFA``/``sms``
                or ``EMAIL_OTP``/``email`` (instead of ``answer``).
            password: the password, for USER_AUTH's PASSWORD_VERIFIER (or ``answer``) and for
                a SELECT_CHALLENGE answered with PASSWORD or PASSWORD_SRP.

        For SELECT_CHALLENGE, ``answer`` is the factor (``EMAIL_OTP``/``email``,
        ``SMS_OTP``/``sms``, ``PASSWORD``, ``PASSWORD_SRP``); for EMAIL_OTP and SMS_OTP the
        code.

        Returns:
            The tokens, or the next challenge.

        Raises:
            ValueError: the answer is missing or does not fit the challenge (a caller's bug).
            CodeMismatchError, ExpiredCodeError, PasswordPolicyError, UnauthorizedException:
                Cognito refused the answer.
        """
        name = challenge.name
        responses = {"USERNAME": challenge.username, **self._device_key()}
        if name == "PASSWORD_VERIFIER":
            secret = password if password is not None else answer
            if not secret:
                raise ValueError("PASSWORD_VERIFIER needs the password")
            return self._verify_password(
                challenge.parameters, challenge.session, challenge.username, secret
            )
        if name == "SELECT_CHALLENGE":
            return self._select(challenge, answer, password)
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

    # -- replies -------------------------------------------------------------------------------
    def _outcome(self, reply: Mapping[str, Any], username: str) -> Tokens | Challenge:
        """What a reply means (:func:`scribeauth.replies.outcome`), with this sign-in's part:
        a new device to confirm kept, a remembered device's proof given, passkeys refused."""
        result = reply.get("AuthenticationResult")
        if isinstance(result, Mapping) and result:
            self.new_device = devices.new_device_of(result)
        elif reply.get("ChallengeName") == "DEVICE_SRP_AUTH":
            return self._prove_device(reply, username)
        elif reply.get("ChallengeName") == "WEB_AUTHN":
            raise ConfigError(PASSKEY_HINT)
        return outcome(reply, username)
