"""``RequestsAuth``: a ``requests`` auth hook that SigV4-signs each request (extra ``requests``).

It lives apart from :mod:`scribeauth.signing` because its class derives from requests' ``AuthBase``
and so is built only when first asked for; ``scribeauth.signing.RequestsAuth`` is the public name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .signing import (
    DEFAULT_SERVICE,
    _boto3_session,
    _region_for,
    _session_credentials,
    canonical_url,
    check_url,
    region_and_service_from_host,
    sign_request,
)

if TYPE_CHECKING:
    import boto3
    import requests

__all__ = ["build"]


class _RequestsSigner:
    """The body of :class:`RequestsAuth`; the class itself also derives from requests' AuthBase."""

    def __init__(
        self,
        profile_name: str | None = None,
        *,
        session: boto3.Session | None = None,
        region: str | None = None,
        service: str | None = None,
        trusted_hosts: Iterable[str] = (),
        any_host: bool = False,
        allow_http: bool = False,
    ) -> None:
        self._profile_name = profile_name
        self._session = session
        self._region = region
        self._service = service
        self._trusted_hosts = tuple(trusted_hosts)
        self._any_host = any_host
        self._allow_http = allow_http

    def __repr__(self) -> str:
        return f"RequestsAuth(profile_name={self._profile_name!r}, region={self._region!r})"

    @property
    def session(self) -> boto3.Session:
        """The boto3 session the credentials come from (built on first use)."""
        if self._session is None:
            self._session = _boto3_session(self._profile_name)
        return self._session

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.awsrequest import AWSRequest

        profile = self._session.profile_name if self._session else self._profile_name
        check_url(
            str(prepared.url),
            profile_name=profile,
            trusted_hosts=self._trusted_hosts,
            any_host=self._any_host,
            allow_http=self._allow_http,
        )
        url = canonical_url(str(prepared.url))
        prepared.url = url
        from_host = region_and_service_from_host(urlsplit(url).netloc)
        session = self.session
        region = from_host[0] if from_host else _region_for(url, self._region, session)
        service = from_host[1] if from_host else (self._service or DEFAULT_SERVICE)
        body = prepared.body
        if body is not None and not isinstance(body, (bytes, str)):
            raise ConfigError("RequestsAuth signs bytes or str bodies, not streams")
        # Sign exactly the headers requests will send; the Host header is derived from the URL
        # the same way urllib3 writes it.
        request = AWSRequest(
            method=str(prepared.method),
            url=url,
            headers=dict(prepared.headers),
            data=body or b"",
        )
        sign_request(request, _session_credentials(session), region=region, service=service)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256"):
            prepared.headers[name] = request.headers[name]
        token = request.headers.get("X-Amz-Security-Token")
        if token is not None:
            prepared.headers["X-Amz-Security-Token"] = token
        prepared.register_hook("response", _unsign_before_redirect)  # type: ignore[no-untyped-call]
        return prepared


_SIGNING_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Content-SHA256", "X-Amz-Security-Token")


def _unsign_before_redirect(reply: requests.Response, **_: Any) -> requests.Response:
    # requests copies the request's headers into the redirected one and strips only
    # Authorization when the host changes: the security token would follow the redirect.
    if reply.is_redirect and reply.request is not None:
        for name in _SIGNING_HEADERS:
            reply.request.headers.pop(name, None)
    return reply


_REQUESTS_AUTH_DOC = """A ``requests`` auth hook that SigV4-signs each request it sends.

    Each request is signed with the session's current credentials, refreshed by the credential
    chain when 20 minutes or less are left. The region and service come from the host when it is
    an execute-api host, else from the arguments, else the session's region. Needs the
    ``requests`` extra (``pip install 'scribeauth[requests]'``).

    Example::

        import requests
        from scribeauth.signing import RequestsAuth

        auth = RequestsAuth(profile_name="scribe")
        requests.get("https://abc123.execute-api.eu-west-2.amazonaws.com/prod/items", auth=auth)

    Args:
        profile_name: the profile whose credentials sign; ignored when ``session`` is given.
        session: a boto3 session to take credentials from.
        region: the SigV4 region for hosts that do not name one.
        service: the SigV4 service for hosts that do not name one.
        trusted_hosts: hosts to sign for besides those :func:`check_url` trusts; any other
            host raises :class:`~scribeauth.errors.ConfigError` before the request is sent.
        any_host: sign for any host (plain HTTP still refused without ``allow_http``).
        allow_http: allow plain HTTP to a host that is not loopback.
    """


def build() -> type:
    """The ``RequestsAuth`` class (built once, by :mod:`scribeauth.signing` on first use)."""
    try:
        from requests.auth import AuthBase
    except ImportError as err:
        raise ConfigError(
            "signing with requests needs the requests extra: pip install 'scribeauth[requests]'"
        ) from err
    cls = type(
        "RequestsAuth",
        (_RequestsSigner, AuthBase),
        {
            "__doc__": _REQUESTS_AUTH_DOC,
            "__module__": "scribeauth.signing",
            "__qualname__": "RequestsAuth",
        },
    )
    return cls
