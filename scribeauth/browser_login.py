"""Browser sign-in through Cognito managed login: the flow over :mod:`scribeauth.oauth`.

One :func:`sign_in`:

1. a fresh ``state``, ``nonce`` and PKCE pair; a loopback listener on
   ``http://localhost:PORT/callback`` (``scribe_redirect_port``, else a free port);
2. the ``/oauth2/authorize`` URL opened with the standard library's :mod:`webbrowser` (or, with
   ``browser=False``, shown for the person to open elsewhere and the redirect pasted back);
3. the redirect's ``state`` checked, the code exchanged at ``/oauth2/token`` with the verifier;
4. the id token's signature (the pool's JWKS), issuer, audience and ``nonce`` verified;
5. then the same cache, identity-pool exchange and credential chain as a password sign-in
   (the :class:`~scribeauth.credentials.Broker` does the exchange and later refreshes with
   GetTokensFromRefreshToken; :func:`refresh` offers the token endpoint's grant too).

Nothing is cached until every check has passed.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import oauth
from .cache import CacheEntry
from .errors import (
    ConfigError,
    ScribeAuthError,
    ServiceUnavailableError,
    UnauthorizedException,
)
from .models import Tokens

if TYPE_CHECKING:
    from .config import Profile
    from .credentials import Broker
    from .status import SignOut

__all__ = ["DEFAULT_TIMEOUT", "authorization_request", "refresh", "revoke", "sign_in", "sign_out"]

#: How long to wait for the browser to come back, seconds.
DEFAULT_TIMEOUT = 300.0
_HTTP_TIMEOUT = 10.0
_log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _domain(profile: Profile) -> str:
    if not profile.domain:
        raise ConfigError(
            f"profile {profile.name!r} has no scribe_domain, which browser sign-in needs; set it "
            "to the user pool's domain (e.g. https://auth.example.com or "
            "https://PREFIX.auth.REGION.amazoncognito.com)"
        )
    return oauth.check_domain(profile.domain)


def _port(profile: Profile) -> int:
    return int(profile.redirect_port) if profile.redirect_port else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def authorization_request(profile: Profile, redirect_uri: str) -> oauth.AuthorizationRequest:
    """A new sign-in for the profile (fresh state, nonce and PKCE pair)."""
    return oauth.new_authorization_request(
        _domain(profile),
        profile.client_id,
        redirect_uri,
        scopes=(profile.scopes or "").split() or oauth.DEFAULT_SCOPES,
        identity_provider=profile.identity_provider,
    )


def _send(request: oauth.HttpRequest) -> tuple[int, bytes]:
    """POSTs to the user pool domain; (status, body) of any HTTP reply."""
    http = urllib.request.Request(  # noqa: S310 (check_domain allows https, or http to loopback)
        request.url, data=request.body, headers=dict(request.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=_HTTP_TIMEOUT) as reply:  # noqa: S310
            return int(reply.status), reply.read(1_000_000)
    except urllib.error.HTTPError as err:
        with err:
            return int(err.code), err.read(1_000_000)
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ServiceUnavailableError(
            f"cannot reach the user pool domain {request.url.split('/oauth2/')[0]} "
            f"({type(reason).__name__}); check scribe_domain and the network, then try again"
        ) from None


def sign_in(
    broker: Broker,
    *,
    browser: bool = True,
    show: Callable[[str], None],
    paste: Callable[[str], str] | None = None,
    open_url: Callable[[str], bool] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    now: Callable[[], datetime] = _utcnow,
) -> CacheEntry:
    """Signs the profile in through managed login and caches the session and credentials.

    Args:
        broker: the profile's broker (its cache, lock and identity-pool exchange).
        browser: open the URL here and listen on the loopback port; False: show the URL and
            read the redirected address from ``paste`` (SSH sessions).
        show: prints a line for the person (never given a secret).
        paste: asks for the pasted address (``browser=False``).
        open_url: opens a URL (default :func:`webbrowser.open`); returns whether it did.
        timeout: seconds to wait for the browser.
        now: the clock.

    Returns:
        The saved cache entry, with AWS credentials when the profile has an identity pool.

    Raises:
        ConfigError: no ``scribe_domain``, or the app client / callback is not set up.
        UnauthorizedException: the state, code, verifier or id token did not check out.
        SignInRequired: the browser did not come back in time.
        ScribeAuthError: any other failure. Nothing is cached on any failure.
    """
    profile = broker.profile
    _domain(profile)  # a missing or malformed scribe_domain fails before anything else
    profile.provider_name  # noqa: B018 (raises MissingIdException without a user pool id)
    if browser:
        with _listener(profile) as listener:
            request = authorization_request(profile, listener.redirect_uri)
            show("Sign in in your browser. If it does not open, open this address:")
            show(request.url)
            opener = open_url or _open_in_browser
            if not opener(request.url):
                show("(could not start a browser; open the address above yourself)")
            redirect = listener.wait(timeout)
    else:
        if paste is None:
            raise ConfigError("--no-browser needs a terminal or stdin to paste the address into")
        port = _port(profile) or _free_port()
        request = authorization_request(profile, f"http://localhost:{port}{oauth.CALLBACK_PATH}")
        show("Open this address in a browser and sign in:")
        show(request.url)
        show(
            f"The browser then goes to http://localhost:{port}{oauth.CALLBACK_PATH}?code=... "
            "(it may say it cannot connect)."
        )
        redirect = paste("Paste that whole address here: ")
    code = oauth.parse_redirect(redirect, request)
    status, body = _send(oauth.token_request(request, code, client_secret=profile.client_secret))
    tokens = oauth.parse_token_response(status, body)
    _verify(profile, tokens, request, now())
    _log.debug("profile %s: browser sign-in verified; caching", profile.name)
    return _save(broker, tokens)


def _listener(profile: Profile) -> Any:
    from .loopback import CallbackListener

    return CallbackListener(_port(profile))


def _open_in_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False


def _verify(
    profile: Profile, tokens: Tokens, request: oauth.AuthorizationRequest, at: datetime
) -> None:
    from .id_token import verify_id_token
    from .tokens import fetch_jwks, issuer_url

    assert profile.user_pool_id is not None
    jwt = verify_id_token(
        tokens.id_token,
        jwks=fetch_jwks(profile.user_pool_id),
        issuer=issuer_url(profile.user_pool_id),
        client_id=profile.client_id,
        nonce=request.nonce,
        now=at,
    )
    if profile.username:
        names = {jwt.claims.get(k) for k in ("cognito:username", "email", "preferred_username")}
        if profile.username not in names:
            who = jwt.claims.get("cognito:username") or jwt.claims.get("sub")
            raise UnauthorizedException(
                f"the browser signed in {who!r}, but profile {profile.name!r} is for "
                f"{profile.username!r}; nothing was saved; sign in as that user, or remove "
                "scribe_username from the profile"
            )


def _save(broker: Broker, tokens: Tokens) -> CacheEntry:
    profile = broker.profile
    with broker.cache.lock():
        previous = broker.cached()
        entry = CacheEntry(
            fingerprint=profile.fingerprint(),
            username=tokens.username,
            tokens=tokens,
            identity_id=previous.identity_id if previous is not None else None,
            identity_pool_id=profile.identity_pool_id,
            role_arn=profile.role_arn,
        )
        broker.cache.save(entry)
    if not profile.identity_pool_id:
        return entry
    # The broker's own path: the id token is fresh, so this is one GetCredentialsForIdentity
    # (GetId first for a new user), saved under the profile's lock.
    broker.credentials(interactive=False)
    saved = broker.cached()
    return saved if saved is not None else entry


def refresh(profile: Profile, refresh_token: str) -> Tokens:
    """New id and access tokens from the token endpoint's ``refresh_token`` grant.

    Raises:
        SignInRequired: Cognito no longer accepts the refresh token.
        ScribeAuthError: any other failure.
    """
    request = oauth.refresh_request(
        _domain(profile), profile.client_id, refresh_token, client_secret=profile.client_secret
    )
    status, body = _send(request)
    tokens = oauth.parse_token_response(status, body, what="refresh token", refresh=True)
    return tokens.with_refresh_token(refresh_token)


def revoke(profile: Profile, refresh_token: str) -> None:
    """Revokes a refresh token (and the tokens minted from it) at ``/oauth2/revoke``."""
    request = oauth.revoke_request(
        _domain(profile), profile.client_id, refresh_token, client_secret=profile.client_secret
    )
    oauth.parse_revoke_response(*_send(request))


def sign_out(broker: Broker) -> SignOut:
    """Revokes the session at ``/oauth2/revoke``, then deletes the cache, whatever happened.

    Returns:
        What happened (:class:`~scribeauth.status.SignOut`); the cache is deleted even when
        revoking failed.

    Raises:
        CacheError: the cache file exists but cannot be removed.
    """
    from .status import SignOut

    entry = broker.cache.load()
    tokens = entry.tokens if entry is not None else None
    revocable = tokens is not None and bool(tokens.refresh_token)
    revoked = False
    if tokens is not None and tokens.refresh_token:
        try:
            revoke(broker.profile, tokens.refresh_token)
            revoked = True
        except ScribeAuthError as err:
            _log.debug("profile %s: revoke failed (%s)", broker.profile.name, err)
    with broker.cache.lock():
        broker.cache.delete()
    return SignOut(
        was_signed_in=entry is not None, revocable=revocable, revoked=revoked, cache_deleted=True
    )
