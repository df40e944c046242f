"""Server-side AWS Signature Version 4 verification for the local gateway.

The signature is recomputed with botocore's own :class:`~botocore.auth.SigV4Auth` (canonical
request, string to sign, signing-key chain), fed with the request exactly as it arrived: the raw
path as sent, the query parameters decoded and re-encoded the SigV4 way, and only the headers the
client listed in ``SignedHeaders``. So a client passes here when, and only when, AWS would accept
its signature. Everything else a real endpoint checks is checked too: the shape of the
``Authorization`` header, the credential scope, the 5-minute clock window, the session token, the
credentials' expiry and the payload hash.

Failures are :class:`SigV4Error` with a :class:`Failure` kind, which the gateway renders in the
wire format of the service asked (API Gateway JSON or STS XML).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, cast
from urllib.parse import unquote_plus

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from scribeauth.local.identity_pool import IssuedCredentials

__all__ = [
    "ALGORITHM",
    "CLOCK_SKEW",
    "Authorization",
    "Failure",
    "ReceivedRequest",
    "SigV4Error",
    "authenticate",
    "expected_signature",
    "parse_authorization",
]

ALGORITHM = "AWS4-HMAC-SHA256"
CLOCK_SKEW = 300
"""Seconds X-Amz-Date may differ from the server's clock, either way (API Gateway: 5 min.)."""

_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_UNRECOGNIZED_CLIENT = "The security token included in the request is invalid."
_EXPIRED_CREDENTIALS = "The security token included in the request is expired"


class Failure(enum.Enum):
    """Why a request was refused; each service names these its own way."""

    MISSING = "missing"
    """No ``Authorization`` header at all."""
    INCOMPLETE = "incomplete"
    """The header or a required signed header is malformed or missing."""
    SIGNATURE = "signature"
    """The signature, its scope, its date or the payload hash is wrong."""
    UNRECOGNIZED_CLIENT = "unrecognized_client"
    """Unknown access key, or a missing or wrong session token."""
    EXPIRED_CREDENTIALS = "expired_credentials"
    """The credentials themselves have expired."""


class SigV4Error(Exception):
    """A request failed authentication.

    Attributes:
        failure: the kind of failure.
        message: what AWS would say (never contains a secret).
    """

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


@dataclass(frozen=True)
class Authorization:
    """A parsed ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str = field(repr=False)


@dataclass(frozen=True)
class ReceivedRequest:
    """An HTTP request as the server received it.

    Attributes:
        method: the HTTP method.
        raw_path: the path exactly as sent (still percent-encoded), without the query.
        raw_query: the query string exactly as sent, without ``?``.
        headers: lower-case header name -> value.
        body: the request body.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query parameters, decoded, in the order sent."""
        pairs = []
        for item in self.raw_query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((unquote_plus(name), unquote_plus(value)))
        return pairs


def parse_authorization(value: str) -> Authorization:
    """Parse an ``Authorization`` header value.

    Raises:
        SigV4Error: INCOMPLETE when the header is not a well-formed SigV4 header.
    """
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        # Do not echo the header: it may well be a bearer token.
        raise SigV4Error(
            Failure.INCOMPLETE, f"Unsupported Authorization Type: expected {ALGORITHM}"
        )
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, part = item.strip().partition("=")
        if not equals:
            raise SigV4Error(
                Failure.INCOMPLETE,
                f"'{name[:40]}' not a valid key=value pair (missing equal-sign) in "
                "Authorization header.",
            )
        parts[name] = part
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not parts.get(name)]
    if missing:
        raise SigV4Error(
            Failure.INCOMPLETE,
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing),
        )
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or not all(scope):
        raise SigV4Error(
            Failure.INCOMPLETE,
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got "
            f"'{'/'.join(scope[1:]) if len(scope) > 1 else ''}'",
        )
    access_key_id, date, region, service, terminator = scope
    if terminator != "aws4_request":
        raise SigV4Error(
            Failure.SIGNATURE,
            f"Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{terminator}'.",
        )
    signed_headers = tuple(parts["SignedHeaders"].split(";"))
    return Authorization(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=signed_headers,
        signature=parts["Signature"],
    )


class _VerifyingSigner(SigV4Auth):
    """botocore's signer, told which headers the client signed instead of choosing them."""

    def __init__(
        self, credentials: Credentials, service: str, region: str, signed: Sequence[str]
    ) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        # botocore drops a few headers (user-agent, expect, ...) when it signs; other clients
        # may sign them, and a verifier must use exactly the list the client declared.
        header_map = HTTPHeaders()
        for name in self._signed:
            if name in request.headers:
                header_map[name] = request.headers[name]
        return header_map


def expected_signature(
    request: ReceivedRequest, authorization: Authorization, secret_key: str, timestamp: str
) -> str:
    """The signature a client holding ``secret_key`` would have computed for ``request``."""
    signer = _VerifyingSigner(
        Credentials(authorization.access_key_id, secret_key),
        authorization.service,
        authorization.region,
        authorization.signed_headers,
    )
    headers = {
        name: request.headers[name]
        for name in authorization.signed_headers
        if name in request.headers
    }
    aws_request = AWSRequest(
        method=request.method,
        # botocore normalises and URI-encodes the path itself, as the client's signer did.
        url="http://localhost" + (request.raw_path or "/"),
        headers=headers,
        data=request.body,
        # A list keeps repeated names; botocore's signer accepts it (its stubs say Mapping).
        params=cast(Any, request.query_pairs()),
    )
    aws_request.context["timestamp"] = timestamp
    canonical_request = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical_request)
    return signer.signature(string_to_sign, aws_request)


