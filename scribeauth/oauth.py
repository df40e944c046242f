"""OAuth 2.0 authorization code + PKCE (S256) against a Cognito user pool domain: protocol only.

No I/O here: this module builds the ``/oauth2/authorize`` URL, reads the redirect back, builds
the ``/oauth2/token`` and ``/oauth2/revoke`` requests, and is the one place where an OAuth wire
error (``{"error": "invalid_grant"}``) becomes a :mod:`scribeauth.errors` exception. Randomness
is passed in (``token_bytes``) so tests can fix it. The flow that does the I/O is
:mod:`scribeauth.browser_login`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .errors import (
    ConfigError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    UnauthorizedException,
)
from .models import Tokens

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_SCOPES",
    "AuthorizationRequest",
    "HttpRequest",
    "Pkce",
    "check_domain",
    "new_authorization_request",
    "new_pkce",
    "parse_redirect",
    "parse_revoke_response",
    "parse_token_response",
    "refresh_request",
    "revoke_request",
    "s256",
    "token_request",
]

#: Scopes asked for when the profile names none (``openid`` is what brings an id token).
DEFAULT_SCOPES = ("openid",)
#: The loopback redirect's path: ``http://localhost:PORT/callback``.
CALLBACK_PATH = "/callback"
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_FORM = "application/x-www-form-urlencoded"

TokenBytes = Callable[[int], bytes]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def check_domain(domain: str) -> str:
    """The user pool domain as a base URL (``https://host``), or ConfigError naming the fix.

    ``https://`` always, except ``http://`` to a loopback host (a local stack). A bare host name
    (``auth.example.com``) means ``https://``.

    Raises:
        ConfigError: not a URL of that shape (a path, query or fragment, or plain HTTP).
    """
    text = domain.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    problem = None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        problem = "is not a URL like https://auth.example.com"
    elif parts.path or parts.query or parts.fragment or parts.username or parts.password:
        problem = "must be the domain alone (no path, query or user)"
    elif parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        problem = "must use https:// (plain http only to a loopback address)"
    if problem is not None:
        raise ConfigError(f"scribe_domain {domain!r} {problem}; fix scribe_domain")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636): the secret verifier and its S256 challenge."""

    verifier: str = field(repr=False)
    challenge: str


def s256(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` without padding."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_pkce(token_bytes: TokenBytes = secrets.token_bytes) -> Pkce:
    """A fresh verifier (64 characters from 48 random bytes) and its challenge."""
    verifier = _b64url(token_bytes(48))
    return Pkce(verifier, s256(verifier))


@dataclass(frozen=True)
class AuthorizationRequest:
    """One sign-in through managed login: what was sent, to check what comes back.

    Attributes:
        domain: the user pool domain (:func:`check_domain`).
        client_id: the app client.
        redirect_uri: ``http://localhost:PORT/callback``.
        scopes: the scopes asked for.
        state: ties the redirect to this sign-in (CSRF).
        nonce: ties the id token to this sign-in (replay).
        pkce: the verifier (kept) and challenge (sent).
        identity_provider: skip the chooser and go to this provider, or None.
    """

    domain: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str = field(repr=False)
    nonce: str = field(repr=False)
    pkce: Pkce
    identity_provider: str | None = None

    @property
    def url(self) -> str:
        """The ``/oauth2/authorize`` URL to open in the browser."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.pkce.challenge,
            "code_challenge_method": "S256",
        }
        if self.identity_provider:
            params["identity_provider"] = self.identity_provider
        return f"{self.domain}/oauth2/authorize?{urlencode(params)}"


def new_authorization_request(
    domain: str,
    client_id: str,
    redirect_uri: str,
    *,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    identity_provider: str | None = None,
    token_bytes: TokenBytes = secrets.token_bytes,
) -> AuthorizationRequest:
    """A sign-in with fresh ``state``, ``nonce`` and PKCE pair."""
    return AuthorizationRequest(
        domain=check_domain(domain),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=tuple(scopes) or DEFAULT_SCOPES,
        state=_b64url(token_bytes(24)),
        nonce=_b64url(token_bytes(24)),
        pkce=new_pkce(token_bytes),
        identity_provider=identity_provider or None,
    )


def parse_redirect(url: str, request: AuthorizationRequest) -> str:
    """The authorization code in the redirect back to ``request.redirect_uri``.

    Args:
        url: the URL the browser was sent to (or the query string alone, ``?code=...``).
        request: the sign-in it answers.

    Raises:
        ConfigError: not the redirect of this sign-in (another address or path).
        UnauthorizedException: ``state`` does not match (a stale or forged redirect), or
            managed login refused (``access_denied``).
        ServiceError: managed login answered with another error, or without a code.
    """
    text = url.strip()
    if not text.startswith("?"):
        parts, expected = urlsplit(text), urlsplit(request.redirect_uri)
        if (parts.scheme, parts.netloc, parts.path) != (
            expected.scheme,
            expected.netloc,
            expected.path,
        ):
            raise ConfigError(
                f"that is not the sign-in redirect (expected a URL starting with "
                f"{request.redirect_uri}?); paste the whole address the browser ended on"
            )
        text = "?" + parts.query
    query = dict(parse_qsl(text[1:], keep_blank_values=True))
    state = query.get("state", "")
    if not hmac.compare_digest(state.encode(), request.state.encode()):
        raise UnauthorizedException(
            "the sign-in redirect's state does not match this sign-in (a stale or forged "
            "redirect); nothing was saved; sign in again"
        )
    error = query.get("error")
    if error == "access_denied":
        raise UnauthorizedException("managed login refused the sign-in (access_denied)")
    if error:
        detail = query.get("error_description")
        raise ServiceError(
            f"managed login refused the sign-in ({error}{': ' + detail if detail else ''}); "
            "check the app client's managed-login settings (scopes, identity providers)"
        )
    code = query.get("code")
    if not code:
        raise ServiceError("the sign-in redirect carries no authorization code; sign in again")
    return code


@dataclass(frozen=True)
class HttpRequest:
    """A POST to a user pool domain endpoint (form body; secrets kept out of the repr)."""

    url: str
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)


def _post(
    domain: str, path: str, client_id: str, client_secret: str | None, form: dict[str, str]
) -> HttpRequest:
    headers = {"Content-Type": _FORM, "Accept": "application/json"}
    if client_secret:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {basic}"
    else:
        form = {**form, "client_id": client_id}
    return HttpRequest(f"{check_domain(domain)}{path}", urlencode(form).encode(), headers)


def token_request(
    request: AuthorizationRequest, code: str, *, client_secret: str | None = None
) -> HttpRequest:
    """``POST /oauth2/token`` with ``grant_type=authorization_code`` and the PKCE verifier."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.pkce.verifier,
    }
    return _post(request.domain, "/oauth2/token", request.client_id, client_secret, form)


def refresh_request(
    domain: str, client_id: str, refresh_token: str, *, client_secret: str | None = None
) -> HttpRequest:
    """``POST /oauth2/token`` with ``grant_type=refresh_token``."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _post(domain, "/oauth2/token", client_id, client_secret, form)


def revoke_request(
    domain: str, client_id: str, refresh_token: str, *, client_secret: str | None = None
) -> HttpRequest:
    """``POST /oauth2/revoke`` for a refresh token (and every token minted from it)."""
    return _post(domain, "/oauth2/revoke", client_id, client_secret, {"token": refresh_token})


def _wire_error(status: int, body: bytes, what: str) -> Exception:
    """The one place an OAuth error reply becomes one of our exceptions."""
    try:
        document: Any = json.loads(body or b"{}")
    except ValueError:
        document = {}
    error = document.get("error") if isinstance(document, dict) else None
    if status >= 500 or status == 429:
        return ServiceUnavailableError(f"{what} failed (HTTP {status}); try again later")
    if error == "invalid_grant":
        return UnauthorizedException(
            f"Cognito refused the {what} (invalid_grant: the code or token is wrong, used, "
            "expired or revoked, or the PKCE verifier does not match); nothing was saved; "
            "sign in again"
        )
    if error == "unauthorized_client":
        return ConfigError(
            f"Cognito refused the {what} (unauthorized_client): the app client does not allow "
            "this grant, or the redirect URI differs from the one signed in with; check the "
            "app client's managed-login settings and callback URLs"
        )
    if error == "invalid_client":
        return ConfigError(
            f"Cognito refused the {what} (invalid_client); check scribe_client_id and "
            "scribe_client_secret"
        )
    if error == "unsupported_token_type":
        return ServiceError(f"Cognito refused the {what} (unsupported_token_type)")
    label = error if isinstance(error, str) else f"HTTP {status}"
    return ServiceError(f"Cognito refused the {what} ({label}); check the profile's settings")


def parse_token_response(
    status: int, body: bytes, *, what: str = "authorization code", refresh: bool = False
) -> Tokens:
    """The tokens of a ``/oauth2/token`` reply.

    Args:
        status: the HTTP status.
        body: the reply body.
        what: how the grant is named in error messages.
        refresh: a refresh_token grant (then an ``invalid_grant`` means the session is over,
            :class:`SignInRequired`).

    Raises:
        SignInRequired: a refresh token that Cognito no longer accepts.
        UnauthorizedException, ConfigError, ServiceError, ServiceUnavailableError: see
            :func:`_wire_error`.
    """
    if status != 200:
        err = _wire_error(status, body, what)
        if refresh and isinstance(err, UnauthorizedException):
            raise SignInRequired(f"the refresh token was refused ({what}); sign in again")
        raise err
    try:
        document = json.loads(body)
    except ValueError:
        raise ServiceError(f"the reply to the {what} is not JSON") from None
    if not isinstance(document, dict):
        raise ServiceError(f"the reply to the {what} is not a JSON object")
    id_token, access_token = document.get("id_token"), document.get("access_token")
    refresh_token = document.get("refresh_token")
    if not isinstance(id_token, str) or not isinstance(access_token, str):
        raise ServiceError(
            f"the reply to the {what} has no id token; add 'openid' to scribe_scopes"
        )
    return Tokens(id_token, access_token, refresh_token if isinstance(refresh_token, str) else None)


def parse_revoke_response(status: int, body: bytes) -> None:
    """Nothing when ``/oauth2/revoke`` said yes; the matching error otherwise."""
    if status != 200:
        raise _wire_error(status, body, "token revocation")
