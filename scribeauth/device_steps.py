"""A remembered device's part in a sign-in: its key on every step, ``DEVICE_SRP_AUTH`` answered.

A part of :class:`scribeauth.login.SignIn` (mixed in), kept here to keep that module small. The
device itself (confirming, remembering, listing) is :mod:`scribeauth.devices`. If Cognito no
longer knows the device, or its proof fails, the sign-in starts again without it (as Amplify does)
and :attr:`DeviceSteps.device_dropped` says so (the caller forgets it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from . import devices
from .errors import ScribeAuthError, UnknownException
from .models import Challenge, RememberedDevice, Tokens
from .replies import parameters, session_of
from .user_pool import UserPoolClient, error_code

__all__ = ["DeviceSteps"]


class _SignInState(Protocol):
    """What the device steps use of :class:`~scribeauth.login.SignIn`."""

    _pool: UserPoolClient
    _now: Callable[[], datetime]
    _random_bytes: Callable[[int], bytes]
    _warn: Callable[[str], None]
    _device_failed: bool
    device: RememberedDevice | None
    device_dropped: bool

    def _outcome(self, reply: Mapping[str, Any], username: str) -> Tokens | Challenge: ...


class DeviceSteps:
    """The remembered device's steps, mixed into :class:`~scribeauth.login.SignIn`."""

    device: RememberedDevice | None
    #: Cognito did not know :attr:`device`: the sign-in went on without it (forget it).
    device_dropped: bool
    _device_failed: bool

    def _device_key(self) -> dict[str, str]:
        """``DEVICE_KEY`` for a sign-in step or refresh ({} without a remembered device)."""
        return {"DEVICE_KEY": self.device.key} if self.device is not None else {}

    def _drop_forgotten_device(self: _SignInState, err: ScribeAuthError) -> bool:
        """Whether ``err`` came of a device Cognito forgot (or whose proof failed); then the
        device is dropped, with a warning, for the sign-in to start again without it."""
        if self.device is None or not (self._device_failed or _device_unknown(err)):
            return False
        self._warn("Cognito no longer knows this device; signing in without it")
        self.device, self.device_dropped, self._device_failed = None, True, False
        return True

    def _prove_device(
        self: _SignInState, reply: Mapping[str, Any], username: str
    ) -> Tokens | Challenge:
        """Answers ``DEVICE_SRP_AUTH`` (and its verifier) with the remembered device."""
        if self.device is None:
            raise UnknownException(
                "Cognito asked for a remembered device's proof, but no device was sent; "
                "sign in again"
            )
        user = parameters(reply).get("USERNAME") or username
        try:
            answer = devices.answer_device_srp(
                self._pool,
                self.device,
                user,
                session_of(reply, required=True),
                self._now,
                self._random_bytes,
            )
        except ScribeAuthError:
            self._device_failed = True
            raise
        return self._outcome(answer, user)


def _device_unknown(err: BaseException) -> bool:
    """Cognito does not know the device key sent (Amplify's test: not found, "device")."""
    return error_code(err) == "ResourceNotFoundException" and "device" in str(err).lower()
