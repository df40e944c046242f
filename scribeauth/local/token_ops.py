"""Calls that use or end a sign-in's tokens: refresh, ``RevokeToken``, ``GlobalSignOut``.

``REFRESH_TOKEN_AUTH`` checks the refresh token's client and pool, SECRET_HASH of the internal
user name or of ``sub``, revocation, expiry and whether the user is enabled. Revoking a refresh
token kills every token minted from it, as Cognito does; an unknown token is "revoked" (RFC 7009).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local.cognito_rules import (
    CognitoError,
    check_secret_hash,
    invalid,
    not_authorized,
)
from scribeauth.local.pool_state import PoolState


class TokenOps:
    """Refresh, revoke and global sign-out.

    Args:
        state: the pool's shared state.
    """

    def __init__(self, state: PoolState) -> None:
        self.state = state

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
        record = state.tokens.refresh_record(token)
        if record is None or record.client_id != client.id or record.pool_id != pool.id:
            raise not_authorized("Invalid Refresh Token")
        user = pool.users.get(record.username)
        if user is None:
            raise not_authorized("Invalid Refresh Token")
        check_secret_hash(client, auth.get("SECRET_HASH"), [user.username, user.id], refresh=True)
        if record.revoked:
            raise not_authorized("Refresh Token has been revoked")
        if state.now() >= record.expires_at:
            raise not_authorized("Refresh Token has expired")
        if not user.enabled:
            raise not_authorized("User is disabled.")
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
