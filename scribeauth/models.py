"""Frozen data: user-pool tokens, AWS credentials, sign-in challenges.

Standard library only (the credential_process cache-hit path imports this module). Every
``expires_at`` is an aware UTC datetime. Secrets are kept out of ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .errors import UnknownException

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "REFRESH_WINDOW",
    "STILL_GOOD",
    "TOKEN_REFRESH_WINDOW",
    "AwsCredentials",
    "Challenge",
    "Jwt",
    "RememberedDevice",
    "Tokens",
    "format_expiration",
    "parse_expiration",
]

#: AWS credentials with this much time left, or less, are refreshed before use. botocore re-runs
#: a credential_process on every call once fewer than 15 minutes remain; 20 keeps us clear of
#: that. The one definition: the broker and the provider import it, and the hit record
#: (:mod:`scribeauth.fasthit`, which imports nothing of ours) keeps a copy a test pins to it.
REFRESH_WINDOW = timedelta(minutes=20)
#: An id token with this much time left, or less, is refreshed before it is sent anywhere.
TOKEN_REFRESH_WINDOW = timedelta(minutes=5)
#: Credentials with at least this much left are still served when a refresh fails.
STILL_GOOD = timedelta(minutes=5)


def refresh_window(lifetime: timedelta | None) -> timedelta:
    """The refresh window of credentials that live ``lifetime`` (None: not known).

    :data:`REFRESH_WINDOW` for hour-long credentials (and longer, or unknown); a third of the
    lifetime for shorter ones, so fresh credentials are always served from the cache.
    """
    if lifetime is None or lifetime >= 3 * REFRESH_WINDOW:
        return REFRESH_WINDOW
    return max(lifetime / 3, timedelta(0))


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass(frozen=True)
class Jwt:
    """A JSON Web Token as Cognito issues it, with its claims read (not verified).

    Use :func:`scribeauth.tokens.verify` to check the signature against the pool's JWKS.
    """

    raw: str = field(repr=False)
    claims: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, raw: str) -> Jwt:
        """Reads the claims of a compact JWT.

        Raises:
            UnknownException: the text is not a JWT with a JSON object payload.
        """
        parts = raw.split(".") if isinstance(raw, str) else []
        if len(parts) != 3:
            raise UnknownException("Cognito returned a token that is not a JWT")
        try:
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, binascii.Error, UnicodeDecodeError) as err:
            raise UnknownException("Cognito returned a token whose claims cannot be read") from err
        if not isinstance(claims, dict):
            raise UnknownException("Cognito returned a token whose claims are not an object")
        return cls(raw=raw, claims=claims)

    @property
    def expires_at(self) -> datetime | None:
        """The ``exp`` claim as an aware UTC time, or None when absent or malformed."""
        exp = self.claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            return None
        try:
            return datetime.fromtimestamp(exp, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None

    def __str__(self) -> str:
        return "<jwt>"


@dataclass(frozen=True)
class Tokens:
    """The tokens of one signed-in user-pool session.

    Attributes:
        id_token: the id token (its claims name the user).
        access_token: the access token (for user-pool calls such as ChangePassword).
        refresh_token: the refresh token, or None when the reply carried none.
    """

    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)

    @property
    def id(self) -> Jwt:
        """The id token with its claims."""
        return Jwt.parse(self.id_token)

    @property
    def access(self) -> Jwt:
        """The access token with its claims."""
        return Jwt.parse(self.access_token)

    @property
    def expires_at(self) -> datetime | None:
        """When the id token expires (aware UTC)."""
        return self.id.expires_at

    def valid(self, now: datetime) -> bool:
        """Whether the id token may still be sent at ``now``: more than
        :data:`TOKEN_REFRESH_WINDOW` left. False when its expiry cannot be read."""
        try:
            expires_at = self.expires_at
        except UnknownException:
            return False
        return expires_at is not None and expires_at - now > TOKEN_REFRESH_WINDOW

    def signed_in(self, now: datetime) -> bool:
        """Whether this session can still get credentials without a person: a refresh token,
        or an id token still valid at ``now``."""
        return bool(self.refresh_token) or self.valid(now)

    @property
    def username(self) -> str | None:
        """The internal username (``cognito:username``, else ``sub``) Cognito hashes on refresh."""
        claims = self.id.claims
        name = claims.get("cognito:username") or claims.get("sub")
        return name if isinstance(name, str) else None

    def with_refresh_token(self, refresh_token: str | None) -> Tokens:
        """A copy that keeps ``refresh_token`` unless this reply rotated it."""
        return Tokens(self.id_token, self.access_token, self.refresh_token or refresh_token)


@dataclass(frozen=True)
class AwsCredentials:
    """Temporary AWS credentials from the identity pool.

    Attributes:
        expires_at: when AWS stops accepting them, on this machine's clock.
        issued_at: when they were received, on this machine's clock (None: not known); with
            ``expires_at`` it gives their lifetime, which sizes the refresh window.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: datetime
    issued_at: datetime | None = field(default=None, compare=False)

    @property
    def lifetime(self) -> timedelta | None:
        """How long they live in all (None when ``issued_at`` is not known)."""
        return None if self.issued_at is None else self.expires_at - self.issued_at

    @property
    def refresh_window(self) -> timedelta:
        """How long before expiry they are refreshed (:func:`refresh_window`)."""
        return refresh_window(self.lifetime)

    def expired(self, now: datetime) -> bool:
        """Whether AWS refuses these credentials at ``now``."""
        return self.expires_at <= now

    def fresh(self, now: datetime) -> bool:
        """Whether they are served as they are at ``now``: more than their
        :attr:`refresh_window` left (less, and they are refreshed first)."""
        return self.expires_at - now > self.refresh_window

    def still_good(self, now: datetime) -> bool:
        """Whether they may still be served at ``now`` when a refresh fails: at least
        :data:`STILL_GOOD` left."""
        return self.expires_at - now >= STILL_GOOD

    def to_process_json(self) -> dict[str, Any]:
        """The credential_process Version 1 document."""
        return {
            "Version": 1,
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": format_expiration(self.expires_at),
        }


@dataclass(frozen=True)
class Challenge:
    """A step of sign-in still to be answered (MFA, new password, MFA set-up, ...).

    Attributes:
        name: Cognito's ChallengeName, e.g. ``SOFTWARE_TOKEN_MFA``.
        session: the opaque session to send with the answer.
        parameters: Cognito's ChallengeParameters (never secret).
        username: the name to answer with (``USER_ID_FOR_SRP`` when Cognito gave one).
    """

    name: str
    session: str = field(repr=False)
    parameters: Mapping[str, str] = field(default_factory=dict)
    username: str = ""


@dataclass(frozen=True)
class RememberedDevice:
    """This machine as a device Cognito tracks for the user (device tracking).

    Made when the device is confirmed (ConfirmDevice) after a sign-in returned
    ``NewDeviceMetadata``; its key goes with every sign-in and refresh, and its password answers
    ``DEVICE_SRP_AUTH``.

    Attributes:
        key: Cognito's DeviceKey (an id, not a secret).
        group_key: Cognito's DeviceGroupKey (the device SRP's realm).
        password: the random device password the verifier was made from. Secret.
    """

    key: str
    group_key: str
    password: str = field(repr=False)


def format_expiration(when: datetime) -> str:
    """RFC 3339 UTC with a ``Z``, whole seconds: what credential_process consumers expect."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiration(text: str) -> datetime:
    """Reads an RFC 3339 time (``Z`` or an offset) as an aware UTC datetime.

    Raises:
        ValueError: the text is not such a time.
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("expiration has no time zone")
    return value.astimezone(timezone.utc)
