"""Where signed requests may go, and which endpoints a profile configures.

A SigV4 signature and the ``X-Amz-Security-Token`` beside it let whoever receives them replay the
request, and the token itself is a bearer credential for an hour. So ``scribeauth request`` and
:class:`scribeauth.signing.RequestsAuth` sign only for hosts that are meant to receive them:

- API Gateway hosts, ``<id>.execute-api.<region>.amazonaws.com`` (and ``.amazonaws.com.cn``,
  and the private-API ``vpce`` form);
- hosts the profile lists in ``scribe_api_hosts`` (custom API domains; ``*.example.com`` allows
  every name under ``example.com``);
- hosts of the endpoint URLs the user configured (``AWS_ENDPOINT_URL*``, the profile's
  ``endpoint_url`` and its ``services`` section);
- loopback (``localhost``, ``127.0.0.0/8``, ``::1``);

and never over plain HTTP except to loopback. Everything is decided from the URL's text: no name
is resolved, so a refusal happens before any network I/O. Standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import SplitResult, urlsplit

from .errors import ConfigError

__all__ = [
    "ANY_HOST_FLAG",
    "HTTP_FLAG",
    "check_target",
    "configured_endpoints",
    "endpoint_environment",
    "is_loopback",
    "parse_host_list",
]

#: The ``scribeauth request`` flags that override a refusal (named in the refusal).
ANY_HOST_FLAG = "--any-host"
HTTP_FLAG = "--allow-http"

_EXECUTE_API = re.compile(
    r"^[a-z0-9]+(?:-vpce-[a-z0-9]+)?\.execute-api\.[a-z]{2}(?:-[a-z]+)+-\d+"
    r"\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$"
)
_HOST_ENTRY = re.compile(r"^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*$")
_ENDPOINT_ENV = "AWS_ENDPOINT_URL"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IP literal, no port, no brackets) is this machine's
    loopback: ``localhost`` (and ``*.localhost``), ``127.0.0.0/8`` or ``::1``. No name lookup."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_host_list(text: str | None, *, setting: str = "scribe_api_hosts") -> tuple[str, ...]:
    """The host names of a ``scribe_api_hosts`` value (comma- or space-separated).

    Raises:
        ConfigError: an entry is not a host name or ``*.domain``.
    """
    hosts = []
    for entry in re.split(r"[,\s]+", (text or "").strip().lower()):
        if not entry:
            continue
        entry = entry.rstrip(".")
        if not _HOST_ENTRY.match(entry):
            raise ConfigError(
                f"{setting}: {entry!r} is not a host name (like api.example.com or "
                "*.example.com); fix the setting"
            )
        hosts.append(entry)
    return tuple(hosts)


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _split(url: str) -> tuple[SplitResult, str]:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as err:
        raise ConfigError(f"not a valid URL: {err}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("not an http(s) URL with a host")
    return parts, parts.hostname.rstrip(".")


def check_target(
    url: str,
    *,
    trusted_hosts: Iterable[str] = (),
    endpoints: Iterable[str] = (),
    any_host: bool = False,
    allow_http: bool = False,
) -> None:
    """Refuses a URL that signed requests must not go to. Pure: no network, no name lookup.

    Args:
        url: the request URL.
        trusted_hosts: the profile's extra API hosts (:func:`parse_host_list`).
        endpoints: configured endpoint URLs (:func:`configured_endpoints`); their hosts are
            trusted.
        any_host: sign for any host (the ``--any-host`` override); plain HTTP is still refused.
        allow_http: allow plain HTTP to a host that is not loopback (``--allow-http``).

    Raises:
        ConfigError: the URL carries a user name or password (never echoed), or the host is
            not one to sign for, or the scheme is plain HTTP to another machine. The message
            names the host and the override.
    """
    parts, host = _split(url)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            "the URL holds a user name or password (user:pass@host); remove it: requests are "
            "signed with the profile's AWS credentials, never with URL credentials"
        )
    loopback = is_loopback(host)
    if not loopback and not any_host:
        endpoint_hosts = set()
        for endpoint in endpoints:
            try:
                endpoint_hosts.add((urlsplit(endpoint).hostname or "").rstrip("."))
            except ValueError:
                continue
        trusted = (
            _EXECUTE_API.match(host) is not None
            or host in endpoint_hosts
            or any(_matches(host, pattern) for pattern in trusted_hosts)
        )
        if not trusted:
            raise ConfigError(
                f"refusing to sign a request for {host}: it is not an execute-api host, a host "
                f"in the profile's scribe_api_hosts, a configured endpoint or loopback; add it "
                f"to scribe_api_hosts, or pass {ANY_HOST_FLAG} if you trust it"
            )
    if parts.scheme == "http" and not loopback and not allow_http:
        raise ConfigError(
            f"refusing to send signed credentials to {host} over plain HTTP; use https://, "
            f"or pass {HTTP_FLAG} if the network between you is trusted"
        )


# -- configured endpoints -------------------------------------------------------------------


def _truthy(value: object) -> bool:
    return str(value).strip().lower() == "true"


def configured_endpoints(
    profile_name: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The endpoint URLs the AWS config file gives the profile, as the environment variables
    that would say the same: ``{"AWS_ENDPOINT_URL": ..., "AWS_ENDPOINT_URL_STS": ...}``.

    From the profile's ``endpoint_url`` and its ``services`` section; empty when the profile
    is not in the AWS config file or ``ignore_configured_endpoint_urls`` is set.
    """
    env = os.environ if environ is None else environ
    if _truthy(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")):
        return {}
    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session()
    try:
        profiles: Mapping[str, Any] = session.full_config.get("profiles", {})
        scoped = profiles.get(profile_name or "default") or {}
        services = session.full_config.get("services", {})
    except botocore.exceptions.BotoCoreError:
        return {}
    if _truthy(scoped.get("ignore_configured_endpoint_urls", "")):
        return {}
    found: dict[str, str] = {}
    if isinstance(scoped.get("endpoint_url"), str) and scoped["endpoint_url"].strip():
        found[_ENDPOINT_ENV] = scoped["endpoint_url"].strip()
    section = services.get(scoped.get("services", ""), {}) if scoped.get("services") else {}
    for service, values in (section or {}).items():
        url = values.get("endpoint_url") if isinstance(values, Mapping) else None
        if isinstance(url, str) and url.strip():
            name = re.sub(r"[^A-Z0-9]", "_", str(service).upper())
            found[f"{_ENDPOINT_ENV}_{name}"] = url.strip()
    return found


def endpoint_environment(
    configured: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str]:
    """The ``AWS_ENDPOINT_URL*`` variables a child without the profile needs to reach the same
    endpoints the profile reaches, given the parent's ``environ``.

    botocore's order is: the service's variable, ``AWS_ENDPOINT_URL``, the profile's
    ``services`` section, the profile's ``endpoint_url``. A variable the parent sets is kept
    (and already reaches the child); a ``services`` entry counts only when the parent has no
    ``AWS_ENDPOINT_URL``.
    """
    if _truthy(environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "")):
        return {}
    result: dict[str, str] = {}
    has_global = bool(environ.get(_ENDPOINT_ENV))
    for name, url in configured.items():
        if environ.get(name):
            continue
        if name != _ENDPOINT_ENV and has_global:
            continue
        result[name] = url
    return result
