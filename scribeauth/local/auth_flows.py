"""Sign-in with a password: ``InitiateAuth`` and the SRP ``PASSWORD_VERIFIER`` answer.

``USER_SRP_AUTH`` with real server-side SRP-6a (see ``srp_server``), ``USER_PASSWORD_AUTH`` with a
password check, the app client's ``ExplicitAuthFlows`` and ``SECRET_HASH``. Once the password is
proven, the user's status decides what follows (NEW_PASSWORD_REQUIRED, device SRP for a
remembered device, MFA, tokens). Five wrong passwords in a row lock the user out
("Password attempts exceeded") for ``lockout_seconds`` or until an administrator resets the
password. An unknown user fails like a wrong password when the app client's
``PreventUserExistenceErrors`` is ENABLED, and with ``UserNotFoundException`` when it is LEGACY.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    UserStatus,
)

from scribeauth.local import srp_server
from scribeauth.local.challenges import Challenges
from scribeauth.local.cognito_rules import (
    EXPIRED_SESSION,
    CognitoError,
    allowed_flows,
    invalid,
    not_authorized,
    rotation,
    srp_public_a,
    srp_timestamp_ok,
)
from scribeauth.local.devices import Devices
from scribeauth.local.pool_state import SESSION_SECONDS, PoolState, SrpState

Refresh = Callable[
    [CognitoIdpUserPool, CognitoIdpUserPoolClient, Mapping[str, Any]], dict[str, Any]
]


class AuthFlows:
    """``InitiateAuth`` (password flows) and ``PASSWORD_VERIFIER``.

    Args:
        state: the pool's shared state.
        challenges: the MFA / new-password steps that follow a proven password.
        devices: device SRP for a sign-in that names a remembered device.
        refresh: serves ``REFRESH_TOKEN_AUTH`` (pool, client, AuthParameters).
    """

    def __init__(
        self, state: PoolState, challenges: Challenges, devices: Devices, refresh: Refresh
    ) -> None:
        self.state = state
        self.challenges = challenges
        self.devices = devices
        self.refresh = refresh

    def initiate_auth(self, params: dict[str, Any]) -> dict[str, Any]:
        """InitiateAuth."""
        pool, client = self.state.client(params.get("ClientId"))
        flow = params.get("AuthFlow")
        auth = params.get("AuthParameters") or {}
        allowed = allowed_flows(client)
        if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            if rotation(client)[0]:
                # A rotating client refreshes only with GetTokensFromRefreshToken.
                raise invalid("REFRESH_TOKEN_AUTH flow not enabled for this client")
            if "REFRESH_TOKEN_AUTH" not in allowed:
                raise invalid("REFRESH_TOKEN_AUTH is not enabled for the client.")
            return self.refresh(pool, client, auth)
        if flow == "USER_SRP_AUTH":
            if "USER_SRP_AUTH" not in allowed:
                raise invalid("USER_SRP_AUTH is not enabled for the client.")
        elif flow == "USER_PASSWORD_AUTH":
            if "USER_PASSWORD_AUTH" not in allowed:
                raise invalid("USER_PASSWORD_AUTH flow not enabled for this client")
        elif flow == "CUSTOM_AUTH":
            raise invalid("Custom auth lambda trigger is not configured for the user pool.")
        else:
            raise invalid(
                f"1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy "
                "constraint: Member must satisfy enum value set: [USER_SRP_AUTH, "
                "REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, USER_PASSWORD_AUTH]"
            )
        typed, user = self.state.sign_in_user(pool, client, auth)
        device_key = auth.get("DEVICE_KEY")
        device_key = device_key if isinstance(device_key, str) else None
        if flow == "USER_PASSWORD_AUTH":
            password = auth.get("PASSWORD")
            if not isinstance(password, str):
                raise invalid("Missing required parameter PASSWORD")
            self.check_password(pool, user, password)
            assert user is not None
            return self.after_password(pool, client, user, device_key)
        return self.srp_start(pool, client, typed, user, auth.get("SRP_A"), device_key)

    def check_password(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser | None, password: str
    ) -> None:
        """Refuse a wrong password (counting it) or a locked-out user."""
        if user is None or user.password is None:
            raise not_authorized()
        self.state.check_lockout(pool, user)
        if not hmac.compare_digest(user.password.encode(), password.encode()):
            self.state.password_failed(pool, user)
            raise not_authorized()
        self.state.password_ok(pool, user)

    # ----------------------------------------------------------------------------- SRP
    def srp_start(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        typed: str,
        user: CognitoIdpUser | None,
        srp_a: Any,
        device_key: str | None = None,
    ) -> dict[str, Any]:
        """The PASSWORD_VERIFIER challenge for a client's ``SRP_A``."""
        public_a = srp_public_a(srp_a)
        # The salt never starts with a zero nibble, so every client's "padded hex" agrees on it.
        salt = format(secrets.randbelow(0xF << 124) + (1 << 124), "x")
        if user is not None and user.password is not None:
            user_id = user.username
            verifier = srp_server.compute_verifier(pool.id, user_id, user.password, salt)
        else:
            # Unknown user: a challenge indistinguishable from a real one, bound to fail.
            user_id = typed
            verifier = pow(srp_server.G, secrets.randbits(256), srp_server.N)
        exchange = srp_server.ServerExchange(verifier, secrets.randbits(256) | (1 << 255))
        block = base64.b64encode(secrets.token_bytes(96)).decode()
        self.state.srp[block] = SrpState(
            pool.id,
            client.id,
            user_id,
            user is not None,
            exchange,
            public_a,
            self.state.now() + SESSION_SECONDS,
            device_key=device_key,
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": salt,
                "SRP_B": format(exchange.public_b, "x"),
                "SECRET_BLOCK": block,
                "USERNAME": user_id,
                "USER_ID_FOR_SRP": user_id,
            },
        }

    def password_verifier(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Check a PASSWORD_VERIFIER answer (the client's SRP proof)."""
        for required in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
            if not isinstance(answers.get(required), str) or not answers.get(required):
                raise invalid(f"Missing required parameter {required}")
        block = str(answers["PASSWORD_CLAIM_SECRET_BLOCK"])
        state = self.state.srp.pop(block, None)
        if state is None or state.client_id != client.id or state.pool_id != pool.id:
            raise not_authorized()
        now = self.state.now()
        if now >= state.expires_at:
            raise not_authorized(EXPIRED_SESSION)
        if username != state.user_id_for_srp:
            raise not_authorized()
        timestamp = str(answers["TIMESTAMP"])
        if not srp_timestamp_ok(timestamp, now):
            raise not_authorized()
        user = pool.users.get(state.user_id_for_srp) if state.known else None
        if user is None:
            raise not_authorized()
        self.state.check_lockout(pool, user)
        key = state.exchange.session_key(state.public_a)
        if key is None:
            raise not_authorized()
        expected = srp_server.claim_signature(key, pool.id, state.user_id_for_srp, block, timestamp)
        signature = str(answers["PASSWORD_CLAIM_SIGNATURE"])
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            self.state.password_failed(pool, user)
            raise not_authorized()
        self.state.password_ok(pool, user)
        device_key = answers.get("DEVICE_KEY")
        device_key = device_key if isinstance(device_key, str) else state.device_key
        return self.after_password(pool, client, user, device_key)

    # ----------------------------------------------------------------------------- after password
    def after_password(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None = None,
    ) -> dict[str, Any]:
        """What a proven password leads to: a status error, NEW_PASSWORD_REQUIRED, MFA, tokens."""
        if not user.enabled:
            raise not_authorized("User is disabled.")
        if user.status == UserStatus.UNCONFIRMED:
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        if user.status == UserStatus.RESET_REQUIRED:
            raise CognitoError(
                "PasswordResetRequiredException", "Password reset required for the user"
            )
        if user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            attrs = {
                k: v for k, v in user.attribute_lookup.items() if k not in {"sub", "email_verified"}
            }
            return self.state.challenge(
                pool,
                client,
                user,
                "NEW_PASSWORD_REQUIRED",
                {"requiredAttributes": "[]", "userAttributes": json.dumps(attrs)},
                device_key=device_key,
            )
        device_challenge = self.devices.challenge_for(pool, client, user, device_key)
        if device_challenge is not None:
            return device_challenge
        return self.challenges.mfa_or_tokens(pool, client, user, device_key)