def authenticate(
    request: ReceivedRequest,
    *,
    lookup: Callable[[str], IssuedCredentials | None],
    region: str,
    services: Sequence[str],
    now: Callable[[], float],
    allow_unsigned_payload: bool = False,
) -> tuple[Authorization, IssuedCredentials]:
    """Verify a SigV4-signed request against credentials issued by the identity pool.

    Args:
        request: the request as received.
        lookup: finds issued credentials by access key id.
        region: the only region requests may be scoped to.
        services: the signing names this endpoint answers to (``execute-api``, ``sts``).
        now: the server clock, epoch seconds.
        allow_unsigned_payload: accept ``X-Amz-Content-Sha256: UNSIGNED-PAYLOAD``.

    Returns:
        The parsed Authorization header and the credentials that signed the request.

    Raises:
        SigV4Error: the request is not authentic, with what AWS would say.
    """
    header = request.headers.get("authorization")
    if not header:
        raise SigV4Error(Failure.MISSING, "Missing Authentication Token")
    authorization = parse_authorization(header)
    signed = authorization.signed_headers
    amz_date = request.headers.get("x-amz-date")
    if not amz_date:
        raise SigV4Error(
            Failure.INCOMPLETE,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    if "host" not in signed:
        raise SigV4Error(
            Failure.INCOMPLETE,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        )
    if "x-amz-date" not in signed:
        raise SigV4Error(
            Failure.INCOMPLETE, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
        )
    signed_at = _parse_timestamp(amz_date)
    _check_clock(amz_date, signed_at, now())
    if authorization.date != amz_date[:8]:
        raise SigV4Error(
            Failure.SIGNATURE,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{authorization.date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    if authorization.region != region:
        raise SigV4Error(
            Failure.SIGNATURE,
            f"Credential should be scoped to a valid region, not '{authorization.region}'.",
        )
    if authorization.service not in services:
        raise SigV4Error(
            Failure.SIGNATURE,
            f"Credential should be scoped to correct service: '{services[0]}'.",
        )
    issued = lookup(authorization.access_key_id)
    if issued is None:
        raise SigV4Error(Failure.UNRECOGNIZED_CLIENT, _UNRECOGNIZED_CLIENT)
    token = request.headers.get("x-amz-security-token", "")
    if not hmac.compare_digest(token.encode("utf-8"), issued.session_token.encode("utf-8")):
        raise SigV4Error(Failure.UNRECOGNIZED_CLIENT, _UNRECOGNIZED_CLIENT)
    if issued.expires_at <= now():
        raise SigV4Error(Failure.EXPIRED_CREDENTIALS, _EXPIRED_CREDENTIALS)
    _check_payload_hash(request, allow_unsigned_payload)
    expected = expected_signature(request, authorization, issued.secret_access_key, amz_date)
    if not hmac.compare_digest(expected.encode("ascii"), authorization.signature.encode("utf-8")):
        raise SigV4Error(Failure.SIGNATURE, _MISMATCH)
    return authorization, issued


def _parse_timestamp(amz_date: str) -> float:
    try:
        parsed = datetime.strptime(amz_date, _TIMESTAMP).replace(tzinfo=timezone.utc)
    except ValueError as err:
        raise SigV4Error(
            Failure.INCOMPLETE,
            "X-Amz-Date must be in the ISO-8601 basic format \"yyyyMMdd'T'HHmmss'Z'\".",
        ) from err
    return parsed.timestamp()


def _format_timestamp(epoch: float) -> str:
    return time.strftime(_TIMESTAMP, time.gmtime(epoch))


def _check_clock(amz_date: str, signed_at: float, current: float) -> None:
    if signed_at < current - CLOCK_SKEW:
        raise SigV4Error(
            Failure.SIGNATURE,
            f"Signature expired: {amz_date} is now earlier than "
            f"{_format_timestamp(current - CLOCK_SKEW)} ({_format_timestamp(current)} - 5 min.)",
        )
    if signed_at > current + CLOCK_SKEW:
        raise SigV4Error(
            Failure.SIGNATURE,
            f"Signature not yet current: {amz_date} is still later than "
            f"{_format_timestamp(current + CLOCK_SKEW)} ({_format_timestamp(current)} + 5 min.)",
        )


def _check_payload_hash(request: ReceivedRequest, allow_unsigned_payload: bool) -> None:
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None:
        # The signature itself then covers the body's hash.
        return
    if declared == _UNSIGNED_PAYLOAD:
        if allow_unsigned_payload:
            return
        raise SigV4Error(
            Failure.SIGNATURE,
            "UNSIGNED-PAYLOAD is not accepted here: sign the request body "
            "(x-amz-content-sha256 must be the SHA-256 of the body).",
        )
    computed = hashlib.sha256(request.body).hexdigest()
    if not hmac.compare_digest(declared.lower().encode("utf-8"), computed.encode("ascii")):
        raise SigV4Error(
            Failure.SIGNATURE,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
