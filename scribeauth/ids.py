"""Cognito ids and names: regions, pool ids, the sign-in flows, and the one hash helper.

The one home of what a user pool id (``eu-west-2_AbCdEf123``), an identity pool id
(``eu-west-2:<uuid>``) and a region look like, of the region Cognito lives in when no pool id
says otherwise, and of the auth-flow names a profile may pin. Standard library only: the
configuration (on the ``credential_process`` path) and the Cognito clients both use it.
"""

from __future__ import annotations

import importlib
import re

from .errors import ConfigError

__all__ = [
    "AUTH_FLOWS",
    "CHOICE",
    "DEFAULT_REGION",
    "IDENTITY_POOL_ID",
    "PASSWORD",
    "PREFERRED_CHALLENGES",
    "REGION",
    "SRP",
    "USER_POOL_ID",
    "identity_pool_region",
    "region_of",
    "sha256_hex",
    "user_pool_region",
]

#: Where Cognito lives when no pool id says otherwise (the 1.x default).
DEFAULT_REGION = "eu-west-2"
#: Secure Remote Password: the password never leaves the machine.
SRP = "USER_SRP_AUTH"
#: The password is sent to Cognito (over TLS).
PASSWORD = "USER_PASSWORD_AUTH"  # noqa: S105 - a flow name, not a password
#: Choice-based sign-in: a password, or a one-time code by e-mail or SMS (``USER_AUTH``).
CHOICE = "USER_AUTH"
#: The sign-in flows a profile may pin (``scribe_auth_flow``).
AUTH_FLOWS = (SRP, PASSWORD, CHOICE)
#: The first factor ``scribe_preferred_challenge`` may name for USER_AUTH (the first: default).
PREFERRED_CHALLENGES = ("PASSWORD_SRP", "PASSWORD", "EMAIL_OTP", "SMS_OTP")

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
#: A region name, e.g. ``eu-west-2``.
REGION = re.compile(rf"^{_REGION}$")
#: A user pool id, e.g. ``eu-west-2_AbCdEf123``.
USER_POOL_ID = re.compile(rf"^{_REGION}_[0-9A-Za-z]+$")
#: An identity pool id, e.g. ``eu-west-2:00000000-0000-0000-0000-000000000000``.
IDENTITY_POOL_ID = re.compile(rf"^{_REGION}:[0-9a-f-]{{36}}$")
# The region part of either kind of pool id, whatever follows the separator.
_POOL_PREFIX = re.compile(rf"^({_REGION})[_:].")


def region_of(pool_id: str | None) -> str:
    """The region in a user or identity pool id (``eu-west-2_...``, ``eu-west-2:...``).

    Returns :data:`DEFAULT_REGION` when no pool id is given (a bare client id, as in 1.x).

    Raises:
        ConfigError: the id does not start with a region and a separator.
    """
    if not pool_id:
        return DEFAULT_REGION
    match = _POOL_PREFIX.match(pool_id)
    if not match:
        raise ConfigError(
            f"{pool_id!r} is not a pool id (REGION_ID, e.g. eu-west-2_AbCdEf123); "
            "fix scribe_user_pool_id / scribe_identity_pool_id"
        )
    return match.group(1)


def user_pool_region(user_pool_id: str) -> str:
    """The region of a user pool id (``eu-west-2_AbCdEf123`` -> ``eu-west-2``).

    Raises:
        ConfigError: the id is not a ``REGION_NAME`` user pool id (names scribe_user_pool_id).
    """
    match = _POOL_PREFIX.match(user_pool_id)
    if not match or user_pool_id[len(match.group(1))] != "_":
        raise ConfigError(
            f"{user_pool_id!r} is not a user pool id (e.g. eu-west-2_AbCdEf123); "
            "fix scribe_user_pool_id"
        )
    return match.group(1)


def identity_pool_region(identity_pool_id: str) -> str:
    """The region of an identity pool id (``eu-west-2:<uuid>`` -> ``eu-west-2``)."""
    return identity_pool_id.split(":", 1)[0]


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex, without loading OpenSSL when CPython has its own SHA-256.

    ``hashlib`` loads libcrypto: about 2.5 ms and 3.5 MiB of a ``scribeauth-credentials`` run.
    The digest names files and tells settings and tokens apart; it protects nothing.
    :mod:`scribeauth.fasthit` keeps a checked copy (it imports nothing of ours).
    """
    for name in ("_sha2", "_sha256"):  # CPython 3.12+, 3.10-3.11
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        digest: str = module.sha256(data).hexdigest()
        return digest
    import hashlib

    return hashlib.sha256(data).hexdigest()
