"""SigV4 signing of Scribe API (``execute-api``) requests with the profile's current credentials.

Three ways in, from lowest to highest level:

- :func:`sign_request` signs a botocore ``AWSRequest`` in place with any credentials;
- :func:`send` signs with the credential chain's current credentials for a profile (refreshed
  as needed) and sends the request with botocore's own HTTP stack;
- :class:`RequestsAuth` is a ``requests`` auth hook doing the same for each request a
  ``requests`` session sends (needs the ``requests`` extra).

The payload hash is always signed and sent as ``X-Amz-Content-SHA256``: API Gateway accepts
``UNSIGNED-PAYLOAD`` only for some services, and Scribe's gateway (like the local stack's)
verifies the body. botocore and requests are imported inside the functions that need them; this
module is not on the credential_process path but the package's import rules still apply.

Example::

    from scribeauth.signing import send

    reply = send("GET", "https://abc123.execute-api.eu-west-2.amazonaws.com/prod/items",
                 profile_name="scribe")
    print(reply.status, reply.json())
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .endpoints import check_target, configured_endpoints, is_loopback, parse_host_list
from .errors import ConfigError, ServiceUnavailableError, SignInRequired
from .models import AwsCredentials

if TYPE_CHECKING:
    import boto3
    from botocore.awsrequest import AWSRequest

__all__ = [
    "DEFAULT_SERVICE",
    "DEFAULT_TIMEOUT",
    "RequestsAuth",
    "Response",
    "canonical_url",
    "check_url",
    "region_and_service_from_host",
    "send",
    "sign_request",
]

DEFAULT_SERVICE = "execute-api"
DEFAULT_TIMEOUT = 30.0

# <api-id>.execute-api.<region>.amazonaws.com[.cn] and the private-API (VPC endpoint) form
# <api-id>-<vpce-id>.execute-api.<region>.vpce.amazonaws.com.
_EXECUTE_API_HOST = re.compile(
    r"^[a-z0-9]+(?:-vpce-[a-z0-9]+)?\.execute-api\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)"
    r"\.(?:vpce\.)?amazonaws\.com(?:\.cn)?\.?$"
)


@dataclass(frozen=True)
class Response:
    """One HTTP reply.

    Attributes:
        status: the HTTP status code.
        reason: the reason phrase (``"OK"``), empty when the server sent none.
        headers: the reply's headers in the order received (repeated names kept).
        body: the reply's body.
        url: the URL the request went to.
    """

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = field(default=b"", repr=False)
    url: str = ""

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first header called ``name`` (any case), else ``default``."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return default

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises:
            ValueError: the body is not JSON.
        """
        return json.loads(self.body)


def region_and_service_from_host(host: str) -> tuple[str, str] | None:
    """The SigV4 region and service of an API Gateway host, or None for any other host.

    Args:
        host: a host name, optionally with ``:port``, e.g.
            ``abc123.execute-api.eu-west-2.amazonaws.com``.

    Returns:
        ``(region, "execute-api")`` for an ``execute-api`` host (public or VPC-endpoint form).
    """
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal is never an API Gateway host
        return None
    name = name.rsplit(":", 1)[0] if ":" in name else name
    match = _EXECUTE_API_HOST.match(name)
    if match is None:
        return None
    return match.group("region"), DEFAULT_SERVICE


