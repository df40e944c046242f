"""``scribeauth request``: one SigV4-signed API call, like awscurl."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from .console import Console
from .export import credentials_for

__all__ = ["register"]

EXIT_HTTP_ERROR = 22  # curl --fail's code for an HTTP error reply


def _headers(values: list[str]) -> list[tuple[str, str]]:
    headers = []
    for value in values:
        name, colon, content = value.partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            raise ConfigError(f"-H {value!r}: a header is 'Name: value'")
        headers.append((name.strip(), content.strip()))
    return headers


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
    from ..signing import region_and_service_from_host, send

    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{args.url!r} is not an http(s) URL")
    headers = _headers(args.header)
    body = _body(args.data)
    method = (args.method or ("POST" if args.data is not None else "GET")).upper()
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
            "its body, then exits 22 (like curl --fail)."
        ),
        examples=[
            "scribeauth request --profile scribe https://abc123.execute-api.eu-west-2."
            "amazonaws.com/prod/items",
            "scribeauth request -X PUT -d @item.json -H 'X-Trace: 1' -i https://.../prod/items/7",
            "echo '{\"q\": 1}' | scribeauth request -d @- https://api.example.com/prod/search",
        ],
        common=common,
        handler=request,
    )
    parser.add_argument("url", metavar="URL")
    parser.add_argument("-X", "--request", dest="method", metavar="METHOD", help="HTTP method")
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
        metavar="'NAME: VALUE'",
        help="an extra header (repeatable)",
    )
    parser.add_argument(
        "-i", "--include", action="store_true", help="print the status line and headers too"
    )
    parser.add_argument("--region", help="the SigV4 region (default: from the host or profile)")
    parser.add_argument("--service", help="the SigV4 service (default: execute-api)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="default: 30"
    )
