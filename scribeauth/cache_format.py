"""The cache entry and its JSON document: what is remembered about a signed-in profile.

Serialising only (no disk): :class:`CacheEntry`, :func:`entry_to_dict` and
:func:`entry_from_dict`, and the remembered device's own document (:func:`device_to_dict` /
:func:`device_from_dict`), format version :data:`FORMAT_VERSION`. :mod:`scribeauth.cache` saves
and loads the document. Standard library only: it sits on the credential_process path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .errors import ScribeAuthError
from .models import (
    AwsCredentials,
    Jwt,
    RememberedDevice,
    Tokens,
    format_expiration,
    parse_expiration,
)

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "CacheEntry",
    "device_from_dict",
    "device_to_dict",
    "entry_from_dict",
    "entry_to_dict",
]

#: The version of the cache file format; other versions load as absent.
FORMAT_VERSION = 1


@dataclass(frozen=True)
class CacheEntry:
    """What is remembered about one signed-in profile.

    Attributes:
        fingerprint: the profile's :meth:`~scribeauth.config.Profile.fingerprint` when saved.
        username: the name the user typed to sign in.
        tokens: the user-pool tokens, or None.
        identity_id: the identity pool's id for this user, or None.
        credentials: the last AWS credentials, or None.
        identity_pool_id: the identity pool ``identity_id`` and ``credentials`` came from.
        role_arn: the custom role the ``credentials`` were asked for, if any.
        clock_offset: Cognito's clock minus this machine's, in seconds, as last seen in a
            reply's ``Date`` header (0: in step, or not known).
    """

    fingerprint: str
    username: str | None = None
    tokens: Tokens | None = None
    identity_id: str | None = None
    credentials: AwsCredentials | None = None
    identity_pool_id: str | None = None
    role_arn: str | None = None
    clock_offset: int = 0

    def replace(self, **changes: Any) -> CacheEntry:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def scoped_to(self, identity_pool_id: str | None, role_arn: str | None) -> CacheEntry:
        """This entry without what belongs to another identity pool or role.

        The fingerprint covers the user pool, client and user (the sign-in); the identity id
        belongs to an identity pool and the credentials also to a role, so a profile whose
        ``identity_pool_id`` or ``role_arn`` changed keeps its tokens but not those.
        """
        if identity_pool_id != self.identity_pool_id:
            return self.replace(
                identity_id=None, credentials=None, identity_pool_id=identity_pool_id
            )
        if role_arn != self.role_arn:
            return self.replace(credentials=None, role_arn=role_arn)
        return self


# -- serialising ---------------------------------------------------------------------------


def entry_to_dict(entry: CacheEntry) -> dict[str, Any]:
    """The JSON document of an entry (``{"version": 1, ...}``); holds secrets."""
    tokens = entry.tokens
    credentials = entry.credentials
    return {
        "version": FORMAT_VERSION,
        "fingerprint": entry.fingerprint,
        "username": entry.username,
        "tokens": None
        if tokens is None
        else {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        },
        "identity_pool_id": entry.identity_pool_id,
        "identity_id": entry.identity_id,
        "role_arn": entry.role_arn,
        "credentials": None
        if credentials is None
        else {
            "access_key_id": credentials.access_key_id,
            "secret_access_key": credentials.secret_access_key,
            "session_token": credentials.session_token,
            "expiration": format_expiration(credentials.expires_at),
            "issued": None
            if credentials.issued_at is None
            else format_expiration(credentials.issued_at),
        },
        "clock_offset": entry.clock_offset,
    }


def _text(document: Mapping[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"cache field {key!r} is not a string")
    return value


def _required(document: Mapping[str, Any], key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"cache field {key!r} is missing or empty")
    return value


def _section(document: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = document.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"cache field {key!r} is not an object")
    return value


def entry_from_dict(document: Any) -> CacheEntry:
    """Reads a JSON document written by :func:`entry_to_dict`.

    The id and access tokens must be JWTs and the expiration an RFC 3339 time with a zone.

    Raises:
        ValueError: the document is not a version-1 entry (the message holds no secret).
    """
    if not isinstance(document, dict):
        raise ValueError("cache document is not an object")  # noqa: TRY004 (bad data, not a bad call)
    version = document.get("version")
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise ValueError("cache document has another format version")
    tokens = None
    raw_tokens = _section(document, "tokens")
    if raw_tokens is not None:
        tokens = Tokens(
            id_token=_required(raw_tokens, "id_token"),
            access_token=_required(raw_tokens, "access_token"),
            refresh_token=_text(raw_tokens, "refresh_token"),
        )
        try:
            Jwt.parse(tokens.id_token)
            Jwt.parse(tokens.access_token)
        except ScribeAuthError as err:
            raise ValueError("cache holds a token that is not a JWT") from err
    credentials = None
    raw_credentials = _section(document, "credentials")
    if raw_credentials is not None:
        credentials = AwsCredentials(
            access_key_id=_required(raw_credentials, "access_key_id"),
            secret_access_key=_required(raw_credentials, "secret_access_key"),
            session_token=_required(raw_credentials, "session_token"),
            expires_at=parse_expiration(_required(raw_credentials, "expiration")),
            issued_at=_optional_time(raw_credentials, "issued"),
        )
    offset = document.get("clock_offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise ValueError("cache field 'clock_offset' is not a whole number")  # noqa: TRY004
    return CacheEntry(
        fingerprint=_required(document, "fingerprint"),
        username=_text(document, "username"),
        tokens=tokens,
        identity_id=_text(document, "identity_id"),
        credentials=credentials,
        identity_pool_id=_text(document, "identity_pool_id"),
        role_arn=_text(document, "role_arn"),
        clock_offset=offset,
    )


def _optional_time(document: Mapping[str, Any], key: str) -> datetime | None:
    text = _text(document, key)
    return None if text is None else parse_expiration(text)


def device_to_dict(device: RememberedDevice, fingerprint: str) -> dict[str, Any]:
    """The JSON document of a remembered device (its own file); holds the device password."""
    return {
        "version": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "device_key": device.key,
        "device_group_key": device.group_key,
        "device_password": device.password,
    }


def device_from_dict(document: Any, fingerprint: str) -> RememberedDevice | None:
    """The remembered device in a document, or None when another version or another profile's
    (``fingerprint``) saved it.

    Raises:
        ValueError: a field is missing or not a string.
    """
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        return None
    if document.get("fingerprint") != fingerprint:
        return None
    return RememberedDevice(
        key=_required(document, "device_key"),
        group_key=_required(document, "device_group_key"),
        password=_required(document, "device_password"),
    )