def canonical_url(url: str) -> str:
    """``url`` with its query string re-encoded the way SigV4 canonicalises it.

    botocore signs the query string as written, while the server decodes it (``+`` as a space)
    and encodes it again (``%20``); sending the canonical form makes both sides agree.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    return urlunsplit(parts._replace(query=query))


def check_url(
    url: str,
    *,
    profile_name: str | None = None,
    trusted_hosts: Iterable[str] = (),
    any_host: bool = False,
    allow_http: bool = False,
) -> None:
    """Refuses a URL that signed requests must not go to (see :mod:`scribeauth.endpoints`).

    Trusted besides execute-api hosts and loopback: ``trusted_hosts``, the profile's
    ``scribe_api_hosts`` (AWS config) or ``$SCRIBEAUTH_API_HOSTS``, and the hosts of the
    endpoint URLs configured in ``AWS_ENDPOINT_URL*`` and the profile. No network I/O.

    Raises:
        ConfigError: the URL is refused; the message names the host and the override.
    """
    import os

    hosts = list(trusted_hosts)
    endpoints = [v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL") and v]
    try:
        local = is_loopback(urlsplit(url).hostname or "")
    except ValueError:
        local = True  # check_target names what is wrong with the URL
    if not local and not any_host:
        name = profile_name or os.environ.get("AWS_PROFILE") or "default"
        from botocore.exceptions import BotoCoreError
        from botocore.session import Session

        try:
            scoped = Session().full_config.get("profiles", {}).get(name) or {}
        except BotoCoreError:
            scoped = {}
        hosts += parse_host_list(scoped.get("scribe_api_hosts"))
        hosts += parse_host_list(os.environ.get("SCRIBEAUTH_API_HOSTS"))
        endpoints += configured_endpoints(name).values()
    check_target(
        url, trusted_hosts=hosts, endpoints=endpoints, any_host=any_host, allow_http=allow_http
    )


def _frozen(credentials: Any) -> Any:
    """botocore ``ReadOnlyCredentials`` for whatever credentials object we were given."""
    from botocore.credentials import ReadOnlyCredentials

    if credentials is None:
        raise SignInRequired("no AWS credentials to sign with; run: scribeauth login")
    if hasattr(credentials, "get_frozen_credentials"):
        # botocore Credentials / RefreshableCredentials: freezing is what triggers a refresh.
        frozen = credentials.get_frozen_credentials()
        return ReadOnlyCredentials(frozen.access_key, frozen.secret_key, frozen.token)
    if isinstance(credentials, AwsCredentials):
        return ReadOnlyCredentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
    return ReadOnlyCredentials(credentials.access_key, credentials.secret_key, credentials.token)


def sign_request(
    request: AWSRequest,
    credentials: Any,
    *,
    region: str,
    service: str = DEFAULT_SERVICE,
) -> AWSRequest:
    """Signs ``request`` in place with SigV4, the payload hash signed.

    Args:
        request: the request; its body may be bytes, str or a seekable file.
        credentials: botocore ``Credentials`` (frozen right here, so a refreshable one refreshes
            first), botocore ``ReadOnlyCredentials``, or :class:`scribeauth.AwsCredentials`.
        region: the SigV4 region (the API's region, not necessarily Cognito's).
        service: the SigV4 service name.

    Returns:
        The same request, with ``Authorization``, ``X-Amz-Date``, ``X-Amz-Content-SHA256`` and
        (for temporary credentials) ``X-Amz-Security-Token`` set.
    """
    from botocore.auth import SigV4Auth

    signer = SigV4Auth(_frozen(credentials), service, region)
    # botocore would send UNSIGNED-PAYLOAD over https when an operation disables payload signing;
    # execute-api wants the real hash, so force it and send it as a header too.
    request.context["payload_signing_enabled"] = True
    if "X-Amz-Content-SHA256" in request.headers:
        del request.headers["X-Amz-Content-SHA256"]
    request.headers["X-Amz-Content-SHA256"] = signer.payload(request)
    signer.add_auth(request)
    return request


def _boto3_session(profile_name: str | None) -> boto3.Session:
    from .provider import boto3_session

    session: boto3.Session = (
        boto3_session() if profile_name is None else boto3_session(profile_name=profile_name)
    )
    return session


def _region_for(url: str, region: str | None, session: boto3.Session | None) -> str:
    if region:
        return region
    from_host = region_and_service_from_host(urlsplit(url).netloc)
    if from_host is not None:
        return from_host[0]
    if session is not None and session.region_name:
        return session.region_name
    raise ConfigError(
        "cannot tell the signing region from the URL; set the profile's region or pass one"
    )


def _service_for(url: str, service: str | None) -> str:
    if service:
        return service
    from_host = region_and_service_from_host(urlsplit(url).netloc)
    return from_host[1] if from_host is not None else DEFAULT_SERVICE


def _session_credentials(session: boto3.Session) -> Any:
    credentials = session.get_credentials()
    if credentials is None:
        raise SignInRequired(
            f"profile {session.profile_name!r} has no AWS credentials; "
            f"run: scribeauth login --profile {session.profile_name}"
        )
    return credentials


def send(
    method: str,
    url: str,
    *,
    profile_name: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    body: bytes | str = b"",
    session: boto3.Session | None = None,
    credentials: Any = None,
    region: str | None = None,
    service: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    trusted_hosts: Iterable[str] = (),
    any_host: bool = False,
    allow_http: bool = False,
) -> Response:
    """Signs one request with the profile's current AWS credentials and sends it.

    Args:
        method: the HTTP method, e.g. ``"GET"``.
        url: the full URL.
        profile_name: the profile whose credentials sign (default: ``AWS_PROFILE`` / default);
            ignored when ``session`` is given.
        headers: extra request headers.
        body: the request body.
        session: a boto3 session to take credentials (and the fallback region) from; default
            :func:`scribeauth.boto3_session` for ``profile_name``.
        credentials: credentials to sign with instead of a session's (any kind
            :func:`sign_request` takes); then ``region`` or an execute-api host must give the
            region.
        region: the SigV4 region; default from an execute-api host, else the session's region.
        service: the SigV4 service; default ``execute-api``.
        timeout: connect and read timeout in seconds.
        trusted_hosts: hosts to sign for besides those :func:`check_url` trusts.
        any_host: sign for any host (plain HTTP still refused without ``allow_http``).
        allow_http: allow plain HTTP to a host that is not loopback.

    Returns:
        The reply, whatever its status (check :attr:`Response.ok`).

    Raises:
        ConfigError: the URL is refused (not a host to sign for, plain HTTP, user:pass@),
            before any network I/O.
        SignInRequired: the profile has no usable session.
        ConfigError: no signing region can be found.
        ServiceUnavailableError: the server cannot be reached or timed out.
    """
    from botocore.awsrequest import AWSRequest
    from botocore.exceptions import BotoCoreError
    from botocore.httpsession import URLLib3Session
    from botocore.utils import get_environ_proxies
    from urllib3.exceptions import HTTPError as URLLib3Error

    check_url(
        url,
        profile_name=session.profile_name if session is not None else profile_name,
        trusted_hosts=trusted_hosts,
        any_host=any_host,
        allow_http=allow_http,
    )
    if credentials is None:
        if session is None:
            session = _boto3_session(profile_name)
        credentials = _session_credentials(session)
    url = canonical_url(url)
    signing_region = _region_for(url, region, session)
    request = AWSRequest(
        method=method.upper(),
        url=url,
        headers=dict(headers.items() if isinstance(headers, Mapping) else headers or ()),
        data=body.encode("utf-8") if isinstance(body, str) else body,
    )
    sign_request(
        request,
        credentials,
        region=signing_region,
        service=_service_for(url, service),
    )
    # URLLib3Session takes float seconds; its stubs say int.
    http = URLLib3Session(timeout=timeout, proxies=get_environ_proxies(url))  # type: ignore[arg-type]
    try:
        reply = http.send(request.prepare())
        content = reply.content
    except (BotoCoreError, URLLib3Error) as err:
        raise ServiceUnavailableError(
            f"cannot reach {urlsplit(url).netloc}: {type(err).__name__}"
        ) from err
    finally:
        http.close()
    raw_headers = getattr(reply.raw, "headers", None)
    pairs = tuple(raw_headers.items()) if raw_headers is not None else tuple(reply.headers.items())
    return Response(
        status=reply.status_code,
        reason=str(getattr(reply.raw, "reason", "") or ""),
        headers=tuple((str(k), str(v)) for k, v in pairs),
        body=content,
        url=url,
    )


if TYPE_CHECKING:
    from requests.auth import AuthBase

    from .requests_auth import _RequestsSigner

    class RequestsAuth(_RequestsSigner, AuthBase):
        """A ``requests`` auth hook that SigV4-signs each request it sends."""


def __getattr__(name: str) -> Any:
    # RequestsAuth derives from requests' AuthBase, so the class is built on first use:
    # importing scribeauth.signing must neither need nor pay for requests.
    if name != "RequestsAuth":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .requests_auth import build

    cls = build()
    globals()["RequestsAuth"] = cls
    return cls
