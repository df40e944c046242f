"""Remembered devices (Cognito device tracking), the way Amplify's Cognito client does them.

- After a sign-in whose reply carries ``NewDeviceMetadata``, the device is confirmed
  (``ConfirmDevice``) with an SRP verifier made from a fresh random device password and the
  device group key (:func:`confirm`). Cognito then says whether to ask the user to remember it
  (``UserConfirmationNecessary``: device tracking "user opt-in"); if so and the user agrees,
  ``UpdateDeviceStatus`` marks it remembered.
- Every later sign-in and refresh sends the device key; when Cognito answers a sign-in with
  ``DEVICE_SRP_AUTH``, :func:`answer_device_srp` proves the device holds its password, with a
  fresh SRP secret each attempt.

The device password lives in :class:`~scribeauth.models.RememberedDevice` (kept in the profile's
cache by :mod:`scribeauth.cache`, in a file of its own that ``logout`` keeps) and in the locals
here, nowhere else. A failure to confirm or remember a device never fails the sign-in: it is a
warning, and the next sign-in offers the device again.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import srp
from .errors import ConfigError, ScribeAuthError, UnknownException
from .models import RememberedDevice, Tokens
from .replies import srp_fields
from .user_pool import UserPoolClient

if TYPE_CHECKING:
    from .cache import ProfileCache
    from .login import SignIn
    from .session import ProfileSession

__all__ = [
    "DeviceCalls",
    "NewDevice",
    "answer_device_srp",
    "confirm",
    "device_name",
    "new_device_of",
    "settle_device",
]


@dataclass(frozen=True)
class NewDevice:
    """``NewDeviceMetadata`` of a sign-in reply: a device Cognito wants confirmed."""

    key: str
    group_key: str


def new_device_of(result: Mapping[str, Any]) -> NewDevice | None:
    """The ``NewDeviceMetadata`` in an ``AuthenticationResult``, or None."""
    metadata = result.get("NewDeviceMetadata")
    if not isinstance(metadata, Mapping):
        return None
    key, group = metadata.get("DeviceKey"), metadata.get("DeviceGroupKey")
    if not isinstance(key, str) or not key or not isinstance(group, str) or not group:
        return None
    return NewDevice(key=key, group_key=group)


def device_name() -> str:
    """The name ``scribeauth devices`` shows for this machine."""
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    return f"scribeauth on {host}" if host else "scribeauth"


def confirm(
    pool: UserPoolClient,
    access_token: str,
    new: NewDevice,
    random_bytes: Callable[[int], bytes],
    name: str | None = None,
) -> tuple[RememberedDevice, bool]:
    """ConfirmDevice with a verifier from a fresh random device password.

    Returns:
        The device to keep, and whether the user pool wants the user asked to remember it.
    """
    password = srp.new_device_password(random_bytes)
    salt = srp.new_device_salt(random_bytes)
    config = srp.device_verifier(new.group_key, new.key, password, salt)
    ask = pool.confirm_device(access_token, new.key, config, name or device_name())
    return RememberedDevice(key=new.key, group_key=new.group_key, password=password), ask


def answer_device_srp(
    pool: UserPoolClient,
    device: RememberedDevice,
    username: str,
    session: str,
    now: Callable[[], datetime],
    random_bytes: Callable[[int], bytes],
) -> dict[str, Any]:
    """Answers ``DEVICE_SRP_AUTH`` then ``DEVICE_PASSWORD_VERIFIER``; returns Cognito's reply.

    Args:
        pool: the app client.
        device: the remembered device Cognito asked about.
        username: the internal username (``USER_ID_FOR_SRP`` / the challenge's ``USERNAME``).
        session: the session of the ``DEVICE_SRP_AUTH`` challenge.
        now: the clock for the claim's timestamp.
        random_bytes: randomness for a fresh SRP secret (one per attempt).
    """
    a, big_a = srp.generate_a(random_bytes)
    reply = pool.respond_to_auth_challenge(
        "DEVICE_SRP_AUTH",
        session,
        {"USERNAME": username, "DEVICE_KEY": device.key, "SRP_A": srp.srp_a_hex(big_a)},
    )
    params = reply.get("ChallengeParameters")
    if reply.get("ChallengeName") != "DEVICE_PASSWORD_VERIFIER" or not isinstance(params, Mapping):
        raise UnknownException(
            "Cognito answered DEVICE_SRP_AUTH without a DEVICE_PASSWORD_VERIFIER challenge; "
            "sign in again"
        )
    srp_b, salt, block = srp_fields(params, "DEVICE_PASSWORD_VERIFIER", "sign in again")
    claim = srp.device_claim(
        device.group_key, device.key, device.password, a, big_a, srp_b, salt, block, now()
    )
    user = str(params.get("USERNAME") or username)
    next_session = reply.get("Session")
    return pool.respond_to_auth_challenge(
        "DEVICE_PASSWORD_VERIFIER",
        next_session if isinstance(next_session, str) else session,
        {"USERNAME": user, "DEVICE_KEY": device.key, **claim},
    )


def settle_device(
    client: SignIn,
    tokens: Tokens,
    cache: ProfileCache,
    *,
    remember: bool | None,
    ask: Callable[[], bool] | None,
    warn: Callable[[str], None],
) -> RememberedDevice | None:
    """After a sign-in: the device bookkeeping Amplify does, without ever failing the sign-in.

    Forgets a device Cognito no longer knew; confirms a new one (``NewDeviceMetadata``) and
    keeps it in the cache; when the pool wants the user asked (device tracking "user opt-in"),
    remembers it if ``remember`` says so, else if ``ask()`` (a terminal prompt) says yes.

    Args:
        client: the SignIn that just returned ``tokens``.
        tokens: the new tokens (their access token confirms the device).
        cache: the profile's cache (the device is saved there, 0600).
        remember: the ``--remember-device`` flag / ``scribe_remember_device`` setting; None:
            not given.
        ask: asks the person whether to remember this device; None: no terminal (then the
            device is confirmed but not remembered).
        warn: where a failure is reported (one line, no secret).

    Returns:
        The device this machine now has for the user, or None.
    """
    if client.device_dropped:
        cache.delete_device()
    try:
        found = client.confirm_new_device(tokens)
    except ScribeAuthError as err:
        warn(f"could not register this device with Cognito ({_why(err)}); signed in without it")
        return client.device
    if found is None:
        return client.device
    device, ask_user = found
    try:
        cache.save_device(device)
    except ScribeAuthError as err:
        warn(f"could not save this device ({_why(err)}); it will be offered again next time")
        return None
    if ask_user:
        choice = remember if remember is not None else (ask() if ask is not None else False)
        if choice:
            try:
                client.set_device_remembered(tokens.access_token, device.key, True)
            except ScribeAuthError as err:
                warn(f"could not remember this device at Cognito ({_why(err)})")
    return device


def _why(err: ScribeAuthError) -> str:
    text = str(err)
    return text if len(text) <= 160 else type(err).__name__


class DeviceCalls:
    """``scribeauth devices`` and ``logout --forget-device`` for one profile's signed-in user.

    Args:
        broker: the profile's broker (its session, renewed when the access token expired).
    """

    def __init__(self, broker: ProfileSession) -> None:
        self._broker = broker

    def list(self) -> tuple[list[dict[str, Any]], str | None]:
        """The user's devices at Cognito (ListDevices) and this machine's device key, if any.

        Raises:
            SignInRequired: not signed in.
        """
        tokens = self._broker.live_tokens()
        found = self._broker.sign_in_client().list_devices(tokens.access_token)
        mine = self._broker.cache.load_device()
        return found, mine.key if mine is not None else None

    def forget(self, device_key: str | None = None) -> str:
        """ForgetDevice: Cognito forgets the device (default: this machine's, which is then
        removed from the cache too). Returns the key forgotten.

        Raises:
            SignInRequired: not signed in.
            ConfigError: no key given and this machine has no remembered device.
        """
        cache = self._broker.cache
        mine = cache.load_device()
        key = device_key or (mine.key if mine is not None else None)
        if not key:
            name = self._broker.profile.name
            raise ConfigError(
                f"profile '{name}' has no remembered device on this machine; name one: "
                "scribeauth devices forget DEVICE_KEY (see: scribeauth devices)"
            )
        tokens = self._broker.live_tokens()
        self._broker.sign_in_client().forget_device(tokens.access_token, key)
        if mine is not None and mine.key == key:
            cache.delete_device()
        return key

    def forget_this(self) -> None:
        """Cognito forgets this machine's device when the session still allows it; the cache
        forgets it whatever happens."""
        if self._broker.cache.load_device() is None:
            return
        try:
            self.forget()
        except ScribeAuthError as err:
            import logging

            logging.getLogger(__name__).warning(
                "could not make Cognito forget this device (%s); removed here", err
            )
        self._broker.cache.delete_device()
