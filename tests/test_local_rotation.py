"""Refresh-token rotation on the strict local stack, as Cognito's app-client setting does it.

Raw boto3 clients (unsigned) and raw JSON over HTTP talk to the stack; nothing of scribeauth's own
client code is used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from botocore.exceptions import ClientError
from local_raw import error_of, idp, raw_call

from scribeauth.local.stack import LocalStack


def sign_in(stack: LocalStack, name: str = "judy", client_id: str | None = None) -> dict[str, Any]:
    user = stack.seed.users[name]
    reply = idp(stack).initiate_auth(
        ClientId=client_id or user.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": user.password},
    )
    result: dict[str, Any] = reply["AuthenticationResult"]
    return result


def test_the_rotating_client_reports_its_settings(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    described = idp(scribe_stack).describe_user_pool_client(
        UserPoolId=seed.user_pool_id, ClientId=seed.rotating_client_id
    )["UserPoolClient"]
    assert described["RefreshTokenRotation"] == {
        "Feature": "ENABLED",
        "RetryGracePeriodSeconds": 0,
    }
    assert described["PreventUserExistenceErrors"] == "ENABLED"
    assert "ALLOW_REFRESH_TOKEN_AUTH" not in described["ExplicitAuthFlows"]
    assert seed.users["judy"].client_id == seed.rotating_client_id


def test_refresh_token_auth_is_refused_for_a_rotating_client(scribe_stack: LocalStack) -> None:
    tokens = sign_in(scribe_stack)
    with pytest.raises(ClientError) as excinfo:
        idp(scribe_stack).initiate_auth(
            ClientId=scribe_stack.seed.rotating_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )


def test_rotation_with_grace_zero_kills_the_old_token_at_once(scribe_stack: LocalStack) -> None:
    client = idp(scribe_stack)
    client_id = scribe_stack.seed.rotating_client_id
    first = sign_in(scribe_stack)["RefreshToken"]
    reply = client.get_tokens_from_refresh_token(RefreshToken=first, ClientId=client_id)
    result = reply["AuthenticationResult"]
    second = result["RefreshToken"]
    assert second != first
    assert {"AccessToken", "IdToken", "ExpiresIn", "TokenType"} <= set(result)
    assert client.get_user(AccessToken=result["AccessToken"])["Username"] == "judy"
    with pytest.raises(ClientError) as excinfo:
        client.get_tokens_from_refresh_token(RefreshToken=first, ClientId=client_id)
    assert error_of(excinfo)[0] == "RefreshTokenReuseException"
    third = client.get_tokens_from_refresh_token(RefreshToken=second, ClientId=client_id)
    assert third["AuthenticationResult"]["RefreshToken"] not in (first, second)
    assert scribe_stack.recorder.count("InitiateAuth", "REFRESH_TOKEN_AUTH") == 0


def test_the_grace_period_keeps_the_old_token_for_retries(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    config = scribe_stack.user_pool.pool(seed.user_pool_id).clients[seed.rotating_client_id]
    config.extended_config["RefreshTokenRotation"] = {
        "Feature": "ENABLED",
        "RetryGracePeriodSeconds": 30,
    }
    client = idp(scribe_stack)
    first = sign_in(scribe_stack)["RefreshToken"]
    client.get_tokens_from_refresh_token(RefreshToken=first, ClientId=seed.rotating_client_id)
    scribe_stack.clock_offset = 29
    retried = client.get_tokens_from_refresh_token(
        RefreshToken=first, ClientId=seed.rotating_client_id
    )
    assert retried["AuthenticationResult"]["RefreshToken"] != first
    scribe_stack.clock_offset = 31
    with pytest.raises(ClientError) as excinfo:
        client.get_tokens_from_refresh_token(RefreshToken=first, ClientId=seed.rotating_client_id)
    assert error_of(excinfo)[0] == "RefreshTokenReuseException"
    # The replacement lives on.
    fresh = retried["AuthenticationResult"]["RefreshToken"]
    client.get_tokens_from_refresh_token(RefreshToken=fresh, ClientId=seed.rotating_client_id)


def test_a_non_rotating_client_refreshes_both_ways_without_a_new_token(
    scribe_stack: LocalStack,
) -> None:
    client = idp(scribe_stack)
    public = scribe_stack.seed.public_client_id
    token = sign_in(scribe_stack, "alice", public)["RefreshToken"]
    result = client.get_tokens_from_refresh_token(RefreshToken=token, ClientId=public)
    assert "RefreshToken" not in result["AuthenticationResult"]
    again = client.initiate_auth(
        ClientId=public, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
    )
    assert "IdToken" in again["AuthenticationResult"]


def test_get_tokens_needs_the_raw_client_secret(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    digest = hmac.new(
        seed.confidential_client_secret.encode(),
        ("alice" + seed.confidential_client_id).encode(),
        hashlib.sha256,
    ).digest()
    token = idp(scribe_stack).initiate_auth(
        ClientId=seed.confidential_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": seed.users["alice"].password,
            "SECRET_HASH": base64.b64encode(digest).decode(),
        },
    )["AuthenticationResult"]["RefreshToken"]
    asked = {"RefreshToken": token, "ClientId": seed.confidential_client_id}
    status, body = raw_call(scribe_stack, "GetTokensFromRefreshToken", asked)
    assert (status, body["__type"]) == (400, "NotAuthorizedException")
    assert "ClientSecret was not received" in body["message"]
    status, body = raw_call(
        scribe_stack, "GetTokensFromRefreshToken", {**asked, "ClientSecret": "not-the-secret"}
    )
    assert (status, body["__type"]) == (400, "NotAuthorizedException")
    status, body = raw_call(
        scribe_stack,
        "GetTokensFromRefreshToken",
        {**asked, "ClientSecret": seed.confidential_client_secret},
    )
    assert status == 200
    assert "IdToken" in body["AuthenticationResult"]


def test_raw_json_rotation_and_revocation_of_the_whole_chain(scribe_stack: LocalStack) -> None:
    client_id = scribe_stack.seed.rotating_client_id
    first = sign_in(scribe_stack)["RefreshToken"]
    status, body = raw_call(
        scribe_stack, "GetTokensFromRefreshToken", {"RefreshToken": first, "ClientId": client_id}
    )
    assert status == 200
    second = body["AuthenticationResult"]["RefreshToken"]
    status, _ = raw_call(scribe_stack, "RevokeToken", {"Token": second, "ClientId": client_id})
    assert status == 200
    status, body = raw_call(
        scribe_stack, "GetTokensFromRefreshToken", {"RefreshToken": second, "ClientId": client_id}
    )
    assert (status, body["__type"], body["message"]) == (
        400,
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
