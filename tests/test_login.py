"""Sign-in flows against the strict local stack: SRP, password, every challenge, refresh."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest

from scribeauth.errors import (
    CodeMismatchError,
    ConfigError,
    ExpiredCodeError,
    MissingIdException,
    PasswordPolicyError,
    ServiceError,
    ServiceUnavailableError,
    SrpNotAllowedError,
    UnauthorizedException,
)
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import stack_clock
from scribeauth.login import SignIn, TotpSetup, can_revoke, region_of
from scribeauth.models import Challenge, Tokens

NEW_PASSWORD = "Brand-N3w-Passw0rd!"


@pytest.fixture
def restore_seed(stack: LocalStack) -> Iterator[None]:
    """For tests that change a seed user (carol's password, gina's MFA): put them back."""
    yield
    stack.restore_defaults()


def sign_in(stack: LocalStack, **kw: Any) -> SignIn:
    args: dict[str, Any] = {
        "client_id": stack.seed.public_client_id,
        "user_pool_id": stack.seed.user_pool_id,
        "now": lambda: stack_clock(stack),
    }
    args.update(kw)
    return SignIn(**args)


def totp_now(stack: LocalStack, secret: str) -> str:
    return pyotp.TOTP(secret).at(stack.now())


def wrong_totp(stack: LocalStack, secret: str) -> str:
    window = {pyotp.TOTP(secret).at(stack.now() + step * 30) for step in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)


def wrong_code(right: str | None) -> str:
    assert right is not None
    return f"{(int(right) + 1) % 1_000_000:06d}"


def expect_tokens(result: Tokens | Challenge, username: str) -> Tokens:
    assert isinstance(result, Tokens), result
    assert result.username == username
    assert result.refresh_token
    return result


def expect_challenge(result: Tokens | Challenge, name: str) -> Challenge:
    assert isinstance(result, Challenge), "expected a challenge, got tokens"
    assert result.name == name
    return result


def challenge_requests(stack: LocalStack) -> list[dict[str, Any]]:
    return [r for r in stack.recorder.requests if r["operation"] == "RespondToAuthChallenge"]


# --- SRP and password --------------------------------------------------------------------------
def test_srp_sign_in(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    tokens = expect_tokens(sign_in(stack).start("alice", alice.password), "alice")
    assert tokens.id.claims["token_use"] == "id"
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert stack.recorder.count("RespondToAuthChallenge", "PASSWORD_VERIFIER") == 1
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0


def test_srp_never_sends_the_password(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    expect_tokens(sign_in(stack).start("alice@example.com", alice.password), "alice")
    assert stack.recorder.raw_bodies, "nothing was recorded"
    forms = {alice.password.encode(), json.dumps(alice.password)[1:-1].encode()}
    for body in stack.recorder.raw_bodies:
        assert not any(form in body for form in forms)


def test_password_flow_does_send_it(stack: LocalStack) -> None:
    # Guards the previous test: the search does find a password that is sent.
    alice = stack.seed.users["alice"]
    expect_tokens(
        sign_in(stack, auth_flow="USER_PASSWORD_AUTH").start("alice", alice.password), "alice"
    )
    assert any(alice.password.encode() in body for body in stack.recorder.raw_bodies)


def test_wrong_password(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException) as info:
        sign_in(stack).start("alice", "Not-The-Passw0rd!")
    assert type(info.value) is UnauthorizedException
    assert "incorrect username or password" in str(info.value).lower()
    assert "Not-The-Passw0rd!" not in str(info.value)
    assert info.value.exit_code == 5
    assert getattr(info.value, "code", None) == "NotAuthorizedException"
    assert info.value.__cause__ is not None


def test_unknown_user(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException, match=r"(?i)incorrect username or password"):
        sign_in(stack).start("nobody-" + uuid.uuid4().hex[:8], "Whatever-Passw0rd!")


def test_email_alias_answers_with_user_id_for_srp(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    expect_tokens(sign_in(stack).start("alice@example.com", alice.password), "alice")
    initiate = [r for r in stack.recorder.requests if r["operation"] == "InitiateAuth"]
    assert initiate[0]["params"]["AuthParameters"]["USERNAME"] == "alice@example.com"
    [verifier] = challenge_requests(stack)
    assert verifier["params"]["ChallengeResponses"]["USERNAME"] == "alice"


def test_confidential_client_hashes_every_step(stack: LocalStack) -> None:
    seed = stack.seed
    client = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    # By alias: the InitiateAuth hash is over the typed name, the challenge's over "alice".
    tokens = expect_tokens(client.start("alice@example.com", seed.users["alice"].password), "alice")
    requests = stack.recorder.requests
    assert [r["operation"] for r in requests] == ["InitiateAuth", "RespondToAuthChallenge"]
    assert requests[0]["params"]["AuthParameters"]["SECRET_HASH"] == "***"
    assert requests[1]["params"]["ChallengeResponses"]["SECRET_HASH"] == "***"

    stack.recorder.reset()
    refreshed = client.refresh(tokens.refresh_token or "", username=tokens.username)
    assert refreshed.refresh_token == tokens.refresh_token
    # GetTokensFromRefreshToken takes the raw client secret, not a hash.
    [refresh] = stack.recorder.requests
    assert refresh["operation"] == "GetTokensFromRefreshToken"
    assert refresh["params"]["ClientSecret"] == "***"
    assert "SECRET_HASH" not in str(refresh["params"])


def test_confidential_client_with_mfa_hashes_challenge_answers(stack: LocalStack) -> None:
    seed = stack.seed
    client = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    bob = seed.users["bob"]
    assert bob.totp_secret
    challenge = expect_challenge(
        client.start("bob@example.com", bob.password), "SOFTWARE_TOKEN_MFA"
    )
    assert challenge.username == "bob"
    expect_tokens(client.answer(challenge, totp_now(stack, bob.totp_secret)), "bob")
    for request in challenge_requests(stack):
        assert request["params"]["ChallengeResponses"]["SECRET_HASH"] == "***"


def test_confidential_client_wrong_or_missing_secret(stack: LocalStack) -> None:
    seed = stack.seed
    password = seed.users["alice"].password
    wrong = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret="not-the-secret-of-this-client-at-all",
    )
    with pytest.raises(UnauthorizedException) as info:
        wrong.start("alice", password)
    assert "not-the-secret" not in str(info.value)
    missing = sign_in(stack, client_id=seed.confidential_client_id)
    with pytest.raises(UnauthorizedException):
        missing.start("alice", password)


def test_confidential_refresh_sends_the_secret_whatever_the_username(stack: LocalStack) -> None:
    seed = stack.seed
    client = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    tokens = expect_tokens(client.start("alice", seed.users["alice"].password), "alice")
    refresh_token = tokens.refresh_token or ""
    # GetTokensFromRefreshToken checks the raw secret: no username (nor alias) is hashed.
    for username in ("alice@example.com", None, tokens.id.claims["sub"]):
        assert client.refresh(refresh_token, username=username).username == "alice"
    assert stack.recorder.count("GetTokensFromRefreshToken") == 3
    assert stack.recorder.count("InitiateAuth", "REFRESH_TOKEN_AUTH") == 0
    wrong = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret="not-the-secret-of-this-client-at-all",
    )
    with pytest.raises(UnauthorizedException):
        wrong.refresh(refresh_token)


# --- refresh, revoke, sign-out -----------------------------------------------------------------
def test_refresh_makes_one_call_and_keeps_the_refresh_token(stack: LocalStack) -> None:
    client = sign_in(stack)
    tokens = expect_tokens(client.start("alice", stack.seed.users["alice"].password), "alice")
    stack.recorder.reset()
    refreshed = client.refresh(tokens.refresh_token or "")
    assert stack.recorder.operations() == ["GetTokensFromRefreshToken"]
    assert refreshed.refresh_token == tokens.refresh_token
    assert refreshed.id_token != tokens.id_token
    assert refreshed.username == "alice"


def test_refresh_with_unknown_token(stack: LocalStack) -> None:
    with pytest.raises(UnauthorizedException, match="sign in again"):
        sign_in(stack).refresh("not-a-refresh-token")


def test_revoke_then_refresh_fails(stack: LocalStack) -> None:
    client = sign_in(stack)
    tokens = expect_tokens(client.start("alice", stack.seed.users["alice"].password), "alice")
    assert can_revoke(tokens)
    client.revoke(tokens.refresh_token or "")
    assert stack.recorder.count("RevokeToken") == 1
    with pytest.raises(UnauthorizedException) as info:
        client.refresh(tokens.refresh_token or "")
    assert (tokens.refresh_token or "") not in str(info.value)


def test_global_sign_out_ends_every_session(stack: LocalStack) -> None:
    client = sign_in(stack)
    password = stack.seed.users["alice"].password
    first = expect_tokens(client.start("alice", password), "alice")
    second = expect_tokens(client.start("alice", password), "alice")
    client.global_sign_out(second.access_token)
    assert stack.recorder.count("GlobalSignOut") == 1
    for tokens in (first, second):
        with pytest.raises(UnauthorizedException):
            client.refresh(tokens.refresh_token or "")
    with pytest.raises(UnauthorizedException):
        client.global_sign_out(second.access_token)


def _fake_jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.sig"


def test_can_revoke_needs_origin_jti() -> None:
    plain = Tokens(_fake_jwt({"sub": "x"}), _fake_jwt({"sub": "x"}), "r")
    assert not can_revoke(plain)
    marked = Tokens(_fake_jwt({"sub": "x"}), _fake_jwt({"origin_jti": "j"}), "r")
    assert can_revoke(marked)
    assert not can_revoke(Tokens("garbage", "garbage", "r"))


# --- MFA ---------------------------------------------------------------------------------------
def test_totp_mfa(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret
    client = sign_in(stack)
    challenge = expect_challenge(client.start("bob", bob.password), "SOFTWARE_TOKEN_MFA")
    assert challenge.username == "bob"
    assert "bob" in repr(challenge)
    with pytest.raises(CodeMismatchError) as info:
        client.answer(challenge, wrong_totp(stack, bob.totp_secret))
    assert info.value.exit_code == 5
    # One wrong code does not end the sign-in: the right one still works.
    expect_tokens(client.answer(challenge, totp_now(stack, bob.totp_secret)), "bob")


def test_totp_code_with_spaces(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret
    client = sign_in(stack)
    challenge = expect_challenge(client.start("bob", bob.password), "SOFTWARE_TOKEN_MFA")
    code = totp_now(stack, bob.totp_secret)
    expect_tokens(client.answer(challenge, f" {code[:3]} {code[3:]} "), "bob")


def test_totp_session_expires(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret
    client = sign_in(stack)
    challenge = expect_challenge(client.start("bob", bob.password), "SOFTWARE_TOKEN_MFA")
    monkeypatch.setattr(stack, "clock_offset", stack.clock_offset + 600)
    with pytest.raises(UnauthorizedException) as info:
        client.answer(challenge, totp_now(stack, bob.totp_secret))
    assert isinstance(info.value, ExpiredCodeError)
    assert "sign in again" in str(info.value)


def test_sms_mfa(stack: LocalStack) -> None:
    dave = stack.seed.users["dave"]
    client = sign_in(stack)
    challenge = expect_challenge(client.start("dave", dave.password), "SMS_MFA")
    assert challenge.parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    code = stack.user_pool.last_code("dave")
    with pytest.raises(CodeMismatchError) as info:
        client.answer(challenge, wrong_code(code))
    assert wrong_code(code) not in str(info.value)
    expect_tokens(client.answer(challenge, code), "dave")


def test_email_otp(stack: LocalStack) -> None:
    erin = stack.seed.users["erin"]
    client = sign_in(stack)
    challenge = expect_challenge(client.start("erin", erin.password), "EMAIL_OTP")
    assert challenge.parameters["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = stack.user_pool.last_code("erin")
    with pytest.raises(CodeMismatchError):
        client.answer(challenge, wrong_code(code))
    expect_tokens(client.answer(challenge, code), "erin")


def test_select_mfa_type_totp(stack: LocalStack) -> None:
    frank = stack.seed.users["frank"]
    assert frank.totp_secret
    client = sign_in(stack)
    challenge = expect_challenge(client.start("frank", frank.password), "SELECT_MFA_TYPE")
    assert set(json.loads(challenge.parameters["MFAS_CAN_CHOOSE"])) == {
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    }
    with pytest.raises(ValueError, match="not offered"):
        client.answer(challenge, mfa_type="email")
    assert stack.recorder.count("RespondToAuthChallenge", "SELECT_MFA_TYPE") == 0
    totp = expect_challenge(client.answer(challenge, mfa_type="totp"), "SOFTWARE_TOKEN_MFA")
    [select] = [r for r in challenge_requests(stack) if r["flow"] == "SELECT_MFA_TYPE"]
    assert select["params"]["ChallengeResponses"]["ANSWER"] == "SOFTWARE_TOKEN_MFA"
    expect_tokens(client.answer(totp, totp_now(stack, frank.totp_secret)), "frank")


def test_select_mfa_type_sms(stack: LocalStack) -> None:
    frank = stack.seed.users["frank"]
    client = sign_in(stack)
    challenge = expect_challenge(client.start("frank", frank.password), "SELECT_MFA_TYPE")
    sms = expect_challenge(client.answer(challenge, "SMS_MFA"), "SMS_MFA")
    expect_tokens(client.answer(sms, stack.user_pool.last_code("frank")), "frank")


@pytest.mark.usefixtures("restore_seed")
def test_mfa_setup(stack: LocalStack) -> None:
    gina = stack.seed.users["gina"]
    pool = stack.seed.mfa_required_pool
    client = sign_in(stack, client_id=pool.public_client_id, user_pool_id=pool.user_pool_id)
    challenge = expect_challenge(client.start("gina", gina.password), "MFA_SETUP")
    with pytest.raises(ValueError, match="setup_totp"):
        client.answer(challenge, "123456")
    setup = client.setup_totp(challenge)
    assert setup.uri.startswith("otpauth://totp/Scribe:gina?secret=")
    assert setup.uri.endswith("&issuer=Scribe")
    assert pyotp.parse_uri(setup.uri).secret == setup.secret
    assert setup.secret not in repr(setup)
    with pytest.raises(CodeMismatchError):
        client.finish_totp_setup(challenge, setup, wrong_totp(stack, setup.secret))
    tokens = client.finish_totp_setup(challenge, setup, totp_now(stack, setup.secret))
    expect_tokens(tokens, "gina")
    # From now on gina signs in with the app.
    again = expect_challenge(client.start("gina", gina.password), "SOFTWARE_TOKEN_MFA")
    expect_tokens(client.answer(again, totp_now(stack, setup.secret)), "gina")


def test_totp_setup_label_and_repr() -> None:
    setup = TotpSetup(secret="ABC", session="s", uri="otpauth://totp/x?secret=ABC")
    assert "ABC" not in repr(setup)


@pytest.mark.usefixtures("restore_seed")
def test_new_password_required(stack: LocalStack) -> None:
    carol = stack.seed.users["carol"]
    client = sign_in(stack)
    challenge = expect_challenge(client.start("carol", carol.password), "NEW_PASSWORD_REQUIRED")
    with pytest.raises(PasswordPolicyError) as info:
        client.answer(challenge, new_password="weakpw1")
    assert "weakpw1" not in str(info.value)
    with pytest.raises(ValueError, match="new password"):
        client.answer(challenge)
    expect_tokens(client.answer(challenge, new_password=NEW_PASSWORD), "carol")
    expect_tokens(client.start("carol", NEW_PASSWORD), "carol")
    with pytest.raises(UnauthorizedException):
        client.start("carol", carol.password)


def test_answer_needs_a_code(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    client = sign_in(stack)
    challenge = expect_challenge(client.start("bob", bob.password), "SOFTWARE_TOKEN_MFA")
    with pytest.raises(ValueError, match="code"):
        client.answer(challenge, "  ")


def test_unsupported_challenge_is_a_service_error() -> None:
    client = SignIn(client_id="c", user_pool_id="eu-west-2_Abc")
    reply = {"ChallengeName": "CUSTOM_CHALLENGE", "Session": "s", "ChallengeParameters": {}}
    with pytest.raises(ServiceError, match="CUSTOM_CHALLENGE"):
        client._outcome(reply, "u")


# --- flow choice -------------------------------------------------------------------------------
def test_srp_refused_without_a_pin_sends_no_password(stack: LocalStack) -> None:
    # Issue 11: no silent downgrade. The password never leaves unless the person chose so.
    warnings: list[str] = []
    client = sign_in(stack, client_id=stack.seed.srp_disabled_client_id, warn=warnings.append)
    password = stack.seed.users["alice"].password
    with pytest.raises(SrpNotAllowedError) as caught:
        client.start("alice", password)
    assert caught.value.exit_code == 3
    assert "scribe_auth_flow = USER_PASSWORD_AUTH" in str(caught.value)
    assert "--auth-flow USER_PASSWORD_AUTH" in str(caught.value)
    assert password not in str(caught.value)
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
    assert password.encode() not in b"\n".join(stack.recorder.raw_bodies)
    assert client.flow == "USER_SRP_AUTH", "a refusal changes nothing by itself"
    assert warnings == []


def test_the_password_flow_once_pinned_signs_in(stack: LocalStack) -> None:
    client = sign_in(
        stack, client_id=stack.seed.srp_disabled_client_id, auth_flow="USER_PASSWORD_AUTH"
    )
    expect_tokens(client.start("alice", stack.seed.users["alice"].password), "alice")
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 0


def test_pinned_srp_never_falls_back(stack: LocalStack) -> None:
    warnings: list[str] = []
    client = sign_in(
        stack,
        client_id=stack.seed.srp_disabled_client_id,
        auth_flow="USER_SRP_AUTH",
        warn=warnings.append,
    )
    with pytest.raises(ConfigError, match="scribe_auth_flow = USER_PASSWORD_AUTH"):
        client.start("alice", stack.seed.users["alice"].password)
    assert warnings == []
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0


def test_password_only_without_pool_id(stack: LocalStack) -> None:
    client = sign_in(stack, user_pool_id=None)
    assert client.region == "eu-west-2"
    assert client.flow == "USER_PASSWORD_AUTH"
    expect_tokens(client.start("alice", stack.seed.users["alice"].password), "alice")
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 0


def test_pinned_password_flow(stack: LocalStack) -> None:
    client = sign_in(stack, auth_flow="USER_PASSWORD_AUTH")
    expect_tokens(client.start("alice", stack.seed.users["alice"].password), "alice")
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 0


def test_constructor_checks() -> None:
    with pytest.raises(MissingIdException):
        SignIn(client_id="", user_pool_id=None)
    with pytest.raises(ConfigError, match="scribe_auth_flow"):
        SignIn(client_id="c", user_pool_id=None, auth_flow="CUSTOM_AUTH")
    with pytest.raises(ConfigError, match="scribe_user_pool_id"):
        SignIn(client_id="c", user_pool_id=None, auth_flow="USER_SRP_AUTH")
    with pytest.raises(ConfigError):
        SignIn(client_id="c", user_pool_id="not-a-pool")
    with pytest.raises(ConfigError, match="scribe_user_pool_id"):
        SignIn(client_id="c", user_pool_id="eu-west-2:00000000-0000-0000-0000-000000000000")
    assert SignIn(client_id="c", user_pool_id="us-east-1_Abc").region == "us-east-1"
    with pytest.raises(ConfigError, match="username"):
        SignIn(client_id="c", user_pool_id=None).start("", "pw")


def test_region_of() -> None:
    assert region_of(None) == "eu-west-2"
    assert region_of("ap-southeast-2_Xyz") == "ap-southeast-2"
    assert region_of("us-gov-west-1:0000-1111") == "us-gov-west-1"
    with pytest.raises(ConfigError):
        region_of("_Xyz")


def test_repr_has_no_secrets() -> None:
    client = SignIn(client_id="c", user_pool_id="eu-west-2_Abc", client_secret="s3cr3t-value")
    assert "s3cr3t-value" not in repr(client)
    assert "s3cr3t-value" not in repr(client._pool)


# --- passwords ---------------------------------------------------------------------------------
def _fresh_user(stack: LocalStack) -> tuple[str, str]:
    name = "u" + uuid.uuid4().hex[:10]
    password = "Fresh-Passw0rd!"
    stack.create_user(name, password)
    return name, password


def test_change_password(stack: LocalStack) -> None:
    name, password = _fresh_user(stack)
    client = sign_in(stack)
    tokens = expect_tokens(client.start(name, password), name)
    with pytest.raises(UnauthorizedException):
        client.change_password(tokens.access_token, "Wrong-Passw0rd!", NEW_PASSWORD)
    with pytest.raises(PasswordPolicyError):
        client.change_password(tokens.access_token, password, "weakweak")
    client.change_password(tokens.access_token, password, NEW_PASSWORD)
    expect_tokens(client.start(name, NEW_PASSWORD), name)
    with pytest.raises(UnauthorizedException):
        client.start(name, password)


def test_forgot_and_confirm_forgot_password(stack: LocalStack) -> None:
    name, password = _fresh_user(stack)
    client = sign_in(stack)
    details = client.forgot_password(name)
    assert details["DeliveryMedium"] == "EMAIL"
    code = stack.user_pool.last_code(name)
    with pytest.raises(CodeMismatchError):
        client.confirm_forgot_password(name, wrong_code(code), NEW_PASSWORD)
    client.confirm_forgot_password(name, code or "", NEW_PASSWORD)
    expect_tokens(client.start(name, NEW_PASSWORD), name)
    with pytest.raises(UnauthorizedException):
        client.start(name, password)


def test_forgot_password_with_confidential_client(stack: LocalStack) -> None:
    name, _ = _fresh_user(stack)
    seed = stack.seed
    client = sign_in(
        stack,
        client_id=seed.confidential_client_id,
        client_secret=seed.confidential_client_secret,
    )
    client.forgot_password(name)
    code = stack.user_pool.last_code(name)
    client.confirm_forgot_password(name, code or "", NEW_PASSWORD)
    expect_tokens(client.start(name, NEW_PASSWORD), name)
    for request in stack.recorder.requests[:2]:
        assert request["params"]["SecretHash"] == "***"


# --- the network -------------------------------------------------------------------------------
def test_throttled_then_retried(stack: LocalStack) -> None:
    stack.faults.add("InitiateAuth", "throttle", times=2)
    expect_tokens(sign_in(stack).start("alice", stack.seed.users["alice"].password), "alice")
    assert stack.recorder.count("InitiateAuth") == 3


def test_persistent_500_is_service_unavailable(stack: LocalStack) -> None:
    stack.faults.add("InitiateAuth", "500", times=5)
    with pytest.raises(ServiceUnavailableError) as info:
        sign_in(stack).start("alice", stack.seed.users["alice"].password)
    assert info.value.exit_code == 6
    # botocore counts `max_attempts` as retries: one try plus four retries.
    assert stack.recorder.count("InitiateAuth") == 5


def test_wrong_password_under_srp_says_to_check_the_password(
    scribe_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    seed = scribe_stack.seed
    sign_in = SignIn(client_id=seed.public_client_id, user_pool_id=seed.user_pool_id)
    with pytest.raises(UnauthorizedException) as caught:
        sign_in.start(seed.users["alice"].username, "not-the-password-1A!")
    assert "check the username and password" in str(caught.value)
    assert "check the code" not in str(caught.value)
