"""The signed-in user's calls that are not sign-in steps: refresh, devices, revoke, passwords.

A refresh uses GetTokensFromRefreshToken (refresh-token rotation: the reply may carry a new
refresh token), and REFRESH_TOKEN_AUTH only where the endpoint or botocore does not know that
operation (``UnknownOperationException``). REFRESH_TOKEN_AUTH for a confidential client hashes
the internal username (``cognito:username``). A remembered device's key goes with either.

A part of :class:`scribeauth.login.SignIn` (mixed in), kept here to keep that module small.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from . import devices
from .errors import ServiceError, UnknownException
from .models import Challenge, Jwt, RememberedDevice, Tokens
from .replies import code_of
from .user_pool import UserPoolClient, operation_unknown

__all__ = ["AccountCalls", "can_revoke"]

_log = logging.getLogger("scribeauth.login")


def can_revoke(tokens: Tokens) -> bool:
    """Whether RevokeToken can work for these tokens.

    Cognito only revokes refresh tokens issued while token revocation was on, and marks the
    tokens they issue with ``origin_jti`` (the rule Amplify follows).
    """
    for raw in (tokens.access_token, tokens.id_token):
        try:
            if "origin_jti" in Jwt.parse(raw).claims:
                return True
        except UnknownException:
            continue
    return False


class _SignInState(Protocol):
    """What these calls use of :class:`~scribeauth.login.SignIn`."""

    _pool: UserPoolClient
    _random_bytes: Callable[[int], bytes]
    device: RememberedDevice | None
    new_device: devices.NewDevice | None

    def _device_key(self) -> dict[str, str]: ...

    def _outcome(self, reply: Mapping[str, Any], username: str) -> Tokens | Challenge: ...


class AccountCalls:
    """Calls on behalf of a signed-in user, mixed into :class:`~scribeauth.login.SignIn`."""

    device: RememberedDevice | None
    new_device: devices.NewDevice | None

    # -- tokens ------------------------------------------------------------------------------

    def refresh(self: _SignInState, refresh_token: str, *, username: str | None = None) -> Tokens:
        """New id and access tokens from a refresh token: GetTokensFromRefreshToken (one call;
        REFRESH_TOKEN_AUTH instead where that operation is unknown), with the device key.

        The rule for the fallback: only when the endpoint answers ``UnknownOperationException``
        or the installed botocore lacks the operation (:func:`~scribeauth.user_pool.
        operation_unknown`). A client with rotation refuses REFRESH_TOKEN_AUTH, so it is never
        tried after any other refusal.

        Args:
            refresh_token: the refresh token.
            username: the internal username (``Tokens.username`` of the old tokens); needed only
                for REFRESH_TOKEN_AUTH with an app client with a secret (GetTokensFromRefreshToken
                takes the client secret itself).

        Returns:
            The new tokens, keeping ``refresh_token`` unless Cognito rotated it (then the new
            one: save it before anyone else refreshes, the old one dies after the grace period).

        Raises:
            UnauthorizedException: the refresh token is revoked, expired, rotated or unknown.
        """
        device_key = self.device.key if self.device is not None else None
        try:
            reply = self._pool.get_tokens_from_refresh_token(refresh_token, device_key=device_key)
        except ServiceError as err:
            if not operation_unknown(err):
                raise
            _log.debug("GetTokensFromRefreshToken unknown here; refreshing with REFRESH_TOKEN_AUTH")
            reply = self._pool.initiate_auth(
                "REFRESH_TOKEN_AUTH",
                {"REFRESH_TOKEN": refresh_token, **self._device_key()},
                secret_hash_username=username,
            )
        result = self._outcome(reply, username or "")
        if isinstance(result, Challenge):
            raise UnknownException(
                f"Cognito answered a refresh with the {result.name} challenge; sign in again"
            )
        return result.with_refresh_token(refresh_token)

    # -- remembered devices ------------------------------------------------------------------

    def confirm_new_device(
        self: _SignInState, tokens: Tokens
    ) -> tuple[RememberedDevice, bool] | None:
        """Confirms the device the last sign-in's ``NewDeviceMetadata`` named (ConfirmDevice).

        Returns:
            None when there was none; else the device to keep (it becomes :attr:`device`) and
            whether the user pool wants the user asked to remember it (then
            :meth:`set_device_remembered`).
        """
        if self.new_device is None:
            return None
        found = devices.confirm(
            self._pool, tokens.access_token, self.new_device, self._random_bytes
        )
        self.device, self.new_device = found[0], None
        return found

    def set_device_remembered(
        self: _SignInState, access_token: str, device_key: str, remembered: bool
    ) -> None:
        """UpdateDeviceStatus: remembered (MFA may be skipped on it) or not."""
        self._pool.update_device_status(access_token, device_key, remembered=remembered)

    def list_devices(self: _SignInState, access_token: str) -> list[dict[str, Any]]:
        """The user's devices (ListDevices, every page)."""
        return self._pool.list_devices(access_token)

    def forget_device(self: _SignInState, access_token: str, device_key: str) -> None:
        """ForgetDevice: Cognito stops tracking the device."""
        self._pool.forget_device(access_token, device_key)

    def revoke(self: _SignInState, refresh_token: str) -> None:
        """Revokes a refresh token (and the tokens it issued) at Cognito."""
        self._pool.revoke_token(refresh_token)

    def global_sign_out(self: _SignInState, access_token: str) -> None:
        """Signs the user out everywhere: all their refresh tokens stop working."""
        self._pool.global_sign_out(access_token)

    def change_password(self: _SignInState, access_token: str, old: str, new: str) -> None:
        """Changes the signed-in user's password."""
        self._pool.change_password(access_token, old, new)

    def forgot_password(self: _SignInState, username: str) -> dict[str, Any]:
        """Asks Cognito to send a password-reset code; returns where it went."""
        return self._pool.forgot_password(username)

    def confirm_forgot_password(
        self: _SignInState, username: str, code: str, new_password: str
    ) -> None:
        """Sets a new password with the code :meth:`forgot_password` sent."""
        self._pool.confirm_forgot_password(username, code_of(code), new_password)
