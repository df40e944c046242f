"""Tokens the strict user pool issued: minting, refresh records, expiry and revocation.

Id and access tokens are signed with the stack's own RSA key (made per stack, served as the pools'
JWKS; never moto's published one) and stamped with the stack clock; they are also registered in
moto's own token maps so the calls moto serves (GetUser, ...) accept them. Refresh tokens are
opaque, may be bound to a device, and are replaced on use when the app client rotates them.
Revoking a refresh token kills every token minted from it (same ``origin_jti``), as Cognito does.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local.cognito_rules import not_authorized

_JWE_HEADER = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ"


@dataclass
class RefreshRecord:
    """What a refresh token stands for."""

    pool_id: str
    client_id: str
    username: str
    origin_jti: str
    auth_time: int
    expires_at: float
    revoked: bool = False
    device_key: str | None = None
    rotated_at: float | None = None


@dataclass
class AccessRecord:
    """What an access token stands for."""

    pool_id: str
    username: str
    origin_jti: str
    expires_at: float


class TokenStore:
    """Issues and checks a stack's tokens (not thread-safe: the user pool holds its lock).

    Args:
        now: the stack clock.
        token_lifetime: id/access token lifetime, seconds (may be changed at runtime).
    """

    def __init__(
        self, now: Callable[[], float], token_lifetime: int, signing_key: RSAKey | None = None
    ) -> None:
        self.now = now
        self.token_lifetime = token_lifetime
        self.signing_key = signing_key or new_signing_key()
        self._refresh: dict[str, RefreshRecord] = {}
        self._access: dict[str, AccessRecord] = {}
        self._revoked_jti: set[str] = set()

    def refresh_record(self, token: str) -> RefreshRecord | None:
        """The record of a refresh token, or None if this stack never issued it."""
        return self._refresh.get(token)

    def is_access_token(self, token: str) -> bool:
        """Whether this stack issued ``token`` as an access token."""
        return token in self._access

    def access_record(self, token: str) -> AccessRecord:
        """The record of a live access token; NotAuthorized when unknown, revoked or expired."""
        record = self._access.get(token)
        if record is None:
            raise not_authorized("Invalid Access Token")
        if record.origin_jti in self._revoked_jti:
            raise not_authorized("Access Token has been revoked")
        if self.now() >= record.expires_at:
            raise not_authorized("Access Token has expired")
        return record

    @property
    def jwks(self) -> dict[str, Any]:
        """The public key set that verifies this store's id and access tokens."""
        return {"keys": [self.signing_key.as_dict(private=False)]}

    def sign_in(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None = None,
        *,
        extra_claims: Mapping[str, Any] | None = None,
        scope: str | None = None,
    ) -> dict[str, Any]:
        """A fresh sign-in: refresh, id and access tokens (InitiateAuth's reply).

        Args:
            pool: the user's pool.
            client: the app client signed in to.
            user: who signed in.
            device_key: the tracked device the refresh token is bound to, if any.
            extra_claims: added to the id token (a managed-login ``nonce``, a federated
                user's ``identities``).
            scope: the access token's scope (default: Cognito's API scope).
        """
        origin_jti = str(uuid.uuid4())
        now = self.now()
        validity_days = float(client.extended_config.get("RefreshTokenValidity", 30))
        record = RefreshRecord(
            pool.id,
            client.id,
            user.username,
            origin_jti,
            int(now),
            now + validity_days * 86400,
            device_key=device_key,
        )
        refresh = self._new_refresh(pool, record)
        id_token, access_token = self.mint(
            pool, client, user, origin_jti, int(now), extra_claims=extra_claims, scope=scope
        )
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": access_token,
                "ExpiresIn": int(self.token_lifetime),
                "TokenType": "Bearer",
                "RefreshToken": refresh,
                "IdToken": id_token,
            },
        }

    def rotate(self, pool: CognitoIdpUserPool, token: str) -> str:
        """A new refresh token replacing ``token`` (same sign-in, same expiry, same device).

        The old token is marked rotated now (the first time); the caller decides how long it
        stays usable (the client's grace period).
        """
        old = self._refresh[token]
        if old.rotated_at is None:
            old.rotated_at = self.now()
        record = RefreshRecord(
            old.pool_id,
            old.client_id,
            old.username,
            old.origin_jti,
            old.auth_time,
            old.expires_at,
            device_key=old.device_key,
        )
        return self._new_refresh(pool, record)

    def _new_refresh(self, pool: CognitoIdpUserPool, record: RefreshRecord) -> str:
        # Shaped like Cognito's (a compact JWE whose header starts "eyJ"): opaque to clients, and
        # never starting with "-", which command lines would read as an option.
        refresh = ".".join(
            [_JWE_HEADER]
            + [
                base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")
                for size in (256, 12, 192, 16)
            ]
        )
        self._refresh[refresh] = record
        pool.refresh_tokens[refresh] = (record.client_id, record.username, record.origin_jti)
        return refresh

    def mint(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        origin_jti: str,
        auth_time: int,
        *,
        extra_claims: Mapping[str, Any] | None = None,
        scope: str | None = None,
    ) -> tuple[str, str]:
        """A new (id token, access token) pair for a sign-in (``origin_jti``)."""
        now = int(self.now())
        exp = now + int(self.token_lifetime)
        attrs = user.attribute_lookup
        common = {
            "sub": user.id,
            "iss": f"https://cognito-idp.{pool.region}.amazonaws.com/{pool.id}",
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "auth_time": auth_time,
            "iat": now,
            "exp": exp,
        }
        id_claims: dict[str, Any] = {
            **common,
            "aud": client.id,
            "token_use": "id",
            "cognito:username": user.username,
            "jti": str(uuid.uuid4()),
            **(extra_claims or {}),
        }
        if "email" in attrs:
            id_claims["email"] = attrs["email"]
            id_claims["email_verified"] = str(attrs.get("email_verified", "")).lower() == "true"
        if "phone_number" in attrs:
            id_claims["phone_number"] = attrs["phone_number"]
        access_claims: dict[str, Any] = {
            **common,
            "client_id": client.id,
            "token_use": "access",
            "scope": scope or "aws.cognito.signin.user.admin",
            "username": user.username,
            "jti": str(uuid.uuid4()),
        }
        id_token = self._sign(pool, id_claims)
        access_token = self._sign(pool, access_claims)
        # Registered in moto's maps too, so moto's GetUser and friends accept them.
        pool.id_tokens[id_token] = (client.id, user.username)
        pool.access_tokens[access_token] = (client.id, user.username)
        self._access[access_token] = AccessRecord(pool.id, user.username, origin_jti, exp)
        return id_token, access_token

    def _sign(self, pool: CognitoIdpUserPool, claims: dict[str, Any]) -> str:
        header = {"kid": str(self.signing_key.kid), "alg": "RS256"}
        token: str = jwt.encode(header, claims, self.signing_key)
        return token

    def revoke_family(self, pool: CognitoIdpUserPool, origin_jti: str) -> None:
        """Revoke a sign-in: its refresh token and every id/access token minted from it."""
        self._revoked_jti.add(origin_jti)
        for token, record in self._refresh.items():
            if record.origin_jti == origin_jti:
                record.revoked = True
                pool.refresh_tokens[token] = None
        for token, access in self._access.items():
            if access.origin_jti == origin_jti:
                pool.access_tokens.pop(token, None)

    def revoke_user(self, pool: CognitoIdpUserPool, username: str) -> None:
        """Revoke every sign-in of a user in ``pool`` (GlobalSignOut)."""
        families = {
            r.origin_jti
            for r in self._refresh.values()
            if r.pool_id == pool.id and r.username == username
        } | {
            a.origin_jti
            for a in self._access.values()
            if a.pool_id == pool.id and a.username == username
        }
        for origin_jti in families:
            self.revoke_family(pool, origin_jti)


def new_signing_key() -> RSAKey:
    """A fresh RS256 key pair with a random ``kid`` (one per stack)."""
    key: RSAKey = RSAKey.generate_key(
        2048, parameters={"kid": uuid.uuid4().hex, "use": "sig", "alg": "RS256"}, private=True
    )
    return key
