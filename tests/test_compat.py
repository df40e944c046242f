"""The 1.x ``ScribeAuth`` API against the strict local stack: arguments, dict shapes, exceptions."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pyotp
import pytest
from botocore.awsrequest import AWSRequest

from scribeauth import compat
from scribeauth.compat import (
    Challenge,
    Credentials,
    MissingIdException,
    ResourceNotFoundException,
    ScribeAuth,
    Tokens,
    TooManyRequestsException,
    UnauthorizedException,
    UnknownException,
)
from scribeauth.errors import (
    CodeMismatchError,
    ConfigError,
    ExpiredCodeError,
    PasswordPolicyError,
    ScribeAuthError,
    SignInRequired,
)
from scribeauth.local.stack import LocalStack
from scribeauth.login import SignIn

NEW_PASSWORD = "Brand-N3w-Passw0rd!"
TOKEN_KEYS = {"refresh_token", "access_token", "id_token"}
FORMS = ["dict", "str"]


def make_auth(stack: LocalStack, form: str = "dict", **extra: str) -> ScribeAuth:
    """``form`` "str" is ``ScribeAuth(client_id)``; "dict" the 1.x dict with both pools."""
    if form == "str":
        return ScribeAuth(extra.get("client_id", stack.seed.public_client_id))
    config = {
        "client_id": stack.seed.public_client_id,
        "user_pool_id": stack.seed.user_pool_id,
        "identity_pool_id": stack.seed.identity_pool_id,
        **extra,
    }
    return ScribeAuth(config)


def claims(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def expect_tokens(result: Tokens | Challenge, username: str) -> Tokens:
    assert isinstance(result, dict)
    assert set(result) == TOKEN_KEYS, result.keys()
    assert "challenge_name" not in result
    tokens: Tokens = result  # type: ignore[assignment]
    assert all(isinstance(value, str) and value for value in tokens.values())
    assert claims(tokens["id_token"])["cognito:username"] == username
    return tokens


def expect_challenge(result: Tokens | Challenge, name: str) -> Challenge:
    assert isinstance(result, dict)
    assert set(result) == {"challenge_name", "session"}, result.keys()
    challenge: Challenge = result  # type: ignore[assignment]
    assert challenge["challenge_name"] == name
    assert isinstance(challenge["session"], str)
    assert challenge["session"]
    return challenge


def totp(stack: LocalStack, secret: str | None) -> str:
    assert secret is not None
    return pyotp.TOTP(secret).at(stack.now())


def wrong_totp(stack: LocalStack, secret: str | None) -> str:
    assert secret is not None
    window = {pyotp.TOTP(secret).at(stack.now() + step * 30) for step in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)


def new_user(stack: LocalStack, **kw: Any) -> Any:
    return stack.create_user(f"compat-{uuid.uuid4().hex[:10]}", "Initial-Passw0rd!", **kw)


# -- constructor ---------------------------------------------------------------------------------


def test_both_constructor_forms_keep_the_1x_attributes(stack: LocalStack) -> None:
    by_id = ScribeAuth(stack.seed.public_client_id)
    assert (by_id.client_id, by_id.user_pool_id, by_id.identity_pool_id) == (
        stack.seed.public_client_id,
        None,
        None,
    )
    assert by_id.region == "eu-west-2"
    by_dict = make_auth(stack)
    assert by_dict.user_pool_id == stack.seed.user_pool_id
    assert by_dict.identity_pool_id == stack.seed.identity_pool_id


def test_region_comes_from_the_pool_ids() -> None:
    assert ScribeAuth({"client_id": "c", "user_pool_id": "us-east-1_Abc123"}).region == "us-east-1"
    # 1.x's CLI passes None for ids it was not given.
    auth = ScribeAuth({"client_id": "c", "user_pool_id": None, "identity_pool_id": None})  # type: ignore[typeddict-item]
    assert auth.region == "eu-west-2"


@pytest.mark.parametrize(
    "param",
    [None, 42, ["client"], {"user_pool_id": "eu-west-2_Abc"}, {"client_id": ""}, ""],
)
def test_constructor_without_a_client_id_raises_missing_id(param: Any) -> None:
    with pytest.raises(MissingIdException) as info:
        ScribeAuth(param)
    assert isinstance(info.value, ConfigError)
    assert isinstance(info.value, ScribeAuthError)
    assert "client" in str(info.value)


@pytest.mark.parametrize(
    "param",
    [
        {"client_id": "c", "user_pool_id": "not-a-pool"},
        {"client_id": "c", "user_pool_id": "eu-west-2_Abc", "identity_pool_id": "nope"},
        {"client_id": "c", "user_pool_id": 7},
        {"client_id": "c", "user_pool_id": "eu-west-2_Abc", "auth_flow": "CUSTOM_AUTH"},
    ],
)
def test_malformed_configuration_raises_config_error(param: Any) -> None:
    with pytest.raises(ConfigError):
        ScribeAuth(param)


def test_the_1x_names_are_typed_dicts_and_exceptions_under_one_base() -> None:
    assert Tokens.__required_keys__ == TOKEN_KEYS
    assert Challenge.__required_keys__ == {"challenge_name", "session"}
    assert Credentials.__required_keys__ == {
        "AccessKeyId",
        "SecretKey",
        "SessionToken",
        "Expiration",
    }
    assert compat.PoolConfiguration.__required_keys__ == {"client_id", "user_pool_id"}
    import scribeauth

    for name in (
        "UnauthorizedException",
        "TooManyRequestsException",
        "MissingIdException",
        "ResourceNotFoundException",
        "UnknownException",
    ):
        cls = getattr(compat, name)
        assert getattr(scribeauth, name) is cls
        assert issubclass(cls, ScribeAuthError)
    assert issubclass(CodeMismatchError, UnauthorizedException)
    assert issubclass(UnknownException, ScribeAuthError)


# -- get_tokens ----------------------------------------------------------------------------------


def test_dict_form_signs_in_with_srp_and_never_sends_the_password(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    expect_tokens(make_auth(stack).get_tokens(username="alice", password=alice.password), "alice")
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
    assert not any(alice.password.encode() in body for body in stack.recorder.raw_bodies)


def test_str_form_signs_in_with_the_password_flow(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    auth = make_auth(stack, "str")
    expect_tokens(auth.get_tokens(username=alice.email, password=alice.password), "alice")
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 0


def test_pinned_password_flow_in_the_dict_is_kept(stack: LocalStack) -> None:
    auth = make_auth(stack, auth_flow="USER_PASSWORD_AUTH")
    expect_tokens(
        auth.get_tokens(username="alice", password=stack.seed.users["alice"].password), "alice"
    )
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1


@pytest.mark.parametrize("form", FORMS)
def test_refresh_keeps_the_refresh_token_and_issues_new_tokens(
    stack: LocalStack, form: str
) -> None:
    auth = make_auth(stack, form)
    first = expect_tokens(
        auth.get_tokens(username="alice", password=stack.seed.users["alice"].password), "alice"
    )
    again = expect_tokens(auth.get_tokens(refresh_token=first["refresh_token"]), "alice")
    assert again["refresh_token"] == first["refresh_token"]
    assert again["access_token"] != first["access_token"]
    assert stack.recorder.count("GetTokensFromRefreshToken") == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"username": "alice"},
        {"password": "x"},
        {"username": "", "password": "x"},
        {"username": "alice", "password": ""},
        {"username": 1, "password": 2},
        {"refresh_token": ""},
        {"refresh_token": 5},
    ],
)
def test_missing_arguments_raise_unauthorized_without_a_call(
    stack: LocalStack, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(UnauthorizedException, match="missing"):
        make_auth(stack).get_tokens(**kwargs)
    assert stack.recorder.count("InitiateAuth") == 0


@pytest.mark.parametrize("form", FORMS)
def test_wrong_password_raises_unauthorized(stack: LocalStack, form: str) -> None:
    with pytest.raises(UnauthorizedException) as info:
        make_auth(stack, form).get_tokens(username="alice", password="Wrong-Passw0rd!")
    assert isinstance(info.value, ScribeAuthError)
    assert info.value.exit_code == 5
    assert "Wrong-Passw0rd!" not in str(info.value)


def test_unknown_user_raises_unauthorized(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException):
        make_auth(stack).get_tokens(username="nobody-here", password="Some-Passw0rd!")


@pytest.mark.parametrize("form", FORMS)
def test_revoke_then_refresh_fails(stack: LocalStack, form: str) -> None:
    auth = make_auth(stack, form)
    tokens = expect_tokens(
        auth.get_tokens(username="alice", password=stack.seed.users["alice"].password), "alice"
    )
    assert auth.revoke_refresh_token(tokens["refresh_token"]) is True
    assert stack.recorder.count("RevokeToken") == 1
    with pytest.raises(UnauthorizedException):
        auth.get_tokens(refresh_token=tokens["refresh_token"])


def test_unknown_refresh_token_raises_unauthorized(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException):
        make_auth(stack).get_tokens(refresh_token="not-a-refresh-token-" + "x" * 40)


def test_confidential_client_uses_the_secret_and_remembers_the_username(stack: LocalStack) -> None:
    secret = stack.seed.confidential_client_secret
    auth = make_auth(stack, client_id=stack.seed.confidential_client_id, client_secret=secret)
    assert secret not in repr(auth)
    alice = stack.seed.users["alice"]
    # Signed in by the e-mail alias: the refresh must hash the internal name, which is kept.
    tokens = expect_tokens(auth.get_tokens(username=alice.email, password=alice.password), "alice")
    expect_tokens(auth.get_tokens(refresh_token=tokens["refresh_token"]), "alice")

    fresh = make_auth(stack, client_id=stack.seed.confidential_client_id, client_secret=secret)
    with pytest.raises(UnauthorizedException, match="username"):
        fresh.get_tokens(refresh_token=tokens["refresh_token"])
    expect_tokens(
        fresh.get_tokens(refresh_token=tokens["refresh_token"], username="alice"), "alice"
    )


def test_throttled_calls_are_retried_before_anything_is_raised(stack: LocalStack) -> None:
    stack.faults.add("InitiateAuth", "throttle", times=2)
    auth = make_auth(stack, "str")
    expect_tokens(
        auth.get_tokens(username="alice", password=stack.seed.users["alice"].password), "alice"
    )
    assert stack.recorder.count("InitiateAuth") == 3


def test_throttled_after_every_retry_raises_too_many_requests(stack: LocalStack) -> None:
    stack.faults.add("RevokeToken", "throttle", times=5)
    with pytest.raises(TooManyRequestsException) as info:
        make_auth(stack).revoke_refresh_token("some-refresh-token")
    assert isinstance(info.value, ScribeAuthError)
    assert stack.recorder.count("RevokeToken") == 5


# -- MFA -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_mfa_flow_with_an_authenticator_code(stack: LocalStack, form: str) -> None:
    bob = stack.seed.users["bob"]
    auth = make_auth(stack, form)
    challenge = expect_challenge(
        auth.get_tokens(username="bob", password=bob.password), "SOFTWARE_TOKEN_MFA"
    )
    with pytest.raises(CodeMismatchError) as info:
        auth.respond_to_auth_challenge_mfa(
            "bob", challenge["session"], wrong_totp(stack, bob.totp_secret)
        )
    assert isinstance(info.value, UnauthorizedException)
    tokens = auth.respond_to_auth_challenge_mfa(
        "bob", challenge["session"], totp(stack, bob.totp_secret)
    )
    expect_tokens(tokens, "bob")
    assert stack.recorder.count("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA") == 2


def test_mfa_answer_names_the_user_cognito_named_not_the_alias(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.email
    auth = make_auth(stack)
    challenge = expect_challenge(
        auth.get_tokens(username=bob.email, password=bob.password), "SOFTWARE_TOKEN_MFA"
    )
    # 1.x sent the alias as USERNAME, which Cognito refuses under SRP; the instance kept the
    # challenge's USER_ID_FOR_SRP.
    tokens = auth.respond_to_auth_challenge_mfa(
        bob.email, challenge["session"], totp(stack, bob.totp_secret)
    )
    expect_tokens(tokens, "bob")


def test_mfa_session_from_another_instance_is_answered_for_the_given_username(
    stack: LocalStack,
) -> None:
    bob = stack.seed.users["bob"]
    challenge = expect_challenge(
        make_auth(stack).get_tokens(username="bob", password=bob.password), "SOFTWARE_TOKEN_MFA"
    )
    other = make_auth(stack)
    with pytest.raises(UnauthorizedException):
        other.respond_to_auth_challenge_mfa(
            "someone-else", challenge["session"], totp(stack, bob.totp_secret)
        )
    expect_tokens(
        other.respond_to_auth_challenge_mfa(
            "bob", challenge["session"], totp(stack, bob.totp_secret)
        ),
        "bob",
    )


def test_sms_and_email_codes_answer_their_own_challenge(stack: LocalStack) -> None:
    auth = make_auth(stack)
    for name, kind in (("dave", "SMS_MFA"), ("erin", "EMAIL_OTP")):
        user = stack.seed.users[name]
        challenge = expect_challenge(auth.get_tokens(username=name, password=user.password), kind)
        code = stack.user_pool.last_code(name)
        assert code is not None
        expect_tokens(auth.respond_to_auth_challenge_mfa(name, challenge["session"], code), name)
        assert stack.recorder.count("RespondToAuthChallenge", kind) == 1


def test_select_mfa_type_is_answered_with_the_authenticator_app(stack: LocalStack) -> None:
    frank = stack.seed.users["frank"]
    auth = make_auth(stack)
    challenge = expect_challenge(
        auth.get_tokens(username="frank", password=frank.password), "SELECT_MFA_TYPE"
    )
    with pytest.raises(CodeMismatchError):
        auth.respond_to_auth_challenge_mfa(
            "frank", challenge["session"], wrong_totp(stack, frank.totp_secret)
        )
    # A mistyped code is retried with the same (1.x) session.
    tokens = auth.respond_to_auth_challenge_mfa(
        "frank", challenge["session"], totp(stack, frank.totp_secret)
    )
    expect_tokens(tokens, "frank")
    assert stack.recorder.count("RespondToAuthChallenge", "SELECT_MFA_TYPE") == 1


def test_expired_mfa_session_raises_an_unauthorized_subclass(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = stack.seed.users["bob"]
    auth = make_auth(stack)
    challenge = expect_challenge(
        auth.get_tokens(username="bob", password=bob.password), "SOFTWARE_TOKEN_MFA"
    )
    monkeypatch.setattr(stack, "clock_offset", stack.clock_offset + 600)  # sessions last 3 min
    with pytest.raises(ExpiredCodeError) as info:
        auth.respond_to_auth_challenge_mfa(
            "bob", challenge["session"], totp(stack, bob.totp_secret)
        )
    assert isinstance(info.value, UnauthorizedException)


def test_empty_mfa_code_is_refused_without_a_call(stack: LocalStack) -> None:
    with pytest.raises(CodeMismatchError):
        make_auth(stack).respond_to_auth_challenge_mfa("bob", "session", "  ")
    assert stack.recorder.count("RespondToAuthChallenge") == 0


def test_new_password_challenge_is_not_answered_with_an_mfa_code(stack: LocalStack) -> None:
    user = new_user(stack, temporary=True)
    auth = make_auth(stack)
    challenge = expect_challenge(
        auth.get_tokens(username=user.username, password=user.password), "NEW_PASSWORD_REQUIRED"
    )
    with pytest.raises(SignInRequired, match="NEW_PASSWORD_REQUIRED"):
        auth.respond_to_auth_challenge_mfa(user.username, challenge["session"], "123456")


# -- passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_change_password(stack: LocalStack, form: str) -> None:
    user = new_user(stack)
    auth = make_auth(stack, form)
    assert auth.change_password(user.username, user.password, NEW_PASSWORD) is True
    assert stack.recorder.count("ChangePassword") == 1
    with pytest.raises(UnauthorizedException):
        auth.get_tokens(username=user.username, password=user.password)
    expect_tokens(auth.get_tokens(username=user.username, password=NEW_PASSWORD), user.username)


def test_change_password_answers_new_password_required(stack: LocalStack) -> None:
    user = new_user(stack, temporary=True)
    auth = make_auth(stack)
    assert auth.change_password(user.username, user.password, NEW_PASSWORD) is True
    assert stack.recorder.count("RespondToAuthChallenge", "NEW_PASSWORD_REQUIRED") == 1
    expect_tokens(auth.get_tokens(username=user.username, password=NEW_PASSWORD), user.username)


def test_change_password_returns_an_mfa_challenge(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    result = make_auth(stack).change_password("bob", bob.password, NEW_PASSWORD)
    assert isinstance(result, dict)
    expect_challenge(result, "SOFTWARE_TOKEN_MFA")
    assert stack.recorder.count("ChangePassword") == 0


def test_change_password_failures(stack: LocalStack) -> None:
    user = new_user(stack)
    auth = make_auth(stack)
    with pytest.raises(UnauthorizedException):
        auth.change_password(user.username, "Wrong-Passw0rd!", NEW_PASSWORD)
    with pytest.raises(PasswordPolicyError) as info:
        auth.change_password(user.username, user.password, "short")
    assert isinstance(info.value, UnauthorizedException)
    with pytest.raises(UnauthorizedException, match="missing"):
        auth.change_password("", user.password, NEW_PASSWORD)


@pytest.mark.parametrize("form", FORMS)
def test_forgot_password_confirms_with_the_code(stack: LocalStack, form: str) -> None:
    user = new_user(stack)
    SignIn(client_id=stack.seed.public_client_id, user_pool_id=None).forgot_password(user.username)
    code = stack.user_pool.last_code(user.username)
    assert code is not None
    auth = make_auth(stack, form)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeMismatchError) as info:
        auth.forgot_password(user.username, NEW_PASSWORD, wrong)
    assert isinstance(info.value, UnauthorizedException)
    assert auth.forgot_password(user.username, NEW_PASSWORD, code) is True
    expect_tokens(auth.get_tokens(username=user.username, password=NEW_PASSWORD), user.username)


def test_forgot_password_without_a_code_is_refused_without_a_call(stack: LocalStack) -> None:
    with pytest.raises(CodeMismatchError):
        make_auth(stack).forgot_password("alice", NEW_PASSWORD, "")
    assert stack.recorder.count("ConfirmForgotPassword") == 0


# -- identity pool -------------------------------------------------------------------------------


def alice_tokens(stack: LocalStack, auth: ScribeAuth) -> Tokens:
    return expect_tokens(
        auth.get_tokens(username="alice", password=stack.seed.users["alice"].password), "alice"
    )


def test_federated_id_is_stable_and_credentials_have_the_1x_shape(stack: LocalStack) -> None:
    auth = make_auth(stack)
    tokens = alice_tokens(stack, auth)
    identity_id = auth.get_federated_id(tokens["id_token"])
    assert identity_id.startswith(f"{stack.seed.region}:")
    assert make_auth(stack).get_federated_id(alice_tokens(stack, auth)["id_token"]) == identity_id

    credentials = auth.get_federated_credentials(identity_id, tokens["id_token"])
    assert set(credentials) == {"AccessKeyId", "SecretKey", "SessionToken", "Expiration"}
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert credentials["SecretKey"]
    assert credentials["SessionToken"]
    expiration = credentials["Expiration"]
    assert isinstance(expiration, datetime)
    assert expiration.utcoffset() == timedelta(0)
    expected = datetime.fromtimestamp(stack.now(), timezone.utc) + timedelta(hours=1)
    assert abs((expiration - expected).total_seconds()) < 60


def test_identity_pool_needs_both_pool_ids(stack: LocalStack) -> None:
    tokens = alice_tokens(stack, make_auth(stack))
    no_identity_pool = ScribeAuth(
        {"client_id": stack.seed.public_client_id, "user_pool_id": stack.seed.user_pool_id}
    )
    for auth in (no_identity_pool, make_auth(stack, "str")):
        with pytest.raises(MissingIdException):
            auth.get_federated_id(tokens["id_token"])
        with pytest.raises(MissingIdException):
            auth.get_federated_credentials("eu-west-2:x", tokens["id_token"])
    assert stack.recorder.count("GetId") == 0


def test_refused_id_token_raises_unauthorized(stack: LocalStack) -> None:
    auth = make_auth(stack)
    tokens = alice_tokens(stack, auth)
    identity_id = auth.get_federated_id(tokens["id_token"])
    head, body, signature = tokens["id_token"].split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    with pytest.raises(UnauthorizedException):
        auth.get_federated_id(forged)
    with pytest.raises(UnauthorizedException):
        auth.get_federated_credentials(identity_id, forged)
    # Bob's token does not prove alice's identity.
    bob = stack.seed.users["bob"]
    challenge = expect_challenge(
        auth.get_tokens(username="bob", password=bob.password), "SOFTWARE_TOKEN_MFA"
    )
    bob_tokens = auth.respond_to_auth_challenge_mfa(
        "bob", challenge["session"], totp(stack, bob.totp_secret)
    )
    with pytest.raises(UnauthorizedException):
        auth.get_federated_credentials(identity_id, bob_tokens["id_token"])


def test_unknown_identity_raises_resource_not_found(stack: LocalStack) -> None:
    auth = make_auth(stack)
    tokens = alice_tokens(stack, auth)
    with pytest.raises(ResourceNotFoundException) as info:
        auth.get_federated_credentials(f"{stack.seed.region}:{uuid.uuid4()}", tokens["id_token"])
    assert isinstance(info.value, ScribeAuthError)


# -- signing -------------------------------------------------------------------------------------


def federated_credentials(stack: LocalStack, auth: ScribeAuth) -> Credentials:
    tokens = alice_tokens(stack, auth)
    return auth.get_federated_credentials(
        auth.get_federated_id(tokens["id_token"]), tokens["id_token"]
    )


def send(url: str, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers.items()))
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_signature_headers_verify_at_the_gateway(stack: LocalStack) -> None:
    auth = make_auth(stack)
    credentials = federated_credentials(stack, auth)
    url = stack.endpoint_url + "/prod/echo"
    body = b'{"note": "signed"}'
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": "application/json"}
    )
    headers = auth.get_signature_for_request(request, credentials)
    assert headers["X-Amz-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    assert headers["X-Amz-Security-Token"] == credentials["SessionToken"]
    assert "/eu-west-2/execute-api/aws4_request" in headers["Authorization"]

    status, echo = send(url, body, headers)
    assert status == 200, echo
    assert echo["body"] == body.decode()
    assert echo["access_key_id"] == credentials["AccessKeyId"]

    status, refusal = send(url, b'{"note": "tampered"}', headers)
    assert status == 403
    assert "x-amz-content-sha256" in refusal["message"]


def test_signature_signs_the_body_hash_and_takes_the_region_from_the_host() -> None:
    # 1.x sent UNSIGNED-PAYLOAD over https and signed for eu-west-2 whatever the host said.
    auth = ScribeAuth("client")
    credentials = Credentials(
        AccessKeyId="ASIAEXAMPLEEXAMPLE00",
        SecretKey="secret-key-example",
        SessionToken="session-token-example",
        Expiration=datetime.now(timezone.utc),
    )
    body = b'{"a": 1}'
    request = AWSRequest(
        method="PUT",
        url="https://abc123defg.execute-api.us-west-2.amazonaws.com/prod/items",
        data=body,
    )
    headers = auth.get_signature_for_request(request, credentials)
    assert headers["X-Amz-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    assert "/us-west-2/execute-api/aws4_request" in headers["Authorization"]
    assert "x-amz-content-sha256" in headers["Authorization"]
    assert request.headers["Authorization"] == headers["Authorization"]  # signed in place

    other = AWSRequest(method="GET", url="https://api.example.com/prod/items")
    assert (
        "/eu-west-2/execute-api/"
        in auth.get_signature_for_request(other, credentials)["Authorization"]
    )


def test_signature_with_incomplete_credentials_raises_config_error() -> None:
    request = AWSRequest(method="GET", url="https://api.example.com/")
    with pytest.raises(ConfigError, match="SessionToken"):
        ScribeAuth("client").get_signature_for_request(
            request, {"AccessKeyId": "ASIA", "SecretKey": "s"}
        )
