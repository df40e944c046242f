"""Renewing a profile's session without a person: tokens from the refresh token, AWS credentials
from the id token. Called by :class:`~scribeauth.credentials.Broker` under the profile's lock.

- id token with more than :data:`~scribeauth.models.TOKEN_REFRESH_WINDOW` left: one call,
  GetCredentialsForIdentity;
- else the refresh token buys new tokens (saved at once), then credentials: two calls;
- GetId only when no identity id is cached (once per identity pool and user), or when the
  identity pool no longer knows the cached one;
- no refresh token, or Cognito refuses it: None, and the broker decides about signing in.

Cognito's clock, not ours: the ``Date`` header of the GetCredentialsForIdentity reply gives the
offset between Cognito's clock and this machine's, and the credentials' ``Expiration`` (which
Cognito states on its clock) is moved by it, so their lifetime on this machine is the true
one. The offset is kept in the entry (id-token expiry is read on Cognito's clock too), and
a warning goes out once per sign-in when it exceeds :data:`CLOCK_WARNING` (SigV4 requests fail
then too).

Only the standard library and our bottom modules at module level; the Cognito clients are
imported when a call is made.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .errors import (
    MissingIdException,
    ResourceNotFoundException,
    ServiceError,
    SignInRequired,
    UnauthorizedException,
)
from .models import AwsCredentials, format_expiration

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from .cache import CacheEntry, ProfileCache
    from .config import Profile
    from .identity_pool import IdentityPoolClient
    from .login import SignIn
    from .models import Tokens

__all__ = ["CLOCK_TOLERANCE", "CLOCK_WARNING", "Refresher"]

#: Offsets to Cognito's clock below this (seconds) are noise (the ``Date`` header has whole
#: seconds, and the reply took some time to arrive); above, ``Expiration`` is corrected.
CLOCK_TOLERANCE = 30
#: Offsets above this (seconds) get a warning: AWS refuses SigV4 requests skewed by more.
CLOCK_WARNING = 5 * 60


def log() -> logging.Logger:
    """scribeauth's logger for the broker (logging is not imported on the cache-hit path)."""
    import logging

    return logging.getLogger("scribeauth.credentials")


