"""``scribeauth request``: one SigV4-signed API call, like awscurl."""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..endpoints import ANY_HOST_FLAG, HTTP_FLAG
from ..errors import ConfigError
from .console import Console, printable
from .export import credentials_for

__all__ = ["register"]

EXIT_HTTP_ERROR = 22  # curl --fail's code for an HTTP error reply
# RFC 9110 "token": what a method and a header name may be made of.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _url(value: str) -> str:
    """An http(s) URL with a host and a valid port, without user:pass@ (never echoed)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
        userinfo = "@" in parts.netloc
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"URL: {err}; give a full http(s)://host/... URL"
        ) from None
    if userinfo:
        raise argparse.ArgumentTypeError(
            "URL: remove the user name or password (user:pass@host); requests are signed with "
            "the profile's AWS credentials"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"URL {printable(value)!r} is not an http(s) URL; give one like "
            "https://abc123.execute-api.eu-west-2.amazonaws.com/prod/items"
        )
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        raise argparse.ArgumentTypeError(
            "URL: spaces and control characters must be percent-encoded (%20)"
        )
    return value


def _header(value: str) -> tuple[str, str]:
    name, colon, content = value.partition(":")
    name, content = name.strip(), content.strip()
    if not colon or not _TOKEN.match(name):
        raise argparse.ArgumentTypeError(
            f"-H {printable(value)!r}: a header is 'Name: value' (the name one word)"
        )
    if any(c in "\r\n\0" for c in content):
        raise argparse.ArgumentTypeError(f"-H {name}: the value must be one line")
    try:
        content.encode("latin-1")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(
            f"-H {name}: HTTP header values are Latin-1 text; percent-encode other characters"
        ) from None
    return name, content


def _method(value: str) -> str:
    if not _TOKEN.match(value):
        raise argparse.ArgumentTypeError(
            f"-X {printable(value)!r}: an HTTP method is one word, like GET, POST or PUT"
        )
    return value.upper()


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"--timeout {printable(value)!r}: give a number of seconds above 0, like 30"
        )
    return seconds


def _body(data: str | None) -> bytes:
    if data is None:
        return b""
    if data == "@-":
        return sys.stdin.buffer.read()
    if data.startswith("@"):
        path = Path(data[1:]).expanduser()
        try:
            return path.read_bytes()
        except OSError as err:
            raise ConfigError(f"-d {data}: cannot read {path}: {err.strerror}") from None
    return data.encode("utf-8")


def request(args: argparse.Namespace, console: Console) -> int:
    from ..endpoints import parse_host_list
    from ..signing import check_url, region_and_service_from_host, send
    from .session import load

    parts = urlsplit(args.url)
    headers = list(args.header)
    profile = load(args)
    # Before the body is read or any credentials fetched: nothing leaves for a refused host.
    check_url(
        args.url,
        profile_name=profile.name,
        trusted_hosts=parse_host_list(profile.api_hosts),
        any_host=args.any_host,
        allow_http=args.allow_http,
    )
    body = _body(args.data)
    method = args.method or ("POST" if args.data is not None else "GET")
    if body and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))

    profile, credentials = credentials_for(args, console)
    from_host = region_and_service_from_host(parts.netloc)
    region = args.region or (from_host[0] if from_host else profile.signing_region)
    service = args.service or (from_host[1] if from_host else "execute-api")
    with console.busy(f"{method} {parts.netloc}"):
        reply = send(
            method,
            args.url,
            headers=headers,
            body=body,
            credentials=credentials,
            region=region,
            service=service,
            timeout=args.timeout,
            any_host=True,  # checked above, with the profile's own list
            allow_http=args.allow_http,
        )
    if args.include:
        lines = [f"HTTP/1.1 {reply.status} {reply.reason}".rstrip()]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        console.out_bytes(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace"))
    console.out_bytes(reply.body)
    if reply.body and not reply.body.endswith(b"\n") and console.stdout_is_terminal():
        console.out_bytes(b"\n")  # keep the shell prompt on its own line
    if not reply.ok:
        console.error(f"{method} {args.url}: HTTP {reply.status} {reply.reason}".rstrip())
        return EXIT_HTTP_ERROR
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds request."""
    from . import add_command

    parser = add_command(
        subparsers,
        "request",
        summary="send one SigV4-signed API request (like awscurl) and print the reply",
        description=(
            "Sign one request with the profile's AWS credentials (SigV4, payload hash signed) "
            "and print the reply's body on stdout; -i adds the status line and headers. The "
            "region and service come from the host when it is an execute-api host "
            "(<id>.execute-api.<region>.amazonaws.com), else from --region / the profile's "
            "region and --service (default execute-api). A body sets the method to POST and, "
            "unless -H gives one, Content-Type: application/json. A non-2xx reply still prints "
            "its body, then exits 22 (like curl --fail). Requests are signed only for "
            "execute-api hosts, hosts listed in the profile's scribe_api_hosts (custom API "
            "domains), hosts of configured endpoint URLs (AWS_ENDPOINT_URL*, endpoint_url, "
            "services) and loopback, and never over plain http:// except to loopback; anything "
            "else is refused before any connection (--any-host, --allow-http override)."
        ),
        examples=[
            "scribeauth request --profile scribe https://abc123.execute-api.eu-west-2."
            "amazonaws.com/prod/items",
            "scribeauth request -X PUT -d @item.json -H 'X-Trace: 1' -i https://.../prod/items/7",
            "# api.example.com listed in the profile: scribe_api_hosts = api.example.com",
            "echo '{\"q\": 1}' | scribeauth request -d @- https://api.example.com/prod/search",
        ],
        common=common,
        handler=request,
    )
    parser.add_argument("url", metavar="URL", type=_url)
    parser.add_argument(
        "-X", "--request", dest="method", metavar="METHOD", type=_method, help="HTTP method"
    )
    parser.add_argument(
        "-d",
        "--data",
        metavar="BODY",
        help="the body: a string, @FILE for a file's bytes, or @- for stdin",
    )
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="'NAME: VALUE'",
        help="an extra header (repeatable)",
    )
    parser.add_argument(
        "-i", "--include", action="store_true", help="print the status line and headers too"
    )
    parser.add_argument("--region", help="the SigV4 region (default: from the host or profile)")
    parser.add_argument("--service", help="the SigV4 service (default: execute-api)")
    parser.add_argument(
        "--timeout", type=_timeout, default=30.0, metavar="SECONDS", help="default: 30"
    )
    parser.add_argument(
        ANY_HOST_FLAG,
        action="store_true",
        help="sign for a host that is not an execute-api host, in the profile's "
        "scribe_api_hosts, a configured endpoint or loopback",
    )
    parser.add_argument(
        HTTP_FLAG,
        action="store_true",
        help="allow plain http:// to a host that is not loopback (the signature and session "
        "token travel in clear)",
    )
