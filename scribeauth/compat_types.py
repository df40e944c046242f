"""The 1.x dict shapes of :class:`scribeauth.compat.ScribeAuth`, and reading its constructor
argument. Data only: no calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

from .errors import ConfigError, MissingIdException

__all__ = [
    "Challenge",
    "Credentials",
    "PoolConfiguration",
    "RefreshToken",
    "Tokens",
    "UsernamePassword",
    "pool_configuration",
]

_CONFIG_KEYS = ("client_id", "user_pool_id", "identity_pool_id", "auth_flow", "client_secret")


class Tokens(TypedDict):
    """The 1.x tokens dict."""

    refresh_token: str
    access_token: str
    id_token: str


class Challenge(TypedDict):
    """The 1.x challenge dict; answer it with its session (``respond_to_auth_challenge_mfa``)."""

    challenge_name: str
    session: str


class RefreshToken(TypedDict):
    """``get_tokens(refresh_token=...)``."""

    refresh_token: str


class UsernamePassword(TypedDict):
    """``get_tokens(username=..., password=...)``."""

    username: str
    password: str


class Credentials(TypedDict):
    """The 1.x identity-pool credentials dict; ``Expiration`` is an aware UTC datetime."""

    AccessKeyId: str
    SecretKey: str
    SessionToken: str
    Expiration: datetime


class _PoolIds(TypedDict):
    client_id: str
    user_pool_id: str


class PoolConfiguration(_PoolIds, total=False):
    """The 1.x constructor dict, plus the optional 2.x keys ``auth_flow`` and ``client_secret``."""

    identity_pool_id: str | None
    auth_flow: str | None
    client_secret: str | None


def pool_configuration(param: object) -> dict[str, str | None]:
    """``ScribeAuth(param)``'s argument as a dict of the known keys (None when not given).

    Raises:
        MissingIdException: ``param`` is neither a str (the client id) nor a mapping.
        ConfigError: a value is not a str.
    """
    if isinstance(param, str):
        param = {"client_id": param}
    if not isinstance(param, Mapping):
        raise MissingIdException(
            "ScribeAuth takes the app client id (a str) or a dict with 'client_id', "
            f"'user_pool_id' and optionally 'identity_pool_id', not {type(param).__name__}"
        )
    config: dict[str, str | None] = {}
    for key in _CONFIG_KEYS:
        value = param.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"ScribeAuth: {key!r} must be a str, not {type(value).__name__}")
        config[key] = value or None
    return config
