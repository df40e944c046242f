"""A stand-in for Scribe's API Gateway and for STS ``GetCallerIdentity``: a WSGI app.

Every request must carry a real SigV4 signature made with credentials the local identity pool
issued (see :mod:`scribeauth.local.sigv4` for what is checked). Two services answer:

* ``execute-api`` (any method, any path): a JSON echo of the request and of who signed it;
* ``sts`` (``Action=GetCallerIdentity&Version=2011-06-15``, form body or query string): the XML
  STS sends, so boto3 and the AWS CLI parse it as usual.

Refusals look like the real thing: API Gateway's ``403 {"message": ...}`` with an
``x-amzn-ErrorType`` header, or STS's ``<ErrorResponse>`` XML.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from scribeauth.local.identity_pool import DEFAULT_ROLE_ARN, IssuedCredentials
from scribeauth.local.sigv4 import Failure, ReceivedRequest, SigV4Error, authenticate

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["OPERATION_KEY", "Gateway", "received_request"]

OPERATION_KEY = "scribeauth.operation"
"""The WSGI environ key where the gateway notes which operation a request was
(``"execute-api"`` or ``"GetCallerIdentity"``), for the stack's recorder."""

_STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
_STS_VERSION = "2011-06-15"
_ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)")
_SESSION_NAME = "CognitoIdentityCredentials"

# Failure -> (API Gateway x-amzn-ErrorType, STS error code).
_ERROR_NAMES = {
    Failure.MISSING: ("MissingAuthenticationTokenException", "MissingAuthenticationToken"),
    Failure.INCOMPLETE: ("IncompleteSignatureException", "IncompleteSignature"),
    Failure.SIGNATURE: ("InvalidSignatureException", "SignatureDoesNotMatch"),
    Failure.UNRECOGNIZED_CLIENT: ("UnrecognizedClientException", "InvalidClientTokenId"),
    Failure.EXPIRED_CREDENTIALS: ("ExpiredTokenException", "ExpiredToken"),
}


class Gateway:
    """The WSGI app serving ``execute-api`` and STS ``GetCallerIdentity``.

    Args:
        lookup: finds credentials the identity pool issued, by access key id.
        region: the region requests must be signed for.
        now: the clock, epoch seconds.
    """

    def __init__(
        self,
        *,
        lookup: Callable[[str], IssuedCredentials | None],
        region: str,
        now: Callable[[], float],
    ) -> None:
        self._lookup = lookup
        self._region = region
        self._now = now

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = received_request(environ)
        service = _service_of(request)
        environ[OPERATION_KEY] = "GetCallerIdentity" if service == "sts" else "execute-api"
        try:
            _, issued = authenticate(
                request,
                lookup=self._lookup,
                region=self._region,
                services=(service,),
                now=self._now,
            )
        except SigV4Error as err:
            if service == "sts":
                return _sts_error(start_response, 403, _ERROR_NAMES[err.failure][1], err.message)
            return _gateway_error(start_response, err)
        if service == "sts":
            return _get_caller_identity(start_response, request, issued)
        return _echo(start_response, request, issued)


