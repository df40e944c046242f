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
        from ..local.serve import run
    except ImportError as err:
        raise ConfigError(_NEEDS_LOCAL) from err
    return run(args)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds demo and local-stack."""
    from ..local.options import add_arguments
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
            "loopback for your own tests, printing its ids, the demo users (pool, app client, "
            "password and the flow each exercises) and a ready profile, then every SMS / e-mail "
            "code it sends (also at http://HOST:PORT/_local/codes). Exit 10 when the port is in "
            "use. Needs the local extra."
        ),
        examples=[
            "scribeauth local-stack --port 4566",
            "scribeauth local-stack --token-lifetime 300 --credential-lifetime 900",
            "curl http://127.0.0.1:4566/_local/codes   # the codes sent so far",
            "AWS_ENDPOINT_URL=http://127.0.0.1:PORT aws sts get-caller-identity --profile demo",
        ],
        common=common,
        handler=local_stack,
    )
    add_arguments(parser)
