"""What a user-pool reply means, and what an answer must carry: protocol only, no I/O.

:func:`outcome` reads an InitiateAuth / RespondToAuthChallenge reply as :class:`Tokens` or the
next :class:`Challenge` (the one place that does); the helpers pull a challenge's parameters and
session, check a code, an MFA choice and a USER_AUTH factor choice (``SELECT_CHALLENGE``, whose
``AvailableChallenges`` the challenge keeps as its ``AVAILABLE_CHALLENGES`` parameter, JSON).
:class:`scribeauth.login.SignIn` sends and receives; the device steps (``DEVICE_SRP_AUTH``) and
passkeys (``WEB_AUTHN``) are its business, before a reply reaches :func:`outcome`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import ServiceError, UnknownException
from .models import Challenge, Tokens

__all__ = [
    "CHOICE_ALIASES",
    "CODE_KEYS",
    "MFA_ALIASES",
    "SUPPORTED_CHALLENGES",
    "available_challenges",
    "code_of",
    "factor_choice",
    "mfa_choice",
    "offered_mfa",
    "outcome",
    "parameters",
    "session_of",
    "srp_fields",
]

SUPPORTED_CHALLENGES = frozenset(
    {
        "NEW_PASSWORD_REQUIRED",
        "SOFTWARE_TOKEN_MFA",
        "SMS_MFA",
        "EMAIL_OTP",
        "SMS_OTP",
        "SELECT_MFA_TYPE",
        "SELECT_CHALLENGE",
        "PASSWORD_VERIFIER",
        "MFA_SETUP",
    }
)
# The response key carrying the code, per challenge.
CODE_KEYS = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SMS_OTP": "SMS_OTP_CODE",
}
# Friendly names a person (or the CLI) may use for SELECT_MFA_TYPE.
MFA_ALIASES = {
    "totp": "SOFTWARE_TOKEN_MFA",
    "software_token_mfa": "SOFTWARE_TOKEN_MFA",
    "app": "SOFTWARE_TOKEN_MFA",
    "sms": "SMS_MFA",
    "sms_mfa": "SMS_MFA",
    "email": "EMAIL_OTP",
    "email_otp": "EMAIL_OTP",
}
# Friendly names for SELECT_CHALLENGE answers (USER_AUTH's factors).
CHOICE_ALIASES = {
    "email": "EMAIL_OTP",
    "sms": "SMS_OTP",
    "text": "SMS_OTP",
    "srp": "PASSWORD_SRP",
    "passkey": "WEB_AUTHN",
}


def outcome(reply: Mapping[str, Any], username: str) -> Tokens | Challenge:
    """What a reply carrying AuthenticationResult or ChallengeName means: tokens or a challenge.

    Raises:
        UnknownException: the reply has neither, or lacks a token or the session.
        ServiceError: Cognito asks for a challenge scribeauth does not answer.
    """
    result = reply.get("AuthenticationResult")
    if isinstance(result, Mapping) and result:
        id_token, access_token = result.get("IdToken"), result.get("AccessToken")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise UnknownException("Cognito's reply lacks the id or access token; try again")
        refresh_token = result.get("RefreshToken")
        return Tokens(
            id_token=id_token,
            access_token=access_token,
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        )
    name = reply.get("ChallengeName")
    if not isinstance(name, str) or not name:
        raise UnknownException("Cognito's reply has neither tokens nor a challenge; try again")
    if name not in SUPPORTED_CHALLENGES:
        raise ServiceError(
            f"Cognito asked for the {name} challenge, which scribeauth cannot answer; "
            "ask the user pool's administrator"
        )
    params = parameters(reply)
    if name == "SELECT_CHALLENGE":
        available = reply.get("AvailableChallenges")
        params["AVAILABLE_CHALLENGES"] = json.dumps(
            [str(c) for c in available] if isinstance(available, list) else []
        )
    return Challenge(
        name=name,
        # As with USER_SRP_AUTH, a PASSWORD_VERIFIER may come without a session.
        session=session_of(reply, required=name != "PASSWORD_VERIFIER"),
        parameters=params,
        username=params.get("USER_ID_FOR_SRP") or username,
    )


def parameters(reply: Mapping[str, Any]) -> dict[str, str]:
    """A challenge's ChallengeParameters, as strings ({} when absent)."""
    params = reply.get("ChallengeParameters")
    if not isinstance(params, Mapping):
        return {}
    return {str(k): str(v) for k, v in params.items()}


