"""The local identity pool over real HTTP: token checks, stable identities, fresh credentials.

A tiny router serves :class:`IdentityPoolService` on loopback the way the stack does (X-Amz-Target
``AWSCognitoIdentityService.*``); a real boto3 ``cognito-identity`` client talks to it. Id tokens
are minted with moto's private JWK (the pool's key) or with another RSA key (forgeries).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import RSAKey

from scribeauth.local.identity_pool import DEFAULT_ROLE_ARN
from scribeauth.local.testing.served import Served, pool_private_jwk, serve_identity_pool

REGION = "eu-west-2"
USER_POOL_ID = "eu-west-2_LocalPool1"
OTHER_USER_POOL_ID = "eu-west-2_LocalPool2"
CLIENT_ID = "localclient1234567890abcd"
OTHER_CLIENT_ID = "otherclient1234567890abcd"
IDENTITY_POOL_ID = "eu-west-2:11111111-2222-3333-4444-555555555555"
PROVIDER = f"cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"
OTHER_PROVIDER = f"cognito-idp.{REGION}.amazonaws.com/{OTHER_USER_POOL_ID}"
ISSUER = f"https://{PROVIDER}"

POOL_KEY = RSAKey.import_key(pool_private_jwk())
FORGER_KEY = RSAKey.generate_key(2048)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve_identity_pool(
        identity_pool_id=IDENTITY_POOL_ID,
        region=REGION,
        user_pool_id=USER_POOL_ID,
        client_ids=[CLIENT_ID],
    ) as running:
        yield running


@pytest.fixture
def client(pool: Served) -> Iterator[Any]:
    session = boto3.session.Session()
    cognito = session.client(
        "cognito-identity",
        region_name=REGION,
        endpoint_url=pool.url,
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    yield cognito
    cognito.close()


def mint(
    sub: str = "sub-alice",
    *,
    key: RSAKey = POOL_KEY,
    kid: str = "dummy",
    now: float | None = None,
    **claims: Any,
) -> str:
    """An id token as the user pool would issue it, with ``claims`` overriding the defaults."""
    issued_at = int(time.time() if now is None else now)
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "sub": sub,
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": issued_at,
        "iat": issued_at,
        "exp": issued_at + 3600,
        "cognito:username": sub.removeprefix("sub-"),
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": kid}, payload, key)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def get_id(client: Any, token: str, provider: str = PROVIDER) -> str:
    reply = client.get_id(IdentityPoolId=IDENTITY_POOL_ID, Logins={provider: token})
    return str(reply["IdentityId"])


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_get_id_is_stable_per_user_and_differs_between_users(client: Any) -> None:
    first = get_id(client, mint("sub-alice"))
    again = get_id(client, mint("sub-alice"))
    other = get_id(client, mint("sub-bob"))

    assert re.fullmatch(rf"{REGION}:[0-9a-f-]{{36}}", first)
    assert again == first
    assert other != first


def test_concurrent_get_id_for_one_user_yields_one_identity(pool: Served) -> None:
    token = mint("sub-concurrent")
    results: list[str] = []

    def call() -> None:
        status, body = pool.service.dispatch(
            "GetId", {"IdentityPoolId": IDENTITY_POOL_ID, "Logins": {PROVIDER: token}}
        )
        assert status == 200
        results.append(body["IdentityId"])

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1


def _tampered() -> str:
    header, _, signature = mint("sub-alice").split(".")
    payload = _b64(
        {
            "iss": ISSUER,
            "sub": "sub-mallory",
            "aud": CLIENT_ID,
            "token_use": "id",
            "exp": int(time.time()) + 3600,
        }
    )
    return f"{header}.{payload}.{signature}"


def _unsigned() -> str:
    payload = {
        "iss": ISSUER,
        "sub": "sub-alice",
        "aud": CLIENT_ID,
        "token_use": "id",
        "exp": int(time.time()) + 3600,
    }
    return f"{_b64({'alg': 'none'})}.{_b64(payload)}."


def _access_token() -> str:
    return mint("sub-alice", aud=None, client_id=CLIENT_ID, token_use="access")


@pytest.mark.parametrize(
    ("make_token", "provider", "message"),
    [
        pytest.param(
            lambda: mint(key=FORGER_KEY), PROVIDER, "Couldn't verify signed token", id="forged"
        ),
        pytest.param(
            lambda: mint(key=FORGER_KEY, kid="forger"),
            PROVIDER,
            "Couldn't verify signed token",
            id="other-kid",
        ),
        pytest.param(_tampered, PROVIDER, "Couldn't verify signed token", id="tampered-claims"),
        pytest.param(_unsigned, PROVIDER, "Couldn't verify signed token", id="alg-none"),
        pytest.param(
            lambda: mint(exp=int(time.time()) - 5), PROVIDER, "Token expired: ", id="expired"
        ),
        pytest.param(
            lambda: mint(iss=f"https://{OTHER_PROVIDER}"),
            PROVIDER,
            "Issuer doesn't match providerName",
            id="wrong-iss",
        ),
        pytest.param(
            lambda: mint(aud="someoneelsesclient"),
            PROVIDER,
            "Token is not from a supported provider of this identity pool.",
            id="wrong-aud",
        ),
        pytest.param(_access_token, PROVIDER, "Missing a required claim: aud", id="access-token"),
        pytest.param(
            lambda: mint(token_use="access"),
            PROVIDER,
            "Not a valid OpenId Connect identity token",
            id="token-use-access",
        ),
        pytest.param(
            lambda: mint(), OTHER_PROVIDER, "Issuer doesn't match providerName", id="wrong-key"
        ),
        pytest.param(
            lambda: mint(),
            f"cognito-idp.us-east-1.amazonaws.com/{USER_POOL_ID}",
            "Issuer doesn't match providerName",
            id="wrong-region-in-key",
        ),
        pytest.param(
            lambda: "not-a-jwt",
            PROVIDER,
            "Invalid login token. Not a valid OpenId Connect identity token.",
            id="garbage",
        ),
    ],
)
def test_get_id_rejects_bad_logins(
    client: Any, make_token: Callable[[], str], provider: str, message: str
) -> None:
    code, text = error_of(lambda: get_id(client, make_token(), provider))

    assert code == "NotAuthorizedException"
    assert message in text


def test_expiry_follows_the_service_clock_without_leeway(pool: Served, client: Any) -> None:
    token = mint("sub-clock", exp=int(time.time()) + 60)
    assert get_id(client, token)

    pool.clock.offset = 61
    code, message = error_of(lambda: get_id(client, token))

    assert code == "NotAuthorizedException"
    match = re.fullmatch(r"Invalid login token\. Token expired: (\d+) >= (\d+)", message)
    assert match is not None
    assert int(match[1]) >= int(match[2])


def test_unknown_identity_pool_is_resource_not_found(client: Any) -> None:
    other_pool = "eu-west-2:99999999-9999-9999-9999-999999999999"
    code, message = error_of(
        lambda: client.get_id(IdentityPoolId=other_pool, Logins={PROVIDER: mint()})
    )

    assert code == "ResourceNotFoundException"
    assert message == f"IdentityPool '{other_pool}' not found."


def test_get_id_without_logins_is_unauthenticated_access(client: Any) -> None:
    code, message = error_of(lambda: client.get_id(IdentityPoolId=IDENTITY_POOL_ID))

    assert code == "NotAuthorizedException"
    assert message == "Unauthenticated access is not supported for this identity pool."


def test_missing_required_parameter_is_invalid_parameter(pool: Served) -> None:
    # botocore validates required parameters before sending, so send the JSON by hand.
    request = urllib.request.Request(
        pool.url + "/",
        data=json.dumps({"Logins": {PROVIDER: mint()}}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityService.GetId",
        },
        method="POST",
    )
    with pytest.raises(HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    with caught.value as reply:
        assert reply.status == 400
        assert json.loads(reply.read())["__type"] == "InvalidParameterException"


def test_credentials_are_fresh_per_call_and_expire_after_the_lifetime(
    pool: Served, client: Any
) -> None:
    token = mint("sub-carol")
    identity_id = get_id(client, token)

    first = client.get_credentials_for_identity(IdentityId=identity_id, Logins={PROVIDER: token})
    second = client.get_credentials_for_identity(IdentityId=identity_id, Logins={PROVIDER: token})

    assert first["IdentityId"] == identity_id
    one, two = first["Credentials"], second["Credentials"]
    for creds in (one, two):
        assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"])
        assert len(creds["SecretKey"]) == 40
        assert len(creds["SessionToken"]) >= 300
        assert isinstance(creds["Expiration"], datetime)
        assert creds["Expiration"].tzinfo is not None
        remaining = (creds["Expiration"] - datetime.now(timezone.utc)).total_seconds()
        assert 3590 <= remaining <= 3600
    assert one["AccessKeyId"] != two["AccessKeyId"]
    assert one["SecretKey"] != two["SecretKey"]
    assert one["SessionToken"] != two["SessionToken"]

    issued = pool.service.lookup(one["AccessKeyId"])
    assert issued is not None
    assert issued.identity_id == identity_id
    assert issued.secret_access_key == one["SecretKey"]
    assert issued.session_token == one["SessionToken"]
    assert issued.role_arn == DEFAULT_ROLE_ARN
    assert pool.service.lookup("ASIANOTISSUEDATALL00") is None


def test_credential_lifetime_can_change_at_runtime(pool: Served, client: Any) -> None:
    pool.service.credential_lifetime = 900
    token = mint("sub-carol")
    identity_id = get_id(client, token)

    creds = client.get_credentials_for_identity(IdentityId=identity_id, Logins={PROVIDER: token})

    remaining = (creds["Credentials"]["Expiration"] - datetime.now(timezone.utc)).total_seconds()
    assert 890 <= remaining <= 900


def test_issued_credentials_repr_hides_secrets(pool: Served, client: Any) -> None:
    token = mint("sub-carol")
    identity_id = get_id(client, token)
    creds = client.get_credentials_for_identity(IdentityId=identity_id, Logins={PROVIDER: token})
    issued = pool.service.lookup(creds["Credentials"]["AccessKeyId"])

    assert issued is not None
    assert creds["Credentials"]["AccessKeyId"] in repr(issued)
    assert issued.secret_access_key not in repr(issued)
    assert issued.session_token not in repr(issued)


def test_an_identity_is_served_only_to_its_own_user(client: Any) -> None:
    alice_identity = get_id(client, mint("sub-alice"))
    get_id(client, mint("sub-bob"))

    code, message = error_of(
        lambda: client.get_credentials_for_identity(
            IdentityId=alice_identity, Logins={PROVIDER: mint("sub-bob")}
        )
    )

    assert code == "NotAuthorizedException"
    assert message.startswith("Logins don't match.")


def test_get_credentials_checks_the_token_too(client: Any) -> None:
    identity_id = get_id(client, mint("sub-alice"))

    code, message = error_of(
        lambda: client.get_credentials_for_identity(
            IdentityId=identity_id, Logins={PROVIDER: mint("sub-alice", key=FORGER_KEY)}
        )
    )
    assert code == "NotAuthorizedException"
    assert "Couldn't verify signed token" in message

    code, message = error_of(lambda: client.get_credentials_for_identity(IdentityId=identity_id))
    assert code == "NotAuthorizedException"


def test_unknown_identity_is_resource_not_found(client: Any) -> None:
    unknown = f"{REGION}:00000000-0000-0000-0000-000000000000"
    code, message = error_of(
        lambda: client.get_credentials_for_identity(IdentityId=unknown, Logins={PROVIDER: mint()})
    )

    assert code == "ResourceNotFoundException"
    assert message == f"Identity '{unknown}' not found."


def test_custom_role_arn_is_checked_and_recorded(pool: Served, client: Any) -> None:
    token = mint("sub-dave")
    identity_id = get_id(client, token)
    role = "arn:aws:iam::210987654321:role/ScribeReadOnly"

    creds = client.get_credentials_for_identity(
        IdentityId=identity_id, Logins={PROVIDER: token}, CustomRoleArn=role
    )
    issued = pool.service.lookup(creds["Credentials"]["AccessKeyId"])
    assert issued is not None
    assert issued.role_arn == role

    code, _ = error_of(
        lambda: client.get_credentials_for_identity(
            IdentityId=identity_id,
            Logins={PROVIDER: token},
            CustomRoleArn="arn:aws:iam::123:user/not-a-role",
        )
    )
    assert code == "InvalidParameterException"


def test_added_provider_is_accepted_under_its_own_key_only(pool: Served, client: Any) -> None:
    pool.service.add_provider(OTHER_USER_POOL_ID, [OTHER_CLIENT_ID])
    token = mint("sub-erin", iss=f"https://{OTHER_PROVIDER}", aud=OTHER_CLIENT_ID)

    identity_id = get_id(client, token, OTHER_PROVIDER)
    assert identity_id.startswith(f"{REGION}:")
    assert get_id(client, token, OTHER_PROVIDER) == identity_id

    code, message = error_of(lambda: get_id(client, token, PROVIDER))
    assert code == "NotAuthorizedException"
    assert "Issuer doesn't match providerName" in message

    # The first pool's client is not a client of the second pool.
    code, _ = error_of(
        lambda: get_id(client, mint(iss=f"https://{OTHER_PROVIDER}"), OTHER_PROVIDER)
    )
    assert code == "NotAuthorizedException"
