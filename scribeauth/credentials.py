"""Fresh AWS credentials for one profile: cache, lock, refresh, sign-in.

:class:`Broker` is what both consumers share, the ``scribeauth-credentials`` executable and the
in-process botocore provider, so they see one cache and take one lock.

The rule, per call of :meth:`Broker.credentials`:

1. cached credentials that are :meth:`~scribeauth.models.AwsCredentials.fresh` (more than
   their refresh window left: 20 minutes for hour-long ones, a third of the lifetime for
   shorter ones): returned, no network at all;
2. otherwise, under the profile's cross-process lock and after re-reading the cache (another
   process may have refreshed meanwhile), :class:`~scribeauth.refresh.Refresher` renews them
   within the profile's deadline (:mod:`scribeauth.deadline`, 20 s by default). Waiting for
   the lock is part of that time: a waiter gets the holder's result, or its failure
   (:class:`~scribeauth.errors.RefreshBusyError`), instead of trying again itself;
3. when the refresh fails (or failed lately: :mod:`scribeauth.backoff` keeps every process
   from retrying for a while) and the cached credentials are
   :meth:`~scribeauth.models.AwsCredentials.still_good` (5 minutes or more), they are served
   with one warning;
4. no refresh token, or Cognito refuses it: sign in on the terminal (the questions are
   :class:`~scribeauth.dialogue.Dialogue`'s) when one is attached and prompting is allowed,
   else :class:`~scribeauth.errors.SignInRequired`. Sign-ins are serialised per profile
   across processes and threads: whoever comes second waits for the first, for as long as
   it lives, and then uses what it cached.

Working on the session already cached (its tokens, password, sign-out, status) is
:class:`~scribeauth.session.ProfileSession`'s, which the broker extends.

Only the standard library and our bottom modules are imported at module level: a cache hit in
``scribeauth-credentials`` must not load botocore.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import backoff
from .cache import CacheEntry, ProfileCache
from .commands import login_command
from .deadline import Deadline, bounded
from .dialogue import Dialogue
from .errors import (
    NoTerminalError,
    RefreshBusyError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
)
from .models import REFRESH_WINDOW, TOKEN_REFRESH_WINDOW, AwsCredentials, format_expiration
from .refresh import log
from .session import ProfileSession, utcnow, warn_log
from .status import SignOut, Status

# Not `from typing import TYPE_CHECKING`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .config import Profile
    from .prompt import Terminal

__all__ = ["ID_TOKEN_MIN_TTL", "MIN_TTL", "Broker", "SignOut", "Status"]

#: The refresh window of AWS credentials (:data:`scribeauth.models.REFRESH_WINDOW`).
MIN_TTL = REFRESH_WINDOW
#: The refresh window of the id token (:data:`scribeauth.models.TOKEN_REFRESH_WINDOW`).
ID_TOKEN_MIN_TTL = TOKEN_REFRESH_WINDOW


class Broker(ProfileSession):
    """One profile's AWS credentials: cache, lock, refresh, sign-in.

    Args:
        profile: the resolved profile (:func:`scribeauth.config.load_profile`).
        cache: where its state lives (default: the profile's file in the cache folder).
        now: the clock, returning an aware UTC datetime (tests move it instead of sleeping).
        terminal: where to ask a person for a password or code (default ``/dev/tty`` when
            attached).
        warn: where warnings go, one line each (default: the ``scribeauth`` logger): cached
            credentials served after a failed refresh, Cognito's clock far off.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        cache: ProfileCache | None = None,
        now: Callable[[], datetime] = utcnow,
        terminal: Terminal | None = None,
        warn: Callable[[str], None] = warn_log,
    ) -> None:
        super().__init__(profile, cache=cache, now=now, warn=warn)
        self._terminal = terminal

    # -- reading ----------------------------------------------------------------------------------

    def _fresh(self, entry: CacheEntry | None) -> AwsCredentials | None:
        credentials = entry.credentials if entry is not None else None
        if credentials is not None and credentials.fresh(self._now()):
            return credentials
        return None

    # -- credentials ------------------------------------------------------------------------------

    def credentials(
        self, *, interactive: bool | None = None, started: float | None = None
    ) -> AwsCredentials:
        """AWS credentials that are fresh, or still good when Cognito is failing.

        Args:
            interactive: whether signing in on the terminal is allowed when the session is
                gone. None: when a terminal is attached. False: never (raise instead).
                True: required (raise :class:`NoTerminalError` without a terminal).
            started: ``time.monotonic()`` when the caller's work began; the profile's refresh
                deadline counts from then (default: from this call).

        Returns:
            The credentials, never expired.

        Raises:
            SignInRequired: no usable session and no sign-in allowed (the message names the
                ``scribeauth login`` command).
            RefreshBusyError: another process was refreshing and failed or did not finish,
                and nothing usable is cached.
            ConfigError: the profile lacks the user pool or identity pool id.
            ScribeAuthError: Cognito failed and nothing usable is cached.
        """
        entry = self.cached()
        hit = self._fresh(entry)
        if hit is not None:
            return hit
        self._refresher.require_identity_pool()
        name = self.profile.name
        good = self._still_good(entry)
        failure = backoff.read(self.cache)
        if good is not None and failure is not None and failure.waiting(self._timestamp()):
            return self._serve(good, failure.message, failure.until)
        log().debug("profile %s: credentials due for a refresh; refreshing", name)
        deadline = Deadline(self.profile.refresh_deadline_seconds, start=started)
        asked = self._timestamp()
        try:
            with self.cache.lock(timeout=max(deadline.remaining(), 0.0)):
                renewed = self._renew_locked(deadline, asked)
        except RefreshBusyError as err:
            if good is None:
                raise
            return self._serve(good, str(err), None)
        if renewed is not None:
            return renewed
        # No session left: sign in (outside the refresh lock; a person may take minutes). A
        # browser-only profile never opens a browser by itself: it names `login --browser`.
        if self.profile.login == "browser" or not self._may_prompt(interactive):
            good = self._still_good(self.cached())
            if good is None:
                raise self.sign_in_required()
            # The session ended but its credentials have a while to go: use them meanwhile.
            ended = backoff.record(self.cache, self.sign_in_required(), self._timestamp())
            return self._serve(good, ended.message, ended.until)
        with self.cache.sign_in_lock():
            hit = self._fresh(self.cached())
            if hit is not None:
                log().debug("profile %s: another process signed in meanwhile", name)
                return hit
            signed = self._sign_in(terminal=self._terminal)
        assert signed.credentials is not None
        return signed.credentials

    def _renew_locked(self, deadline: Deadline, asked: float) -> AwsCredentials | None:
        """Under the lock: the credentials someone else got meanwhile, or renewed ones, or
        still-good ones when renewing fails; None when a sign-in is needed."""
        name = self.profile.name
        entry = self.cached()
        hit = self._fresh(entry)
        if hit is not None:
            log().debug("profile %s: another process refreshed the cache", name)
            return hit
        good = self._still_good(entry)
        failure = backoff.read(self.cache)
        cognito_failed = failure is not None and failure.exit_code != SignInRequired.exit_code
        if failure is not None and cognito_failed and failure.at >= asked:
            # The holder we waited for failed just now: its error is ours, not a second try.
            if good is not None:
                return self._serve(good, failure.message, failure.until)
            raise RefreshBusyError(
                f"another scribeauth process refreshing profile '{name}' failed: "
                f"{failure.message.rstrip('.')}"
            )
        if failure is not None and good is not None and failure.waiting(self._timestamp()):
            return self._serve(good, failure.message, failure.until)
        try:
            with bounded(deadline):
                entry = self._refresher.renew(entry)
        except (ServiceUnavailableError, ServiceError) as err:
            failure = backoff.record(self.cache, err, self._timestamp())
            if good is None:
                raise
            return self._serve(good, str(err), failure.until)
        if entry is None or entry.credentials is None:
            return None
        return entry.credentials

    def _still_good(self, entry: CacheEntry | None) -> AwsCredentials | None:
        credentials = entry.credentials if entry is not None else None
        if credentials is not None and credentials.still_good(self._now()):
            return credentials
        return None

    def _timestamp(self) -> float:
        return self._now().timestamp()

    def _serve(self, good: AwsCredentials, why: str, until: float | None) -> AwsCredentials:
        """Hands out still-good credentials after a failed refresh, with one warning."""
        why = " ".join(why.split()).rstrip(".")
        retry = ""
        if until is not None:
            retry = f"; next attempt in {max(round(until - self._timestamp()), 0)} s"
        self._warn(
            f"could not refresh the credentials of profile '{self.profile.name}' ({why}); "
            f"using the cached ones, valid until {format_expiration(good.expires_at)}{retry}"
        )
        return good

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
                f"attached; run: {login_command(self.profile.name)} in one"
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
        with self.cache.sign_in_lock():
            return self._sign_in(
                password=password,
                mfa_code=mfa_code,
                terminal=terminal,
                remember_device=remember_device,
            )

    def _sign_in(
        self,
        *,
        password: str | None = None,
        mfa_code: str | None = None,
        terminal: Terminal | None = None,
        remember_device: bool | None = None,
    ) -> CacheEntry:
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