def session_of(reply: Mapping[str, Any], *, required: bool) -> str:
    """The reply's Session ("" when absent and not ``required``).

    Raises:
        UnknownException: ``required`` and there is none.
    """
    session = reply.get("Session")
    if isinstance(session, str) and session:
        return session
    if required:
        raise UnknownException("Cognito's challenge lacks its session; sign in again")
    return ""


def srp_fields(params: Mapping[str, str], challenge: str, advice: str) -> tuple[str, str, str]:
    """``SRP_B``, ``SALT`` and ``SECRET_BLOCK`` of an SRP verifier ``challenge``'s parameters.

    Raises:
        UnknownException: one is missing (the message names it and ends with ``advice``).
    """
    try:
        return params["SRP_B"], params["SALT"], params["SECRET_BLOCK"]
    except KeyError as err:
        raise UnknownException(
            f"Cognito's {challenge} challenge lacks {err.args[0]}; {advice}"
        ) from err


def code_of(code: str | None) -> str:
    """A code as Cognito wants it: without spaces.

    Raises:
        ValueError: no code (a caller's bug).
    """
    text = "".join((code or "").split())
    if not text:
        raise ValueError("a code is needed to answer this challenge")
    return text


def offered_mfa(challenge: Challenge) -> list[str]:
    """The MFA types a SELECT_MFA_TYPE challenge offers ([] when it does not say)."""
    return _json_list(challenge.parameters.get("MFAS_CAN_CHOOSE"))


def mfa_choice(challenge: Challenge, choice: str | None) -> str:
    """The SELECT_MFA_TYPE answer for ``choice`` (``totp``, ``sms``, ``EMAIL_OTP``, ...).

    Raises:
        ValueError: no choice, or one the challenge does not offer (a caller's bug).
    """
    return _offered_choice(
        choice, MFA_ALIASES, offered_mfa(challenge), "SELECT_MFA_TYPE needs the MFA type to use"
    )


def available_challenges(challenge: Challenge) -> list[str]:
    """The factors a SELECT_CHALLENGE offers (Cognito's ``AvailableChallenges``)."""
    return _json_list(challenge.parameters.get("AVAILABLE_CHALLENGES"))


def factor_choice(challenge: Challenge, choice: str | None) -> str:
    """The SELECT_CHALLENGE answer for ``choice`` (``email``, ``sms``, ``PASSWORD_SRP``, ...).

    Raises:
        ValueError: no choice, or one the challenge does not offer (a caller's bug).
    """
    return _offered_choice(
        choice,
        CHOICE_ALIASES,
        available_challenges(challenge),
        "SELECT_CHALLENGE needs the factor to use",
    )


def _json_list(raw: str | None) -> list[str]:
    """The strings of a JSON list parameter ([] when it is missing or not a JSON list)."""
    if not raw:
        return []
    try:
        offered = json.loads(raw)
    except ValueError:
        return []
    return [str(item) for item in offered] if isinstance(offered, list) else []


def _offered_choice(
    choice: str | None, aliases: Mapping[str, str], offered: list[str], missing: str
) -> str:
    """``choice`` spelled as the challenge spells it, after checking the challenge offers it.

    Raises:
        ValueError: no choice (``missing`` says what is needed), or one not in ``offered``.
    """
    if not choice:
        raise ValueError(missing)
    chosen = aliases.get(choice.strip().lower(), choice.strip().upper())
    if offered and chosen not in offered:
        raise ValueError(f"{choice!r} is not offered; choose one of {', '.join(offered)}")
    return chosen
