"""The options of ``scribeauth local-stack`` and ``python -m scribeauth.local`` (stdlib only).

Kept apart from ``serve`` so the ``scribeauth`` CLI can show them in ``--help`` without importing
moto (the ``local`` extra may not be installed).
"""

from __future__ import annotations

import argparse

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
EXIT_CANNOT_LISTEN = 10
"""Exit status when the stack cannot listen (the port is in use, or not allowed)."""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return port


def _seconds(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the stack's options (address, region, lifetimes, lock-out) to ``parser``."""
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default: 0, any free port)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        choices=LOOPBACK_HOSTS,
        help="loopback address to bind (default: 127.0.0.1)",
    )
    parser.add_argument("--region", default="eu-west-2", help="region of the pools (eu-west-2)")
    parser.add_argument(
        "--token-lifetime",
        type=_seconds,
        default=3600,
        metavar="SECONDS",
        help="id/access token lifetime (default: 3600)",
    )
    parser.add_argument(
        "--credential-lifetime",
        type=_seconds,
        default=3600,
        metavar="SECONDS",
        help="AWS credential lifetime from the identity pool (default: 3600)",
    )
    parser.add_argument(
        "--lockout-seconds",
        type=_seconds,
        default=900,
        metavar="SECONDS",
        help="how long 5 wrong passwords lock a user out (default: 900)",
    )
