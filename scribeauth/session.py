"""One profile's cached Cognito session: read it, renew its tokens, change password, sign out.

:class:`ProfileSession` is the part of :class:`~scribeauth.credentials.Broker` that works on a
session already there (``scribeauth status``, ``password``, ``devices``, ``logout``); the broker
adds getting AWS credentials and signing in. The remembered device goes with the session: the
sign-in client carries it, and ``sign_out(forget_device=True)`` has Cognito forget it
(:mod:`scribeauth.devices`).

Only the standard library and our bottom modules are imported at module level: the broker, and
so this module, is on the ``scribeauth-credentials`` path, which must not load botocore.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from .cache import CacheEntry, ProfileCache
from .commands import login_command
from .errors import ScribeAuthError, SignInRequired
from .models import Tokens
from .refresh import Refresher, log
from .status import SignOut, Status

# Not `from typing import TYPE_CHECKING`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import Profile
    from .login import SignIn

__all__ = ["ProfileSession", "utcnow", "warn_log"]


def utcnow() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(timezone.utc)


def warn_log(text: str) -> None:
    """The default warning sink: the ``scribeauth`` logger."""
    log().warning("%s", text)


class ProfileSession:
    """One profile's cached Cognito session: its tokens, password, sign-out and status.

    Args:
        profile: the resolved profile (:func:`scribeauth.config.load_profile`).
        cache: where its state lives (default: the profile's file in the cache folder).
        now: the clock, returning an aware UTC datetime (tests move it instead of sleeping).
        warn: where warnings go, one line each (default: the ``scribeauth`` logger).
    """

    def __init__(
        self,
        profile: Profile,
        *,
        cache: ProfileCache | None = None,
        now: Callable[[], datetime] = utcnow,
        warn: Callable[[str], None] = warn_log,
    ) -> None:
        self.profile = profile
        self.cache = (
            cache if cache is not None else ProfileCache(profile.name, profile.fingerprint())
        )
        self._now = now
        self._warn = warn
        self._refresher = Refresher(profile, self.cache, now, warn)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(profile={self.profile.name!r}, cache={self.cache!r})"

    def cached(self) -> CacheEntry | None:
        """The profile's cache entry, scoped to its identity pool and role. No network."""
        entry = self.cache.load()
        if entry is None:
            return None
        return entry.scoped_to(self.profile.identity_pool_id, self.profile.role_arn)

    def sign_in_required(self) -> SignInRequired:
        """The error telling a person how to sign in to this profile again."""
        command = login_command(self.profile.name, browser=self.profile.login == "browser")
        return SignInRequired(f"no valid session for profile '{self.profile.name}'; run: {command}")

    def change_password(self, old: str, new: str) -> None:
        """Changes the signed-in user's password (ChangePassword with the cached access token).

        An access token that has expired on this session's clock is first renewed with the
        refresh token, under the lock, and the new tokens are saved.

        Raises:
            SignInRequired: no session is cached, or it cannot be renewed.
            UnauthorizedException: the current password is wrong
                (:class:`~scribeauth.errors.PasswordPolicyError`: the new one is refused).
        """
        tokens = self.live_tokens()
        self._refresher.sign_in_client().change_password(tokens.access_token, old, new)

    def live_tokens(self) -> Tokens:
        """The cached tokens, renewed under the lock first when the access token has expired
        on this session's clock.

        Raises:
            SignInRequired: no session is cached, or it cannot be renewed.
        """
        entry = self.cached()
        tokens = entry.tokens if entry is not None else None
        if entry is None or tokens is None:
            raise self.sign_in_required()
        expires = tokens.access.expires_at
        if expires is None or expires <= self._now():
            with self.cache.lock():
                entry = self.cached()
                renewed = self._refresher.refresh_tokens(entry) if entry is not None else None
            if renewed is None or renewed.tokens is None:
                raise self.sign_in_required()
            tokens = renewed.tokens
        return tokens

    def sign_in_client(self) -> SignIn:
        """The profile's sign-in client (with its remembered device), on this session's clock."""
        return self._refresher.sign_in_client()

    def sign_out(self, *, forget_device: bool = False) -> SignOut:
        """Revokes the refresh token (when possible), then deletes the cache, whatever happened.

        The remembered device stays (the next sign-in may skip MFA on it) unless
        ``forget_device``: then Cognito forgets it first (ForgetDevice), and the cache too.

        Returns:
            What happened: whether there was a session, whether its refresh token could be
            revoked and was.

        Raises:
            CacheError: the cache file exists but cannot be removed.
        """
        from .login import can_revoke

        if forget_device:
            from .devices import DeviceCalls

            DeviceCalls(self).forget_this()
        entry = self.cache.load()
        tokens = entry.tokens if entry is not None else None
        revocable = tokens is not None and bool(tokens.refresh_token) and can_revoke(tokens)
        revoked = False
        if tokens is not None and tokens.refresh_token and revocable:
            try:
                self._refresher.sign_in_client().revoke(tokens.refresh_token)
                revoked = True
            except ScribeAuthError as err:
                log().debug("profile %s: revoke failed (%s)", self.profile.name, err)
        with self.cache.lock():
            self.cache.delete()
        return SignOut(
            was_signed_in=entry is not None,
            revocable=revocable,
            revoked=revoked,
            cache_deleted=True,
        )

    def logout(self) -> bool:
        """:meth:`sign_out`; True when Cognito revoked the refresh token.

        Raises:
            CacheError: the cache file exists but cannot be removed.
        """
        return self.sign_out().revoked

    def status(self) -> Status:
        """Who is signed in and until when; never a secret. No network."""
        return Status.of(self.profile, self.cached(), str(self.cache.path), self._now())
