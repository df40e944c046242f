"""The signed-in user's calls that are not sign-in steps: devices, revoke, passwords.

A part of :class:`scribeauth.login.SignIn` (mixed in), kept here to keep that module small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from . import devices
from .models import RememberedDevice, Tokens
from .user_pool import UserPoolClient

__all__ = ["AccountCalls"]


class _SignInState(Protocol):
    """What these calls use of :class:`~scribeauth.login.SignIn`."""

    _pool: UserPoolClient
    _random_bytes: Callable[[int], bytes]
    device: RememberedDevice | None
    new_device: devices.NewDevice | None


class AccountCalls:
    """Calls on behalf of a signed-in user, mixed into :class:`~scribeauth.login.SignIn`."""

    device: RememberedDevice | None
    new_device: devices.NewDevice | None

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
