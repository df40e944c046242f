"""wire: one translator from botocore failures to scribeauth errors, for both Cognito clients."""

from __future__ import annotations

import pickle
import socket
from pathlib import Path

import pytest

from scribeauth import wire
from scribeauth.errors import (
    AuthFlowNotEnabledError,
    ConfigError,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    ServiceUnavailableError,
    TooManyRequestsException,
)
from scribeauth.identity_pool import IdentityPoolClient
from scribeauth.local.stack import LocalStack
from scribeauth.user_pool import UserPoolClient, srp_not_enabled

PACKAGE = Path(__file__).resolve().parent.parent / "scribeauth"


def test_a_request_botocore_will_not_send_is_the_same_error_from_both_pools(
    stack: LocalStack,
) -> None:
    with pytest.raises(ScribeAuthError) as from_user_pool:
        UserPoolClient("eu-west-2", "").initiate_auth(
            "USER_PASSWORD_AUTH", {"USERNAME": "alice", "PASSWORD": "Secret-Passw0rd!"}
        )
    with pytest.raises(ScribeAuthError) as from_identity_pool:
        IdentityPoolClient(identity_pool_id="", region="eu-west-2").get_id("p", "id-token")
    for caught in (from_user_pool, from_identity_pool):
        assert type(caught.value) is ConfigError
        assert caught.value.exit_code == 3
        assert caught.value.code is None
        assert "ParamValidationError" in str(caught.value)
        assert "Secret-Passw0rd!" not in str(caught.value)
        assert "id-token" not in str(caught.value)
    assert stack.recorder.requests == []


def test_nothing_listening_is_the_same_error_from_both_pools_and_names_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(ScribeAuthError) as from_user_pool:
        UserPoolClient("eu-west-2", "c").get_user("token")
    with pytest.raises(ScribeAuthError) as from_identity_pool:
        IdentityPoolClient(identity_pool_id="eu-west-2:x", region="eu-west-2").get_id("p", "t")
    for caught in (from_user_pool, from_identity_pool):
        assert type(caught.value) is ServiceUnavailableError
        assert f"http://127.0.0.1:{port}" in str(caught.value)
        assert "EndpointConnectionError" in str(caught.value)


def test_srp_not_enabled_comes_from_cognitos_reply(stack: LocalStack) -> None:
    client = UserPoolClient(stack.seed.region, stack.seed.srp_disabled_client_id)
    with pytest.raises(AuthFlowNotEnabledError) as caught:
        client.initiate_auth("USER_SRP_AUTH", {"USERNAME": "alice", "SRP_A": "abc"})
    assert caught.value.flow == "USER_SRP_AUTH"
    assert caught.value.code == "InvalidParameterException"
    assert isinstance(caught.value, ServiceError)
    assert srp_not_enabled(caught.value)


def test_srp_not_enabled_never_matches_our_own_message_text() -> None:
    ours = ServiceError(
        "InitiateAuth: USER_SRP_AUTH is not enabled [InvalidParameterException]",
        code="InvalidParameterException",
    )
    assert not srp_not_enabled(ours)
    password_flow = AuthFlowNotEnabledError("x", code="InvalidParameterException", flow="X_AUTH")
    assert not srp_not_enabled(password_flow)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 400, TooManyRequestsException),
        ("ThrottlingException", 400, TooManyRequestsException),
        ("", 429, TooManyRequestsException),
        ("ResourceNotFoundException", 400, ResourceNotFoundException),
        ("InternalErrorException", 500, ServiceUnavailableError),
        ("", 503, ServiceUnavailableError),
    ],
)
def test_the_same_refusal_is_the_same_class_from_both_pools(
    code: str, status: int, expected: type[ScribeAuthError]
) -> None:
    from scribeauth.user_pool import _translate

    response = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    identity = IdentityPoolClient(identity_pool_id="eu-west-2:x", region="eu-west-2")
    refusal = wire.refusal_of(response, "Op")
    assert wire.classify(refusal) is expected
    assert type(_translate(response, "Op", "sign-in", [])) is expected
    assert type(identity._explain(refusal)) is expected


def test_code_is_a_declared_field_that_survives_pickling() -> None:
    assert ScribeAuthError("x").code is None
    err = ServiceError("said", code="SomeCode")
    again = pickle.loads(pickle.dumps(err))
    assert (type(again), str(again), again.code) == (ServiceError, "said", "SomeCode")
    flow = pickle.loads(pickle.dumps(AuthFlowNotEnabledError("m", code="c", flow="USER_SRP_AUTH")))
    assert flow.flow == "USER_SRP_AUTH"


def test_no_attribute_is_attached_behind_the_type_checker() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert "type: ignore[attr-defined]" not in path.read_text(encoding="utf-8"), path
