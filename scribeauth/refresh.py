"""Renewing a profile's session without a person: tokens from the refresh token, AWS credentials
from the id token. Called by :class:`~scribeauth.credentials.Broker` under the profile's lock.

- id token with more than :data:`~scribeauth.models.TOKEN_REFRESH_WINDOW` left: one call,
  GetCredentialsForIdentity;
- else the refresh token buys new tokens (saved at once), then credentials: two calls;
- GetId only when no identity id is cached (once per identity pool and user), or when the
  identity pool no longer knows the cached one;
- no refresh token, or Cognito refuses it: None, and the broker decides about signing in.

Only the standard library and our bottom modules at module level; the Cognito clients are
imported when a call is made.
"""

from __future__ import annotations

from .errors import (
    MissingIdException,
    ResourceNotFoundException,
    SignInRequired,
    UnauthorizedException,
)

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable
    from datetime import datetime

    from .cache import CacheEntry, ProfileCache
    from .config import Profile
    from .identity_pool import IdentityPoolClient
    from .login import SignIn
    from .models import AwsCredentials, Tokens

__all__ = ["Refresher"]


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

    def __init__(self, profile: Profile, cache: ProfileCache, now: Callable[[], datetime]) -> None:
        self.profile = profile
        self.cache = cache
        self._now = now

    def sign_in_client(self) -> SignIn:
        """The profile's user-pool sign-in flows, on this clock."""
        from .login import SignIn

        return SignIn.from_profile(self.profile, now=self._now, device=self.cache.load_device())

    def require_identity_pool(self) -> None:
        """Raises MissingIdException unless the profile can get AWS credentials."""
        if not self.profile.identity_pool_id:
            name = self.profile.name
            raise MissingIdException(
                f"profile '{name}' has no identity pool id, which AWS credentials need; set "
                f"scribe_identity_pool_id (run: scribeauth configure --profile {name})"
            )
        self.profile.provider_name  # noqa: B018 (raises MissingIdException without a user pool)

    def renew(self, entry: CacheEntry | None) -> CacheEntry | None:
        """Renews under the lock; returns the saved entry, or None when a sign-in is needed."""
        if entry is None or entry.tokens is None:
            return None
        name = self.profile.name
        tokens = entry.tokens
        if tokens.valid(self._now()):
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
        entry = entry.replace(
            tokens=tokens,
            identity_id=identity_id,
            credentials=credentials,
            identity_pool_id=self.profile.identity_pool_id,
            role_arn=self.profile.role_arn,
        )
        self.cache.save(entry)
        return entry

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
        if not credentials.fresh(self._now()):
            log().debug(
                "profile %s: the identity pool issued credentials for %d s only; using them",
                self.profile.name,
                int((credentials.expires_at - self._now()).total_seconds()),
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
