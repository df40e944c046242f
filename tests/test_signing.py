"""scribeauth.signing: SigV4 with the payload hash signed, host parsing, and signed calls the
local stack's gateway verifies (via ``send`` and via ``requests``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import RefreshableCredentials

from scribeauth.errors import ServiceUnavailableError, SignInRequired
from scribeauth.models import AwsCredentials
from scribeauth.signing import Response, region_and_service_from_host, send, sign_request

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
