"""Remembered devices on the strict local stack: device tracking modes and device SRP.

The device side is played by ``tests/local_srp_client.py`` (amazon-cognito-identity-js's device
conventions, written independently of the stack's server code) over raw boto3 clients.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from local_raw import error_of, idp
from local_srp_client import TestSrpClient, device_verifier

from scribeauth.local.stack import LocalStack

JS_DIR = Path(__file__).parent / "js-cognito"
DEVICE_KEY = re.compile(r"[\w-]+_[0-9a-f-]+")


class Hank:
    """hank's side of the conversation: password, TOTP, and what the device remembers."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.user = stack.seed.users["hank"]
        self.client = idp(stack)
        self.device_key: str | None = None
        self.group_key = ""
        self.device_password = ""

    def password_step(self) -> dict[str, Any]:
        srp = TestSrpClient(self.user.user_pool_id, self.user.password)
        auth = {"USERNAME": "hank", "SRP_A": srp.srp_a}
        if self.device_key:
            auth["DEVICE_KEY"] = self.device_key
        start = self.client.initiate_auth(
            ClientId=self.user.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=auth
        )
        answers = srp.answer(start["ChallengeParameters"])
        if self.device_key:
            answers["DEVICE_KEY"] = self.device_key
        reply: dict[str, Any] = self.client.respond_to_auth_challenge(
            ClientId=self.user.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answers,
        )
        return reply

    def totp_step(self, reply: dict[str, Any]) -> dict[str, Any]:
        assert reply["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        assert self.user.totp_secret is not None
        code = pyotp.TOTP(self.user.totp_secret).at(int(self.stack.now()))
        done: dict[str, Any] = self.client.respond_to_auth_challenge(
            ClientId=self.user.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "hank", "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        return done

    def device_step(self, reply: dict[str, Any], password: str | None = None) -> dict[str, Any]:
        assert reply["ChallengeName"] == "DEVICE_SRP_AUTH"
        assert self.device_key is not None
        srp = TestSrpClient.for_device(self.group_key, password or self.device_password)
        verifier = self.client.respond_to_auth_challenge(
            ClientId=self.user.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=reply["Session"],
            ChallengeResponses={
                "USERNAME": "hank",
                "DEVICE_KEY": self.device_key,
                "SRP_A": srp.srp_a,
            },
        )
        assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
        done: dict[str, Any] = self.client.respond_to_auth_challenge(
            ClientId=self.user.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier["Session"],
            ChallengeResponses=srp.answer_device(verifier["ChallengeParameters"], self.device_key),
        )
        return done

    def confirm(self, access_token: str, metadata: dict[str, str]) -> bool:
        self.device_key, self.group_key = metadata["DeviceKey"], metadata["DeviceGroupKey"]
        self.device_password, config = device_verifier(self.group_key, self.device_key)
        reply = self.client.confirm_device(
            AccessToken=access_token,
            DeviceKey=self.device_key,
            DeviceSecretVerifierConfig=config,
            DeviceName="hank's laptop",
        )
        return bool(reply["UserConfirmationNecessary"])

    def refresh(self, refresh_token: str, device_key: str | None) -> dict[str, Any]:
        auth = {"REFRESH_TOKEN": refresh_token}
        if device_key is not None:
            auth["DEVICE_KEY"] = device_key
        reply: dict[str, Any] = self.client.initiate_auth(
            ClientId=self.user.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=auth
        )
        return reply


def test_opt_in_device_first_mfa_then_device_srp_instead(scribe_stack: LocalStack) -> None:
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    metadata = first["NewDeviceMetadata"]
    assert DEVICE_KEY.fullmatch(metadata["DeviceKey"])
    assert metadata["DeviceGroupKey"]
    assert hank.confirm(first["AccessToken"], metadata) is True  # user opt-in pool

    # Confirmed but not remembered yet: MFA as before, and no new device.
    again = hank.totp_step(hank.password_step())["AuthenticationResult"]
    assert "NewDeviceMetadata" not in again
    hank.client.update_device_status(
        AccessToken=again["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceRememberedStatus="remembered",
    )

    # Remembered: the password, then device SRP, and no MFA code.
    reply = hank.password_step()
    assert reply["ChallengeName"] == "DEVICE_SRP_AUTH"
    done = hank.device_step(reply)["AuthenticationResult"]
    assert {"IdToken", "RefreshToken"} <= set(done)
    assert "NewDeviceMetadata" not in done
    assert scribe_stack.recorder.count("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA") == 2


def test_a_wrong_device_password_is_refused(scribe_stack: LocalStack) -> None:
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    hank.confirm(first["AccessToken"], first["NewDeviceMetadata"])
    hank.client.update_device_status(
        AccessToken=first["AccessToken"],
        DeviceKey=str(hank.device_key),
        DeviceRememberedStatus="remembered",
    )
    with pytest.raises(ClientError) as excinfo:
        hank.device_step(hank.password_step(), password="not-the-device-password")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_refresh_needs_the_confirmed_device_key(scribe_stack: LocalStack) -> None:
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    key = first["NewDeviceMetadata"]["DeviceKey"]
    for given in (None, key):  # no key; the key of a device not yet confirmed
        with pytest.raises(ClientError) as excinfo:
            hank.refresh(first["RefreshToken"], given)
        assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Refresh Token")
    hank.confirm(first["AccessToken"], first["NewDeviceMetadata"])
    assert "IdToken" in hank.refresh(first["RefreshToken"], key)["AuthenticationResult"]
    with pytest.raises(ClientError):
        hank.refresh(first["RefreshToken"], "eu-west-2_00000000-0000-0000-0000-000000000000")
    tokens = hank.client.get_tokens_from_refresh_token(
        RefreshToken=first["RefreshToken"], ClientId=hank.user.client_id, DeviceKey=key
    )
    assert "IdToken" in tokens["AuthenticationResult"]


def test_list_get_and_forget_devices(scribe_stack: LocalStack) -> None:
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    access = first["AccessToken"]
    assert hank.client.list_devices(AccessToken=access)["Devices"] == []  # not confirmed yet
    hank.confirm(access, first["NewDeviceMetadata"])
    key = str(hank.device_key)
    listed = hank.client.list_devices(AccessToken=access)["Devices"]
    assert [d["DeviceKey"] for d in listed] == [key]
    attributes = {a["Name"]: a["Value"] for a in listed[0]["DeviceAttributes"]}
    assert attributes["device_name"] == "hank's laptop"
    assert attributes["dev:device_remembered_status"] == "not_remembered"
    got = hank.client.get_device(AccessToken=access, DeviceKey=key)["Device"]
    assert got["DeviceKey"] == key
    hank.client.forget_device(AccessToken=access, DeviceKey=key)
    assert hank.client.list_devices(AccessToken=access)["Devices"] == []
    with pytest.raises(ClientError) as excinfo:
        hank.refresh(first["RefreshToken"], key)
    assert error_of(excinfo)[1] == "Invalid Refresh Token"
    # A forgotten device is a new device again: MFA, and new metadata.
    after = hank.totp_step(hank.password_step())["AuthenticationResult"]
    assert after["NewDeviceMetadata"]["DeviceKey"] != key


def test_always_remember_mode_needs_no_user_confirmation(scribe_stack: LocalStack) -> None:
    pool = scribe_stack.user_pool.pool(scribe_stack.seed.devices_pool.user_pool_id)
    pool.extended_config["DeviceConfiguration"] = {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    }
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    assert hank.confirm(first["AccessToken"], first["NewDeviceMetadata"]) is False
    done = hank.device_step(hank.password_step())["AuthenticationResult"]
    assert "IdToken" in done


def test_without_challenge_required_on_new_device_mfa_follows_device_srp(
    scribe_stack: LocalStack,
) -> None:
    pool = scribe_stack.user_pool.pool(scribe_stack.seed.devices_pool.user_pool_id)
    pool.extended_config["DeviceConfiguration"] = {
        "ChallengeRequiredOnNewDevice": False,
        "DeviceOnlyRememberedOnUserPrompt": False,
    }
    hank = Hank(scribe_stack)
    first = hank.totp_step(hank.password_step())["AuthenticationResult"]
    hank.confirm(first["AccessToken"], first["NewDeviceMetadata"])
    proven = hank.device_step(hank.password_step())
    assert "IdToken" in hank.totp_step(proven)["AuthenticationResult"]


def test_a_pool_without_device_tracking_has_no_device_calls(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    client = idp(scribe_stack)
    result = client.initiate_auth(
        ClientId=alice.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": alice.password},
    )["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    _, config = device_verifier("-abc", "eu-west-2_0")
    with pytest.raises(ClientError) as excinfo:
        client.confirm_device(
            AccessToken=result["AccessToken"],
            DeviceKey="eu-west-2_00000000-0000-0000-0000-000000000000",
            DeviceSecretVerifierConfig=config,
        )
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


@pytest.fixture(scope="session")
def cognito_js() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the amazon-cognito-identity-js test")
    if not (JS_DIR / "node_modules" / "amazon-cognito-identity-js").is_dir():
        install = subprocess.run(
            [npm, "install", "--prefix", str(JS_DIR), "--no-audit", "--no-fund",
             "--loglevel=error"],
            capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert install.returncode == 0, install.stderr
    return JS_DIR / "device_login.mjs"


@pytest.mark.slow
def test_amazon_cognito_identity_js_remembers_its_device(
    scribe_stack: LocalStack, cognito_js: Path
) -> None:
    hank = scribe_stack.seed.users["hank"]
    node = shutil.which("node")
    assert node is not None
    assert hank.totp_secret is not None
    done = subprocess.run(
        [node, str(cognito_js), scribe_stack.endpoint_url, hank.user_pool_id, hank.client_id,
         "hank", hank.totp_secret],
        input=hank.password + "\n", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == {
        "first": ["SOFTWARE_TOKEN_MFA"],
        "confirmationNecessary": True,
        "second": [],
        "refreshed": True,
    }
    recorder = scribe_stack.recorder
    assert recorder.count("ConfirmDevice") == 1
    assert recorder.count("UpdateDeviceStatus") == 1
    assert recorder.count("RespondToAuthChallenge", "DEVICE_SRP_AUTH") == 1
    assert recorder.count("RespondToAuthChallenge", "DEVICE_PASSWORD_VERIFIER") == 1
    refresh = [r for r in recorder.requests if r["params"].get("AuthFlow") == "REFRESH_TOKEN_AUTH"]
    assert len(refresh) == 1
    assert DEVICE_KEY.fullmatch(refresh[0]["params"]["AuthParameters"]["DEVICE_KEY"])
