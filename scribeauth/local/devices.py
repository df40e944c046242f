"""Remembered devices: device tracking per pool, device SRP, and the device calls.

A pool tracks devices when it has a ``DeviceConfiguration`` (off otherwise). Then:

- every sign-in without a known ``DEVICE_KEY`` returns ``NewDeviceMetadata`` (a device key and
  a device group key), and its refresh token is bound to that device: refreshing needs the key
  (``DEVICE_KEY`` / ``DeviceKey``) of a confirmed device, or answers "Invalid Refresh Token";
- ``ConfirmDevice`` stores the device's SRP verifier (the device password never leaves the
  client); with ``DeviceOnlyRememberedOnUserPrompt`` (user opt-in) it answers
  ``UserConfirmationNecessary`` and the device is remembered only after ``UpdateDeviceStatus``,
  otherwise ("always") at once;
- a sign-in that names a remembered device is answered with ``DEVICE_SRP_AUTH`` and
  ``DEVICE_PASSWORD_VERIFIER``; once the device is proven, MFA is skipped when the pool says
  ``ChallengeRequiredOnNewDevice``;
- ``ListDevices``, ``GetDevice``, ``UpdateDeviceStatus`` and ``ForgetDevice`` with an access token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import string
import uuid
from collections.abc import Mapping
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local import srp_server
from scribeauth.local.challenges import Challenges
from scribeauth.local.cognito_rules import (
    EXPIRED_SESSION,
    CognitoError,
    device_config,
    invalid,
    not_authorized,
    srp_public_a,
    srp_timestamp_ok,
)
from scribeauth.local.pool_state import SESSION_SECONDS, Device, PoolState, SrpState
from scribeauth.local.token_store import RefreshRecord

_GROUP_KEY_ALPHABET = string.ascii_letters + string.digits
_NO_DEVICE = "Device does not exist."
_BAD_VERIFIER = "DeviceSecretVerifierConfig needs a base64 Salt and PasswordVerifier"


class Devices:
    """Device tracking and device SRP for the strict pool.

    Args:
        state: the pool's shared state.
        challenges: the MFA steps a device proof may still lead to.
    """

    def __init__(self, state: PoolState, challenges: Challenges) -> None:
        self.state = state
        self.challenges = challenges

    # ----------------------------------------------------------------------------- sign-in
    def known(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, device_key: Any
    ) -> Device | None:
        """The user's tracked device ``device_key`` in ``pool``, or None."""
        device = self.state.devices.get(device_key) if isinstance(device_key, str) else None
        if device is None or device.pool_id != pool.id or device.username != user.username:
            return None
        return device

    def issue(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
    ) -> dict[str, Any]:
        """The tokens of a finished sign-in, with ``NewDeviceMetadata`` for a new device."""
        tokens = self.state.tokens
        if device_config(pool) is None:
            return tokens.sign_in(pool, client, user)
        now = self.state.now()
        device = self.known(pool, user, device_key)
        if device is not None:
            device.last_authenticated = now
            return tokens.sign_in(pool, client, user, device.key)
        # Cognito's group keys often start with "-", which command lines read as an option.
        group = "-" + "".join(secrets.choice(_GROUP_KEY_ALPHABET) for _ in range(9))
        device = Device(pool.id, user.username, f"{pool.region}_{uuid.uuid4()}", group, now)
        device.last_modified = device.last_authenticated = now
        self.state.devices[device.key] = device
        reply = tokens.sign_in(pool, client, user, device.key)
        reply["AuthenticationResult"]["NewDeviceMetadata"] = {
            "DeviceKey": device.key,
            "DeviceGroupKey": device.group_key,
        }
        return reply

    def challenge_for(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        user: CognitoIdpUser,
        device_key: str | None,
    ) -> dict[str, Any] | None:
        """``DEVICE_SRP_AUTH`` when the sign-in names a remembered device, else None."""
        if device_config(pool) is None:
            return None
        device = self.known(pool, user, device_key)
        if device is None or not device.confirmed or not device.remembered:
            return None
        return self.state.challenge(
            pool,
            client,
            user,
            "DEVICE_SRP_AUTH",
            {"USERNAME": user.username},
            device_key=device.key,
        )

    def check_refresh(self, record: RefreshRecord, given: Any) -> None:
        """A device-bound refresh token needs the key of its device, confirmed."""
        if record.device_key is None:
            return
        device = self.state.devices.get(record.device_key)
        if given != record.device_key or device is None or not device.confirmed:
            raise not_authorized("Invalid Refresh Token")

    # ----------------------------------------------------------------------------- device SRP
    def srp_auth(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str,
        token: Any,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Answer ``DEVICE_SRP_AUTH`` (``DEVICE_KEY``, ``SRP_A``) with DEVICE_PASSWORD_VERIFIER."""
        state = self.state
        session = state.open_session(token, client.id, "DEVICE_SRP_AUTH", username=username)
        device = state.devices.get(session.device_key or "")
        if device is None or answers.get("DEVICE_KEY") != device.key or device.verifier is None:
            raise not_authorized("Invalid device key given.")
        public_a = srp_public_a(answers.get("SRP_A"))
        del state.sessions[str(token)]
        exchange = srp_server.ServerExchange(device.verifier, secrets.randbits(256) | (1 << 255))
        block = base64.b64encode(secrets.token_bytes(96)).decode()
        state.srp[block] = SrpState(
            pool.id,
            client.id,
            username,
            True,
            exchange,
            public_a,
            state.now() + SESSION_SECONDS,
            device_key=device.key,
        )
        user = pool.users[username]
        return state.challenge(
            pool,
            client,
            user,
            "DEVICE_PASSWORD_VERIFIER",
            {
                "SALT": device.salt_hex or "",
                "SRP_B": format(exchange.public_b, "x"),
                "SECRET_BLOCK": block,
                "USERNAME": username,
                "DEVICE_KEY": device.key,
            },
            device_key=device.key,
        )

    def password_verifier(
        self,
        pool: CognitoIdpUserPool,
        client: CognitoIdpUserPoolClient,
        username: str,
        token: Any,
        answers: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Check a ``DEVICE_PASSWORD_VERIFIER`` answer; then tokens (or MFA)."""
        state = self.state
        session = state.open_session(
            token, client.id, "DEVICE_PASSWORD_VERIFIER", username=username
        )
        for required in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
            if not isinstance(answers.get(required), str) or not answers.get(required):
                raise invalid(f"Missing required parameter {required}")
        del state.sessions[str(token)]
        block = str(answers["PASSWORD_CLAIM_SECRET_BLOCK"])
        srp = state.srp.pop(block, None)
        device = state.devices.get(session.device_key or "")
        if (
            srp is None
            or device is None
            or srp.device_key != device.key
            or answers.get("DEVICE_KEY") != device.key
            or srp.user_id_for_srp != username
        ):
            raise not_authorized()
        now = state.now()
        if now >= srp.expires_at:
            raise not_authorized(EXPIRED_SESSION)
        timestamp = str(answers["TIMESTAMP"])
        key = srp.exchange.session_key(srp.public_a)
        if key is None or not srp_timestamp_ok(timestamp, now):
            raise not_authorized()
        expected = srp_server.device_claim_signature(
            key, device.group_key, device.key, block, timestamp
        )
        signature = str(answers["PASSWORD_CLAIM_SIGNATURE"])
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise not_authorized()
        user = pool.users[username]
        device.last_authenticated = now
        if (device_config(pool) or {}).get("ChallengeRequiredOnNewDevice"):
            return self.issue(pool, client, user, device.key)
        return self.challenges.mfa_or_tokens(pool, client, user, device.key)

    # ----------------------------------------------------------------------------- device calls
    def _own_device(self, params: Mapping[str, Any]) -> tuple[CognitoIdpUserPool, Device]:
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.state.user_for_access_token(access)
        key = params.get("DeviceKey")
        if not isinstance(key, str) or not key:
            raise invalid("Missing required parameter DeviceKey")
        device = self.known(pool, user, key)
        if device is None:
            raise CognitoError("ResourceNotFoundException", _NO_DEVICE)
        return pool, device

    def confirm_device(self, params: dict[str, Any]) -> dict[str, Any]:
        """ConfirmDevice: store the device's SRP verifier and salt."""
        pool, device = self._own_device(params)
        config = device_config(pool)
        if config is None:
            raise invalid("Device tracking is not enabled for the user pool.")
        if device.confirmed:
            raise invalid("Device has already been confirmed.")
        verifier_config = params.get("DeviceSecretVerifierConfig") or {}
        try:
            salt = base64.b64decode(str(verifier_config["Salt"]), validate=True)
            verifier = base64.b64decode(str(verifier_config["PasswordVerifier"]), validate=True)
        except (KeyError, TypeError, binascii.Error):
            raise invalid(_BAD_VERIFIER) from None
        if not salt or not verifier or int.from_bytes(verifier, "big") % srp_server.N == 0:
            raise invalid(_BAD_VERIFIER)
        opt_in = bool(config.get("DeviceOnlyRememberedOnUserPrompt"))
        device.salt_hex = salt.hex()
        device.verifier = int.from_bytes(verifier, "big")
        name = params.get("DeviceName")
        device.name = name if isinstance(name, str) else None
        device.remembered = not opt_in
        device.last_modified = self.state.now()
        return {"UserConfirmationNecessary": opt_in}

    def update_device_status(self, params: dict[str, Any]) -> dict[str, Any]:
        """UpdateDeviceStatus: remembered or not_remembered."""
        _, device = self._own_device(params)
        status = params.get("DeviceRememberedStatus")
        if status not in ("remembered", "not_remembered"):
            raise invalid("DeviceRememberedStatus must be remembered or not_remembered")
        if not device.confirmed:
            raise CognitoError("ResourceNotFoundException", _NO_DEVICE)
        device.remembered = status == "remembered"
        device.last_modified = self.state.now()
        return {}

    def get_device(self, params: dict[str, Any]) -> dict[str, Any]:
        """GetDevice."""
        _, device = self._own_device(params)
        return {"Device": _device_json(device)}

    def forget_device(self, params: dict[str, Any]) -> dict[str, Any]:
        """ForgetDevice: the device and its binding are gone (its refresh tokens die)."""
        _, device = self._own_device(params)
        del self.state.devices[device.key]
        return {}

    def list_devices(self, params: dict[str, Any]) -> dict[str, Any]:
        """ListDevices: the user's confirmed devices, ``Limit`` at a time."""
        access = params.get("AccessToken")
        if not isinstance(access, str) or not access:
            raise invalid("Missing required parameter AccessToken")
        pool, user = self.state.user_for_access_token(access)
        mine = [
            d
            for d in self.state.devices.values()
            if d.pool_id == pool.id and d.username == user.username and d.confirmed
        ]
        limit = params.get("Limit", 60)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= 60:
            raise invalid("Limit must be between 0 and 60")
        start = params.get("PaginationToken")
        offset = int(start) if isinstance(start, str) and start.isdigit() else 0
        page = mine[offset : offset + (limit or 60)]
        reply: dict[str, Any] = {"Devices": [_device_json(d) for d in page]}
        if offset + len(page) < len(mine):
            reply["PaginationToken"] = str(offset + len(page))
        return reply


def _device_json(device: Device) -> dict[str, Any]:
    attributes = [
        {"Name": "device_status", "Value": "valid"},
        {
            "Name": "dev:device_remembered_status",
            "Value": "remembered" if device.remembered else "not_remembered",
        },
    ]
    if device.name:
        attributes.append({"Name": "device_name", "Value": device.name})
    return {
        "DeviceKey": device.key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created,
        "DeviceLastModifiedDate": device.last_modified,
        "DeviceLastAuthenticatedDate": device.last_authenticated,
    }
