"""UserPoolClient's device, rotation and lock-out cases: how their errors read."""

from __future__ import annotations

from typing import Any

import pytest

from scribeauth.errors import ResourceNotFoundException, ServiceError, UnauthorizedException
from scribeauth.user_pool import UserPoolClient, _translate, error_code, operation_unknown


def _reply(code: str, message: str = "", status: int = 400) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


@pytest.mark.parametrize("context", ["sign-in", "challenge"])
def test_locked_out_user_gets_one_clear_line(context: str) -> None:
    err = _translate(
        _reply("NotAuthorizedException", "Password attempts exceeded"),
        "RespondToAuthChallenge",
        context,
        [],
    )
    text = str(err)
    assert isinstance(err, UnauthorizedException)
    assert "locked out" in text
    assert "wait" in text
    assert "check the username and password" not in text
    assert "\n" not in text


def test_device_refusals_name_the_fix() -> None:
    gone = _translate(
        _reply("ResourceNotFoundException", "Device does not exist."), "ForgetDevice", "device", []
    )
    assert isinstance(gone, ResourceNotFoundException)
    assert "scribeauth devices" in str(gone)
    assert "scribe_client_id" not in str(gone)
    refused = _translate(
        _reply("NotAuthorizedException", "Invalid device key"),
        "RespondToAuthChallenge",
        "device",
        [],
    )
    assert isinstance(refused, UnauthorizedException)
    assert "no longer remembered" in str(refused)


def test_unknown_operation_from_the_endpoint_is_recognised() -> None:
    err = _translate(
        _reply("UnknownOperationException", ""), "GetTokensFromRefreshToken", "refresh", []
    )
    assert operation_unknown(err)
    assert not operation_unknown(_translate(_reply("NotAuthorizedException"), "X", "refresh", []))


def test_operation_unknown_to_botocore_is_recognised_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    client = UserPoolClient("eu-west-2", "client")
    with pytest.raises(ServiceError) as caught:
        # An endpoint nobody listens on: only a request would notice it.
        client._call("frobnicate_the_pool", "refresh", [])
    assert operation_unknown(caught.value)
    assert error_code(caught.value) == "UnknownOperationException"
    assert "upgrade botocore" in str(caught.value)


def test_a_rotated_refresh_token_reads_as_sign_in_again() -> None:
    err = _translate(
        _reply(
            "RefreshTokenReuseException",
            "Refresh token has been invalidated by refresh token rotation",
        ),
        "GetTokensFromRefreshToken",
        "refresh",
        [],
    )
    assert isinstance(err, UnauthorizedException)
    assert "sign in again" in str(err)