def received_request(environ: WSGIEnvironment) -> ReceivedRequest:
    """Read a WSGI request (consuming its body) as the SigV4 verifier needs it."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        parts = urlsplit(raw_uri)
        raw_path, raw_query = parts.path, parts.query
    else:
        # WSGI decoded the path already; encode it back the way a client would have sent it.
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        raw_path = quote(path.encode("latin-1"), safe="/!$&'()*+,;=:@~")
        raw_query = environ.get("QUERY_STRING", "")
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = environ[key]
    return ReceivedRequest(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        raw_path=raw_path or "/",
        raw_query=raw_query,
        headers=headers,
        body=_read_body(environ),
    )


def _read_body(environ: WSGIEnvironment) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            return bytes(stream.read(int(length)))
        except ValueError:
            return b""
    # Chunked uploads: the server marks the stream as ending where the body ends.
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _service_of(request: ReceivedRequest) -> str:
    """Which service a request is for: its credential scope says, else the STS form shape."""
    authorization = request.headers.get("authorization", "")
    match = re.search(r"Credential=[^/,\s]*/[^/,\s]*/[^/,\s]*/([^/,\s]*)/", authorization)
    if match:
        return "sts" if match.group(1) == "sts" else "execute-api"
    if request.raw_path == "/" and "Action" in _sts_params(request):
        return "sts"
    return "execute-api"


def _sts_params(request: ReceivedRequest) -> dict[str, str]:
    params = dict(request.query_pairs())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = ReceivedRequest(
            method=request.method,
            raw_path=request.raw_path,
            raw_query=request.body.decode("utf-8", "replace"),
            headers={},
            body=b"",
        )
        params.update(form.query_pairs())
    return params


def _get_caller_identity(
    start_response: StartResponse, request: ReceivedRequest, issued: IssuedCredentials
) -> Iterable[bytes]:
    params = _sts_params(request)
    action = params.get("Action")
    if not action:
        return _sts_error(start_response, 400, "MissingAction", "Missing Action")
    if action != "GetCallerIdentity" or params.get("Version") != _STS_VERSION:
        return _sts_error(
            start_response,
            400,
            "InvalidAction",
            f"Could not find operation {action} for version {params.get('Version', 'NO_VERSION')}",
        )
    role_arn = issued.role_arn or DEFAULT_ROLE_ARN
    match = _ROLE_ARN.fullmatch(role_arn)
    account, role_name = (match["account"], match["name"]) if match else ("123456789012", "Role")
    # Role ids are stable per role: AROA and 17 characters, as IAM makes them.
    digest = base64.b32encode(hashlib.sha256(role_arn.encode("utf-8")).digest()).decode("ascii")
    role_id = "AROA" + digest[:17]
    request_id = str(uuid.uuid4())
    body = (
        f'<GetCallerIdentityResponse xmlns="{_STS_NAMESPACE}">\n'
        "  <GetCallerIdentityResult>\n"
        f"    <Arn>arn:aws:sts::{account}:assumed-role/{escape(role_name)}/{_SESSION_NAME}</Arn>\n"
        f"    <UserId>{role_id}:{_SESSION_NAME}</UserId>\n"
        f"    <Account>{account}</Account>\n"
        "  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n"
        f"    <RequestId>{request_id}</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n"
    )
    return _respond(start_response, 200, body.encode("utf-8"), "text/xml", request_id)


def _echo(
    start_response: StartResponse, request: ReceivedRequest, issued: IssuedCredentials
) -> Iterable[bytes]:
    payload = {
        "method": request.method,
        "path": unquote(request.raw_path),
        "query": dict(request.query_pairs()),
        "body": request.body.decode("utf-8", "replace"),
        "identity_id": issued.identity_id,
        "access_key_id": issued.access_key_id,
        "role_arn": issued.role_arn,
    }
    body = json.dumps(payload).encode("utf-8")
    return _respond(start_response, 200, body, "application/json", str(uuid.uuid4()))


def _gateway_error(start_response: StartResponse, err: SigV4Error) -> Iterable[bytes]:
    error_type = _ERROR_NAMES[err.failure][0]
    body = json.dumps({"message": err.message}).encode("utf-8")
    return _respond(
        start_response,
        403,
        body,
        "application/json",
        str(uuid.uuid4()),
        [("x-amzn-ErrorType", error_type)],
    )


def _sts_error(
    start_response: StartResponse, status: int, code: str, message: str
) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    body = (
        f'<ErrorResponse xmlns="{_STS_NAMESPACE}">\n'
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        f"    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n"
        "  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        "</ErrorResponse>\n"
    )
    return _respond(start_response, status, body.encode("utf-8"), "text/xml", request_id)


def _respond(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str,
    request_id: str,
    extra_headers: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id),
        *(extra_headers or []),
    ]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [body]
