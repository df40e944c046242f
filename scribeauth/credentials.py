"""Fresh AWS credentials for one profile: cache, lock, refresh, sign-in.

:class:`Broker` is what both consumers share, the ``scribeauth-credentials`` executable and the
in-process botocore provider, so they see one cache and take one lock.

The rule, per call of :meth:`Broker.credentials`:

1. cached credentials that are :meth:`~scribeauth.models.AwsCredentials.fresh` (more than
   :data:`~scribeauth.models.REFRESH_WINDOW` left): returned, no network at all;
2. otherwise, under the profile's cross-process lock and after re-reading the cache (another
   process may have refreshed meanwhile), :class:`~scribeauth.refresh.Refresher` renews them;
3. no refresh token, or Cognito refuses it: sign in on the terminal (the questions are
   :class:`~scribeauth.dialogue.Dialogue`'s) when one is attached and prompting is allowed,
   else :class:`~scribeauth.errors.SignInRequired`.

Only the standard library and our bottom modules are imported at module level: a cache hit in
``scribeauth-credentials`` must not load botocore.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from .cache import CacheEntry, ProfileCache
from .dialogue import Dialogue
from .errors import NoTerminalError, ScribeAuthError, SignInRequired
from .models import REFRESH_WINDOW, TOKEN_REFRESH_WINDOW, AwsCredentials, Tokens
from .refresh import Refresher, log
from .status import SignOut, Status

# Not `from typing import TYPE_CHECKING`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .config import Profile
    from .prompt import Terminal

__all__ = ["ID_TOKEN_MIN_TTL", "MIN_TTL", "Broker", "SignOut", "Status"]

#: The refresh window of AWS credentials (:data:`scribeauth.models.REFRESH_WINDOW`).
MIN_TTL = REFRESH_WINDOW
#: The refresh window of the id token (:data:`scribeauth.models.TOKEN_REFRESH_WINDOW`).
ID_TOKEN_MIN_TTL = TOKEN_REFRESH_WINDOW


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Broker:
    """One profile's AWS credentials: cache, lock, refresh, sign-in.

    Args:
        profile: the resolved profile (:func:`scribeauth.config.load_profile`).
        cache: where its state lives (default: the profile's file in the cache folder).
        now: the clock, returning an aware UTC datetime (tests move it instead of sleeping).
        terminal: where to ask a person for a password or code (default ``/dev/tty`` when
            attached).
    """

    def __init__(
        self,
        profile: Profile,
        *,
        cache: ProfileCache | None = None,
        now: Callable[[], datetime] = _utcnow,
        terminal: Terminal | None = None,
    ) -> None:
        self.profile = profile
        self.cache = (
            cache if cache is not None else ProfileCache(profile.name, profile.fingerprint())
        )
        self._now = now
        self._terminal = terminal
        self._refresher = Refresher(profile, self.cache, now)

    def __repr__(self) -> str:
        return f"Broker(profile={self.profile.name!r}, cache={self.cache!r})"

    # -- reading ----------------------------------------------------------------------------------

    def cached(self) -> CacheEntry | None:
        """The profile's cache entry, scoped to its identity pool and role. No network."""
        entry = self.cache.load()
        if entry is None:
            return None
        return entry.scoped_to(self.profile.identity_pool_id, self.profile.role_arn)

    def _fresh(self, entry: CacheEntry | None) -> AwsCredentials | None:
        credentials = entry.credentials if entry is not None else None
        if credentials is not None and credentials.fresh(self._now()):
            return credentials
        return None

    # -- credentials ------------------------------------------------------------------------------

    def credentials(self, *, interactive: bool | None = None) -> AwsCredentials:
        """AWS credentials that are fresh, when the identity pool gives such.

        Args:
            interactive: whether signing in on the terminal is allowed when the session is
                gone. None: when a terminal is attached. False: never (raise instead).
                True: required (raise :class:`NoTerminalError` without a terminal).

        Returns:
            The credentials (shorter-lived ones only when that is what the pool issues).

        Raises:
            SignInRequired: no usable session and no sign-in allowed (the message names the
                ``scribeauth login`` command).
            ConfigError: the profile lacks the user pool or identity pool id.
            ScribeAuthError: Cognito failed (see :mod:`scribeauth.errors`).
        """
        hit = self._fresh(self.cached())
        if hit is not None:
            return hit
        self._refresher.require_identity_pool()
        name = self.profile.name
        log().debug("profile %s: no credentials with 20 minutes left; refreshing", name)
        with self.cache.lock():
            entry = self.cached()
            hit = self._fresh(entry)
            if hit is not None:
                log().debug("profile %s: another process refreshed the cache", name)
                return hit
            entry = self._refresher.renew(entry)
            if entry is not None and entry.credentials is not None:
                return entry.credentials
        # No session left: sign in (outside the lock, a person may take minutes to type). A
        # browser-only profile never opens a browser by itself: it names `login --browser`.
        if self.profile.login == "browser" or not self._may_prompt(interactive):
            raise self.sign_in_required()
        entry = self.sign_in(terminal=self._terminal)
        assert entry.credentials is not None
        return entry.credentials

    def sign_in_required(self) -> SignInRequired:
        """The error telling a person how to sign in to this profile again."""
        name = self.profile.name
        how = " --browser" if self.profile.login == "browser" else ""
        return SignInRequired(
            f"no valid session for profile '{name}'; run: scribeauth login{how} --profile {name}"
        )

    # -- signing in -------------------------------------------------------------------------------

    def _may_prompt(self, interactive: bool | None) -> bool:
        if interactive is False:
            return False
        if self._terminal is not None:
            attached = self._terminal.has_terminal()
        else:
            from .prompt import has_terminal

            attached = has_terminal()
        if attached:
            return True
        if interactive:
            raise NoTerminalError(
                f"signing in to profile '{self.profile.name}' needs a terminal and none is "
                f"attached; run: scribeauth login --profile {self.profile.name} in one"
            )
        return False

    def sign_in(
        self,
        *,
        password: str | None = None,
        mfa_code: str | None = None,
        terminal: Terminal | None = None,
        remember_device: bool | None = None,
    ) -> CacheEntry:
        """Signs in, exchanges the id token for AWS credentials, and caches all of it.

        Remembered devices (:mod:`scribeauth.devices`): the cached device goes with the
        sign-in; a new one Cognito names is confirmed and cached, and remembered when the pool
        asks and ``remember_device`` (else the profile's ``scribe_remember_device``, else a
        question on the terminal) says yes. A device failure never fails the sign-in.

        Whatever is not given (username when the profile has none, password, MFA code, a new
        password, the MFA type, an authenticator set-up) is asked for on the terminal.

        Args:
            password: the password; asked for when None.
            mfa_code: the code for the first MFA challenge; asked for when None.
            terminal: where to ask (default: this broker's, else ``/dev/tty``).
            remember_device: whether to remember this device if the pool asks; None: the
                profile's setting, else ask on the terminal (no terminal: not remembered).

        Returns:
            The saved cache entry: tokens, and (when the profile has an identity pool) the
            identity id and AWS credentials.

        Raises:
            NoTerminalError: something must be asked and no terminal is attached.
            UnauthorizedException: wrong password or code (and its subclasses).
            ScribeAuthError: any other failure.
        """
        if self.profile.identity_pool_id:
            self._refresher.require_identity_pool()
        dialogue = Dialogue(terminal or self._terminal)
        client = self._refresher.sign_in_client()
        username = self.profile.username or dialogue.username()
        tokens = dialogue.sign_in(
            client, username, password, mfa_code=mfa_code, profile_name=self.profile.name
        )
        from .devices import settle_device

        remember = remember_device if remember_device is not None else self.profile.remember
        settle_device(
            client,
            tokens,
            self.cache,
            remember=remember,
            ask=dialogue.remember_device if dialogue.can_ask() else None,
            warn=log().warning,
        )
        with self.cache.lock():
            previous = self.cached()
            entry = CacheEntry(
                fingerprint=self.profile.fingerprint(),
                username=username,
                tokens=tokens,
                identity_id=previous.identity_id if previous is not None else None,
                identity_pool_id=self.profile.identity_pool_id,
                role_arn=self.profile.role_arn,
            )
            self.cache.save(entry)
            if not self.profile.identity_pool_id:
                return entry
            return self._refresher.save_credentials(entry, tokens)

    # -- the session ------------------------------------------------------------------------------

    def change_password(self, old: str, new: str) -> None:
        """Changes the signed-in user's password (ChangePassword with the cached access token).

        An access token that has expired on this broker's clock is first renewed with the
        refresh token, under the lock, and the new tokens are saved.

        Raises:
            SignInRequired: no session is cached, or it cannot be renewed.
            UnauthorizedException: the current password is wrong
                (:class:`~scribeauth.errors.PasswordPolicyError`: the new one is refused).
        """
        tokens = self._live_tokens()
        self._refresher.sign_in_client().change_password(tokens.access_token, old, new)

    def _live_tokens(self) -> Tokens:
        """The cached tokens, renewed under the lock first when the access token has expired
        on this broker's clock.

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

    # -- remembered devices -----------------------------------------------------------------------

    def devices(self) -> tuple[list[dict[str, Any]], str | None]:
        """The user's devices at Cognito (ListDevices) and this machine's device key, if any.

        Raises:
            SignInRequired: not signed in.
        """
        tokens = self._live_tokens()
        found = self._refresher.sign_in_client().list_devices(tokens.access_token)
        device = self.cache.load_device()
        return found, device.key if device is not None else None

    def forget_device(self, device_key: str | None = None) -> str:
        """ForgetDevice: Cognito forgets the device (default: this machine's, which is then
        removed from the cache too). Returns the key forgotten.

        Raises:
            SignInRequired: not signed in.
            ConfigError: no key given and this machine has no remembered device.
        """
        mine = self.cache.load_device()
        key = device_key or (mine.key if mine is not None else None)
        if not key:
            from .errors import ConfigError

            raise ConfigError(
                f"profile '{self.profile.name}' has no remembered device on this machine; "
                "name one: scribeauth devices forget DEVICE_KEY (see: scribeauth devices)"
            )
        tokens = self._live_tokens()
        self._refresher.sign_in_client().forget_device(tokens.access_token, key)
        if mine is not None and mine.key == key:
            self.cache.delete_device()
        return key

    def forget_this_device(self) -> None:
        """For ``logout --forget-device``: Cognito forgets this machine's device when the
        session still allows it; the cache forgets it whatever happens."""
        if self.cache.load_device() is None:
            return
        try:
            self.forget_device()
        except ScribeAuthError as err:
            log().warning("could not make Cognito forget this device (%s); removed here", err)
        self.cache.delete_device()

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
            self.forget_this_device()
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
        entry = self.cached()
        tokens = entry.tokens if entry is not None else None
        token_expires_at = None
        if tokens is not None:
            try:
                token_expires_at = tokens.expires_at
            except ScribeAuthError:
                token_expires_at = None
        credentials = entry.credentials if entry is not None else None
        profile = self.profile
        return Status(
            profile=profile.name,
            username=entry.username if entry is not None else None,
            signed_in=tokens is not None and tokens.signed_in(self._now()),
            token_expires_at=token_expires_at,
            refresh_token=tokens is not None and bool(tokens.refresh_token),
            identity_id=entry.identity_id if entry is not None else None,
            credentials_expire_at=credentials.expires_at if credentials is not None else None,
            access_key_id=credentials.access_key_id if credentials is not None else None,
            user_pool_id=profile.user_pool_id,
            identity_pool_id=profile.identity_pool_id,
            region=profile.signing_region,
            cache_path=str(self.cache.path),
        )
