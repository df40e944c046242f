"""The local gateway over real HTTP: SigV4 verified for real, execute-api echo and STS.

Credentials come from the local identity pool through a real boto3 ``cognito-identity`` client;
requests are signed by botocore's own ``SigV4Auth`` and sent with urllib, by boto3's STS client,
and by the AWS CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import RSAKey

from scribeauth.local.identity_pool import DEFAULT_ROLE_ARN
from scribeauth.local.testing.served import Served, pool_private_jwk, serve_identity_pool

REGION = "eu-west-2"
USER_POOL_ID = "eu-west-2_GatewayPool"
CLIENT_ID = "gatewayclient123456789abc"
IDENTITY_POOL_ID = "eu-west-2:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
PROVIDER = f"cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"
POOL_KEY = RSAKey.import_key(pool_private_jwk())
AWS_CLI = Path(sys.executable).with_name("aws")


@dataclass
class Creds:
    access_key_id: str
    secret_key: str
    session_token: str
    identity_id: str

    def botocore(self, *, secret: str | None = None, token: str | None = "") -> Credentials:
        return Credentials(
            self.access_key_id,
            self.secret_key if secret is None else secret,
            self.session_token if token == "" else token,
        )


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve_identity_pool(
        identity_pool_id=IDENTITY_POOL_ID,
        region=REGION,
        user_pool_id=USER_POOL_ID,
        client_ids=[CLIENT_ID],
        with_gateway=True,
    ) as running:
        yield running


def issue_credentials(pool: Served, sub: str = "sub-alice", **extra: Any) -> Creds:
    """Sign in at the identity pool over HTTP, as the library does, and return the credentials."""
    now = int(time.time())
    claims = {
        "iss": f"https://{PROVIDER}",
        "sub": sub,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
    }
    token = jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, POOL_KEY)
    cognito = boto3.session.Session().client(
        "cognito-identity",
        region_name=REGION,
        endpoint_url=pool.url,
        config=Config(signature_version=UNSIGNED),
    )
    try:
        identity_id = cognito.get_id(IdentityPoolId=IDENTITY_POOL_ID, Logins={PROVIDER: token})[
            "IdentityId"
        ]
        reply = cognito.get_credentials_for_identity(
            IdentityId=identity_id, Logins={PROVIDER: token}, **extra
        )
    finally:
        cognito.close()
    creds = reply["Credentials"]
    return Creds(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"], identity_id)


@pytest.fixture
def creds(pool: Served) -> Creds:
    return issue_credentials(pool)


def sign(
    pool: Served,
    credentials: Credentials,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    service: str = "execute-api",
    region: str = REGION,
    payload_signing: bool = True,
) -> AWSPreparedRequest:
    request = AWSRequest(
        method=method, url=pool.url + path, data=body, headers=dict(headers or {}), params=params
    )
    if not payload_signing:
        request.context["payload_signing_enabled"] = False
    SigV4Auth(credentials, service, region).add_auth(request)
    return request.prepare()


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    prepared: AWSPreparedRequest,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str | None] | None = None,
) -> Reply:
    """Send a prepared request with urllib, optionally changing its body or headers first."""
    final_headers: dict[str, str] = {k: str(v) for k, v in prepared.headers.items()}
    for name, value in (headers or {}).items():
        final_headers.pop(name, None)
        if value is not None:
            final_headers[name] = value
    data = prepared.body if body is None else body
    if isinstance(data, str):
        data = data.encode()
    request = urllib.request.Request(
        prepared.url, data=data or None, headers=final_headers, method=prepared.method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return Reply(reply.status, dict(reply.headers.items()), reply.read())
    except HTTPError as err:
        with err:
            return Reply(err.code, dict(err.headers.items()), err.read())


def assert_refused(reply: Reply, error_type: str, message: str) -> None:
    assert reply.status == 403, reply.body
    assert reply.headers["x-amzn-ErrorType"] == error_type
    assert message in reply.json()["message"]


MISMATCH = "The request signature we calculated does not match the signature you provided."


# -- execute-api --------------------------------------------------------------------------------


def test_signed_request_is_accepted_and_echoed(pool: Served, creds: Creds) -> None:
    body = b'{"note": "hello"}'
    prepared = sign(
        pool,
        creds.botocore(),
        "POST",
        "/prod/echo",
        body=body,
        headers={"Content-Type": "application/json"},
        params={"b": "2", "a": "hello world/+"},
    )

    reply = send(prepared)

    assert reply.status == 200, reply.body
    assert reply.json() == {
        "method": "POST",
        "path": "/prod/echo",
        "query": {"a": "hello world/+", "b": "2"},
        "body": '{"note": "hello"}',
        "identity_id": creds.identity_id,
        "access_key_id": creds.access_key_id,
        "role_arn": DEFAULT_ROLE_ARN,
    }
    assert pool.operations == ["execute-api"]


def test_encoded_path_and_signed_payload_hash_are_accepted(pool: Served, creds: Creds) -> None:
    body = b"payload"
    prepared = sign(
        pool,
        creds.botocore(),
        "PUT",
        "/prod/items/a%20b",
        body=body,
        headers={"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()},
    )

    reply = send(prepared)

    assert reply.status == 200, reply.body
    assert reply.json()["path"] == "/prod/items/a b"


def test_tampered_signature_is_refused(pool: Served, creds: Creds) -> None:
    prepared = sign(pool, creds.botocore(), "GET", "/prod/echo")
    authorization = prepared.headers["Authorization"]
    last = authorization[-1]
    tampered = authorization[:-1] + ("0" if last != "0" else "1")

    reply = send(prepared, headers={"Authorization": tampered})

    assert_refused(reply, "InvalidSignatureException", MISMATCH)


def test_wrong_secret_is_refused(pool: Served, creds: Creds) -> None:
    prepared = sign(pool, creds.botocore(secret="x" * 40), "GET", "/prod/echo")

    assert_refused(send(prepared), "InvalidSignatureException", MISMATCH)


@pytest.mark.parametrize("token", [None, "not-the-issued-token"], ids=["missing", "wrong"])
def test_session_token_must_be_the_issued_one(
    pool: Served, creds: Creds, token: str | None
) -> None:
    prepared = sign(pool, creds.botocore(token=token), "GET", "/prod/echo")

    assert_refused(
        send(prepared),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_unknown_access_key_is_refused(pool: Served, creds: Creds) -> None:
    unknown = Credentials("ASIAAAAAAAAAAAAAAAAA", creds.secret_key, creds.session_token)
    prepared = sign(pool, unknown, "GET", "/prod/echo")

    assert_refused(
        send(prepared),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_expired_credentials_are_refused(pool: Served) -> None:
    pool.service.credential_lifetime = 60
    short_lived = issue_credentials(pool)
    pool.clock.offset = 120  # past expiry, still inside the 5-minute signing window

    prepared = sign(pool, short_lived.botocore(), "GET", "/prod/echo")

    assert_refused(
        send(prepared),
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )


@pytest.mark.parametrize(
    ("offset", "message"),
    [(301, "Signature expired: "), (-301, "Signature not yet current: ")],
    ids=["old", "future"],
)
def test_x_amz_date_must_be_within_five_minutes(
    pool: Served, creds: Creds, offset: float, message: str
) -> None:
    prepared = sign(pool, creds.botocore(), "GET", "/prod/echo")
    pool.clock.offset = offset

    reply = send(prepared)

    assert_refused(reply, "InvalidSignatureException", message)
    assert prepared.headers["X-Amz-Date"] in reply.json()["message"]


def test_body_changed_after_signing_is_refused(pool: Served, creds: Creds) -> None:
    prepared = sign(pool, creds.botocore(), "POST", "/prod/echo", body=b'{"amount": 10}')

    assert_refused(send(prepared, body=b'{"amount": 99}'), "InvalidSignatureException", MISMATCH)


def test_declared_payload_hash_must_match_the_body(pool: Served, creds: Creds) -> None:
    body = b'{"amount": 10}'
    prepared = sign(
        pool,
        creds.botocore(),
        "POST",
        "/prod/echo",
        body=body,
        headers={"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()},
    )

    assert_refused(
        send(prepared, body=b'{"amount": 99}'),
        "InvalidSignatureException",
        "'x-amz-content-sha256' header does not match",
    )


def test_unsigned_payload_is_refused(pool: Served, creds: Creds) -> None:
    # What scribeauth 1.x did: payload_signing_enabled=False sends UNSIGNED-PAYLOAD.
    prepared = sign(pool, creds.botocore(), "POST", "/prod/echo", body=b"{}", payload_signing=False)
    assert prepared.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"

    assert_refused(send(prepared), "InvalidSignatureException", "UNSIGNED-PAYLOAD")


def test_scope_must_name_this_region_and_service(pool: Served, creds: Creds) -> None:
    wrong_region = sign(pool, creds.botocore(), "GET", "/prod/echo", region="us-east-1")
    assert_refused(
        send(wrong_region),
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-east-1'.",
    )

    wrong_service = sign(pool, creds.botocore(), "GET", "/prod/echo", service="lambda")
    assert_refused(
        send(wrong_service),
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'.",
    )


def test_scope_date_must_match_x_amz_date(pool: Served, creds: Creds) -> None:
    prepared = sign(pool, creds.botocore(), "GET", "/prod/echo")
    date = prepared.headers["X-Amz-Date"][:8]
    other = "19991231" if date != "19991231" else "20000101"
    authorization = prepared.headers["Authorization"].replace(f"/{date}/", f"/{other}/")

    reply = send(prepared, headers={"Authorization": authorization})

    assert_refused(reply, "InvalidSignatureException", "Date in Credential scope does not match")


def test_host_must_be_signed(pool: Served, creds: Creds) -> None:
    prepared = sign(pool, creds.botocore(), "GET", "/prod/echo")
    authorization = prepared.headers["Authorization"].replace(
        "SignedHeaders=host;", "SignedHeaders="
    )
    assert authorization != prepared.headers["Authorization"]

    assert_refused(
        send(prepared, headers={"Authorization": authorization}),
        "IncompleteSignatureException",
        "'Host'",
    )


def test_missing_or_foreign_authorization_is_refused(pool: Served) -> None:
    unsigned = AWSRequest(method="GET", url=pool.url + "/prod/echo").prepare()
    assert_refused(
        send(unsigned), "MissingAuthenticationTokenException", "Missing Authentication Token"
    )

    bearer = "Bearer eyJraWQiOiJkdW1teSJ9.c2VjcmV0.c2ln"
    reply = send(unsigned, headers={"Authorization": bearer})
    assert reply.status == 403
    assert reply.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert "eyJ" not in reply.body.decode()


# -- STS GetCallerIdentity ------------------------------------------------------------------------


def sts_client(pool: Served, creds: Creds, *, secret: str | None = None) -> Any:
    return boto3.session.Session().client(
        "sts",
        region_name=REGION,
        endpoint_url=pool.url,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_key if secret is None else secret,
        aws_session_token=creds.session_token,
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_get_caller_identity(pool: Served, creds: Creds) -> None:
    sts = sts_client(pool, creds)
    try:
        identity = sts.get_caller_identity()
    finally:
        sts.close()

    assert identity["Account"] == "123456789012"
    assert identity["Arn"] == (
        "arn:aws:sts::123456789012:assumed-role/Cognito_ScribeAuth_Role/CognitoIdentityCredentials"
    )
    assert identity["UserId"].startswith("AROA")
    assert identity["UserId"].endswith(":CognitoIdentityCredentials")
    assert pool.operations == ["GetCallerIdentity"]


def test_get_caller_identity_reports_the_custom_role(pool: Served) -> None:
    role = "arn:aws:iam::210987654321:role/scribe/ScribeReadOnly"
    custom = issue_credentials(pool, CustomRoleArn=role)
    sts = sts_client(pool, custom)
    try:
        identity = sts.get_caller_identity()
    finally:
        sts.close()

    assert identity["Account"] == "210987654321"
    assert identity["Arn"] == (
        "arn:aws:sts::210987654321:assumed-role/ScribeReadOnly/CognitoIdentityCredentials"
    )


def test_sts_errors_are_sts_xml(pool: Served, creds: Creds) -> None:
    sts = sts_client(pool, creds, secret="y" * 40)
    try:
        with pytest.raises(ClientError) as caught:
            sts.get_caller_identity()
    finally:
        sts.close()

    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert caught.value.response["Error"]["Type"] == "Sender"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_sts_refuses_expired_credentials(pool: Served) -> None:
    pool.service.credential_lifetime = 60
    short_lived = issue_credentials(pool)
    pool.clock.offset = 120
    sts = sts_client(pool, short_lived)
    try:
        with pytest.raises(ClientError) as caught:
            sts.get_caller_identity()
    finally:
        sts.close()

    assert caught.value.response["Error"]["Code"] == "ExpiredToken"


def test_get_caller_identity_in_the_query_string(pool: Served, creds: Creds) -> None:
    prepared = sign(
        pool,
        creds.botocore(),
        "GET",
        "/",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        service="sts",
    )

    reply = send(prepared)

    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "text/xml"
    assert b"<Account>123456789012</Account>" in reply.body


@pytest.mark.slow
def test_aws_cli_get_caller_identity(pool: Served, creds: Creds, isolated_env: Path) -> None:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=creds.access_key_id,
        AWS_SECRET_ACCESS_KEY=creds.secret_key,
        AWS_SESSION_TOKEN=creds.session_token,
    )
    result = subprocess.run(
        [
            str(AWS_CLI),
            "sts",
            "get-caller-identity",
            "--endpoint-url",
            pool.url,
            "--region",
            REGION,
            "--output",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Account"] == "123456789012"
    assert identity["Arn"].endswith(
        ":assumed-role/Cognito_ScribeAuth_Role/CognitoIdentityCredentials"
    )
