"""Fresh AWS credentials for one profile: cache, lock, refresh, sign-in.

:class:`Broker` is what both consumers share, the ``scribeauth-credentials`` executable and the
in-process botocore provider, so they see one cache and take one lock.

The rule, per call of :meth:`Broker.credentials`:

1. cached credentials with more than :data:`MIN_TTL` left: returned, no network at all;
2. otherwise, under the profile's cross-process lock and after re-reading the cache (another
   process may have refreshed meanwhile):

   - id token with more than :data:`ID_TOKEN_MIN_TTL` left: one call, GetCredentialsForIdentity;
   - else the refresh token buys new tokens, then credentials: two calls;
   - GetId only when no identity id is cached (once per identity pool and user), or when the
     identity pool no longer knows the cached one;
   - no refresh token, or Cognito refuses it: sign in on the terminal when one is attached and
     prompting is allowed, else :class:`~scribeauth.errors.SignInRequired`.

Only the standard library and our bottom modules are imported at module level: a cache hit in
``scribeauth-credentials`` must not load botocore.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .cache import CacheEntry, ProfileCache
from .errors import (
    MissingIdException,
    NoTerminalError,
    ResourceNotFoundException,
    ServiceError,
    SignInRequired,
    UnauthorizedException,
)
from .models import AwsCredentials, Challenge, Tokens

# Not `from typing import TYPE_CHECKING`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging

    from .config import Profile
    from .identity_pool import IdentityPoolClient
    from .login import SignIn
    from .prompt import Terminal

__all__ = ["ID_TOKEN_MIN_TTL", "MIN_TTL", "Broker", "Status"]

#: Credentials with this much time left, or less, are refreshed before use. botocore re-runs a
#: credential_process on every call once fewer than 15 minutes remain; 20 keeps us clear of that.
MIN_TTL = timedelta(minutes=20)
#: An id token with this much time left, or less, is refreshed before it is sent anywhere.
ID_TOKEN_MIN_TTL = timedelta(minutes=5)

# Sign-in steps one person may need at most (password, MFA choice, MFA set-up, new password, ...).
_MAX_STEPS = 8
_MFA_CHALLENGES = {
    "SOFTWARE_TOKEN_MFA": "MFA code from your authenticator app: ",
    "SMS_MFA": "MFA code sent by text message: ",
    "EMAIL_OTP": "Code sent by email: ",
}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _log() -> logging.Logger:
    # logging is not imported on the cache-hit path; only refreshes and sign-ins log.
    import logging

    return logging.getLogger(__name__)


class Status:
    """What is known about a profile's session, without any secret.

    A plain class rather than a dataclass: building a dataclass costs about a millisecond at
    import, and this module is on the credential_process cache-hit path.

    Attributes:
        profile: the profile name.
        username: who signed in, or None.
        signed_in: whether a usable refresh token (or unexpired id token) is cached.
        token_expires_at: when the id token expires, or None.
        credentials_expire_at: when the cached AWS credentials expire, or None.
        identity_id: the identity pool's id for the user, or None.
        cache_path: the cache file.
    """

    __slots__ = (
        "cache_path",
        "credentials_expire_at",
        "identity_id",
        "profile",
        "signed_in",
        "token_expires_at",
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
    ) -> None:
        self.profile = profile
        self.username = username
        self.signed_in = signed_in
        self.token_expires_at = token_expires_at
        self.credentials_expire_at = credentials_expire_at
        self.identity_id = identity_id
        self.cache_path = cache_path

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Status) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Status({fields})"


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
        if entry is None or entry.credentials is None:
            return None
        if entry.credentials.expires_at - self._now() > MIN_TTL:
            return entry.credentials
        return None

    # -- credentials ------------------------------------------------------------------------------

    def credentials(self, *, interactive: bool | None = None) -> AwsCredentials:
        """AWS credentials with more than :data:`MIN_TTL` left, when the identity pool gives that.

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
        self._require_identity_pool()
        _log().debug(
            "profile %s: no credentials with 20 minutes left; refreshing", self.profile.name
        )
        with self.cache.lock():
            entry = self.cached()
            hit = self._fresh(entry)
            if hit is not None:
                _log().debug("profile %s: another process refreshed the cache", self.profile.name)
                return hit
            entry = self._renew(entry)
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

    def _renew(self, entry: CacheEntry | None) -> CacheEntry | None:
        """Refreshes under the lock; returns the saved entry, or None when a sign-in is needed."""
        if entry is None or entry.tokens is None:
            return None
        tokens = entry.tokens
        if self._token_valid(tokens):
            _log().debug("profile %s: id token valid; asking for credentials", self.profile.name)
            try:
                return self._save_credentials(entry, tokens)
            except SignInRequired:
                # The pool refused an id token we thought valid (revoked, clock skew): refresh.
                _log().debug("profile %s: id token refused, refreshing", self.profile.name)
        if not tokens.refresh_token:
            return None
        _log().debug("profile %s: refreshing the user-pool tokens", self.profile.name)
        try:
            fresh = self._sign_in_client().refresh(tokens.refresh_token, username=tokens.username)
        except (SignInRequired, UnauthorizedException) as err:
            _log().debug("profile %s: refresh refused (%s)", self.profile.name, type(err).__name__)
            return None
        entry = entry.replace(tokens=fresh.with_refresh_token(tokens.refresh_token))
        # Keep the new tokens even if the exchange below fails: no second refresh next time.
        self.cache.save(entry)
        return self._save_credentials(entry, entry.tokens or fresh)

    def _token_valid(self, tokens: Tokens) -> bool:
        try:
            expires_at = tokens.expires_at
        except ServiceError:
            return False
        return expires_at is not None and expires_at - self._now() > ID_TOKEN_MIN_TTL

    def _save_credentials(self, entry: CacheEntry, tokens: Tokens) -> CacheEntry:
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
            _log().debug(
                "profile %s: cached identity id refused (%s); asking GetId again",
                self.profile.name,
                type(err).__name__,
            )
            identity_id = client.get_id(provider, tokens.id_token)
            credentials = client.get_credentials(
                identity_id, provider, tokens.id_token, role_arn=role_arn
            )
        remaining = credentials.expires_at - self._now()
        if remaining <= MIN_TTL:
            _log().debug(
                "profile %s: the identity pool issued credentials for %d s only; using them",
                self.profile.name,
                int(remaining.total_seconds()),
            )
        return credentials, identity_id

    def _require_identity_pool(self) -> None:
        if not self.profile.identity_pool_id:
            name = self.profile.name
            raise MissingIdException(
                f"profile '{name}' has no identity pool id, which AWS credentials need; set "
                f"scribe_identity_pool_id (run: scribeauth configure --profile {name})"
            )
        self.profile.provider_name  # noqa: B018 (raises MissingIdException without a user pool)

    def _identity_pool(self) -> IdentityPoolClient:
        from .identity_pool import IdentityPoolClient

        assert self.profile.identity_pool_id is not None
        return IdentityPoolClient(
            identity_pool_id=self.profile.identity_pool_id,
            region=self.profile.cognito_region,
            profile=self.profile.name,
        )

    def _sign_in_client(self) -> SignIn:
        from .login import SignIn

        profile = self.profile
        return SignIn(
            client_id=profile.client_id,
            user_pool_id=profile.user_pool_id,
            client_secret=profile.client_secret,
            auth_flow=profile.auth_flow,
            profile=profile.name,
            now=self._now,
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
    ) -> CacheEntry:
        """Signs in, exchanges the id token for AWS credentials, and caches all of it.

        Whatever is not given (username when the profile has none, password, MFA code, a new
        password, the MFA type, an authenticator set-up) is asked for on the terminal.

        Args:
            password: the password; asked for when None.
            mfa_code: the code for the first MFA challenge; asked for when None.
            terminal: where to ask (default: this broker's, else ``/dev/tty``).

        Returns:
            The saved cache entry: tokens, and (when the profile has an identity pool) the
            identity id and AWS credentials.

        Raises:
            NoTerminalError: something must be asked and no terminal is attached.
            UnauthorizedException: wrong password or code (and its subclasses).
            ScribeAuthError: any other failure.
        """
        if self.profile.identity_pool_id:
            self._require_identity_pool()
        ask = _Asker(terminal or self._terminal)
        client = self._sign_in_client()
        username = self.profile.username or ask.text("Username: ")
        if password is None:
            password = ask.secret(f"Password for {username}: ")
        step: Tokens | Challenge = client.start(username, password)
        for _ in range(_MAX_STEPS):
            if isinstance(step, Tokens):
                break
            step, mfa_code = self._answer(client, step, ask, mfa_code)
        if not isinstance(step, Tokens):
            raise ServiceError(
                f"signing in to profile '{self.profile.name}' took more than {_MAX_STEPS} "
                "steps; Cognito keeps asking, check the user pool's settings"
            )
        with self.cache.lock():
            previous = self.cached()
            identity_id = previous.identity_id if previous is not None else None
            entry = CacheEntry(
                fingerprint=self.profile.fingerprint(),
                username=username,
                tokens=step,
                identity_id=identity_id,
                identity_pool_id=self.profile.identity_pool_id,
                role_arn=self.profile.role_arn,
            )
            self.cache.save(entry)
            if not self.profile.identity_pool_id:
                return entry
            return self._save_credentials(entry, step)

    def _answer(
        self, client: SignIn, challenge: Challenge, ask: _Asker, mfa_code: str | None
    ) -> tuple[Tokens | Challenge, str | None]:
        """One sign-in step; returns the next step and the MFA code not yet used."""
        name = challenge.name
        if name in _MFA_CHALLENGES:
            code = mfa_code if mfa_code is not None else ask.text(_MFA_CHALLENGES[name])
            return client.answer(challenge, code), None
        if name == "NEW_PASSWORD_REQUIRED":
            ask.say("A new password is required for this account.")
            for _ in range(3):
                new = ask.secret("New password: ")
                if new and ask.secret("New password again: ") == new:
                    return client.answer(challenge, new_password=new), mfa_code
                ask.say("The passwords differ (or are empty); try again.")
            raise UnauthorizedException("the new passwords did not match; sign in again")
        if name == "SELECT_MFA_TYPE":
            options = _mfa_options(challenge)
            choice = ask.choose("Which MFA method?", options)
            return client.answer(challenge, mfa_type=choice), mfa_code
        if name == "MFA_SETUP":
            setup = client.setup_totp(challenge)
            ask.say("Set up an authenticator app: add this account to it (scan or paste):")
            ask.say(setup.uri)
            code = mfa_code if mfa_code is not None else ask.text("Code from the app: ")
            return client.finish_totp_setup(challenge, setup, code), None
        raise ServiceError(
            f"Cognito asked for a sign-in step scribeauth does not support ({name}); "
            "ask Scribe to check the user pool's settings"
        )

    # -- logout and status ------------------------------------------------------------------------

    def logout(self) -> bool:
        """Revokes the refresh token (when possible), then deletes the cache, whatever happened.

        Returns:
            True when Cognito revoked the refresh token; False when there was nothing to
            revoke, the app client cannot revoke, or revoking failed (the cache is gone all
            the same).

        Raises:
            CacheError: the cache file exists but cannot be removed.
        """
        entry = self.cache.load()
        revoked = False
        tokens = entry.tokens if entry is not None else None
        if tokens is not None and tokens.refresh_token:
            from .errors import ScribeAuthError
            from .login import can_revoke

            try:
                if can_revoke(tokens):
                    self._sign_in_client().revoke(tokens.refresh_token)
                    revoked = True
            except ScribeAuthError as err:
                _log().debug("profile %s: revoke failed (%s)", self.profile.name, err)
        with self.cache.lock():
            self.cache.delete()
        return revoked

    def status(self) -> Status:
        """Who is signed in and until when; never a secret. No network."""
        entry = self.cached()
        tokens = entry.tokens if entry is not None else None
        token_expires_at = None
        if tokens is not None:
            try:
                token_expires_at = tokens.expires_at
            except ServiceError:
                token_expires_at = None
        credentials = entry.credentials if entry is not None else None
        signed_in = tokens is not None and (bool(tokens.refresh_token) or self._token_valid(tokens))
        return Status(
            profile=self.profile.name,
            username=entry.username if entry is not None else None,
            signed_in=signed_in,
            token_expires_at=token_expires_at,
            credentials_expire_at=credentials.expires_at if credentials is not None else None,
            identity_id=entry.identity_id if entry is not None else None,
            cache_path=str(self.cache.path),
        )


def _mfa_options(challenge: Challenge) -> list[str]:
    raw = challenge.parameters.get("MFAS_CAN_CHOOSE", "[]")
    try:
        options = json.loads(raw)
    except ValueError:
        options = []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options) or not options:
        raise ServiceError("Cognito asked to choose an MFA method but offered none")
    return options


class _Asker:
    """Asks a person, on the given terminal or ``/dev/tty``; NoTerminalError without one."""

    def __init__(self, terminal: Terminal | None) -> None:
        self._terminal = terminal

    def _get(self) -> Terminal:
        if self._terminal is None:
            from .prompt import Terminal

            self._terminal = Terminal()
        return self._terminal

    def text(self, prompt: str) -> str:
        return self._get().ask(prompt).strip()

    def secret(self, prompt: str) -> str:
        return self._get().ask_secret(prompt)

    def choose(self, prompt: str, options: list[str]) -> str:
        return self._get().choose(prompt, options)

    def say(self, text: str) -> None:
        self._get().say(text)
