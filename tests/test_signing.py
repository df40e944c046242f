"""scribeauth.signing: SigV4 with the payload hash signed, host parsing, and signed calls the
local stack's gateway verifies (via ``send`` and via ``requests``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import RefreshableCredentials

from scribeauth.errors import ServiceUnavailableError, SignInRequired
from scribeauth.models import AwsCredentials
from scribeauth.signing import (
    Response,
    canonical_url,
    region_and_service_from_host,
    send,
    sign_request,
)

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def reference_signature(
    *,
    secret: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    payload_hash: str,
    amz_date: str,
    region: str,
    service: str,
) -> str:
    """SigV4 written out from the AWS specification, independent of botocore."""
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{_sha256(canonical.encode())}"
    key = f"AWS4{secret}".encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_reference_signer_reproduces_the_aws_get_vanilla_vector() -> None:
    # aws-sig-v4-test-suite "get-vanilla": pins the reference the next tests compare against.
    assert (
        reference_signature(
            secret=SECRET,
            method="GET",
            path="/",
            query="",
            headers={"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"},
            payload_hash=EMPTY_SHA256,
            amz_date="20150830T123600Z",
            region="us-east-1",
            service="service",
        )
        == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


@pytest.mark.parametrize("url", ["https", "http"])
def test_sign_request_signs_the_payload_hash(url: str) -> None:
    body = b'{"hello": "world"}'
    request = AWSRequest(
        method="POST",
        url=f"{url}://abc123.execute-api.eu-west-2.amazonaws.com/prod/items?b=2&a=1",
        headers={"Content-Type": "application/json"},
        data=body,
    )
    # An https operation with payload signing disabled is where botocore would send
    # UNSIGNED-PAYLOAD; sign_request must still hash the body.
    request.context["payload_signing_enabled"] = False
    creds = AwsCredentials(
        "AKIDEXAMPLE", SECRET, "session-token-example", datetime.now(timezone.utc)
    )

    sign_request(request, creds, region="eu-west-2")

    assert request.headers["X-Amz-Content-SHA256"] == _sha256(body)
    assert request.headers["X-Amz-Security-Token"] == "session-token-example"
    amz_date = request.headers["X-Amz-Date"]
    authorization = request.headers["Authorization"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{amz_date[:8]}/eu-west-2/execute-api/"
        "aws4_request, "
        "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
    )
    expected = reference_signature(
        secret=SECRET,
        method="POST",
        path="/prod/items",
        query="a=1&b=2",
        headers={
            "content-type": "application/json",
            "host": "abc123.execute-api.eu-west-2.amazonaws.com",
            "x-amz-content-sha256": _sha256(body),
            "x-amz-date": amz_date,
            "x-amz-security-token": "session-token-example",
        },
        payload_hash=_sha256(body),
        amz_date=amz_date,
        region="eu-west-2",
        service="execute-api",
    )
    assert authorization.endswith(f"Signature={expected}")


def test_signing_twice_replaces_rather_than_duplicates_headers() -> None:
    request = AWSRequest(method="GET", url="https://example.com/x", data=b"")
    creds = AwsCredentials("AKIDEXAMPLE", SECRET, "tok", datetime.now(timezone.utc))
    sign_request(request, creds, region="eu-west-2", service="custom")
    sign_request(request, creds, region="eu-west-2", service="custom")
    assert request.headers.get_all("X-Amz-Content-SHA256") == [EMPTY_SHA256]
    assert len(request.headers.get_all("Authorization")) == 1
    assert "/eu-west-2/custom/aws4_request" in request.headers["Authorization"]


def test_refreshable_credentials_are_refreshed_before_signing() -> None:
    calls: list[int] = []

    def fetch() -> dict[str, str]:
        calls.append(1)
        expiry = datetime.now(timezone.utc) + timedelta(hours=1)
        return {
            "access_key": f"AKIDFRESH{len(calls)}",
            "secret_key": SECRET,
            "token": "fresh-token",
            "expiry_time": expiry.isoformat(),
        }

    soon = datetime.now(timezone.utc) + timedelta(minutes=1)
    creds = RefreshableCredentials.create_from_metadata(
        {
            "access_key": "AKIDSTALE",
            "secret_key": SECRET,
            "token": "stale-token",
            "expiry_time": soon.isoformat(),
        },
        refresh_using=fetch,
        method="test",
    )
    request = AWSRequest(method="GET", url="https://example.com/", data=b"")
    sign_request(request, creds, region="eu-west-2")
    assert calls == [1]
    assert "Credential=AKIDFRESH1/" in request.headers["Authorization"]
    assert request.headers["X-Amz-Security-Token"] == "fresh-token"


def test_signing_without_credentials_says_to_sign_in() -> None:
    request = AWSRequest(method="GET", url="https://example.com/", data=b"")
    with pytest.raises(SignInRequired, match="scribeauth login"):
        sign_request(request, None, region="eu-west-2")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("abc123.execute-api.eu-west-2.amazonaws.com", ("eu-west-2", "execute-api")),
        ("ABC123.execute-api.us-east-1.amazonaws.com:443", ("us-east-1", "execute-api")),
        ("abc123.execute-api.cn-north-1.amazonaws.com.cn", ("cn-north-1", "execute-api")),
        (
            "abc123-vpce-0a1b2c3d4e5f.execute-api.us-gov-west-1.vpce.amazonaws.com",
            ("us-gov-west-1", "execute-api"),
        ),
        ("abc123.execute-api.ap-southeast-2.amazonaws.com.", ("ap-southeast-2", "execute-api")),
        ("127.0.0.1:8080", None),
        ("[::1]:8080", None),
        ("api.scribe.example.com", None),
        ("abc123.execute-api.eu-west-2.amazonaws.com.evil.example", None),
        ("sts.eu-west-2.amazonaws.com", None),
    ],
)
def test_region_and_service_from_host(host: str, expected: tuple[str, str] | None) -> None:
    assert region_and_service_from_host(host) == expected


def test_canonical_url_encodes_the_query_as_sigv4_does() -> None:
    assert (
        canonical_url("https://h/p?b=a+b&a=%7E&c&d=%2B/") == "https://h/p?b=a%20b&a=~&c=&d=%2B%2F"
    )
    assert canonical_url("https://h/p/%20x") == "https://h/p/%20x"


def test_response_helpers() -> None:
    reply = Response(
        200, "OK", (("Content-Type", "application/json"), ("X-A", "1")), b'{"a": 1}', "u"
    )
    assert reply.ok
    assert reply.header("content-type") == "application/json"
    assert reply.header("missing", "d") == "d"
    assert reply.json() == {"a": 1}
    assert reply.text == '{"a": 1}'
    assert not Response(404, "Not Found").ok
    assert '{"a"' not in repr(reply)


def test_importing_signing_imports_neither_botocore_nor_requests() -> None:
    code = (
        "import sys, scribeauth.signing; "
        "print(sorted(m for m in ('botocore', 'boto3', 'requests') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out.replace("'", '"')) == []


def test_send_to_a_closed_port_is_service_unavailable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    import boto3

    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
        aws_session_token="tok",
        region_name="eu-west-2",
    )
    url = f"http://127.0.0.1:{port}/prod/echo"
    with pytest.raises(ServiceUnavailableError, match=urlsplit(url).netloc):
        send("GET", url, session=session, timeout=2)


# -- against the local stack's gateway -----------------------------------------------------


@pytest.fixture
def signed_in(scribe_stack: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Profile "scribe" signed in as alice against the local stack."""
    from scribeauth.config import aws_config_path, load_profile, write_profile
    from scribeauth.credentials import Broker

    for name, value in scribe_stack.env().items():
        monkeypatch.setenv(name, value)
    seed = scribe_stack.seed
    write_profile(
        aws_config_path(),
        "scribe",
        {
            "region": seed.region,
            "scribe_client_id": seed.public_client_id,
            "scribe_user_pool_id": seed.user_pool_id,
            "scribe_identity_pool_id": seed.identity_pool_id,
            "scribe_username": "alice",
        },
    )
    entry = Broker(load_profile("scribe")).sign_in(password=seed.users["alice"].password)
    scribe_stack.recorder.reset()
    return scribe_stack, entry


