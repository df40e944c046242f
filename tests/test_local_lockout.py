"""Lock-out after five wrong passwords, and ``PreventUserExistenceErrors`` per app client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from local_raw import error_of, idp
from local_srp_client import TestSrpClient

from scribeauth.local.stack import LocalStack

INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")
LOCKED = ("NotAuthorizedException", "Password attempts exceeded")


def password_login(stack: LocalStack, name: str, password: str, client_id: str = "") -> Any:
    return idp(stack).initiate_auth(
        ClientId=client_id or stack.seed.public_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )


def refused(stack: LocalStack, name: str, password: str, client_id: str = "") -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        password_login(stack, name, password, client_id)
    return error_of(excinfo)


def srp_login(stack: LocalStack, name: str, password: str) -> Any:
    client = idp(stack)
    srp = TestSrpClient(stack.seed.user_pool_id, password)
    start = client.initiate_auth(
        ClientId=stack.seed.public_client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": name, "SRP_A": srp.srp_a},
    )
    return client.respond_to_auth_challenge(
        ClientId=stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(start["ChallengeParameters"]),
    )


def lock_out(stack: LocalStack, name: str) -> None:
    for _ in range(5):
        assert refused(stack, name, "Wrong-Passw0rd!") == INCORRECT


def test_five_wrong_passwords_lock_the_user_out(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    lock_out(scribe_stack, "alice")
    assert refused(scribe_stack, "alice", alice.password) == LOCKED
    with pytest.raises(ClientError) as excinfo:
        srp_login(scribe_stack, "alice", alice.password)
    assert error_of(excinfo) == LOCKED
    # Other users are not affected (bob's password leads on to his MFA challenge).
    bob = password_login(scribe_stack, "bob", scribe_stack.seed.users["bob"].password)
    assert bob["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_the_lock_out_ends_after_the_configured_time(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    scribe_stack.user_pool.lockout_seconds = 60
    lock_out(scribe_stack, "alice")
    scribe_stack.clock_offset = 59
    assert refused(scribe_stack, "alice", alice.password) == LOCKED
    scribe_stack.clock_offset = 61
    assert "AuthenticationResult" in password_login(scribe_stack, "alice", alice.password)


def test_an_admin_password_reset_ends_the_lock_out(scribe_stack: LocalStack) -> None:
    lock_out(scribe_stack, "alice")
    idp(scribe_stack).admin_set_user_password(
        UserPoolId=scribe_stack.seed.user_pool_id,
        Username="alice",
        Password="Reset-Passw0rd!",
        Permanent=True,
    )
    assert "AuthenticationResult" in password_login(scribe_stack, "alice", "Reset-Passw0rd!")


def test_a_right_password_clears_the_count_and_srp_failures_count(
    scribe_stack: LocalStack,
) -> None:
    alice = scribe_stack.seed.users["alice"]
    for _ in range(4):
        assert refused(scribe_stack, "alice", "Wrong-Passw0rd!") == INCORRECT
    password_login(scribe_stack, "alice", alice.password)
    for _ in range(4):
        assert refused(scribe_stack, "alice", "Wrong-Passw0rd!") == INCORRECT
    with pytest.raises(ClientError) as excinfo:
        srp_login(scribe_stack, "alice", "Wrong-Passw0rd!")  # the fifth in a row
    assert error_of(excinfo) == INCORRECT
    assert refused(scribe_stack, "alice", alice.password) == LOCKED


def legacy_client(stack: LocalStack) -> str:
    client = stack.user_pool.backend.create_user_pool_client(
        stack.seed.user_pool_id,
        False,
        {"ClientName": "legacy", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]},
    )
    return str(client.id)


def test_legacy_clients_say_the_user_does_not_exist(scribe_stack: LocalStack) -> None:
    legacy = legacy_client(scribe_stack)
    client = idp(scribe_stack)
    described = client.describe_user_pool_client(
        UserPoolId=scribe_stack.seed.user_pool_id, ClientId=legacy
    )["UserPoolClient"]
    assert "PreventUserExistenceErrors" not in described  # unset means LEGACY
    assert refused(scribe_stack, "nobody", "Any-Passw0rd!", legacy) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    with pytest.raises(ClientError) as excinfo:
        client.forgot_password(ClientId=legacy, Username="nobody")
    assert error_of(excinfo)[0] == "UserNotFoundException"
    # A known user with a wrong password is still just "incorrect".
    assert refused(scribe_stack, "alice", "Wrong-Passw0rd!", legacy) == INCORRECT


def test_enabled_clients_hide_whether_the_user_exists(scribe_stack: LocalStack) -> None:
    client = idp(scribe_stack)
    seed = scribe_stack.seed
    for client_id in (seed.public_client_id, seed.confidential_client_id, seed.rotating_client_id):
        described = client.describe_user_pool_client(
            UserPoolId=seed.user_pool_id, ClientId=client_id
        )["UserPoolClient"]
        assert described["PreventUserExistenceErrors"] == "ENABLED"
    assert refused(scribe_stack, "nobody", "Any-Passw0rd!") == INCORRECT
    delivery = client.forgot_password(ClientId=seed.public_client_id, Username="nobody")
    assert delivery["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
