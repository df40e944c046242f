"""Calls that use or end a sign-in's tokens: refresh, ``RevokeToken``, ``GlobalSignOut``.

Refresh comes two ways. ``REFRESH_TOKEN_AUTH`` (InitiateAuth) checks SECRET_HASH of the internal
user name or of ``sub``; ``GetTokensFromRefreshToken`` takes the raw ``ClientSecret``. Both check
the token's client and pool, revocation, expiry, the user, and the device a token is bound to.
An app client with ``RefreshTokenRotation`` refuses ``REFRESH_TOKEN_AUTH``; its
``GetTokensFromRefreshToken`` returns a new refresh token, and the old one dies after the client's
``RetryGracePeriodSeconds`` (0-60; then ``RefreshTokenReuseException``). Revoking a refresh token
kills every token minted from the sign-in, as Cognito does; an unknown token is "revoked"
(RFC 7009).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local.cognito_rules import (
    CognitoError,
    check_secret_hash,
    invalid,
    not_authorized,
    rotation,
)
from scribeauth.local.devices import Devices
from scribeauth.local.pool_state import PoolState
from scribeauth.local.token_store import RefreshRecord

ROTATED_OUT = "Refresh token has been invalidated by refresh token rotation."


class TokenOps:
    """Refresh, revoke and global sign-out.

    Args:
        state: the pool's shared state.
        devices: checks the device a refresh token is bound to.
    """

    def __init__(self, state: PoolState, devices: Devices) -> None:
        self.state = state
        self.devices = devices

    def refresh_flow(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, auth: Mapping[str, Any]
    ) -> dict[str, Any]:
        """InitiateAuth ``REFRESH_TOKEN_AUTH``: new id and access tokens."""
        state = self.state
        token = auth.get("REFRESH_TOKEN")
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter REFRESH_TOKEN")
        if client.generate_secret and not auth.get("SECRET_HASH"):
            check_secret_hash(client, None, [])
        record, user = self._live_record(pool, client, token)
        check_secret_hash(client, auth.get("SECRET_HASH"), [user.username, user.id], refresh=True)
        self._check_record(client, record, user, auth.get("DEVICE_KEY"))
        id_token, access_token = state.tokens.mint(
            pool, client, user, record.origin_jti, record.auth_time
        )
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": access_token,
                "ExpiresIn": int(state.token_lifetime),
                "TokenType": "Bearer",
                "IdToken": id_token,
            },
        }

    def get_tokens_from_refresh_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetTokensFromRefreshToken: new tokens, and a new refresh token on a rotating client."""
        state = self.state
        pool, client = state.client(params.get("ClientId"))
        token = params.get("RefreshToken")
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter RefreshToken")
        if client.generate_secret:
            given = params.get("ClientSecret")
            if not isinstance(given, str) or not given:
                raise not_authorized(
                    f"Client {client.id} is configured with secret but ClientSecret was not "
                    "received"
                )
            if not hmac.compare_digest(given.encode(), client.secret.encode()):
                raise not_authorized(f"Unable to verify client secret for client {client.id}")
        record, user = self._live_record(pool, client, token)
        self._check_record(client, record, user, params.get("DeviceKey"))
        id_token, access_token = state.tokens.mint(
            pool, client, user, record.origin_jti, record.auth_time
        )
        result: dict[str, Any] = {
            "AccessToken": access_token,
            "ExpiresIn": int(state.token_lifetime),
            "TokenType": "Bearer",
            "IdToken": id_token,
        }
        if rotation(client)[0]:
            result["RefreshToken"] = state.tokens.rotate(pool, token)
        return {"AuthenticationResult": result}

    def _live_record(
        self, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient, token: str
    ) -> tuple[RefreshRecord, CognitoIdpUser]:
        record = self.state.tokens.refresh_record(token)
        if record is None or record.client_id != client.id or record.pool_id != pool.id:
            raise not_authorized("Invalid Refresh Token")
        user = pool.users.get(record.username)
        if user is None:
            raise not_authorized("Invalid Refresh Token")
        return record, user

    def _check_record(
        self,
        client: CognitoIdpUserPoolClient,
        record: RefreshRecord,
        user: CognitoIdpUser,
        device_key: Any,
    ) -> None:
        now = self.state.now()
        if record.revoked:
            raise not_authorized("Refresh Token has been revoked")
        if now >= record.expires_at:
            raise not_authorized("Refresh Token has expired")
        if record.rotated_at is not None and now >= record.rotated_at + rotation(client)[1]:
            raise CognitoError("RefreshTokenReuseException", ROTATED_OUT)
        self.devices.check_refresh(record, device_key)
        if not user.enabled:
            raise not_authorized("User is disabled.")

    def revoke_token(self, params: dict[str, Any]) -> dict[str, Any]:
        """RevokeToken: the refresh token and everything minted from it."""
        state = self.state
        token = params.get("Token")
        if not isinstance(token, str) or not token:
            raise invalid("Missing required parameter Token")
        client_id = params.get("ClientId")
        if not isinstance(client_id, str) or not state.owns_client(client_id):
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        pool, client = state.client(client_id)
        if client.generate_secret and not hmac.compare_digest(
            str(params.get("ClientSecret") or "").encode(), client.secret.encode()
        ):
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        if not client.extended_config.get("EnableTokenRevocation", True):
            raise CognitoError(
                "UnsupportedOperationException", "Token revocation is not enabled for the client."
            )
        record = state.tokens.refresh_record(token)
        if record is None:
            if state.tokens.is_access_token(token) or token in pool.id_tokens:
                raise CognitoError("UnsupportedTokenTypeException", "Unsupported token type")
            # RFC 7009: an unknown token is simply "revoked".
            return {}
        if record.client_id != client.id:
            raise CognitoError("UnauthorizedException", "Client authentication failed.")
        state.tokens.revoke_family(pool, record.origin_jti)
        return {}

    def global_sign_out(self, params: dict[str, Any]) -> dict[str, Any]:
        """GlobalSignOut: every sign-in of the access token's user."""
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.state.user_for_access_token(access)
        self.state.tokens.revoke_user(pool, user.username)
        pool.sign_out(user.username)
        return {}
