"""The strict local stack behaves like Cognito where moto is lax.

Raw boto3 clients (unsigned, as the library's) and an SRP client written independently in
``tests/local_srp_client.py`` talk real HTTP to the stack; faults are observed with plain
``http.client`` requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet
from local_raw import error_of, idp
from local_srp_client import TestSrpClient, cognito_timestamp

from scribeauth.local.stack import LocalStack

REGION = "eu-west-2"


def secret_hash(stack: LocalStack, username: str) -> str:
    seed = stack.seed
    msg = (username + seed.confidential_client_id).encode()
    digest = hmac.new(seed.confidential_client_secret.encode(), msg, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def totp_now(stack: LocalStack, secret: str) -> str:
    return str(pyotp.TOTP(secret).at(int(stack.now())))


def srp_start(
    stack: LocalStack, typed: str, password: str, client_id: str | None = None, **auth: str
) -> tuple[Any, TestSrpClient, dict[str, Any]]:
    client = idp(stack)
    srp = TestSrpClient(stack.seed.user_pool_id, password)
    reply = client.initiate_auth(
        ClientId=client_id or stack.seed.public_client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": typed, "SRP_A": srp.srp_a, **auth},
    )
    assert reply["ChallengeName"] == "PASSWORD_VERIFIER"
    return client, srp, reply


def srp_login(stack: LocalStack, typed: str, password: str) -> dict[str, Any]:
    client, srp, reply = srp_start(stack, typed, password)
    answer: dict[str, Any] = client.respond_to_auth_challenge(
        ClientId=stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(reply["ChallengeParameters"]),
    )
    return answer


def password_login(stack: LocalStack, name: str, client_id: str | None = None) -> dict[str, Any]:
    user = stack.seed.users[name]
    reply: dict[str, Any] = idp(stack).initiate_auth(
        ClientId=client_id or user.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": user.password},
    )
    return reply


# --------------------------------------------------------------------------------- SRP
def test_srp_with_the_right_password_signs_in_without_sending_it(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    result = srp_login(scribe_stack, "alice", alice.password)["AuthenticationResult"]
    assert claims(result["IdToken"])["cognito:username"] == "alice"
    assert scribe_stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert scribe_stack.recorder.count("RespondToAuthChallenge", "PASSWORD_VERIFIER") == 1
    assert all(alice.password.encode() not in body for body in scribe_stack.recorder.raw_bodies)


def test_srp_with_a_wrong_password_is_not_authorized(scribe_stack: LocalStack) -> None:
    with pytest.raises(ClientError) as excinfo:
        srp_login(scribe_stack, "alice", "Wrong-Passw0rd!")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_srp_for_an_unknown_user_fails_like_a_wrong_password(scribe_stack: LocalStack) -> None:
    client, srp, reply = srp_start(scribe_stack, "nobody", "Any-Passw0rd!")
    assert set(reply["ChallengeParameters"]) >= {"SALT", "SRP_B", "SECRET_BLOCK"}
    with pytest.raises(ClientError) as excinfo:
        client.respond_to_auth_challenge(
            ClientId=scribe_stack.seed.public_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=srp.answer(reply["ChallengeParameters"]),
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_srp_with_an_email_alias_uses_user_id_for_srp(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    client, srp, reply = srp_start(scribe_stack, "alice@example.com", alice.password)
    params = reply["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == "alice" != "alice@example.com"
    answer = srp.answer(params)
    # Answering in the typed alias instead of USER_ID_FOR_SRP is refused.
    with pytest.raises(ClientError):
        client.respond_to_auth_challenge(
            ClientId=scribe_stack.seed.public_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={**answer, "USERNAME": "alice@example.com"},
        )
    _, srp, reply = srp_start(scribe_stack, "alice@example.com", alice.password)
    result = client.respond_to_auth_challenge(
        ClientId=scribe_stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(reply["ChallengeParameters"]),
    )
    assert claims(result["AuthenticationResult"]["AccessToken"])["username"] == "alice"


def test_srp_rejects_stale_timestamps_and_replayed_secret_blocks(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    client, srp, reply = srp_start(scribe_stack, "alice", alice.password)
    stale = cognito_timestamp(datetime.now(timezone.utc) - timedelta(minutes=10))
    with pytest.raises(ClientError) as excinfo:
        client.respond_to_auth_challenge(
            ClientId=scribe_stack.seed.public_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=srp.answer(reply["ChallengeParameters"], timestamp=stale),
        )
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    _, srp, reply = srp_start(scribe_stack, "alice", alice.password)
    answer = srp.answer(reply["ChallengeParameters"])
    client.respond_to_auth_challenge(
        ClientId=scribe_stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=answer,
    )
    with pytest.raises(ClientError) as excinfo:
        client.respond_to_auth_challenge(
            ClientId=scribe_stack.seed.public_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )
    assert error_of(excinfo)[0] == "NotAuthorizedException"


def test_srp_timestamp_is_checked_against_the_stack_clock(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    client, srp, reply = srp_start(scribe_stack, "alice", alice.password)
    scribe_stack.clock_offset = 120
    on_stack_clock = cognito_timestamp(datetime.fromtimestamp(scribe_stack.now(), timezone.utc))
    result = client.respond_to_auth_challenge(
        ClientId=scribe_stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(reply["ChallengeParameters"], timestamp=on_stack_clock),
    )
    assert "AuthenticationResult" in result


def test_a_client_without_srp_refuses_srp_but_allows_passwords(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    srp = TestSrpClient(seed.user_pool_id, seed.users["alice"].password)
    with pytest.raises(ClientError) as excinfo:
        idp(scribe_stack).initiate_auth(
            ClientId=seed.srp_disabled_client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "alice", "SRP_A": srp.srp_a},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_SRP_AUTH is not enabled for the client.",
    )
    result = password_login(scribe_stack, "alice", seed.srp_disabled_client_id)
    assert "AuthenticationResult" in result


def test_wrong_password_on_password_auth(scribe_stack: LocalStack) -> None:
    with pytest.raises(ClientError) as excinfo:
        idp(scribe_stack).initiate_auth(
            ClientId=scribe_stack.seed.public_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": "Wrong-Passw0rd!"},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


# --------------------------------------------------------------------------------- SECRET_HASH
def test_secret_hash_is_required_on_initiate_auth(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    client = idp(scribe_stack)
    base = {"USERNAME": "alice", "PASSWORD": seed.users["alice"].password}
    for extra in ({}, {"SECRET_HASH": secret_hash(scribe_stack, "bob")}):
        with pytest.raises(ClientError) as excinfo:
            client.initiate_auth(
                ClientId=seed.confidential_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={**base, **extra},
            )
        assert error_of(excinfo)[0] == "NotAuthorizedException"
    assert (
        f"Unable to verify secret hash for client {seed.confidential_client_id}"
        == (error_of(excinfo)[1])
    )
    result = client.initiate_auth(
        ClientId=seed.confidential_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={**base, "SECRET_HASH": secret_hash(scribe_stack, "alice")},
    )
    assert "AuthenticationResult" in result


def test_secret_hash_is_required_on_every_challenge(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    alice = seed.users["alice"]
    for hash_ok in (False, True):
        client, srp, reply = srp_start(
            scribe_stack,
            "alice",
            alice.password,
            client_id=seed.confidential_client_id,
            SECRET_HASH=secret_hash(scribe_stack, "alice"),
        )
        answer = srp.answer(reply["ChallengeParameters"])
        if not hash_ok:
            with pytest.raises(ClientError) as excinfo:
                client.respond_to_auth_challenge(
                    ClientId=seed.confidential_client_id,
                    ChallengeName="PASSWORD_VERIFIER",
                    ChallengeResponses=answer,
                )
            assert error_of(excinfo)[0] == "NotAuthorizedException"
            continue
        answer["SECRET_HASH"] = secret_hash(scribe_stack, "alice")
        result = client.respond_to_auth_challenge(
            ClientId=seed.confidential_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )
        assert "AuthenticationResult" in result


def test_refresh_secret_hash_accepts_username_or_sub_only(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    client = idp(scribe_stack)
    tokens = client.initiate_auth(
        ClientId=seed.confidential_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice@example.com",
            "PASSWORD": seed.users["alice"].password,
            "SECRET_HASH": secret_hash(scribe_stack, "alice@example.com"),
        },
    )["AuthenticationResult"]
    sub = claims(tokens["IdToken"])["sub"]

    def refresh(**auth: str) -> dict[str, Any]:
        reply: dict[str, Any] = client.initiate_auth(
            ClientId=seed.confidential_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"], **auth},
        )
        return reply

    for bad in ({}, {"SECRET_HASH": secret_hash(scribe_stack, "alice@example.com")}):
        with pytest.raises(ClientError) as excinfo:
            refresh(**bad)
        assert error_of(excinfo)[0] == "NotAuthorizedException"
    for name in ("alice", sub):
        result = refresh(SECRET_HASH=secret_hash(scribe_stack, name))["AuthenticationResult"]
        assert "RefreshToken" not in result
        assert claims(result["IdToken"])["origin_jti"] == claims(tokens["IdToken"])["origin_jti"]


def test_forgot_password_needs_secret_hash_and_the_code_sent(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    client = idp(scribe_stack)
    with pytest.raises(ClientError) as excinfo:
        client.forgot_password(ClientId=seed.confidential_client_id, Username="alice")
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    sent = client.forgot_password(
        ClientId=seed.confidential_client_id,
        Username="alice",
        SecretHash=secret_hash(scribe_stack, "alice"),
    )
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    code = scribe_stack.user_pool.last_code("alice")
    assert code is not None
    assert len(code) == 6
    confirm = {
        "ClientId": seed.confidential_client_id,
        "Username": "alice",
        "Password": "Brand-New-Passw0rd!",
    }
    with pytest.raises(ClientError) as excinfo:
        client.confirm_forgot_password(**confirm, ConfirmationCode=code)
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as excinfo:
        client.confirm_forgot_password(
            **confirm, ConfirmationCode=wrong, SecretHash=secret_hash(scribe_stack, "alice")
        )
    assert error_of(excinfo)[0] == "CodeMismatchException"
    client.confirm_forgot_password(
        **confirm, ConfirmationCode=code, SecretHash=secret_hash(scribe_stack, "alice")
    )
    assert "AuthenticationResult" in srp_login(scribe_stack, "alice", "Brand-New-Passw0rd!")


# --------------------------------------------------------------------------------- revocation
def test_revoked_refresh_token_no_longer_refreshes(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    client = idp(scribe_stack)
    tokens = password_login(scribe_stack, "alice")["AuthenticationResult"]
    client.revoke_token(Token=tokens["RefreshToken"], ClientId=seed.public_client_id)
    with pytest.raises(ClientError) as excinfo:
        client.initiate_auth(
            ClientId=seed.public_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    with pytest.raises(ClientError) as excinfo:
        client.get_user(AccessToken=tokens["AccessToken"])
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    assert scribe_stack.recorder.count("RevokeToken") == 1


def test_revoke_token_checks_the_client_secret(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    client = idp(scribe_stack)
    tokens = client.initiate_auth(
        ClientId=seed.confidential_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PASSWORD": seed.users["alice"].password,
            "SECRET_HASH": secret_hash(scribe_stack, "alice"),
        },
    )["AuthenticationResult"]
    with pytest.raises(ClientError):
        client.revoke_token(
            Token=tokens["RefreshToken"],
            ClientId=seed.confidential_client_id,
            ClientSecret="x" * 52,
        )
    client.revoke_token(
        Token=tokens["RefreshToken"],
        ClientId=seed.confidential_client_id,
        ClientSecret=seed.confidential_client_secret,
    )
    with pytest.raises(ClientError) as excinfo:
        client.initiate_auth(
            ClientId=seed.confidential_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": tokens["RefreshToken"],
                "SECRET_HASH": secret_hash(scribe_stack, "alice"),
            },
        )
    assert error_of(excinfo)[1] == "Refresh Token has been revoked"


def test_global_sign_out_revokes_every_refresh_token(scribe_stack: LocalStack) -> None:
    client = idp(scribe_stack)
    first = password_login(scribe_stack, "alice")["AuthenticationResult"]
    second = password_login(scribe_stack, "alice")["AuthenticationResult"]
    client.global_sign_out(AccessToken=second["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        client.initiate_auth(
            ClientId=scribe_stack.seed.public_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert error_of(excinfo)[1] == "Refresh Token has been revoked"


# --------------------------------------------------------------------------------- challenges
def test_totp_right_wrong_and_expired_session(scribe_stack: LocalStack) -> None:
    bob = scribe_stack.seed.users["bob"]
    assert bob.totp_secret
    client = idp(scribe_stack)

    def challenge() -> dict[str, Any]:
        reply = password_login(scribe_stack, "bob")
        assert reply["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        return reply

    def answer(reply: dict[str, Any], code: str) -> dict[str, Any]:
        result: dict[str, Any] = client.respond_to_auth_challenge(
            ClientId=bob.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        return result

    reply = challenge()
    good = totp_now(scribe_stack, bob.totp_secret)
    with pytest.raises(ClientError) as excinfo:
        answer(reply, "000000" if good != "000000" else "111111")
    assert error_of(excinfo) == ("CodeMismatchException", "Invalid code received for user")
    assert "AuthenticationResult" in answer(reply, good)
    with pytest.raises(ClientError) as excinfo:  # sessions are single-use
        answer(reply, good)
    assert error_of(excinfo)[0] == "NotAuthorizedException"

    reply = challenge()
    scribe_stack.clock_offset = 181
    with pytest.raises(ClientError) as excinfo:
        answer(reply, totp_now(scribe_stack, bob.totp_secret))
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


@pytest.mark.parametrize(
    ("name", "challenge", "key"),
    [("dave", "SMS_MFA", "SMS_MFA_CODE"), ("erin", "EMAIL_OTP", "EMAIL_OTP_CODE")],
)
def test_sms_and_email_codes(scribe_stack: LocalStack, name: str, challenge: str, key: str) -> None:
    reply = password_login(scribe_stack, name)
    assert reply["ChallengeName"] == challenge
    code = scribe_stack.user_pool.last_code(name)
    assert code is not None
    result = idp(scribe_stack).respond_to_auth_challenge(
        ClientId=scribe_stack.seed.public_client_id,
        ChallengeName=challenge,
        Session=reply["Session"],
        ChallengeResponses={"USERNAME": name, key: code},
    )
    assert claims(result["AuthenticationResult"]["IdToken"])["cognito:username"] == name


def test_select_mfa_type_then_totp(scribe_stack: LocalStack) -> None:
    frank = scribe_stack.seed.users["frank"]
    assert frank.totp_secret
    client = idp(scribe_stack)
    reply = password_login(scribe_stack, "frank")
    assert reply["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(reply["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert set(choices) == {"SMS_MFA", "SOFTWARE_TOKEN_MFA"}
    picked = client.respond_to_auth_challenge(
        ClientId=frank.client_id,
        ChallengeName="SELECT_MFA_TYPE",
        Session=reply["Session"],
        ChallengeResponses={"USERNAME": "frank", "ANSWER": "SOFTWARE_TOKEN_MFA"},
    )
    assert picked["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = client.respond_to_auth_challenge(
        ClientId=frank.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=picked["Session"],
        ChallengeResponses={
            "USERNAME": "frank",
            "SOFTWARE_TOKEN_MFA_CODE": totp_now(scribe_stack, frank.totp_secret),
        },
    )
    assert "AuthenticationResult" in result


def test_mfa_setup_with_associate_and_verify(scribe_stack: LocalStack) -> None:
    gina = scribe_stack.seed.users["gina"]
    client = idp(scribe_stack)
    reply = password_login(scribe_stack, "gina")
    assert reply["ChallengeName"] == "MFA_SETUP"
    assert "SOFTWARE_TOKEN_MFA" in json.loads(reply["ChallengeParameters"]["MFAS_CAN_SETUP"])
    with pytest.raises(ClientError):  # no tokens before a verified authenticator
        client.respond_to_auth_challenge(
            ClientId=gina.client_id,
            ChallengeName="MFA_SETUP",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "gina"},
        )
    associated = client.associate_software_token(Session=reply["Session"])
    secret = associated["SecretCode"]
    with pytest.raises(ClientError) as excinfo:
        client.verify_software_token(Session=associated["Session"], UserCode="12345x")
    assert error_of(excinfo)[0] == "EnableSoftwareTokenMFAException"
    verified = client.verify_software_token(
        Session=associated["Session"], UserCode=totp_now(scribe_stack, secret)
    )
    assert verified["Status"] == "SUCCESS"
    result = client.respond_to_auth_challenge(
        ClientId=gina.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "gina"},
    )
    assert "AuthenticationResult" in result
    assert password_login(scribe_stack, "gina")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_software_token_with_an_access_token_gets_a_random_secret(
    scribe_stack: LocalStack,
) -> None:
    client = idp(scribe_stack)
    access = password_login(scribe_stack, "alice")["AuthenticationResult"]["AccessToken"]
    first = client.associate_software_token(AccessToken=access)["SecretCode"]
    second = client.associate_software_token(AccessToken=access)["SecretCode"]
    assert first != second
    assert len(second) >= 32
    verified = client.verify_software_token(
        AccessToken=access, UserCode=totp_now(scribe_stack, second)
    )
    assert verified["Status"] == "SUCCESS"
    client.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    assert password_login(scribe_stack, "alice")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_new_password_required_checks_the_policy(scribe_stack: LocalStack) -> None:
    client = idp(scribe_stack)
    reply = password_login(scribe_stack, "carol")
    assert reply["ChallengeName"] == "NEW_PASSWORD_REQUIRED"

    def answer(new: str) -> dict[str, Any]:
        result: dict[str, Any] = client.respond_to_auth_challenge(
            ClientId=scribe_stack.seed.public_client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=reply["Session"],
            ChallengeResponses={"USERNAME": "carol", "NEW_PASSWORD": new},
        )
        return result

    with pytest.raises(ClientError) as excinfo:
        answer("short")
    assert error_of(excinfo)[0] == "InvalidPasswordException"
    assert "AuthenticationResult" in answer("Carol-Chosen-Passw0rd!")
    assert "AuthenticationResult" in srp_login(scribe_stack, "carol", "Carol-Chosen-Passw0rd!")


# --------------------------------------------------------------------------------- tokens
def test_token_lifetime_and_clock_are_configurable(scribe_stack: LocalStack) -> None:
    scribe_stack.token_lifetime = 120
    scribe_stack.clock_offset = -3600
    result = password_login(scribe_stack, "alice")["AuthenticationResult"]
    assert result["ExpiresIn"] == 120
    for token in (result["IdToken"], result["AccessToken"]):
        payload = claims(token)
        assert payload["exp"] - payload["iat"] == 120
        assert abs(payload["iat"] - (time.time() - 3600)) < 5


def test_access_token_expires_on_the_stack_clock(scribe_stack: LocalStack) -> None:
    access = password_login(scribe_stack, "alice")["AuthenticationResult"]["AccessToken"]
    client = idp(scribe_stack)
    assert client.get_user(AccessToken=access)["Username"] == "alice"
    scribe_stack.clock_offset = 3601
    with pytest.raises(ClientError) as excinfo:
        client.get_user(AccessToken=access)
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has expired")


def test_id_token_verifies_against_the_pool_jwks(scribe_stack: LocalStack) -> None:
    seed = scribe_stack.seed
    result = password_login(scribe_stack, "alice")["AuthenticationResult"]
    url = f"{scribe_stack.endpoint_url}/{seed.user_pool_id}/.well-known/jwks.json"
    with urllib.request.urlopen(url, timeout=5) as response:
        keys = KeySet.import_key_set(json.load(response))
    token = jwt.decode(result["IdToken"], keys)
    assert token.header["kid"] == scribe_stack.jwks["keys"][0]["kid"] != "dummy"
    body = token.claims
    assert body["aud"] == seed.public_client_id
    assert body["iss"] == f"https://cognito-idp.{REGION}.amazonaws.com/{seed.user_pool_id}"
    assert body["token_use"] == "id"
    assert body["email"] == "alice@example.com"
    assert body["origin_jti"] == claims(result["AccessToken"])["origin_jti"]
    tampered = result["IdToken"][:-4] + ("AAAA" if result["IdToken"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(BadSignatureError):
        jwt.decode(tampered, keys)


# --------------------------------------------------------------------------------- faults
def raw_call(stack: LocalStack, operation: str = "InitiateAuth") -> tuple[int, bytes]:
    body = json.dumps(
        {
            "ClientId": stack.seed.public_client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Wrong-Passw0rd!"},
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/",
            body=body,
            headers={
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


NORMAL = (400, "NotAuthorizedException")


@pytest.mark.parametrize(
    ("kind", "expect"),
    [
        ("throttle", (400, "TooManyRequestsException")),
        ("500", (500, "InternalErrorException")),
        ("garble", (200, "<html>not json")),
    ],
)
def test_reply_faults_fire_the_configured_times(
    scribe_stack: LocalStack, kind: str, expect: tuple[int, str]
) -> None:
    scribe_stack.faults.add("InitiateAuth", kind, times=2)
    for _ in range(2):
        status, data = raw_call(scribe_stack)
        assert (status, expect[1] in data.decode()) == (expect[0], True)
    status, data = raw_call(scribe_stack)
    assert (status, NORMAL[1] in data.decode()) == (NORMAL[0], True)


@pytest.mark.parametrize(
    ("kind", "error"),
    [("reset", ConnectionError), ("truncate", http.client.IncompleteRead)],
)
def test_connection_faults_fire_the_configured_times(
    scribe_stack: LocalStack, kind: str, error: type[Exception]
) -> None:
    scribe_stack.faults.add("InitiateAuth", kind, times=2)
    for _ in range(2):
        with pytest.raises(error):
            raw_call(scribe_stack)
    assert raw_call(scribe_stack)[0] == NORMAL[0]
    assert scribe_stack.recorder.count("InitiateAuth") == 3


def test_delay_fault_then_normal_speed(scribe_stack: LocalStack) -> None:
    scribe_stack.faults.add("InitiateAuth", "delay", times=1, delay=0.4)
    started = time.monotonic()
    assert raw_call(scribe_stack)[0] == NORMAL[0]
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert raw_call(scribe_stack)[0] == NORMAL[0]
    assert time.monotonic() - started < 0.4


def test_botocore_standard_retries_ride_out_throttling(scribe_stack: LocalStack) -> None:
    scribe_stack.faults.add("InitiateAuth", "throttle", times=1)
    client = idp(scribe_stack, retries={"mode": "standard", "max_attempts": 2})
    result = client.initiate_auth(
        ClientId=scribe_stack.seed.public_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": scribe_stack.seed.users["alice"].password},
    )
    assert "AuthenticationResult" in result
    assert scribe_stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 2


# --------------------------------------------------------------------------------- recorder
def test_recorder_counts_and_masks_secrets(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    tokens = password_login(scribe_stack, "alice")["AuthenticationResult"]
    idp(scribe_stack).revoke_token(
        Token=tokens["RefreshToken"], ClientId=scribe_stack.seed.public_client_id
    )
    logged = json.dumps(scribe_stack.recorder.requests)
    assert alice.password not in logged
    assert tokens["RefreshToken"] not in logged
    assert scribe_stack.recorder.requests[0]["params"]["AuthParameters"]["PASSWORD"] == "***"
    assert any(alice.password.encode() in body for body in scribe_stack.recorder.raw_bodies)
    assert scribe_stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1
    assert scribe_stack.recorder.count("RevokeToken") == 1
    scribe_stack.reset()
    assert scribe_stack.recorder.count("InitiateAuth") == 0


# --------------------------------------------------------------------------------- isolation
def test_two_stacks_do_not_share_users(scribe_stack: LocalStack) -> None:
    scribe_stack.create_user("only-here", "Only-Here-Passw0rd!")
    with LocalStack() as other:
        assert other.seed.user_pool_id != scribe_stack.seed.user_pool_id
        with pytest.raises(ClientError) as excinfo:
            idp(other).initiate_auth(
                ClientId=other.seed.public_client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "only-here", "PASSWORD": "Only-Here-Passw0rd!"},
            )
        assert error_of(excinfo)[0] == "NotAuthorizedException"
        assert "AuthenticationResult" in password_login(other, "alice")
    result = idp(scribe_stack).initiate_auth(
        ClientId=scribe_stack.seed.public_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "only-here", "PASSWORD": "Only-Here-Passw0rd!"},
    )
    assert "AuthenticationResult" in result


def test_only_loopback_binds() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalStack(host="0.0.0.0")


# --------------------------------------------------------------------------------- serve
@pytest.fixture
def served() -> Iterator[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "scribeauth.local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_serve_prints_the_endpoint_and_stops_cleanly_on_sigint(
    served: subprocess.Popen[str],
) -> None:
    assert served.stdout is not None
    first = served.stdout.readline()
    assert first.startswith("Scribe local stack listening on http://127.0.0.1:")
    endpoint = first.rsplit(" ", 1)[1].strip()
    lines = []
    while not lines or lines[-1] not in ("", "Press Ctrl-C to stop.\n"):
        lines.append(served.stdout.readline())
    assert f"  export AWS_ENDPOINT_URL={endpoint}\n" in lines
    pool_line = next(line for line in lines if line.startswith("scribe_user_pool_id = "))
    pool_id = pool_line.split(" = ")[1].strip()
    assert pool_id.startswith("eu-west-2_")
    with urllib.request.urlopen(f"{endpoint}/{pool_id}/.well-known/jwks.json", timeout=5) as reply:
        assert json.load(reply)["keys"][0]["kid"] not in ("", "dummy")
    served.send_signal(signal.SIGINT)
    _, err = served.communicate(timeout=10)
    assert served.returncode == 0
    assert "Traceback" not in err


def test_a_client_without_password_auth_refuses_it(scribe_stack: LocalStack) -> None:
    backend = scribe_stack.user_pool.backend
    srp_only = backend.create_user_pool_client(
        scribe_stack.seed.user_pool_id, False, {"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}
    )
    with pytest.raises(ClientError) as excinfo:
        password_login(scribe_stack, "alice", srp_only.id)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
