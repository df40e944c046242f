"""``scribeauth demo`` and ``scribeauth local-stack``: the local Scribe stack on loopback."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError
from .console import Console

__all__ = ["register"]

_NEEDS_LOCAL = "this needs the local extra: pip install 'scribeauth[local]'"


def demo(args: argparse.Namespace, console: Console) -> int:
    if args.browser:
        from ..demo_browser import run as run_browser

        return run_browser(console.out)
    from ..demo import run

    return run(console.out, keep=args.keep)


def local_stack(args: argparse.Namespace, console: Console) -> int:
    try:
        from ..local.serve import main as serve
    except ImportError as err:
        raise ConfigError(_NEEDS_LOCAL) from err
    return serve([arg for arg in args.args if arg != "--"])


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds demo and local-stack."""
    from . import add_command

    parser = add_command(
        subparsers,
        "demo",
        summary="run the whole flow against a local Scribe stack (no account needed)",
        description=(
            "Start the strict local Scribe stack on loopback, write a throwaway AWS config, sign "
            "in with SRP and TOTP MFA as the demo user, get AWS credentials through boto3 "
            "running credential_process, make a SigV4-signed API call and an STS call the stack "
            "verifies, show a cache hit, and clean up. Prints each step and its timing; never a "
            "secret. Needs the local extra (pip install 'scribeauth[local]'); exit 3 without it."
        ),
        examples=["scribeauth demo", "scribeauth demo --browser   # managed login in your browser"],
        common=common,
        handler=demo,
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="show browser sign-in instead: managed login (PKCE) in your browser, then the "
        "same credential chain, then sign-out at /oauth2/revoke",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=argparse.SUPPRESS,  # keep the temp folder for debugging the demo itself
    )

    parser = add_command(
        subparsers,
        "local-stack",
        summary="serve the strict local Scribe stack on loopback until Ctrl-C",
        description=(
            "Serve the local Scribe stack (user pool, identity pool, STS, API gateway) on "
            "127.0.0.1 for your own tests, printing its ids, demo users and a ready profile. "
            "Other options go to the server: --host, --port, --region, --token-lifetime, "
            "--credential-lifetime. Needs the local extra."
        ),
        examples=[
            "scribeauth local-stack --port 4566",
            "AWS_ENDPOINT_URL=http://127.0.0.1:PORT aws sts get-caller-identity --profile demo",
        ],
        common=common,
        handler=local_stack,
    )
    # Options meant for the server (--port, --region, ...) are passed on as they are.
    parser.set_defaults(forward_unknown=True, args=[])
