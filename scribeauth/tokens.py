"""Optional signature verification of Cognito tokens against the user pool's JWKS.

scribeauth itself only reads token claims (the identity pool checks the signature when it
exchanges the id token). Programs that accept a Scribe token from elsewhere can check it here.
Needs the ``jwt`` extra (joserfc, cryptography)::

    jwks = fetch_jwks("eu-west-2_AbCdEf123")
    jwt = verify(token, jwks=jwks, issuer=issuer_url("eu-west-2_AbCdEf123"),
                 audience=CLIENT_ID, token_use="id", now=datetime.now(timezone.utc))
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .errors import (
    ConfigError,
    ResourceNotFoundException,
    ServiceUnavailableError,
    UnauthorizedException,
    UnknownException,
)
from .ids import user_pool_region
from .models import Jwt

__all__ = ["fetch_jwks", "issuer_url", "jwks_url", "verify"]

_ALGORITHMS = ["RS256"]  # all Cognito user pools sign with RS256
# Where each kind of token names its app client: id tokens in `aud`, access tokens in `client_id`.
_AUDIENCE_CLAIM = {"id": "aud", "access": "client_id"}


def issuer_url(user_pool_id: str) -> str:
    """The ``iss`` of the pool's tokens: ``https://cognito-idp.REGION.amazonaws.com/POOL``.

    The same whatever endpoint is used to reach Cognito.
    """
    return f"https://cognito-idp.{user_pool_region(user_pool_id)}.amazonaws.com/{user_pool_id}"


def jwks_url(user_pool_id: str, endpoint_url: str | None = None) -> str:
    """Where the pool publishes its signing keys.

    Args:
        user_pool_id: the user pool id.
        endpoint_url: a cognito-idp endpoint to use instead of AWS's (e.g. a local stack);
            defaults to ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``, then ``AWS_ENDPOINT_URL``.
    """
    endpoint = (
        endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        or os.environ.get("AWS_ENDPOINT_URL")
    )
    if not endpoint:
        return f"{issuer_url(user_pool_id)}/.well-known/jwks.json"
    user_pool_region(user_pool_id)
    return f"{endpoint.rstrip('/')}/{user_pool_id}/.well-known/jwks.json"


def fetch_jwks(
    user_pool_id: str, *, endpoint_url: str | None = None, timeout: float = 10.0
) -> dict[str, Any]:
    """Downloads the pool's JSON Web Key Set.

    Raises:
        ConfigError: the id or endpoint is malformed.
        ResourceNotFoundException: there is no such pool (HTTP 404).
        ServiceUnavailableError: the keys cannot be fetched.
        UnknownException: the reply is not a key set.
    """
    url = jwks_url(user_pool_id, endpoint_url)
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"the cognito-idp endpoint {url!r} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310
            body = reply.read(1_000_000)
    except urllib.error.HTTPError as err:
        if err.code == 404:
            raise ResourceNotFoundException(
                f"Cognito has no user pool {user_pool_id}; check scribe_user_pool_id"
            ) from err
        raise ServiceUnavailableError(
            f"cannot fetch the signing keys of {user_pool_id} (HTTP {err.code}); try again later"
        ) from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise ServiceUnavailableError(
            f"cannot fetch the signing keys of {user_pool_id} ({type(err).__name__}); "
            "check the network and the endpoint, then try again"
        ) from err
    try:
        jwks = json.loads(body)
    except ValueError as err:
        raise UnknownException(f"the signing keys of {user_pool_id} are not JSON") from err
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise UnknownException(f"the signing keys of {user_pool_id} are not a JWK set")
    return jwks


def verify(
    token: str,
    *,
    jwks: Mapping[str, Any],
    issuer: str,
    audience: str | None,
    token_use: str,
    now: datetime,
) -> Jwt:
    """Checks a Cognito token's signature and claims.

    Args:
        token: the compact JWT.
        jwks: the pool's key set (:func:`fetch_jwks`).
        issuer: the expected ``iss`` (:func:`issuer_url`).
        audience: the app client id the token must be for (``aud`` of an id token,
            ``client_id`` of an access token), or None to accept any client.
        token_use: ``"id"`` or ``"access"``.
        now: the current time (aware), for ``exp`` and ``nbf``.

    Returns:
        The token with its (now verified) claims.

    Raises:
        ConfigError: joserfc is not installed, or the key set is unusable.
        UnauthorizedException: bad signature, unknown key, expired, or wrong issuer, audience or
            token use.
    """
    try:
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet
    except ImportError as err:
        raise ConfigError(
            "verifying token signatures needs joserfc: pip install 'scribeauth[jwt]'"
        ) from err

    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as err:
        raise ConfigError("the user pool's JWKS cannot be read as a key set") from err
    try:
        decoded = jwt.decode(token, keys, algorithms=_ALGORITHMS)
    except (JoseError, ValueError, TypeError, KeyError) as err:
        raise UnauthorizedException(
            f"the {token_use} token's signature does not verify ({type(err).__name__}); "
            "sign in again"
        ) from err

    claims = dict(decoded.claims)
    if claims.get("iss") != issuer:
        raise UnauthorizedException(f"the {token_use} token is from another issuer; sign in again")
    if claims.get("token_use") != token_use:
        raise UnauthorizedException(f"the token is not an {token_use} token")
    if audience is not None:
        got = claims.get(_AUDIENCE_CLAIM.get(token_use, "aud"))
        if got != audience:
            raise UnauthorizedException(
                f"the {token_use} token is for another app client; check scribe_client_id"
            )
    moment = now.astimezone(timezone.utc).timestamp()
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= moment:
        raise UnauthorizedException(f"the {token_use} token has expired; sign in again")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool) and nbf > moment:
        raise UnauthorizedException(f"the {token_use} token is not valid yet; check the clock")
    return Jwt(raw=token, claims=claims)
