"""UserPoolClient: Cognito and transport failures become scribeauth errors; SECRET_HASH."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import botocore.exceptions
import pytest

from scribeauth import srp
from scribeauth.errors import (
    CodeMismatchError,
    ConfigError,
    ExpiredCodeError,
    PasswordPolicyError,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    TooManyRequestsException,
    UnauthorizedException,
    UserNotConfirmedError,
)
from scribeauth.local.stack import LocalStack
from scribeauth.user_pool import (
    UserPoolClient,
    _safe_message,
    _translate,
    error_code,
    srp_not_enabled,
)


def pool(stack: LocalStack, **kw: Any) -> UserPoolClient:
    args: dict[str, Any] = {"region": stack.seed.region, "client_id": stack.seed.public_client_id}
    args.update(kw)
    return UserPoolClient(**args)


def password_login(client: UserPoolClient, username: str, password: str) -> dict[str, Any]:
    return client.initiate_auth("USER_PASSWORD_AUTH", {"USERNAME": username, "PASSWORD": password})


# --- against the stack -------------------------------------------------------------------------
def test_successful_reply_drops_response_metadata(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    reply = password_login(pool(stack), "alice", alice.password)
    assert "ResponseMetadata" not in reply
    assert reply["AuthenticationResult"]["IdToken"]


def test_not_authorized(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException) as info:
        password_login(pool(stack), "alice", "Wrong-Passw0rd!")
    err = info.value
    assert error_code(err) == "NotAuthorizedException"
    assert isinstance(err.__cause__, botocore.exceptions.ClientError)
    assert "InitiateAuth" in str(err)
    assert "check the username and password" in str(err)
    assert "Wrong-Passw0rd!" not in str(err)
    assert "\n" not in str(err)


def test_unknown_client_is_resource_not_found(stack: LocalStack) -> None:
    with pytest.raises(ResourceNotFoundException) as info:
        password_login(pool(stack, client_id="nosuchclient"), "alice", "x-Passw0rd!")
    assert info.value.exit_code == 7
    assert "scribe_client_id" in str(info.value)


def test_srp_not_enabled_is_detectable(stack: LocalStack) -> None:
    client = pool(stack, client_id=stack.seed.srp_disabled_client_id)
    with pytest.raises(ServiceError) as info:
        client.initiate_auth("USER_SRP_AUTH", {"USERNAME": "alice", "SRP_A": "abc"})
    assert error_code(info.value) == "InvalidParameterException"
    assert srp_not_enabled(info.value)
    assert "[InvalidParameterException]" in str(info.value)


def test_other_invalid_parameter_is_not_srp_not_enabled(stack: LocalStack) -> None:
    with pytest.raises(ServiceError) as info:
        pool(stack).initiate_auth("USER_SRP_AUTH", {"USERNAME": "alice", "SRP_A": "zz"})
    assert error_code(info.value) == "InvalidParameterException"
    assert not srp_not_enabled(info.value)


def test_code_mismatch_on_challenge(stack: LocalStack) -> None:
    dave = stack.seed.users["dave"]
    client = pool(stack)
    reply = password_login(client, "dave", dave.password)
    assert reply["ChallengeName"] == "SMS_MFA"
    right = stack.user_pool.last_code("dave") or ""
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(CodeMismatchError) as info:
        client.respond_to_auth_challenge(
            "SMS_MFA", reply["Session"], {"USERNAME": "dave", "SMS_MFA_CODE": wrong}
        )
    assert error_code(info.value) == "CodeMismatchException"
    assert wrong not in str(info.value)
    assert reply["Session"] not in str(info.value)


def test_wrong_first_totp_code_is_code_mismatch(stack: LocalStack) -> None:
    gina = stack.seed.users["gina"]
    mfa_pool = stack.seed.mfa_required_pool
    client = pool(stack, client_id=mfa_pool.public_client_id)
    reply = password_login(client, "gina", gina.password)
    assert reply["ChallengeName"] == "MFA_SETUP"
    associated = client.associate_software_token(session=reply["Session"])
    assert associated["SecretCode"]
    with pytest.raises(CodeMismatchError) as info:
        client.verify_software_token("000000x", session=associated["Session"])
    assert error_code(info.value) == "EnableSoftwareTokenMFAException"


def test_expired_challenge_session(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    dave = stack.seed.users["dave"]
    client = pool(stack)
    reply = password_login(client, "dave", dave.password)
    code = stack.user_pool.last_code("dave") or ""
    monkeypatch.setattr(stack, "clock_offset", stack.clock_offset + 600)
    with pytest.raises(ExpiredCodeError, match="sign in again"):
        client.respond_to_auth_challenge(
            "SMS_MFA", reply["Session"], {"USERNAME": "dave", "SMS_MFA_CODE": code}
        )


def test_password_policy(stack: LocalStack) -> None:
    name = "p" + uuid.uuid4().hex[:10]
    stack.create_user(name, "Fresh-Passw0rd!")
    client = pool(stack)
    access = password_login(client, name, "Fresh-Passw0rd!")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(PasswordPolicyError) as info:
        client.change_password(access, "Fresh-Passw0rd!", "weakweak")
    assert error_code(info.value) == "InvalidPasswordException"
    assert "weakweak" not in str(info.value)
    assert access not in str(info.value)


def test_get_user_and_bad_access_token(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    client = pool(stack)
    access = password_login(client, "alice", alice.password)["AuthenticationResult"]["AccessToken"]
    assert client.get_user(access)["Username"] == "alice"
    with pytest.raises(UnauthorizedException, match="sign in again") as info:
        client.get_user(access + "x")
    assert access not in str(info.value)


def test_revoke_token_sends_client_secret_for_confidential_clients(stack: LocalStack) -> None:
    seed = stack.seed
    client = pool(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    assert client.has_secret
    reply = password_login(client, "alice", seed.users["alice"].password)
    refresh = reply["AuthenticationResult"]["RefreshToken"]
    client.revoke_token(refresh)
    [request] = [r for r in stack.recorder.requests if r["operation"] == "RevokeToken"]
    assert request["params"]["ClientSecret"] == "***"
    bare = pool(stack, client_id=seed.confidential_client_id)
    with pytest.raises(UnauthorizedException) as info:
        bare.revoke_token(refresh)
    assert error_code(info.value) == "UnauthorizedException"


def test_secret_hash_is_over_the_given_name(stack: LocalStack) -> None:
    seed = stack.seed
    client = pool(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    alice = seed.users["alice"]
    reply = password_login(client, "alice", alice.password)
    refresh = reply["AuthenticationResult"]["RefreshToken"]
    # The right name hashes correctly; a wrong one is refused by the stack.
    ok = client.initiate_auth(
        "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh}, secret_hash_username="alice"
    )
    assert ok["AuthenticationResult"]["AccessToken"]
    with pytest.raises(UnauthorizedException):
        client.initiate_auth(
            "REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh}, secret_hash_username="bob"
        )
    with pytest.raises(SignInRequired):
        client.initiate_auth("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh})
    expected = srp.secret_hash(
        "alice", seed.confidential_client_id, seed.confidential_client_secret
    )
    bodies = [b for b in stack.recorder.raw_bodies if b"REFRESH_TOKEN_AUTH" in b]
    assert expected.encode() in bodies[0]


def test_one_of_session_and_access_token() -> None:
    client = UserPoolClient("eu-west-2", "c")
    with pytest.raises(ValueError, match="exactly one"):
        client.associate_software_token()
    with pytest.raises(ValueError, match="exactly one"):
        client.verify_software_token("123456", session="s", access_token="a")


# --- transport failures ------------------------------------------------------------------------
# ("reset" is left out: the stack's reset currently costs a 10 s read timeout per attempt.)
@pytest.mark.parametrize("kind", ["garble", "truncate"])
def test_broken_replies_are_service_unavailable(stack: LocalStack, kind: str) -> None:
    stack.faults.add("InitiateAuth", kind, times=5)
    with pytest.raises(ServiceUnavailableError) as info:
        password_login(pool(stack), "alice", stack.seed.users["alice"].password)
    assert type(info.value) is ServiceUnavailableError
    assert error_code(info.value) is None
    assert "ResponseParserError" in str(info.value)
    assert stack.seed.users["alice"].password not in str(info.value)


def test_nothing_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceUnavailableError, match="EndpointConnectionError"):
        UserPoolClient("eu-west-2", "c").get_user("token")


def test_parameter_validation_never_echoes_values(stack: LocalStack) -> None:
    # botocore refuses an empty client id before sending anything; its message would name values.
    # A malformed setting: ConfigError (exit 3), as from the identity pool (one translator).
    with pytest.raises(ConfigError) as info:
        UserPoolClient("eu-west-2", "").initiate_auth(
            "USER_PASSWORD_AUTH", {"USERNAME": "alice", "PASSWORD": "Secret-Passw0rd!"}
        )
    assert "ParamValidationError" in str(info.value)
    assert "scribe_client_id" in str(info.value)
    assert info.value.exit_code == 3
    assert "Secret-Passw0rd!" not in str(info.value)
    assert stack.recorder.count("InitiateAuth") == 0


def test_malformed_config_file_is_a_config_error(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    config = tmp_path / "broken-config"
    config.write_text("[profile scribe\nregion = eu-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(ConfigError, match="AWS config file"):
        UserPoolClient("eu-west-2", "c", profile="scribe").get_user("token")


# --- the translation table ---------------------------------------------------------------------
def _reply(code: str, message: str = "", status: int = 400) -> dict[str, Any]:
    return {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("NotAuthorizedException", UnauthorizedException),
        ("UserNotFoundException", UnauthorizedException),
        ("PasswordResetRequiredException", UnauthorizedException),
        ("CodeMismatchException", CodeMismatchError),
        ("ExpiredCodeException", ExpiredCodeError),
        ("InvalidPasswordException", PasswordPolicyError),
        ("UserNotConfirmedException", UserNotConfirmedError),
        ("TooManyRequestsException", TooManyRequestsException),
        ("LimitExceededException", TooManyRequestsException),
        ("TooManyFailedAttemptsException", TooManyRequestsException),
        ("ResourceNotFoundException", ResourceNotFoundException),
        ("InvalidParameterException", ServiceError),
        ("InvalidUserPoolConfigurationException", ServiceError),
        ("InternalErrorException", ServiceUnavailableError),
        ("SomethingNewException", ServiceError),
    ],
)
def test_translation(code: str, cls: type[ScribeAuthError]) -> None:
    err = _translate(_reply(code, "Some message."), "InitiateAuth", "sign-in", [])
    assert type(err) is cls
    assert error_code(err) == code
    assert str(err).startswith("InitiateAuth: ")


def test_password_reset_required_names_the_fix() -> None:
    err = _translate(_reply("PasswordResetRequiredException"), "InitiateAuth", "sign-in", [])
    assert "scribeauth forgot-password" in str(err)


def test_user_not_found_does_not_reveal_existence() -> None:
    err = _translate(_reply("UserNotFoundException", "User does not exist."), "X", "sign-in", [])
    assert "incorrect username or password" in str(err)
    assert "does not exist" not in str(err)


def test_5xx_without_known_code_is_unavailable() -> None:
    err = _translate(_reply("ServiceUnavailable", "", 503), "InitiateAuth", "sign-in", [])
    assert type(err) is ServiceUnavailableError


def test_refresh_context_says_sign_in_again() -> None:
    err = _translate(_reply("NotAuthorizedException", "Invalid Refresh Token"), "X", "refresh", [])
    assert "sign in again: scribeauth login" in str(err)


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("Incorrect username or password.", "Incorrect username or password"),
        (
            "Password does not conform to policy:\n  too short",
            "Password does not conform to policy: too short",
        ),
        ("token eyJraWQiOiJhYmMiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig leaked", ""),
        ("refresh " + "A" * 60, ""),
        ("x" * 300, ""),
        (None, ""),
        ("the code 123456 is wrong", ""),
    ],
)
def test_safe_message(message: Any, kept: str) -> None:
    assert _safe_message(message, ["123456"]) == kept
