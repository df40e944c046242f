"""Cognito managed login (the hosted UI) and its OAuth 2.0 / OIDC endpoints, strict.

Served on the stack's port, as a user pool domain serves them:

- ``GET /oauth2/authorize``: checks the app client, the registered callback URL (exact match,
  else ``/error?error=redirect_mismatch``), ``response_type=code``, the scopes, PKCE (S256 only)
  and ``identity_provider``; then the sign-in page, the fake IdP, or (with a live session
  cookie) straight back with a code;
- ``/login`` (username and password), ``/mfa`` (TOTP code for MFA users such as bob);
- ``/example-sso/authorize`` and ``/oauth2/idpresponse``: a fake federated identity provider
  ("Sign in with Example SSO") whose accounts become federated users ``ExampleSSO_<id>``;
- ``POST /oauth2/token``, ``POST /oauth2/revoke``, ``GET|POST /oauth2/userInfo``
  (:mod:`scribeauth.local.oauth_endpoints`), ``GET /logout``;
- ``GET /.well-known/openid-configuration`` (the main pool) and
  ``GET /<pool id>/.well-known/openid-configuration``.

Tokens come from the user pool's :class:`~scribeauth.local.token_store.TokenStore`: same issuer
and key as a password sign-in, so the identity pool accepts them, plus the ``nonce``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)

from scribeauth.local import login_pages as pages
from scribeauth.local.cognito_rules import totp_ok
from scribeauth.local.oauth_endpoints import (
    AuthRequest,
    Grant,
    Reply,
    TokenEndpoints,
    find_client,
    json_reply,
)
from scribeauth.local.user_pool import StrictUserPool

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["IDP_ACCOUNTS", "IDP_NAME", "OAUTH_SCOPES", "ManagedLogin"]

#: The fake federated identity provider's name (``identity_provider=ExampleSSO``).
IDP_NAME = "ExampleSSO"
#: Its accounts: e-mail -> the IdP's subject id.
IDP_ACCOUNTS = {"sam@corp.example": "0001", "pat@corp.example": "0002"}
#: The scopes the stack's managed-login clients allow.
OAUTH_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
CODE_SECONDS = 300  # Cognito's authorization codes are valid for 5 minutes
PAGE_SECONDS = 3600  # an /oauth2/authorize request may wait this long for the person
SESSION_SECONDS = 3600  # the managed-login session cookie
MAX_CODE_ATTEMPTS = 3
_COOKIE = "cognito"
_OIDC_PATH = re.compile(r"^/(?:(?P<pool>[\w-]+_[0-9A-Za-z]+)/)?\.well-known/openid-configuration$")
_PATHS = {
    "/oauth2/authorize": "oauth2/authorize",
    "/login": "login",
    "/mfa": "mfa",
    "/example-sso/authorize": "example-sso",
    "/oauth2/idpresponse": "oauth2/idpresponse",
    "/oauth2/token": "oauth2/token",
    "/oauth2/revoke": "oauth2/revoke",
    "/oauth2/userInfo": "oauth2/userInfo",
    "/logout": "logout",
    "/error": "error",
}


@dataclass
class _Session:
    pool_id: str
    username: str
    id_claims: dict[str, Any] = field(default_factory=dict)
    expires_at: float = 0.0


def _html(body: bytes, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    return status, [("Content-Type", "text/html; charset=utf-8"), *headers], body


def _redirect(location: str, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    return 302, [("Location", location), *headers], b""


def _with_query(url: str, params: Mapping[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{url}{'&' if '?' in url else '?'}{query}"


class ManagedLogin:
    """The managed-login pages and OAuth endpoints of a local stack (a WSGI app).

    Args:
        user_pool: the stack's strict user pool (users, passwords, TOTP, token minting).
        now: the stack clock.
    """

    def __init__(self, user_pool: StrictUserPool, now: Callable[[], float]) -> None:
        self.user_pool = user_pool
        self.now = now
        self._requests: dict[str, AuthRequest] = {}
        self._grants: dict[str, Grant] = {}
        self._sessions: dict[str, _Session] = {}
        self._idp_codes: dict[str, tuple[str, str, float]] = {}  # code -> (tx, email, expiry)
        self._scopes: dict[str, tuple[str, dict[str, Any]]] = {}  # origin_jti -> scope, claims
        self.endpoints = TokenEndpoints(user_pool, now, self._grants, self._scopes)

    # ----------------------------------------------------------------------------- set-up
    @staticmethod
    def handles(path: str) -> bool:
        """Whether ``path`` is one of the managed-login paths."""
        return path in _PATHS or _OIDC_PATH.match(path) is not None

    @staticmethod
    def operation(path: str) -> str:
        """The name the stack's recorder and fault injection use for ``path``."""
        return _PATHS.get(path, "openid-configuration")

    def enable(
        self,
        client_id: str,
        *,
        callback_urls: Iterable[str] = (),
        logout_urls: Iterable[str] = (),
        identity_providers: Iterable[str] = ("COGNITO", IDP_NAME),
    ) -> None:
        """Turns on managed login (the code grant) for an app client, as the console does."""
        with self.user_pool.lock:
            _, client = self._client(client_id)
            client.extended_config.update(
                {
                    "AllowedOAuthFlowsUserPoolClient": True,
                    "AllowedOAuthFlows": ["code"],
                    "AllowedOAuthScopes": list(OAUTH_SCOPES),
                    "CallbackURLs": list(callback_urls),
                    "LogoutURLs": list(logout_urls),
                    "SupportedIdentityProviders": list(identity_providers),
                }
            )

    def register_callback(self, client_id: str, url: str) -> None:
        """Adds ``url`` to an app client's callback (and sign-out) URLs."""
        with self.user_pool.lock:
            _, client = self._client(client_id)
            for key in ("CallbackURLs", "LogoutURLs"):
                urls = list(client.extended_config.get(key) or [])
                if url not in urls:
                    client.extended_config[key] = [*urls, url]

    def _client(self, client_id: Any) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
        return find_client(self.user_pool, client_id)

    # ----------------------------------------------------------------------------- WSGI
    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        form: dict[str, str] = {}
        if "application/x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        with self.user_pool.lock:
            status, headers, data = self._route(method, path, query, form, environ)
        reason = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [*headers, ("Content-Length", str(len(data)))],
        )
        return [data]

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        environ: WSGIEnvironment,
    ) -> Reply:
        oidc = _OIDC_PATH.match(path)
        if oidc is not None and method == "GET":
            return self._openid_configuration(oidc.group("pool"), environ)
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        session_id = cookie[_COOKIE].value if _COOKIE in cookie else None
        routes: dict[tuple[str, str], Callable[[], Reply]] = {
            ("GET", "/oauth2/authorize"): lambda: self._authorize(query, session_id),
            ("GET", "/login"): lambda: self._login_page(query.get("tx", "")),
            ("POST", "/login"): lambda: self._login(form),
            ("POST", "/mfa"): lambda: self._mfa(form),
            ("GET", "/example-sso/authorize"): lambda: self._idp_page(query),
            ("POST", "/example-sso/authorize"): lambda: self._idp_sign_in(form),
            ("GET", "/oauth2/idpresponse"): lambda: self._idp_response(query),
            ("POST", "/oauth2/token"): lambda: self.endpoints.token(form, environ),
            ("POST", "/oauth2/revoke"): lambda: self.endpoints.revoke(form, environ),
            ("GET", "/oauth2/userInfo"): lambda: self.endpoints.user_info(environ),
            ("POST", "/oauth2/userInfo"): lambda: self.endpoints.user_info(environ),
            ("GET", "/logout"): lambda: self._logout(query, session_id),
            ("GET", "/error"): lambda: _html(
                pages.error_page(query.get("error", "error"), query.get("error_description")), 400
            ),
        }
        handler = routes.get((method, path))
        if handler is None:
            return json_reply(405, {"message": f"{method} is not supported on {path}"})
        return handler()

    # ----------------------------------------------------------------------------- authorize
    def _authorize(self, query: dict[str, str], session_id: str | None) -> Reply:
        try:
            pool, client = self._client(query.get("client_id"))
        except KeyError:
            return _redirect(_with_query("/error", {"error": "invalid_request"}))
        config = client.extended_config
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in (config.get("CallbackURLs") or []):
            return _redirect(
                _with_query("/error", {"error": "redirect_mismatch", "client_id": client.id})
            )
        state = query.get("state")

        def fail(error: str, description: str | None = None) -> Reply:
            params = {"error": error, "error_description": description, "state": state}
            return _redirect(_with_query(redirect_uri, params))

        if query.get("response_type") not in ("code", "token"):
            return fail("unsupported_response_type")
        if query["response_type"] not in (config.get("AllowedOAuthFlows") or []):
            return fail("unauthorized_client")
        scopes = (query.get("scope") or " ".join(config.get("AllowedOAuthScopes") or [])).split()
        if not scopes or not set(scopes) <= set(config.get("AllowedOAuthScopes") or []):
            return fail("invalid_scope")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method")
        if challenge is not None and method != "S256":
            return fail("invalid_request", "code_challenge_method must be S256")
        if challenge is not None and not re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge):
            return fail("invalid_request", "invalid code_challenge")
        supported = config.get("SupportedIdentityProviders") or []
        provider = query.get("identity_provider")
        if provider is not None and provider not in supported:
            return fail("invalid_request", "The identity provider is not enabled for the client")
        request = AuthRequest(
            pool.id,
            client.id,
            redirect_uri,
            state,
            query.get("nonce"),
            " ".join(scopes),
            challenge,
            self.now() + PAGE_SECONDS,
        )
        session = self._sessions.get(session_id or "")
        if (
            session is not None
            and session.pool_id == pool.id
            and session.expires_at > self.now()
            and query.get("prompt") != "login"
            and provider is None
        ):
            return self._issue_code(request, session.username, session.id_claims)
        transaction = secrets.token_urlsafe(24)
        self._requests[transaction] = request
        if provider == IDP_NAME:
            return _redirect(_with_query("/example-sso/authorize", {"state": transaction}))
        return _redirect(_with_query("/login", {"tx": transaction}))

    def _request(self, transaction: str) -> AuthRequest | None:
        request = self._requests.get(transaction)
        if request is None or request.expires_at <= self.now():
            return None
        return request

    def _login_page(self, transaction: str, error: str | None = None) -> Reply:
        request = self._request(transaction)
        if request is None:
            return _html(pages.error_page("invalid_request", "This sign-in page has expired."), 400)
        _, client = self._client(request.client_id)
        sso_url = None
        if IDP_NAME in (client.extended_config.get("SupportedIdentityProviders") or []):
            sso_url = _with_query("/example-sso/authorize", {"state": transaction})
        page = pages.sign_in_page(
            transaction=transaction,
            client_name=str(client.extended_config.get("ClientName") or client.id),
            sso_url=sso_url,
            error=error,
        )
        return _html(page)

    # ----------------------------------------------------------------------------- sign-in pages
    def _login(self, form: dict[str, str]) -> Reply:
        transaction = form.get("tx", "")
        request = self._request(transaction)
        if request is None:
            return self._login_page(transaction)
        pool = self.user_pool.pool(request.pool_id)
        typed = form.get("username", "").strip()
        user = self.user_pool.resolve_user(pool, typed) if typed else None
        password = form.get("password", "")
        if (
            user is None
            or user.password is None
            or not hmac.compare_digest(user.password.encode(), password.encode())
        ):
            return self._login_page(transaction, "Incorrect username or password.")
        problem = self._cannot_sign_in(user)
        if problem is not None:
            return self._login_page(transaction, problem)
        if pool.mfa_config != "OFF" and self.user_pool.mfa_methods(pool, user):
            if "SOFTWARE_TOKEN_MFA" not in self.user_pool.mfa_methods(pool, user):
                return self._login_page(
                    transaction, "This local managed login offers authenticator-app MFA only."
                )
            request.username = user.username
            request.attempts = 0
            return _html(pages.mfa_page(transaction=transaction, username=user.username))
        del self._requests[transaction]
        return self._issue_code(request, user.username, {}, new_session=True)

    @staticmethod
    def _cannot_sign_in(user: CognitoIdpUser) -> str | None:
        if not user.enabled:
            return "User is disabled."
        status = str(getattr(user.status, "value", user.status))
        if status == "FORCE_CHANGE_PASSWORD":
            return "A new password is required; set it with: scribeauth login (password sign-in)."
        if status != "CONFIRMED":
            return "User is not confirmed."
        return None

    def _mfa(self, form: dict[str, str]) -> Reply:
        transaction = form.get("tx", "")
        request = self._request(transaction)
        if request is None or request.username is None:
            return self._login_page(transaction)
        secret = self.user_pool.user_state(request.pool_id, request.username).totp_secret
        code = form.get("code", "").strip()
        if secret is None or not totp_ok(secret, code, self.now()):
            request.attempts += 1
            if request.attempts >= MAX_CODE_ATTEMPTS:
                request.username = None
                return self._login_page(transaction, "Too many wrong codes; sign in again.")
            page = pages.mfa_page(
                transaction=transaction,
                username=request.username,
                error="Invalid code received for user",
            )
            return _html(page)
        del self._requests[transaction]
        return self._issue_code(request, request.username, {}, new_session=True)

    # ----------------------------------------------------------------------------- fake IdP
    def _idp_page(self, query: dict[str, str]) -> Reply:
        if self._request(query.get("state", "")) is None:
            return _html(pages.error_page("invalid_request", "Unknown sign-in request."), 400)
        email = next(iter(IDP_ACCOUNTS))
        return _html(pages.idp_page(state=query["state"], email=email))

    def _idp_sign_in(self, form: dict[str, str]) -> Reply:
        transaction = form.get("state", "")
        if self._request(transaction) is None:
            return _html(pages.error_page("invalid_request", "Unknown sign-in request."), 400)
        email = form.get("email", "").strip().lower()
        if email not in IDP_ACCOUNTS:
            page = pages.idp_page(state=transaction, email=email, error="No such account.")
            return _html(page)
        code = secrets.token_urlsafe(24)
        self._idp_codes[code] = (transaction, email, self.now() + CODE_SECONDS)
        return _redirect(_with_query("/oauth2/idpresponse", {"code": code, "state": transaction}))

    def _idp_response(self, query: dict[str, str]) -> Reply:
        found = self._idp_codes.pop(query.get("code", ""), None)
        if found is None or found[0] != query.get("state") or found[2] <= self.now():
            return _redirect(_with_query("/error", {"error": "invalid_request"}))
        transaction, email, _ = found
        request = self._requests.pop(transaction, None)
        if request is None:
            return _redirect(_with_query("/error", {"error": "invalid_request"}))
        user = self._federated_user(request.pool_id, email)
        subject = IDP_ACCOUNTS[email]
        claims = {
            "identities": [
                {
                    "userId": subject,
                    "providerName": IDP_NAME,
                    "providerType": "OIDC",
                    "issuer": None,
                    "primary": "true",
                    "dateCreated": str(int(self.now() * 1000)),
                }
            ],
            "cognito:groups": [f"{request.pool_id}_{IDP_NAME}"],
        }
        return self._issue_code(request, user.username, claims, new_session=True)

    def _federated_user(self, pool_id: str, email: str) -> CognitoIdpUser:
        """The pool's user for an IdP account, created on its first sign-in (as Cognito does)."""
        pool = self.user_pool.pool(pool_id)
        username = f"{IDP_NAME}_{IDP_ACCOUNTS[email]}"
        user: CognitoIdpUser | None = pool.users.get(username)
        if user is None:
            attributes = [
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "false"},
            ]
            user = self.user_pool.backend.admin_create_user(
                pool_id, username, "SUPPRESS", None, attributes
            )
            user.password = None  # federated users have no password in the pool
        assert user is not None
        user.status = UserStatus.CONFIRMED
        return user

    # ----------------------------------------------------------------------------- codes
    def _issue_code(
        self,
        request: AuthRequest,
        username: str,
        id_claims: dict[str, Any],
        *,
        new_session: bool = False,
    ) -> Reply:
        code = str(secrets.token_hex(18))
        code = f"{code[:8]}-{code[8:12]}-{code[12:16]}-{code[16:20]}-{code[20:32]}"
        self._grants[code] = Grant(request, username, id_claims, self.now() + CODE_SECONDS)
        headers: list[tuple[str, str]] = []
        if new_session:
            session_id = secrets.token_urlsafe(32)
            self._sessions[session_id] = _Session(
                request.pool_id, username, id_claims, self.now() + SESSION_SECONDS
            )
            headers.append(
                ("Set-Cookie", f"{_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax")
            )
        location = _with_query(request.redirect_uri, {"code": code, "state": request.state})
        return _redirect(location, headers)

    # ----------------------------------------------------------------------------- token
    def _logout(self, query: dict[str, str], session_id: str | None) -> Reply:
        try:
            _, client = self._client(query.get("client_id"))
        except KeyError:
            return _redirect(_with_query("/error", {"error": "invalid_request"}))
        logout_uri = query.get("logout_uri")
        if logout_uri is not None and logout_uri not in (
            client.extended_config.get("LogoutURLs") or []
        ):
            return _redirect(
                _with_query("/error", {"error": "redirect_mismatch", "client_id": client.id})
            )
        self._sessions.pop(session_id or "", None)
        expire = (
            "Set-Cookie",
            f"{_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
        )
        if logout_uri is None:
            return _html(pages.signed_out_page(), headers=[expire])
        return _redirect(logout_uri, [expire])

    def _openid_configuration(self, pool_id: str | None, environ: WSGIEnvironment) -> Reply:
        pools = self.user_pool.backend.user_pools
        if pool_id is None:
            pool_id = next(iter(pools), None)
        if pool_id is None or pool_id not in pools:
            return json_reply(404, {"message": "User pool not found"})
        host = environ.get("HTTP_HOST") or f"127.0.0.1:{environ.get('SERVER_PORT', '80')}"
        base = f"http://{host}"
        region = pool_id.split("_", 1)[0]
        return json_reply(
            200,
            {
                "issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
                "revocation_endpoint": f"{base}/oauth2/revoke",
                "userinfo_endpoint": f"{base}/oauth2/userInfo",
                "end_session_endpoint": f"{base}/logout",
                "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "scopes_supported": list(OAUTH_SCOPES[:4]),
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
            },
        )
