"""The OAuth 2.0 endpoints of the local managed login: ``/oauth2/token``, ``/oauth2/revoke`` and
``/oauth2/userInfo``, strict as Cognito's.

``/oauth2/token`` takes ``authorization_code`` (single-use codes that expire after 5 minutes, the
``redirect_uri`` of the authorize request, the PKCE ``code_verifier``) and ``refresh_token``,
with client_secret_basic or client_secret_post for confidential clients. Errors are Cognito's:
HTTP 400 with the bare code, ``{"error": "invalid_grant"}`` (and ``invalid_request``,
``invalid_client``, ``unauthorized_client``, ``unsupported_grant_type``,
``unsupported_token_type``); ``userInfo`` answers 401 ``invalid_token``. The pages that issue the
codes are :mod:`scribeauth.local.managed_login`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local.cognito_rules import CognitoError
from scribeauth.local.user_pool import StrictUserPool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

__all__ = ["AuthRequest", "Grant", "Reply", "TokenEndpoints", "find_client", "json_reply"]

Reply = tuple[int, list[tuple[str, str]], bytes]
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def find_client(
    user_pool: StrictUserPool, client_id: Any
) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient]:
    """The pool and app client of ``client_id`` (KeyError when this stack has none)."""
    if not isinstance(client_id, str) or not client_id:
        raise KeyError("client_id")
    for pool in user_pool.backend.user_pools.values():
        if client_id in pool.clients:
            return pool, pool.clients[client_id]
    raise KeyError(client_id)


@dataclass
class AuthRequest:
    """One /oauth2/authorize call waiting for the person (the pages carry its id)."""

    pool_id: str
    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    scope: str
    challenge: str | None
    expires_at: float
    username: str | None = None  # set once the password was right and a TOTP code is due
    attempts: int = 0


@dataclass
class Grant:
    """An authorization code: single use, 5 minutes, bound to client, redirect_uri and PKCE."""

    request: AuthRequest
    username: str
    id_claims: dict[str, Any]
    expires_at: float
    used: bool = False


def json_reply(status: int, document: Mapping[str, Any], **headers: str) -> Reply:
    return (
        status,
        [
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Cache-Control", "no-store"),
            *headers.items(),
        ],
        json.dumps(document).encode(),
    )


def oauth_error(error: str, status: int = 400) -> Reply:
    # Cognito's token and revoke endpoints answer with the bare code: {"error":"invalid_grant"}.
    return json_reply(status, {"error": error})


class TokenEndpoints:
    """``/oauth2/token``, ``/oauth2/revoke`` and ``/oauth2/userInfo`` (called under the pool lock).

    Args:
        user_pool: the stack's strict user pool (token minting and records).
        now: the stack clock.
        grants: the authorization codes the pages issued (shared with them).
        scopes: per sign-in (``origin_jti``): the granted scope and extra id-token claims.
    """

    def __init__(
        self,
        user_pool: StrictUserPool,
        now: Callable[[], float],
        grants: dict[str, Grant],
        scopes: dict[str, tuple[str, dict[str, Any]]],
    ) -> None:
        self.user_pool = user_pool
        self.now = now
        self._grants = grants
        self._scopes = scopes

    def _authenticate(
        self, form: dict[str, str], environ: WSGIEnvironment
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient] | None:
        """The app client of a token/revoke call (client_secret_basic or _post), or None."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:], validate=True).decode()
            except ValueError:
                return None
            basic_id, _, secret = decoded.partition(":")
            if client_id is not None and client_id != basic_id:
                return None
            client_id = basic_id
        try:
            pool, client = find_client(self.user_pool, client_id)
        except KeyError:
            return None
        if client.generate_secret:
            if not secret or not hmac.compare_digest(secret.encode(), client.secret.encode()):
                return None
        elif secret:
            return None
        return pool, client

    def token(self, form: dict[str, str], environ: WSGIEnvironment) -> Reply:
        if "application/x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
            return oauth_error("invalid_request")
        grant_type = form.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request")
        found = self._authenticate(form, environ)
        if found is None:
            return oauth_error("invalid_client")
        pool, client = found
        if grant_type == "authorization_code":
            if "code" not in (client.extended_config.get("AllowedOAuthFlows") or []):
                return oauth_error("unauthorized_client")
            return self._code_grant(pool, client, form)
        if grant_type == "refresh_token":
            return self._refresh_grant(pool, client, form)
        if grant_type == "client_credentials":
            return oauth_error("unauthorized_client")
        return oauth_error("unsupported_grant_type")

    def _code_grant(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: dict[str, str]
    ) -> Reply:
        code = form.get("code")
        if not code:
            return oauth_error("invalid_request")
        grant = self._grants.get(code)
        if grant is None or grant.request.client_id != client.id:
            return oauth_error("invalid_grant")
        # Any attempt consumes the code: a retry after a failure gets invalid_grant too.
        used, grant.used = grant.used, True
        if used or grant.expires_at <= self.now():
            return oauth_error("invalid_grant")
        if form.get("redirect_uri") != grant.request.redirect_uri:
            # What Cognito says for a redirect_uri that differs from the authorize request's.
            return oauth_error("unauthorized_client")
        if grant.request.challenge is not None:
            verifier = form.get("code_verifier", "")
            if not _VERIFIER.match(verifier):
                return oauth_error("invalid_grant")
            digest = hashlib.sha256(verifier.encode("ascii")).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if not hmac.compare_digest(expected, grant.request.challenge):
                return oauth_error("invalid_grant")
        user = pool.users.get(grant.username)
        if user is None or not user.enabled:
            return oauth_error("invalid_grant")
        claims = dict(grant.id_claims)
        if grant.request.nonce is not None:
            claims["nonce"] = grant.request.nonce
        reply = self.user_pool.tokens.sign_in(
            pool, client, user, extra_claims=claims, scope=grant.request.scope
        )["AuthenticationResult"]
        record = self.user_pool.tokens.refresh_record(reply["RefreshToken"])
        if record is not None:
            self._scopes[record.origin_jti] = (grant.request.scope, dict(grant.id_claims))
        document = {
            "access_token": reply["AccessToken"],
            "refresh_token": reply["RefreshToken"],
            "expires_in": reply["ExpiresIn"],
            "token_type": "Bearer",
        }
        if "openid" in grant.request.scope.split():
            document["id_token"] = reply["IdToken"]
        return json_reply(200, document)

    def _refresh_grant(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, form: dict[str, str]
    ) -> Reply:
        token = form.get("refresh_token")
        if not token:
            return oauth_error("invalid_request")
        record = self.user_pool.tokens.refresh_record(token)
        if record is None or record.client_id != client.id or record.pool_id != pool.id:
            return oauth_error("invalid_grant")
        user = pool.users.get(record.username)
        if record.revoked or record.expires_at <= self.now() or user is None or not user.enabled:
            return oauth_error("invalid_grant")
        scope, claims = self._scopes.get(record.origin_jti, (None, {}))
        id_token, access_token = self.user_pool.tokens.mint(
            pool,
            client,
            user,
            record.origin_jti,
            record.auth_time,
            extra_claims=claims,
            scope=scope,
        )
        return json_reply(
            200,
            {
                "id_token": id_token,
                "access_token": access_token,
                "expires_in": int(self.user_pool.token_lifetime),
                "token_type": "Bearer",
            },
        )

    # ----------------------------------------------------------------------------- revoke etc.
    def revoke(self, form: dict[str, str], environ: WSGIEnvironment) -> Reply:
        token = form.get("token")
        if not token:
            return oauth_error("invalid_request")
        found = self._authenticate(form, environ)
        if found is None:
            return oauth_error("invalid_client")
        pool, client = found
        tokens = self.user_pool.tokens
        if tokens.is_access_token(token) or token in pool.id_tokens:
            return oauth_error("unsupported_token_type")
        record = tokens.refresh_record(token)
        if record is not None:
            if record.client_id != client.id:
                return oauth_error("invalid_request")
            tokens.revoke_family(pool, record.origin_jti)
        return 200, [("Content-Type", "application/json;charset=UTF-8")], b""

    def user_info(self, environ: WSGIEnvironment) -> Reply:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth.startswith("Bearer "):
            return self._invalid_token("Access token is missing")
        try:
            record = self.user_pool.tokens.access_record(auth[7:].strip())
        except CognitoError as err:
            return self._invalid_token(err.message)
        user = self.user_pool.pool(record.pool_id).users.get(record.username)
        if user is None:
            return self._invalid_token("User does not exist.")
        document: dict[str, Any] = {"sub": user.id, "username": user.username}
        for name, value in user.attribute_lookup.items():
            if name != "sub":
                document[name] = value
        _, claims = self._scopes.get(record.origin_jti, (None, {}))
        if "identities" in claims:
            document["identities"] = json.dumps(claims["identities"])
        return json_reply(200, document)

    @staticmethod
    def _invalid_token(description: str) -> Reply:
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        document = {"error": "invalid_token", "error_description": description}
        return json_reply(401, document, **{"WWW-Authenticate": challenge})
