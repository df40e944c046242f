"""The 1.x module path (``from scribeauth.scribeauth import ScribeAuth``), kept for old imports."""

from __future__ import annotations

from .compat import (
    Challenge,
    Credentials,
    PoolConfiguration,
    RefreshToken,
    ScribeAuth,
    Tokens,
    UsernamePassword,
)
from .errors import (
    MissingIdException,
    ResourceNotFoundException,
    TooManyRequestsException,
    UnauthorizedException,
    UnknownException,
)

__all__ = [
    "Challenge",
    "Credentials",
    "MissingIdException",
    "PoolConfiguration",
    "RefreshToken",
    "ResourceNotFoundException",
    "ScribeAuth",
    "Tokens",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnknownException",
    "UsernamePassword",
]