class Refresher:
    """The Cognito calls that renew one profile's cached session.

    Args:
        profile: the profile.
        cache: its cache (entries are saved as soon as something new is known).
        now: the clock (aware UTC).
    """

    def __init__(
        self,
        profile: Profile,
        cache: ProfileCache,
        now: Callable[[], datetime],
        warn: Callable[[str], None],
    ) -> None:
        self.profile = profile
        self.cache = cache
        self._now = now
        self._warn = warn

    def sign_in_client(self) -> SignIn:
        """The profile's user-pool sign-in flows, stamping SRP answers on Cognito's clock
        (which checks their TIMESTAMP against its own, within 5 minutes)."""
        from .login import SignIn

        return SignIn.from_profile(
            self.profile, now=self._cognito_now, device=self.cache.load_device()
        )

    def _cognito_now(self) -> datetime:
        """This broker's clock, moved by the offset the latest reply showed (when not noise)."""
        import time
        from datetime import timezone

        from . import deadline

        offset = deadline.server_offset()
        if offset is None or abs(offset) < CLOCK_TOLERANCE:
            return self._now()
        return datetime.fromtimestamp(time.time() + offset, timezone.utc)

    def require_identity_pool(self) -> None:
        """Raises MissingIdException unless the profile can get AWS credentials."""
        if not self.profile.identity_pool_id:
            from .config import missing_setting

            raise missing_setting(
                self.profile.name,
                "identity_pool_id",
                "(AWS credentials need it)",
                cls=MissingIdException,
            )
        self.profile.provider_name  # noqa: B018 (raises MissingIdException without a user pool)

    def renew(self, entry: CacheEntry | None) -> CacheEntry | None:
        """Renews under the lock; returns the saved entry, or None when a sign-in is needed."""
        if entry is None or entry.tokens is None:
            return None
        name = self.profile.name
        tokens = entry.tokens
        # Cognito checks the id token's expiry on its own clock.
        if tokens.valid(self._now() + timedelta(seconds=entry.clock_offset)):
            log().debug("profile %s: id token valid; asking for credentials", name)
            try:
                return self.save_credentials(entry, tokens)
            except SignInRequired:
                # The pool refused an id token we thought valid (revoked, clock skew): refresh.
                log().debug("profile %s: id token refused, refreshing", name)
        fresh = self.refresh_tokens(entry)
        if fresh is None:
            return None
        return self.save_credentials(fresh, fresh.tokens or tokens)

    def refresh_tokens(self, entry: CacheEntry, *, retry: bool = True) -> CacheEntry | None:
        """New tokens from the refresh token, saved at once; None when there is none or Cognito
        refuses it (a sign-in is needed).

        A refusal first re-reads the cache: when another process rotated the refresh token
        meanwhile, its tokens are used (refreshed once more with the new token if ``retry``)
        instead of signing the user out.
        """
        tokens = entry.tokens
        if tokens is None or not tokens.refresh_token:
            return None
        name = self.profile.name
        log().debug("profile %s: refreshing the user-pool tokens", name)
        try:
            fresh = self.sign_in_client().refresh(tokens.refresh_token, username=tokens.username)
        except (SignInRequired, UnauthorizedException) as err:
            log().debug("profile %s: refresh refused (%s)", name, type(err).__name__)
            return self._rotated_meanwhile(tokens.refresh_token, retry)
        # With rotation the reply carries a new refresh token and the old one dies after the
        # client's grace period: saved here, before the caller lets go of the lock, so that
        # whoever refreshes next reads the new one.
        entry = entry.replace(tokens=fresh.with_refresh_token(tokens.refresh_token))
        # Keep the new tokens even if what follows fails: no second refresh next time.
        self.cache.save(entry)
        return entry

    def _rotated_meanwhile(self, refused: str, retry: bool) -> CacheEntry | None:
        """After a refused refresh: the cache as another process left it, if that process
        rotated the refresh token (or signed in again) meanwhile; else None (sign in)."""
        latest = self.cache.load()
        if latest is None or latest.tokens is None:
            return None
        latest = latest.scoped_to(self.profile.identity_pool_id, self.profile.role_arn)
        tokens = latest.tokens
        if tokens is None or not tokens.refresh_token or tokens.refresh_token == refused:
            return None
        log().debug("profile %s: another process rotated the refresh token", self.profile.name)
        if tokens.valid(self._now()):
            return latest
        return self.refresh_tokens(latest, retry=False) if retry else None

    def save_credentials(self, entry: CacheEntry, tokens: Tokens) -> CacheEntry:
        """Exchanges the id token for AWS credentials and saves them with the tokens."""
        credentials, identity_id = self._exchange(tokens, entry.identity_id)
        credentials, offset = self._on_our_clock(credentials)
        if abs(offset) > CLOCK_WARNING >= abs(entry.clock_offset):
            ahead = "ahead of" if offset > 0 else "behind"
            self._warn(
                f"Cognito's clock is {abs(offset) // 60} min {ahead} this machine's; "
                "credentials are kept on this machine's clock, but AWS refuses requests "
                "signed with a clock that far off: set this machine's clock right"
            )
        entry = entry.replace(
            tokens=tokens,
            identity_id=identity_id,
            credentials=credentials,
            identity_pool_id=self.profile.identity_pool_id,
            role_arn=self.profile.role_arn,
            clock_offset=offset,
        )
        self.cache.save(entry)
        return entry

    def _on_our_clock(self, credentials: AwsCredentials) -> tuple[AwsCredentials, int]:
        """The credentials with ``Expiration`` moved to this machine's clock, and the offset
        (Cognito's clock minus ours, seconds) the reply showed.

        Raises:
            ServiceError: they have expired already (never handed out).
        """
        from . import deadline

        received = self._now().replace(microsecond=0)
        server = deadline.server_time()
        offset = 0 if server is None else round(server - received.timestamp())
        if abs(offset) < CLOCK_TOLERANCE:
            offset = 0
        expires_at = credentials.expires_at - timedelta(seconds=offset)
        if expires_at <= received:
            raise ServiceError(
                f"the identity pool issued credentials for profile '{self.profile.name}' "
                f"that expired at {format_expiration(expires_at)}, before they could be used; "
                "check this machine's clock"
            )
        fixed = AwsCredentials(
            credentials.access_key_id,
            credentials.secret_access_key,
            credentials.session_token,
            expires_at.replace(microsecond=0),
            issued_at=received,
        )
        return fixed, offset

    def _exchange(self, tokens: Tokens, identity_id: str | None) -> tuple[AwsCredentials, str]:
        """GetCredentialsForIdentity (GetId first when no id is known, or the known one fails)."""
        client = self._identity_pool()
        provider = self.profile.provider_name
        role_arn = self.profile.role_arn
        cached_id = identity_id is not None
        if identity_id is None:
            identity_id = client.get_id(provider, tokens.id_token)
        try:
            credentials = client.get_credentials(
                identity_id, provider, tokens.id_token, role_arn=role_arn
            )
        except (ResourceNotFoundException, SignInRequired) as err:
            if not cached_id:
                raise
            # The pool forgot the identity, or it is not this user's: ask which one is. If the
            # id token itself is refused, GetId raises SignInRequired and the caller refreshes.
            log().debug(
                "profile %s: cached identity id refused (%s); asking GetId again",
                self.profile.name,
                type(err).__name__,
            )
            identity_id = client.get_id(provider, tokens.id_token)
            credentials = client.get_credentials(
                identity_id, provider, tokens.id_token, role_arn=role_arn
            )
        return credentials, identity_id

    def _identity_pool(self) -> IdentityPoolClient:
        from .identity_pool import IdentityPoolClient

        assert self.profile.identity_pool_id is not None
        return IdentityPoolClient(
            identity_pool_id=self.profile.identity_pool_id,
            region=self.profile.cognito_region,
            profile=self.profile.name,
        )
