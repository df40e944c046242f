"""Cognito's remembered-device calls (ConfirmDevice, UpdateDeviceStatus, ListDevices,
ForgetDevice): a part of :class:`scribeauth.user_pool.UserPoolClient` (mixed in), kept here to
keep that module small. Every call goes through its ``_call``, worded as a ``device`` refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

__all__ = ["DeviceOperations"]


class _Caller(Protocol):
    """What these calls use of :class:`~scribeauth.user_pool.UserPoolClient`."""

    def _call(
        self, method: str, context: str, secrets: Iterable[Any], **params: Any
    ) -> dict[str, Any]: ...


class DeviceOperations:
    """The remembered-device calls, mixed into :class:`~scribeauth.user_pool.UserPoolClient`."""

    def confirm_device(
        self: _Caller,
        access_token: str,
        device_key: str,
        verifier_config: Mapping[str, str],
        device_name: str | None = None,
    ) -> bool:
        """ConfirmDevice: registers a new device with its SRP verifier.

        Returns:
            ``UserConfirmationNecessary``: whether the user is to be asked to remember it
            (device tracking "user opt-in"); then call :meth:`update_device_status`.
        """
        params: dict[str, Any] = {
            "AccessToken": access_token,
            "DeviceKey": device_key,
            "DeviceSecretVerifierConfig": dict(verifier_config),
        }
        if device_name:
            params["DeviceName"] = device_name
        reply = self._call("confirm_device", "device", [access_token], **params)
        return reply.get("UserConfirmationNecessary") is True

    def update_device_status(
        self: _Caller, access_token: str, device_key: str, *, remembered: bool
    ) -> None:
        """UpdateDeviceStatus: remembered (MFA may be skipped on it) or not remembered."""
        self._call(
            "update_device_status",
            "device",
            [access_token],
            AccessToken=access_token,
            DeviceKey=device_key,
            DeviceRememberedStatus="remembered" if remembered else "not_remembered",
        )

    def list_devices(self: _Caller, access_token: str) -> list[dict[str, Any]]:
        """ListDevices: every device the signed-in user has, all pages."""
        devices: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(100):  # 60 a page: 6,000 devices is more than any user has
            params: dict[str, Any] = {"AccessToken": access_token, "Limit": 60}
            if token:
                params["PaginationToken"] = token
            reply = self._call("list_devices", "device", [access_token], **params)
            page = reply.get("Devices")
            if isinstance(page, list):
                devices.extend(dict(d) for d in page if isinstance(d, Mapping))
            token = reply.get("PaginationToken")
            if not isinstance(token, str) or not token:
                break
        return devices

    def forget_device(self: _Caller, access_token: str, device_key: str) -> None:
        """ForgetDevice: the device is no longer tracked (its key stops working)."""
        self._call(
            "forget_device",
            "device",
            [access_token],
            AccessToken=access_token,
            DeviceKey=device_key,
        )
