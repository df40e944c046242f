"""IdentityPoolClient over real HTTP against the strict local identity pool: GetId,
GetCredentialsForIdentity, the Expiration time zone, CustomRoleArn, and the error mapping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from scribeauth.errors import (
    ConfigError,
    ResourceNotFoundException,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    TooManyRequestsException,
    UnknownException,
)
from scribeauth.identity_pool import IdentityPoolClient
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import stack_clock
from scribeauth.login import SignIn
from scribeauth.models import Tokens

OTHER_PASSWORD = "An0ther-Passw0rd!"


def tokens_of(stack: LocalStack, user: str = "alice") -> Tokens:
    """Signs a user without MFA in: a seed user, or ``user`` created on the spot."""
    if user in stack.seed.users:
        seed_user = stack.seed.users[user]
    else:
        seed_user = stack.create_user(user, OTHER_PASSWORD)
    assert seed_user.totp_secret is None
    result = SignIn(
        client_id=stack.seed.public_client_id,
        user_pool_id=stack.seed.user_pool_id,
        now=lambda: stack_clock(stack),
    ).start(seed_user.username, seed_user.password)
    assert isinstance(result, Tokens)
    stack.recorder.reset()
    return result


def client_of(stack: LocalStack, pool_id: str | None = None) -> IdentityPoolClient:
    return IdentityPoolClient(
        identity_pool_id=pool_id or stack.seed.identity_pool_id,
        region=stack.seed.region,
        profile="scribe",
    )


def provider(stack: LocalStack) -> str:
    return f"cognito-idp.{stack.seed.region}.amazonaws.com/{stack.seed.user_pool_id}"


def test_get_id_is_stable_per_user(stack: LocalStack) -> None:
    alice = tokens_of(stack, "alice")
    ivy = tokens_of(stack, "ivy")
    client = client_of(stack)
    first = client.get_id(provider(stack), alice.id_token)
    assert first.startswith(f"{stack.seed.region}:")
    assert client.get_id(provider(stack), alice.id_token) == first
    assert client.get_id(provider(stack), ivy.id_token) != first
    assert stack.recorder.count("GetId") == 3
    # The Logins key is the canonical provider name, and the token never shows in the record.
    logins = stack.recorder.requests[0]["params"]["Logins"]
    assert logins == {provider(stack): "***"}


def test_credentials_expire_in_utc(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    client = client_of(stack)
    identity_id = client.get_id(provider(stack), tokens.id_token)
    before = stack_clock(stack)
    credentials = client.get_credentials(identity_id, provider(stack), tokens.id_token)
    assert credentials.access_key_id.startswith("ASIA")
    assert credentials.expires_at.tzinfo == timezone.utc
    expected = before + timedelta(seconds=stack.credential_lifetime)
    assert abs((credentials.expires_at - expected).total_seconds()) <= 2
    issued = stack.identity_pool.lookup(credentials.access_key_id)
    assert issued is not None
    assert issued.secret_access_key == credentials.secret_access_key
    assert issued.session_token == credentials.session_token
    assert credentials.expires_at.timestamp() == issued.expires_at
    # Secrets stay out of the repr.
    assert credentials.secret_access_key not in repr(credentials)
    assert credentials.session_token not in repr(credentials)


@pytest.fixture
def far_time_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local zone far from UTC: botocore parses Expiration in the local zone."""
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset (POSIX)")
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_time_zone")
def test_expiration_is_right_in_any_local_time_zone(stack: LocalStack) -> None:
    assert time.localtime().tm_gmtoff == 14 * 3600
    tokens = tokens_of(stack)
    client = client_of(stack)
    identity_id = client.get_id(provider(stack), tokens.id_token)
    credentials = client.get_credentials(identity_id, provider(stack), tokens.id_token)
    issued = stack.identity_pool.lookup(credentials.access_key_id)
    assert issued is not None
    assert credentials.expires_at.utcoffset() == timedelta(0)
    assert credentials.expires_at == datetime.fromtimestamp(issued.expires_at, timezone.utc)


def test_custom_role_arn(stack: LocalStack) -> None:
    role = "arn:aws:iam::123456789012:role/Scribe_Custom"
    tokens = tokens_of(stack)
    client = client_of(stack)
    identity_id = client.get_id(provider(stack), tokens.id_token)
    credentials = client.get_credentials(
        identity_id, provider(stack), tokens.id_token, role_arn=role
    )
    issued = stack.identity_pool.lookup(credentials.access_key_id)
    assert issued is not None
    assert issued.role_arn == role
    assert stack.recorder.requests[-1]["params"]["CustomRoleArn"] == role


