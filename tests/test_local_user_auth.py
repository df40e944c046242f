"""Choice-based sign-in (``USER_AUTH``) on the strict local stack, with raw boto3 clients."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from local_raw import error_of, idp
from local_srp_client import TestSrpClient

from scribeauth.local.stack import LocalStack


def user_auth(stack: LocalStack, name: str, **auth: str) -> dict[str, Any]:
    reply: dict[str, Any] = idp(stack).initiate_auth(
        ClientId=stack.seed.public_client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": name, **auth},
    )
    return reply


def answer(stack: LocalStack, name: str, session: str, **responses: str) -> dict[str, Any]:
    reply: dict[str, Any] = idp(stack).respond_to_auth_challenge(
        ClientId=stack.seed.public_client_id,
        ChallengeName=name,
        Session=session,
        ChallengeResponses=responses,
    )
    return reply


def test_without_a_preference_the_available_factors_are_offered(scribe_stack: LocalStack) -> None:
    iris = user_auth(scribe_stack, "iris")
    assert iris["ChallengeName"] == "SELECT_CHALLENGE"
    assert iris["AvailableChallenges"] == ["EMAIL_OTP", "SMS_OTP"]  # no password at all
    alice = user_auth(scribe_stack, "alice")
    assert alice["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"]


@pytest.mark.parametrize(
    ("factor", "key", "medium"),
    [("EMAIL_OTP", "EMAIL_OTP_CODE", "EMAIL"), ("SMS_OTP", "SMS_OTP_CODE", "SMS")],
)
def test_passwordless_sign_in_with_a_code(
    scribe_stack: LocalStack, factor: str, key: str, medium: str
) -> None:
    selected = user_auth(scribe_stack, "iris")
    challenge = answer(
        scribe_stack, "SELECT_CHALLENGE", selected["Session"], USERNAME="iris", ANSWER=factor
    )
    assert challenge["ChallengeName"] == factor
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == medium
    sent = scribe_stack.codes("iris")[-1]
    assert (sent["purpose"], sent["medium"]) == (factor, medium)
    with pytest.raises(ClientError) as excinfo:
        answer(scribe_stack, factor, challenge["Session"], USERNAME="iris", **{key: "000000"})
    assert error_of(excinfo)[0] == "CodeMismatchException"
    done = answer(
        scribe_stack, factor, challenge["Session"], USERNAME="iris", **{key: sent["code"]}
    )
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(done["AuthenticationResult"])


def test_preferred_email_code_starts_at_once(scribe_stack: LocalStack) -> None:
    reply = user_auth(scribe_stack, "iris", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert reply["ChallengeName"] == "EMAIL_OTP"
    code = scribe_stack.user_pool.last_code("iris")
    assert code is not None
    done = answer(scribe_stack, "EMAIL_OTP", reply["Session"], USERNAME="iris", EMAIL_OTP_CODE=code)
    assert "IdToken" in done["AuthenticationResult"]


def test_preferred_password_and_password_srp(scribe_stack: LocalStack) -> None:
    alice = scribe_stack.seed.users["alice"]
    direct = user_auth(
        scribe_stack, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=alice.password
    )
    assert "IdToken" in direct["AuthenticationResult"]
    srp = TestSrpClient(alice.user_pool_id, alice.password)
    start = user_auth(scribe_stack, "alice", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=srp.srp_a)
    assert start["ChallengeName"] == "PASSWORD_VERIFIER"
    done = idp(scribe_stack).respond_to_auth_challenge(
        ClientId=scribe_stack.seed.public_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.answer(start["ChallengeParameters"]),
    )
    assert "IdToken" in done["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        user_auth(scribe_stack, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wrong-1!")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_password_still_leads_to_mfa(scribe_stack: LocalStack) -> None:
    bob = scribe_stack.seed.users["bob"]
    reply = user_auth(scribe_stack, "bob", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=bob.password)
    assert reply["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_select_challenge_refuses_what_was_not_offered(scribe_stack: LocalStack) -> None:
    selected = user_auth(scribe_stack, "iris")
    with pytest.raises(ClientError) as excinfo:
        answer(
            scribe_stack,
            "SELECT_CHALLENGE",
            selected["Session"],
            USERNAME="iris",
            ANSWER="PASSWORD",
            PASSWORD="Anything-1!",
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_a_client_without_user_auth_refuses_it(scribe_stack: LocalStack) -> None:
    with pytest.raises(ClientError) as excinfo:
        idp(scribe_stack).initiate_auth(
            ClientId=scribe_stack.seed.confidential_client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": "iris"},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_AUTH flow not enabled for this client",
    )
