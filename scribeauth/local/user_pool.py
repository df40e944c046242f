"""A strict Cognito user pool (cognito-idp) on top of moto's backend.

moto keeps the pools, app clients, users, passwords and the token signing key; this module routes
every call where moto is lax to the module that makes it strict, and hands the rest to moto:

- ``auth_flows``: ``InitiateAuth`` (USER_SRP_AUTH with real SRP-6a, USER_PASSWORD_AUTH, the app
  client's ``ExplicitAuthFlows``, SECRET_HASH, lock-out, ``PreventUserExistenceErrors``) and
  ``PASSWORD_VERIFIER``;
- ``user_auth``: choice-based sign-in (``USER_AUTH``, ``SELECT_CHALLENGE``, passwordless codes);
- ``challenges``: NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP, SMS_OTP,
  SELECT_MFA_TYPE, MFA_SETUP and ``AssociateSoftwareToken`` / ``VerifySoftwareToken``;
- ``devices``: device tracking, ``DEVICE_SRP_AUTH`` / ``DEVICE_PASSWORD_VERIFIER``,
  ``ConfirmDevice``, ``UpdateDeviceStatus``, ``ListDevices``, ``GetDevice``, ``ForgetDevice``;
- ``token_ops``: refresh (``REFRESH_TOKEN_AUTH``, ``GetTokensFromRefreshToken`` with rotation),
  ``RevokeToken``, ``GlobalSignOut``;
- ``passwords``: ``ChangePassword``, ``ForgotPassword``, ``ConfirmForgotPassword``;
- ``pool_state``: the state and lookups they share (sessions, codes, lock-out, the token store).

Everything else (GetUser, admin calls, ...) is served by moto's own response class, after the
access-token and SECRET_HASH rules; an administrator's password reset also ends a lock-out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.request import Request

from scribeauth.local.auth_flows import AuthFlows
from scribeauth.local.challenges import MFA_CHALLENGES, Challenges
from scribeauth.local.cognito_rules import CognitoError, check_secret_hash, invalid
from scribeauth.local.devices import Devices
from scribeauth.local.passwords import Passwords
from scribeauth.local.pool_state import PoolState, UserExtra
from scribeauth.local.token_ops import TokenOps
from scribeauth.local.user_auth import UserAuth

__all__ = ["JSON_TYPE", "TARGET_PREFIX", "StrictUserPool", "UserExtra"]

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_TYPE = "application/x-amz-json-1.1"
_ADMIN_RESETS = frozenset({"AdminSetUserPassword", "AdminResetUserPassword"})


class StrictUserPool(PoolState):
    """The cognito-idp service of a local stack.

    Args:
        account_id: the moto account this stack's pools live in (one per stack).
        region: the stack's region.
        now: the stack clock (epoch seconds).
        token_lifetime: id/access token lifetime in seconds (may be changed at runtime).
    """

    def __init__(
        self, *, account_id: str, region: str, now: Callable[[], float], token_lifetime: int = 3600
    ) -> None:
        super().__init__(
            account_id=account_id, region=region, now=now, token_lifetime=token_lifetime
        )
        self.challenges = Challenges(self, self._issue_tokens)
        self.devices_ops = Devices(self, self.challenges)
        self.token_ops = TokenOps(self, self.devices_ops)
        self.flows = AuthFlows(self, self.challenges, self.devices_ops, self.token_ops.refresh_flow)
        self.user_auth = UserAuth(self, self.flows, self.challenges)
        self.passwords = Passwords(self)

    def mfa_methods(self, pool: CognitoIdpUserPool, user: CognitoIdpUser) -> list[str]:
        """The MFA methods a user has enabled, in Cognito's order."""
        return self.challenges.mfa_methods(pool, user)

    # ----------------------------------------------------------------------------- dispatch
    def handle(self, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve one cognito-idp call (JSON 1.1 body in, status, headers, body out)."""
        headers = {"Content-Type": JSON_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
        try:
            params = json.loads(body or b"{}")
            if not isinstance(params, dict):
                raise invalid("Request body must be a JSON object")
        except ValueError:
            return self._error(CognitoError("SerializationException", "Malformed JSON"), headers)
        handler = self._handlers().get(operation)
        with self.lock:
            try:
                if handler is not None:
                    return 200, headers, json.dumps(handler(params)).encode()
                self._precheck(operation, params)
                status, reply_headers, data = self._delegate(operation, body)
                if status == 200 and operation in _ADMIN_RESETS:
                    self.clear_lockout(str(params.get("UserPoolId")), str(params.get("Username")))
                return status, reply_headers, data
            except CognitoError as err:
                return self._error(err, headers)

    @staticmethod
    def _error(err: CognitoError, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        headers = {**headers, "x-amzn-ErrorType": err.code}
        body = json.dumps({"__type": err.code, "message": err.message}).encode()
        return err.status, headers, body

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "InitiateAuth": self._initiate_auth,
            "RespondToAuthChallenge": self._respond_to_auth_challenge,
            "GetTokensFromRefreshToken": self.token_ops.get_tokens_from_refresh_token,
            "ConfirmDevice": self.devices_ops.confirm_device,
            "UpdateDeviceStatus": self.devices_ops.update_device_status,
            "ListDevices": self.devices_ops.list_devices,
            "GetDevice": self.devices_ops.get_device,
            "ForgetDevice": self.devices_ops.forget_device,
            "AssociateSoftwareToken": self.challenges.associate_software_token,
            "VerifySoftwareToken": self.challenges.verify_software_token,
            "RevokeToken": self.token_ops.revoke_token,
            "GlobalSignOut": self.token_ops.global_sign_out,
            "ChangePassword": self.passwords.change_password,
            "ForgotPassword": self.passwords.forgot_password,
            "ConfirmForgotPassword": self.passwords.confirm_forgot_password,
        }

    def _initiate_auth(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("AuthFlow") == "USER_AUTH":
            return self.user_auth.initiate(params)
        return self.flows.initiate_auth(params)

    def _respond_to_auth_challenge(self, params: dict[str, Any]) -> dict[str, Any]:
        pool, client = self.client(params.get("ClientId"))
        name = params.get("ChallengeName")
        answers = params.get("ChallengeResponses") or {}
        username = answers.get("USERNAME")
        if not isinstance(username, str) or not username:
            raise invalid("Missing required parameter USERNAME")
        check_secret_hash(client, answers.get("SECRET_HASH"), [username])
        session = params.get("Session")
        if name == "PASSWORD_VERIFIER":
            return self.flows.password_verifier(pool, client, username, answers)
        if name == "SELECT_CHALLENGE":
            return self.user_auth.select(pool, client, username, session, answers)
        if name == "DEVICE_SRP_AUTH":
            return self.devices_ops.srp_auth(pool, client, username, session, answers)
        if name == "DEVICE_PASSWORD_VERIFIER":
            return self.devices_ops.password_verifier(pool, client, username, session, answers)
        if name not in MFA_CHALLENGES:
            raise invalid(f"Unsupported challenge {name}")
        return self.challenges.respond(pool, client, str(name), username, session, answers)

    def _issue_tokens(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
    ) -> dict[str, Any]:
        return self.devices_ops.issue(pool, client, user, device_key)

    def _precheck(self, operation: str, params: Mapping[str, Any]) -> None:
        # Calls moto serves still get Cognito's token and secret-hash rules first.
        if isinstance(params.get("AccessToken"), str):
            self.user_for_access_token(params["AccessToken"])
        if operation in {"SignUp", "ConfirmSignUp", "ResendConfirmationCode"}:
            _, client = self.client(params.get("ClientId"))
            check_secret_hash(client, params.get("SecretHash"), [str(params.get("Username"))])

    def _delegate(self, operation: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        request = Request.from_primitives(
            "POST",
            f"https://cognito-idp.{self.region}.amazonaws.com/",
            {
                "X-Amz-Target": TARGET_PREFIX + operation,
                "Content-Type": JSON_TYPE,
                "x-moto-account-id": self.account_id,
            },
            body,
        )
        status, raw_headers, raw_body = CognitoIdpResponse.dispatch(request)
        headers = {
            str(k): str(v)
            for k, v in dict(raw_headers).items()
            if str(k).lower() not in {"status", "content-length", "server", "date"}
            and not str(k).lower().startswith("x-moto")
        }
        headers.setdefault("Content-Type", JSON_TYPE)
        data = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body or b"")
        return int(dict(raw_headers).get("status", status)), headers, data
