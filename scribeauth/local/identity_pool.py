"""A strict stand-in for a Cognito identity pool (``AWSCognitoIdentityService``, AWS JSON 1.1).

moto's cognito-identity accepts any login token and hands out the same fixed credentials to
everybody, so the tests could never notice a client that sends the access token, a token of
another pool, or an expired one. This service checks what the real one checks:

* the ``Logins`` key names a user pool configured as a provider of this identity pool, and the
  token's ``iss`` is that user pool;
* the id token's RS256 signature verifies against the user pool's JWKS;
* ``exp`` lies in the future (no leeway), ``aud`` is one of the provider's app clients and
  ``token_use`` is ``id``;
* ``GetCredentialsForIdentity`` only serves an identity to the user it belongs to.

Identity ids are stable per (provider, ``sub``); credentials are fresh random ones on every call,
remembered in :attr:`IdentityPoolService.issued` so the gateway can verify requests signed with
them. ``GetOpenIdToken`` answers an OpenID token for an identity (issuer
``https://cognito-identity.amazonaws.com``, audience the identity pool, ten minutes), signed with
the service's own key (:attr:`IdentityPoolService.openid_jwks`). Error types and messages are
those Cognito sends (``{"__type": ..., "message": ...}``).
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import string
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import extract_compact

__all__ = [
    "DEFAULT_ROLE_ARN",
    "IdentityPoolError",
    "IdentityPoolService",
    "IssuedCredentials",
]

DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/Cognito_ScribeAuth_Role"
"""The authenticated role of the local identity pool (what STS reports without a custom role)."""

_CUSTOM_ROLE_ARN = re.compile(r"arn:aws:iam::\d{12}:role/.+")
_ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_KEY_ALPHABET = string.ascii_letters + string.digits + "+/"
_NOT_OIDC = "Invalid login token. Not a valid OpenId Connect identity token."
OPENID_ISSUER = "https://cognito-identity.amazonaws.com"
OPENID_TOKEN_SECONDS = 600


@dataclass(frozen=True)
class IssuedCredentials:
    """One set of temporary AWS credentials handed out by ``GetCredentialsForIdentity``.

    Attributes:
        access_key_id: ``ASIA`` followed by 16 upper-case letters or digits.
        secret_access_key: 40 characters; never shown in ``repr``.
        session_token: a long random token; never shown in ``repr``.
        expires_at: expiry, epoch seconds (on the service's clock).
        identity_id: the identity the credentials were issued for.
        role_arn: the IAM role the credentials act as (the custom role asked for, else
            :data:`DEFAULT_ROLE_ARN`).
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: float
    identity_id: str
    role_arn: str | None = None


class IdentityPoolError(Exception):
    """A Cognito identity error, rendered on the wire as ``{"__type": code, "message": ...}``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        """The JSON body Cognito sends for this error."""
        return {"__type": self.code, "message": self.message}


@dataclass(frozen=True)
class _Provider:
    user_pool_id: str
    issuer: str
    client_ids: frozenset[str]


def _not_authorized(message: str) -> IdentityPoolError:
    return IdentityPoolError("NotAuthorizedException", message)


def _invalid_parameter(message: str) -> IdentityPoolError:
    return IdentityPoolError("InvalidParameterException", message)


def _identity_param(params: Mapping[str, Any]) -> str:
    identity_id = params.get("IdentityId")
    if not isinstance(identity_id, str) or not identity_id:
        raise _invalid_parameter("IdentityId is required.")
    return identity_id


class IdentityPoolService:
    """One identity pool whose authentication providers are Cognito user pools.

    Args:
        identity_pool_id: ``<region>:<uuid>``.
        region: the identity pool's region.
        user_pool_id: the first provider's user pool id.
        client_ids: that user pool's app clients allowed to sign in here.
        jwks: the user pools' public JWK set (one set serves every provider, as in moto).
        now: the clock, epoch seconds.
        credential_lifetime: seconds the issued credentials live; may be changed at runtime.
    """

    def __init__(
        self,
        *,
        identity_pool_id: str,
        region: str,
        user_pool_id: str,
        client_ids: Collection[str],
        jwks: Mapping[str, Any],
        now: Callable[[], float],
        credential_lifetime: int = 3600,
        openid_key: RSAKey | None = None,
    ) -> None:
        self.identity_pool_id = identity_pool_id
        self._openid_key_given = openid_key
        self.region = region
        self.credential_lifetime = credential_lifetime
        self.issued: dict[str, IssuedCredentials] = {}
        self._now = now
        self._keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        self._lock = threading.Lock()
        self._providers: dict[str, _Provider] = {}
        # (provider name, sub) -> identity id, and each identity's logins.
        self._identity_by_login: dict[tuple[str, str], str] = {}
        self._logins_by_identity: dict[str, set[tuple[str, str]]] = {}
        self.add_provider(user_pool_id, client_ids)

    def add_provider(self, user_pool_id: str, client_ids: Collection[str]) -> None:
        """Accept id tokens of ``user_pool_id`` issued to any of ``client_ids``."""
        # A user pool id starts with its own region, which may differ from the identity pool's.
        pool_region = user_pool_id.split("_", 1)[0] if "_" in user_pool_id else self.region
        host = f"cognito-idp.{pool_region}.amazonaws.com"
        provider = _Provider(
            user_pool_id=user_pool_id,
            issuer=f"https://{host}/{user_pool_id}",
            client_ids=frozenset(client_ids),
        )
        with self._lock:
            self._providers[f"{host}/{user_pool_id}"] = provider

    @property
    def _openid_key(self) -> RSAKey:
        # Made on first use: most identity pools in tests never sign an OpenID token.
        with self._lock:
            if self._openid_key_given is None:
                self._openid_key_given = RSAKey.generate_key(
                    2048,
                    parameters={"kid": uuid.uuid4().hex, "use": "sig", "alg": "RS256"},
                    private=True,
                )
            key: RSAKey = self._openid_key_given
        return key

    @property
    def openid_jwks(self) -> dict[str, Any]:
        """The public keys that verify the OpenID tokens of ``GetOpenIdToken``."""
        return {"keys": [self._openid_key.as_dict(private=False)]}

    def lookup(self, access_key_id: str) -> IssuedCredentials | None:
        """The credentials issued under ``access_key_id``, or None if there are none."""
        with self._lock:
            return self.issued.get(access_key_id)

    def dispatch(self, operation: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Run one operation (the ``X-Amz-Target`` suffix) and return (HTTP status, JSON body)."""
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "GetId": self._get_id,
            "GetCredentialsForIdentity": self._get_credentials_for_identity,
            "GetOpenIdToken": self._get_open_id_token,
        }
        handler = handlers.get(operation)
        if handler is None:
            return 400, {
                "__type": "UnknownOperationException",
                "message": f"The local identity pool does not serve {operation}.",
            }
        try:
            return 200, handler(params)
        except IdentityPoolError as err:
            return err.status, err.body()

    # -- operations -------------------------------------------------------------------------

    def _get_id(self, params: Mapping[str, Any]) -> dict[str, Any]:
        pool_id = params.get("IdentityPoolId")
        if not isinstance(pool_id, str) or not pool_id:
            raise _invalid_parameter("IdentityPoolId is required.")
        if pool_id != self.identity_pool_id:
            raise IdentityPoolError(
                "ResourceNotFoundException", f"IdentityPool '{pool_id}' not found."
            )
        logins = self._verified_logins(params.get("Logins"))
        with self._lock:
            identity_id = next(
                (
                    self._identity_by_login[login]
                    for login in logins
                    if login in self._identity_by_login
                ),
                None,
            )
            if identity_id is None:
                identity_id = f"{self.region}:{uuid.uuid4()}"
                self._logins_by_identity[identity_id] = set()
            for login in logins:
                self._identity_by_login.setdefault(login, identity_id)
                self._logins_by_identity[identity_id].add(login)
        return {"IdentityId": identity_id}

    def _get_open_id_token(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identity_id = self._owned_identity(params)
        now = int(self._now())
        with self._lock:
            providers = sorted({name for name, _ in self._logins_by_identity[identity_id]})
        claims = {
            "iss": OPENID_ISSUER,
            "sub": identity_id,
            "aud": self.identity_pool_id,
            "amr": ["authenticated", *providers],
            "iat": now,
            "exp": now + OPENID_TOKEN_SECONDS,
        }
        header = {"kid": str(self._openid_key.kid), "alg": "RS256", "typ": "JWS"}
        token: str = jwt.encode(header, claims, self._openid_key)
        return {"IdentityId": identity_id, "Token": token}

    def _owned_identity(self, params: Mapping[str, Any]) -> str:
        """The identity in ``params``, after its ``Logins`` proved who owns it."""
        identity_id = _identity_param(params)
        self._check_owner(identity_id, params)
        return identity_id

    def _check_owner(self, identity_id: str, params: Mapping[str, Any]) -> None:
        """Raises unless ``identity_id`` exists and the ``Logins`` in ``params`` own it."""
        with self._lock:
            known = self._logins_by_identity.get(identity_id)
            owners = None if known is None else frozenset(known)
        if owners is None:
            raise IdentityPoolError(
                "ResourceNotFoundException", f"Identity '{identity_id}' not found."
            )
        logins = self._verified_logins(params.get("Logins"))
        if not owners.intersection(logins):
            raise _not_authorized(
                "Logins don't match. Please include at least one valid login for this identity "
                "or identity pool."
            )

    def _get_credentials_for_identity(self, params: Mapping[str, Any]) -> dict[str, Any]:
        identity_id = _identity_param(params)
        role_arn = params.get("CustomRoleArn")
        if role_arn is not None and (
            not isinstance(role_arn, str) or not _CUSTOM_ROLE_ARN.fullmatch(role_arn)
        ):
            raise _invalid_parameter("CustomRoleArn is not a valid IAM role ARN.")
        self._check_owner(identity_id, params)
        issued = self._issue(identity_id, role_arn or DEFAULT_ROLE_ARN)
        return {
            "IdentityId": identity_id,
            "Credentials": {
                "AccessKeyId": issued.access_key_id,
                "SecretKey": issued.secret_access_key,
                "SessionToken": issued.session_token,
                # Cognito sends the expiry as epoch seconds, a JSON number.
                "Expiration": int(issued.expires_at),
            },
        }

    # -- helpers ----------------------------------------------------------------------------

    def _issue(self, identity_id: str, role_arn: str) -> IssuedCredentials:
        with self._lock:
            while True:
                access_key_id = "ASIA" + "".join(
                    secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16)
                )
                if access_key_id not in self.issued:
                    break
            issued = IssuedCredentials(
                access_key_id=access_key_id,
                secret_access_key="".join(secrets.choice(_SECRET_KEY_ALPHABET) for _ in range(40)),
                session_token=base64.b64encode(secrets.token_bytes(420)).decode("ascii"),
                expires_at=float(math.floor(self._now() + self.credential_lifetime)),
                identity_id=identity_id,
                role_arn=role_arn,
            )
            self.issued[access_key_id] = issued
        return issued

    def _verified_logins(self, logins: object) -> list[tuple[str, str]]:
        """Check every login token; return the (provider name, sub) pairs they prove."""
        if logins is None or logins == {}:
            raise _not_authorized("Unauthenticated access is not supported for this identity pool.")
        if not isinstance(logins, Mapping):
            raise _invalid_parameter("Logins must be a map of provider names to tokens.")
        proven = []
        for name, token in logins.items():
            if not isinstance(name, str) or not isinstance(token, str):
                raise _invalid_parameter("Logins must be a map of provider names to tokens.")
            proven.append((name, self._verified_subject(name, token)))
        return proven

    def _verified_subject(self, provider_name: str, token: str) -> str:
        """Verify one id token presented under ``provider_name``; return its ``sub``."""
        unverified = _unverified_claims(token)
        with self._lock:
            provider = self._providers.get(provider_name)
        issuer = unverified.get("iss")
        if provider is None:
            if issuer == f"https://{provider_name}":
                raise _not_authorized(
                    "Token is not from a supported provider of this identity pool."
                )
            raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
        if issuer != provider.issuer:
            raise _not_authorized("Invalid login token. Issuer doesn't match providerName")
        try:
            claims = jwt.decode(token, self._keys, algorithms=["RS256"]).claims
        except JoseError as err:
            raise _not_authorized("Invalid login token. Couldn't verify signed token.") from err
        now = self._now()
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or isinstance(expires, bool):
            raise _not_authorized("Invalid login token. Missing a required claim: exp")
        if now >= expires:
            raise _not_authorized(
                f"Invalid login token. Token expired: {int(now)} >= {int(expires)}"
            )
        audience = claims.get("aud")
        if audience is None:
            # Access tokens carry client_id instead of aud: this is what Cognito says to them.
            raise _not_authorized("Invalid login token. Missing a required claim: aud")
        if not isinstance(audience, str) or audience not in provider.client_ids:
            raise _not_authorized("Token is not from a supported provider of this identity pool.")
        if claims.get("token_use") != "id":
            raise _not_authorized(_NOT_OIDC)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _not_authorized("Invalid login token. Missing a required claim: sub")
        return subject


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a compact JWS, read without checking anything.

    Only used to find the provider (and so the keys) a token claims to come from; nothing in it
    is trusted before the signature has been verified.
    """
    try:
        claims = json.loads(extract_compact(token.encode("utf-8")).payload)
    except (JoseError, ValueError, UnicodeError) as err:
        raise _not_authorized(_NOT_OIDC) from err
    if not isinstance(claims, dict):
        raise _not_authorized(_NOT_OIDC)
    return claims
