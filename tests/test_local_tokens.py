"""The stack's own signing keys, GetOpenIdToken, and the ``/_local`` routes, over real HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from local_raw import client, error_of
from moto.utilities.utils import load_resource

from scribeauth.local.stack import LocalStack

REGION = "eu-west-2"
MOTO_PRIVATE_KEY = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def get_json(stack: LocalStack, path: str) -> Any:
    with urllib.request.urlopen(f"{stack.endpoint_url}{path}", timeout=5) as reply:
        return json.load(reply)


def alice_id_token(stack: LocalStack) -> str:
    alice = stack.seed.users["alice"]
    result = client(stack, "cognito-idp").initiate_auth(
        ClientId=alice.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": alice.password},
    )["AuthenticationResult"]
    return str(result["IdToken"])


def get_id(stack: LocalStack, token: str) -> Any:
    return client(stack, "cognito-identity").get_id(
        IdentityPoolId=stack.seed.identity_pool_id, Logins={stack.seed.provider_name: token}
    )


def test_the_pool_keys_are_the_stacks_own(scribe_stack: LocalStack) -> None:
    served = get_json(scribe_stack, f"/{scribe_stack.seed.user_pool_id}/.well-known/jwks.json")
    moto_public = load_resource("cognitoidp/resources/jwks-public.json")
    assert served["keys"][0]["n"] != moto_public["keys"][0]["n"]
    token = alice_id_token(scribe_stack)
    assert jwt.decode(token, KeySet.import_key_set(served)).claims["cognito:username"] == "alice"
    with LocalStack() as other:
        assert other.jwks["keys"][0]["n"] != served["keys"][0]["n"]  # one key pair per stack


@pytest.mark.parametrize("kid", ["dummy", "own"])
def test_an_id_token_signed_with_motos_published_key_is_refused(
    scribe_stack: LocalStack, kid: str
) -> None:
    genuine = jwt.decode(alice_id_token(scribe_stack), KeySet.import_key_set(scribe_stack.jwks))
    assert "IdentityId" in get_id(scribe_stack, alice_id_token(scribe_stack))
    header = {"alg": "RS256", "kid": kid if kid == "dummy" else genuine.header["kid"]}
    now = int(scribe_stack.now())
    forged = jwt.encode(header, {**genuine.claims, "iat": now, "exp": now + 3600}, MOTO_PRIVATE_KEY)
    with pytest.raises(ClientError) as excinfo:
        get_id(scribe_stack, forged)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid login token. Couldn't verify signed token.",
    )


def test_get_open_id_token_for_a_signed_in_identity(scribe_stack: LocalStack) -> None:
    token = alice_id_token(scribe_stack)
    identity = get_id(scribe_stack, token)["IdentityId"]
    logins = {scribe_stack.seed.provider_name: token}
    identity_client = client(scribe_stack, "cognito-identity")
    reply = identity_client.get_open_id_token(IdentityId=identity, Logins=logins)
    assert reply["IdentityId"] == identity
    keys = KeySet.import_key_set(get_json(scribe_stack, "/_local/identity-pool/jwks.json"))
    claims = jwt.decode(reply["Token"], keys).claims
    assert claims["iss"] == "https://cognito-identity.amazonaws.com"
    assert claims["aud"] == scribe_stack.seed.identity_pool_id
    assert claims["sub"] == identity
    assert claims["amr"][0] == "authenticated"
    assert 0 < claims["exp"] - time.time() <= 600 + 5
    with pytest.raises(ClientError) as excinfo:
        identity_client.get_open_id_token(IdentityId=identity)
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    with pytest.raises(ClientError) as excinfo:
        identity_client.get_open_id_token(IdentityId=f"{REGION}:nobody", Logins=logins)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_codes_are_readable_over_http_and_from_python(scribe_stack: LocalStack) -> None:
    dave = scribe_stack.seed.users["dave"]
    reply = client(scribe_stack, "cognito-idp").initiate_auth(
        ClientId=dave.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dave", "PASSWORD": dave.password},
    )
    assert reply["ChallengeName"] == "SMS_MFA"
    sent = scribe_stack.codes("dave")[-1]
    assert (sent["purpose"], sent["medium"], sent["destination"]) == (
        "SMS_MFA",
        "SMS",
        "+********0004",
    )
    assert sent["code"] == scribe_stack.user_pool.last_code("dave")
    over_http = get_json(scribe_stack, "/_local/codes?username=dave")["codes"]
    assert over_http[-1]["code"] == sent["code"]
    everyone = get_json(scribe_stack, "/_local/codes")["codes"]
    assert sent["code"] in [item["code"] for item in everyone]


def test_the_user_route_says_pool_client_and_flow_without_passwords(
    scribe_stack: LocalStack,
) -> None:
    users = {u["username"]: u for u in get_json(scribe_stack, "/_local/users")["users"]}
    seed = scribe_stack.seed
    assert users["judy"]["client_id"] == seed.rotating_client_id
    assert users["hank"]["user_pool_id"] == seed.devices_pool.user_pool_id
    assert "USER_AUTH" in users["iris"]["flow"]
    assert all(u["flow"] for u in users.values())
    text = json.dumps(users)
    assert seed.users["alice"].password not in text
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        get_json(scribe_stack, "/_local/nothing-here")
    assert excinfo.value.code == 404
    excinfo.value.close()
