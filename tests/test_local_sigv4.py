"""Known answers for the gateway's SigV4 verifier (AWS's published Signature V4 test suite).

Each vector is a request as it arrives on the wire; the verifier must compute the signature AWS
lists for it (credentials AKIDEXAMPLE, us-east-1, service ``service``, 20150830T123600Z).
"""

from __future__ import annotations

import pytest

from scribeauth.local.sigv4 import (
    Failure,
    ReceivedRequest,
    SigV4Error,
    expected_signature,
    parse_authorization,
)

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
WHEN = "20150830T123600Z"
SCOPE = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
HOST = {"host": "example.amazonaws.com", "x-amz-date": WHEN}
STS_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W"
    "Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8"
    "FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "signature"),
    [
        pytest.param(
            "GET", "/", "", HOST, b"",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            id="get-vanilla",
        ),
        pytest.param(
            "GET", "/", "Param2=value2&Param1=value1", HOST, b"",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            id="get-vanilla-query-order-key-case",
        ),
        pytest.param(
            "GET", "/", "Param1=value2&Param1=value1", HOST, b"",
            "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
            id="get-vanilla-query-order-value",
        ),
        pytest.param(
            "GET", "/", "%E1%88%B4=bar", HOST, b"",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
            id="get-vanilla-utf8-query",
        ),
        pytest.param(
            "GET", "/example/..", "", HOST, b"",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            id="normalize-path-get-relative",
        ),
        pytest.param(
            "POST", "/", "", HOST, b"",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            id="post-vanilla",
        ),
        pytest.param(
            "POST", "/", "", {**HOST, "my-header1": "value1"}, b"",
            "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
            id="post-header-key-sort",
        ),
        pytest.param(
            "POST", "/", "", {**HOST, "x-amz-security-token": STS_TOKEN}, b"",
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            id="post-sts-header-before",
        ),
        pytest.param(
            "POST", "/", "",
            {**HOST, "content-type": "application/x-www-form-urlencoded"}, b"Param1=value1",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            id="post-x-www-form-urlencoded",
        ),
    ],
)  # fmt: skip
def test_aws_signature_v4_suite(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, signature: str
) -> None:
    signed = ";".join(sorted(headers))
    authorization = parse_authorization(
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders={signed}, Signature={signature}"
    )
    request = ReceivedRequest(method, path, query, headers, body)

    assert expected_signature(request, authorization, SECRET, WHEN) == signature


def test_only_the_declared_headers_are_signed() -> None:
    # A header the client did not sign (urllib's User-Agent, a proxy's Via) changes nothing.
    authorization = parse_authorization(
        f"AWS4-HMAC-SHA256 Credential={SCOPE}, SignedHeaders=host;x-amz-date, Signature=x"
    )
    request = ReceivedRequest("GET", "/", "", {**HOST, "user-agent": "x", "via": "y"}, b"")

    assert (
        expected_signature(request, authorization, SECRET, WHEN)
        == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_parse_authorization() -> None:
    parsed = parse_authorization(
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20240102/eu-west-2/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=abc123"
    )

    assert parsed.access_key_id == "ASIAEXAMPLE"
    assert parsed.date == "20240102"
    assert parsed.region == "eu-west-2"
    assert parsed.service == "execute-api"
    assert parsed.signed_headers == ("host", "x-amz-date", "x-amz-security-token")
    assert parsed.signature == "abc123"
    assert "abc123" not in repr(parsed)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "Unsupported Authorization Type"),
        ("AWS4-HMAC-SHA256 Credential=A/20240102/eu-west-2/execute-api/aws4_request",
         "Authorization header requires 'Signature' parameter. "
         "Authorization header requires 'SignedHeaders' parameter."),
        ("AWS4-HMAC-SHA256 Credential=A/20240102/eu-west-2, SignedHeaders=host, Signature=x",
         "Credential must have exactly 5 slash-delimited elements"),
        ("AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=x",
         "not a valid key=value pair (missing equal-sign)"),
    ],
)  # fmt: skip
def test_malformed_authorization_is_incomplete_and_not_echoed(header: str, message: str) -> None:
    with pytest.raises(SigV4Error) as caught:
        parse_authorization(header)

    assert caught.value.failure is Failure.INCOMPLETE
    assert message in caught.value.message
    assert "eyJ" not in caught.value.message
