"""What the broker reports about a profile's session: :class:`Status` and :class:`SignOut`.

Plain classes rather than dataclasses: building a dataclass costs about a millisecond at import,
and the broker that builds these is on the ``scribeauth-credentials`` full path. Neither holds a
secret, so both may be printed whole.
"""

from __future__ import annotations

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import datetime

    from .cache import CacheEntry
    from .config import Profile

__all__ = ["SignOut", "Status"]


class _Record:
    """Equality, hash and repr over ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Status(_Record):
    """What is known about a profile's session, without any secret (``scribeauth status``).

    Attributes:
        profile: the profile name.
        username: who signed in, or None.
        signed_in: whether a refresh token (or an id token still valid) is cached.
        token_expires_at: when the id token expires, or None.
        refresh_token: whether a refresh token is cached.
        identity_id: the identity pool's id for the user, or None.
        credentials_expire_at: when the cached AWS credentials expire, or None.
        access_key_id: the cached credentials' access key id (not a secret), or None.
        user_pool_id: the profile's user pool.
        identity_pool_id: the profile's identity pool.
        region: the region the user's own calls are signed for.
        cache_path: the cache file.
        clock_offset: Cognito's clock minus this machine's, seconds, as last seen (0: in step).
    """

    __slots__ = (
        "access_key_id",
        "cache_path",
        "clock_offset",
        "credentials_expire_at",
        "identity_id",
        "identity_pool_id",
        "profile",
        "refresh_token",
        "region",
        "signed_in",
        "token_expires_at",
        "user_pool_id",
        "username",
    )

    def __init__(
        self,
        *,
        profile: str,
        username: str | None,
        signed_in: bool,
        token_expires_at: datetime | None,
        credentials_expire_at: datetime | None,
        identity_id: str | None,
        cache_path: str,
        refresh_token: bool = False,
        access_key_id: str | None = None,
        user_pool_id: str | None = None,
        identity_pool_id: str | None = None,
        region: str | None = None,
        clock_offset: int = 0,
    ) -> None:
        self.profile = profile
        self.username = username
        self.signed_in = signed_in
        self.token_expires_at = token_expires_at
        self.refresh_token = refresh_token
        self.identity_id = identity_id
        self.credentials_expire_at = credentials_expire_at
        self.access_key_id = access_key_id
        self.user_pool_id = user_pool_id
        self.identity_pool_id = identity_pool_id
        self.region = region
        self.cache_path = cache_path
        self.clock_offset = clock_offset

    @classmethod
    def of(
        cls, profile: Profile, entry: CacheEntry | None, cache_path: str, now: datetime
    ) -> Status:
        """The status of ``profile`` with ``entry`` cached (at ``cache_path``), at ``now``."""
        from .errors import ScribeAuthError

        tokens = entry.tokens if entry is not None else None
        token_expires_at = None
        if tokens is not None:
            try:
                token_expires_at = tokens.expires_at
            except ScribeAuthError:
                token_expires_at = None
        credentials = entry.credentials if entry is not None else None
        return cls(
            profile=profile.name,
            username=entry.username if entry is not None else None,
            signed_in=tokens is not None and tokens.signed_in(now),
            token_expires_at=token_expires_at,
            refresh_token=tokens is not None and bool(tokens.refresh_token),
            identity_id=entry.identity_id if entry is not None else None,
            credentials_expire_at=credentials.expires_at if credentials is not None else None,
            access_key_id=credentials.access_key_id if credentials is not None else None,
            user_pool_id=profile.user_pool_id,
            identity_pool_id=profile.identity_pool_id,
            region=profile.signing_region,
            cache_path=cache_path,
            clock_offset=entry.clock_offset if entry is not None else 0,
        )


class SignOut(_Record):
    """What :meth:`~scribeauth.session.ProfileSession.sign_out` did.

    Attributes:
        was_signed_in: a session was cached (else there was nothing to do).
        revocable: the cached refresh token can be revoked at Cognito (issued while the app
            client had token revocation on).
        revoked: Cognito revoked it.
        cache_deleted: the profile's cache files are gone (always, unless removal raised).
    """

    __slots__ = ("cache_deleted", "revocable", "revoked", "was_signed_in")

    def __init__(
        self, *, was_signed_in: bool, revocable: bool, revoked: bool, cache_deleted: bool
    ) -> None:
        self.was_signed_in = was_signed_in
        self.revocable = revocable
        self.revoked = revoked
        self.cache_deleted = cache_deleted

    @property
    def revoke_failed(self) -> bool:
        """Revoking was possible and failed: the refresh token stays valid until it expires."""
        return self.revocable and not self.revoked