def test_send_signs_with_the_profiles_current_credentials(signed_in: Any) -> None:
    stack, entry = signed_in
    reply = send(
        "post",
        stack.endpoint_url + "/prod/echo?x=1",
        profile_name="scribe",
        headers={"Content-Type": "application/json"},
        body='{"n": 1}',
    )
    assert reply.ok, reply.text
    assert (reply.status, reply.reason) == (200, "OK")
    assert reply.header("Content-Type") == "application/json"
    echo = reply.json()
    assert echo["method"] == "POST"
    assert echo["body"] == '{"n": 1}'
    assert echo["query"] == {"x": "1"}
    assert echo["access_key_id"] == entry.credentials.access_key_id
    assert stack.recorder.count("execute-api") == 1
    assert stack.recorder.count("GetCredentialsForIdentity") == 0  # served from the cache


def test_send_signed_for_another_region_is_refused(signed_in: Any) -> None:
    stack, _ = signed_in
    reply = send(
        "GET", stack.endpoint_url + "/prod/echo", profile_name="scribe", region="us-east-1"
    )
    assert reply.status == 403
    assert not reply.ok
    assert reply.header("x-amzn-ErrorType") == "InvalidSignatureException"


def test_requests_auth_against_the_gateway(signed_in: Any) -> None:
    import requests

    from scribeauth.signing import RequestsAuth

    stack, entry = signed_in
    auth = RequestsAuth(profile_name="scribe")
    assert isinstance(auth, requests.auth.AuthBase)
    url = stack.endpoint_url + "/prod/echo"
    with requests.Session() as http:
        http.auth = auth
        got = http.get(url, params={"q": "a b", "z": "1"}, timeout=10)
        posted = http.post(url, json={"hello": "scribe"}, timeout=10)
        empty = http.delete(url + "/7", timeout=10)
    assert got.status_code == 200, got.text
    assert got.json()["query"] == {"q": "a b", "z": "1"}
    assert posted.status_code == 200, posted.text
    assert posted.json()["body"] == '{"hello": "scribe"}'
    assert posted.json()["access_key_id"] == entry.credentials.access_key_id
    assert empty.status_code == 200, empty.text
    assert empty.json()["method"] == "DELETE"
    assert posted.request.headers["X-Amz-Content-SHA256"] == _sha256(b'{"hello": "scribe"}')
    assert stack.recorder.count("execute-api") == 3
    assert "secret" not in repr(auth).lower()


def test_requests_auth_refuses_a_stream_body(signed_in: Any) -> None:
    import requests

    from scribeauth.errors import ConfigError
    from scribeauth.signing import RequestsAuth

    stack, _ = signed_in
    with pytest.raises(ConfigError, match="stream"):
        requests.post(
            stack.endpoint_url + "/prod/echo",
            data=iter([b"a", b"b"]),
            auth=RequestsAuth(profile_name="scribe"),
            timeout=10,
        )