def test_unknown_identity_is_not_found(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    unknown = f"{stack.seed.region}:00000000-0000-4000-8000-000000000000"
    with pytest.raises(ResourceNotFoundException, match="check scribe_identity_pool_id"):
        client_of(stack).get_credentials(unknown, provider(stack), tokens.id_token)


def test_another_users_identity_is_refused(stack: LocalStack) -> None:
    alice, ivy = tokens_of(stack, "alice"), tokens_of(stack, "ivy")
    client = client_of(stack)
    ivys_id = client.get_id(provider(stack), ivy.id_token)
    with pytest.raises(SignInRequired, match="Logins don't match"):
        client.get_credentials(ivys_id, provider(stack), alice.id_token)


def test_expired_id_token_means_sign_in(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    stack.clock_offset = stack.token_lifetime + 60
    with pytest.raises(SignInRequired) as caught:
        client_of(stack).get_id(provider(stack), tokens.id_token)
    message = str(caught.value)
    assert "run: scribeauth login --profile scribe" in message
    assert tokens.id_token not in message


def test_access_token_is_refused(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    with pytest.raises(SignInRequired):
        client_of(stack).get_id(provider(stack), tokens.access_token)


def test_unknown_identity_pool(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    client = client_of(stack, f"{stack.seed.region}:11111111-1111-4111-8111-111111111111")
    with pytest.raises(ResourceNotFoundException):
        client.get_id(provider(stack), tokens.id_token)


def test_invalid_parameter_is_a_service_error(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    client = client_of(stack)
    identity_id = client.get_id(provider(stack), tokens.id_token)
    with pytest.raises(ServiceError) as caught:
        client.get_credentials(
            identity_id, provider(stack), tokens.id_token, role_arn="arn:aws:iam::1:role/NotValid"
        )
    assert type(caught.value) is ServiceError
    assert "InvalidParameterException" in str(caught.value)


def test_bad_request_shape_is_a_config_error_without_the_token(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    with pytest.raises(ConfigError) as caught:
        IdentityPoolClient(identity_pool_id="", region="eu-west-2").get_id(
            provider(stack), tokens.id_token
        )
    assert tokens.id_token not in str(caught.value)
    assert "scribe_identity_pool_id" in str(caught.value)


def test_one_throttle_is_retried(stack: LocalStack) -> None:
    tokens = tokens_of(stack)
    stack.faults.add("GetId", "throttle", times=1)
    assert client_of(stack).get_id(provider(stack), tokens.id_token)
    assert stack.recorder.count("GetId") == 2


@pytest.mark.parametrize(
    ("kind", "times"),
    [("500", 10), ("truncate", 10), ("garble", 1)],
)
def test_unusable_service_is_unavailable(stack: LocalStack, kind: str, times: int) -> None:
    tokens = tokens_of(stack)
    client = client_of(stack)
    identity_id = client.get_id(provider(stack), tokens.id_token)
    stack.faults.add("GetCredentialsForIdentity", kind, times=times)
    with pytest.raises(ServiceUnavailableError) as caught:
        client.get_credentials(identity_id, provider(stack), tokens.id_token)
    assert not isinstance(caught.value, TooManyRequestsException)
    assert "try again" in str(caught.value)


def test_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch, scribe_stack: LocalStack) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(ServiceUnavailableError, match="EndpointConnectionError"):
        client_of(scribe_stack).get_id(provider(scribe_stack), "a.b.c")


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "said by Cognito"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "GetCredentialsForIdentity",
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NotAuthorizedException", 400, SignInRequired),
        ("ResourceNotFoundException", 404, ResourceNotFoundException),
        ("TooManyRequestsException", 400, TooManyRequestsException),
        ("LimitExceededException", 400, TooManyRequestsException),
        ("InvalidParameterException", 400, ServiceError),
        ("InvalidIdentityPoolConfigurationException", 400, ServiceError),
        ("ExternalServiceException", 400, ServiceError),
        ("ResourceConflictException", 400, ServiceError),
        ("InternalErrorException", 500, ServiceUnavailableError),
        ("", 503, ServiceUnavailableError),
    ],
)
def test_error_codes_the_stack_cannot_send(
    code: str, status: int, expected: type[Exception]
) -> None:
    """Codes real Cognito sends but the local pool never does: the mapping table itself."""
    client = IdentityPoolClient(identity_pool_id="eu-west-2:x", region="eu-west-2", profile="p")
    error = client._client_error("GetCredentialsForIdentity", _client_error(code, status))
    assert type(error) is expected
    if expected is SignInRequired:
        assert "run: scribeauth login --profile p" in str(error)


def test_reply_without_identity_is_unknown() -> None:
    client = IdentityPoolClient(identity_pool_id="eu-west-2:x", region="eu-west-2")
    assert isinstance(client._unusable("GetId", {}, "an IdentityId"), UnknownException)
