"""Password calls: ``ChangePassword``, ``ForgotPassword`` and ``ConfirmForgotPassword``.

New passwords meet the pool's policy; reset codes expire after an hour and are readable via
``last_code``. An unknown user gets the same answer as a known one when the app client's
``PreventUserExistenceErrors`` is ENABLED, and ``UserNotFoundException`` when it is LEGACY.
"""

from __future__ import annotations

import hmac
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient, UserStatus

from scribeauth.local.cognito_rules import (
    CognitoError,
    check_password_policy,
    check_secret_hash,
    hides_users,
    invalid,
    mask_destination,
    new_code,
    not_authorized,
)
from scribeauth.local.pool_state import CODE_SECONDS, Code, PoolState

USER_CLIENT_NOT_FOUND = "Username/client id combination not found."


class Passwords:
    """Changing and resetting passwords.

    Args:
        state: the pool's shared state.
    """

    def __init__(self, state: PoolState) -> None:
        self.state = state

    def change_password(self, params: dict[str, Any]) -> dict[str, Any]:
        """ChangePassword (access token, previous and proposed password)."""
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.state.user_for_access_token(access)
        previous = params.get("PreviousPassword")
        if (
            not isinstance(previous, str)
            or user.password is None
            or not hmac.compare_digest(previous.encode(), user.password.encode())
        ):
            raise not_authorized()
        proposed = params.get("ProposedPassword")
        check_password_policy(pool, proposed)
        user.password = str(proposed)
        return {}

    def _named_user(
        self, params: dict[str, Any]
    ) -> tuple[CognitoIdpUserPool, CognitoIdpUserPoolClient, str]:
        """The pool, client and typed ``Username`` of a call, its ``SecretHash`` checked."""
        pool, client = self.state.client(params.get("ClientId"))
        typed = params.get("Username")
        if not isinstance(typed, str) or not typed:
            raise invalid("Missing required parameter Username")
        check_secret_hash(client, params.get("SecretHash"), [typed])
        return pool, client, typed

    def forgot_password(self, params: dict[str, Any]) -> dict[str, Any]:
        """ForgotPassword: "e-mail" a reset code."""
        state = self.state
        pool, client, typed = self._named_user(params)
        user = state.resolve_user(pool, typed)
        if user is None and not hides_users(client):
            raise CognitoError("UserNotFoundException", USER_CLIENT_NOT_FOUND)
        email = str(user.attribute_lookup.get("email", "")) if user else f"{typed}@example.com"
        if user is not None:
            if not email:
                raise invalid(
                    "Cannot reset password for the user as there is no registered/verified "
                    "email or phone_number"
                )
            code = new_code()
            state.reset_codes[(pool.id, user.username)] = Code(code, state.now() + CODE_SECONDS)
            state.record_code(
                pool,
                user,
                code,
                purpose="FORGOT_PASSWORD",
                medium="EMAIL",
                destination=mask_destination(email),
            )
        # An unknown user gets the same answer (no user enumeration).
        return {
            "CodeDeliveryDetails": {
                "Destination": mask_destination(email or "x@example.com"),
                "DeliveryMedium": "EMAIL",
                "AttributeName": "email",
            }
        }

    def confirm_forgot_password(self, params: dict[str, Any]) -> dict[str, Any]:
        """ConfirmForgotPassword: the code sent and a new password."""
        state = self.state
        pool, client, typed = self._named_user(params)
        mismatch = CognitoError(
            "CodeMismatchException", "Invalid verification code provided, please try again."
        )
        user = state.resolve_user(pool, typed)
        if user is None and not hides_users(client):
            raise CognitoError("UserNotFoundException", USER_CLIENT_NOT_FOUND)
        if user is None:
            raise mismatch
        stored = state.reset_codes.get((pool.id, user.username))
        given = params.get("ConfirmationCode")
        if stored is None or not isinstance(given, str):
            raise mismatch
        if state.now() >= stored.expires_at:
            raise CognitoError(
                "ExpiredCodeException", "Invalid code provided, please request a code again."
            )
        if not hmac.compare_digest(stored.value, given):
            raise mismatch
        check_password_policy(pool, params.get("Password"))
        del state.reset_codes[(pool.id, user.username)]
        user.password = str(params["Password"])
        user.status = UserStatus.CONFIRMED
        return {}
