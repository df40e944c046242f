"""``scribeauth local-stack`` / ``python -m scribeauth.local``: run the local stack until Ctrl-C.

Prints the endpoint, the seeded ids, the demo users with their (throwaway, local-only)
passwords, the environment line to export and a ready-to-paste ``~/.aws/config`` profile.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from scribeauth.local.stack import LOOPBACK_HOSTS, LocalStack

PROFILE = "scribe-local"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scribeauth local-stack",
        description="Run the strict local Scribe stack (Cognito user pool, identity pool, "
        "execute-api gateway) on loopback until interrupted.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        choices=LOOPBACK_HOSTS,
        help="loopback address to bind (default: 127.0.0.1)",
    )
    parser.add_argument("--region", default="eu-west-2", help="region of the pools")
    parser.add_argument(
        "--token-lifetime", type=int, default=3600, help="id/access token lifetime, seconds"
    )
    parser.add_argument(
        "--credential-lifetime", type=int, default=3600, help="AWS credential lifetime, seconds"
    )
    return parser


def describe(stack: LocalStack, out: TextIO) -> None:
    """Write what a person needs to use ``stack``: endpoint, ids, users, env and profile."""
    seed = stack.seed
    lines = [
        f"Scribe local stack listening on {stack.endpoint_url}",
        "",
        f"  region                      {seed.region}",
        f"  user pool id                {seed.user_pool_id}",
        f"  public client id            {seed.public_client_id}",
        f"  confidential client id      {seed.confidential_client_id}",
        f"  confidential client secret  {seed.confidential_client_secret}",
        f"  password-only client id     {seed.srp_disabled_client_id}",
        f"  identity pool id            {seed.identity_pool_id}",
        f"  MFA-required user pool id   {seed.mfa_required_pool.user_pool_id}",
        f"  MFA-required client id      {seed.mfa_required_pool.public_client_id}",
        "",
        "Demo users (local throwaway passwords):",
    ]
    for user in seed.users.values():
        extra = f"  TOTP secret {user.totp_secret}" if user.totp_secret else ""
        lines.append(f"  {user.username:<6} {user.password:<18} {user.email}{extra}")
    lines += [
        "",
        "Point the AWS tools at it:",
        f"  export AWS_ENDPOINT_URL={stack.endpoint_url}",
        "",
        "Profile for ~/.aws/config:",
        f"[profile {PROFILE}]",
        f"region = {seed.region}",
        f"endpoint_url = {stack.endpoint_url}",
        f"credential_process = scribeauth-credentials --profile {PROFILE}",
        f"scribe_client_id = {seed.public_client_id}",
        f"scribe_user_pool_id = {seed.user_pool_id}",
        f"scribe_identity_pool_id = {seed.identity_pool_id}",
        "scribe_username = alice",
        "",
        "Press Ctrl-C to stop.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the stack until SIGINT or SIGTERM; returns the exit status (0 on a clean stop)."""
    args = _parser().parse_args(argv)
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LocalStack(
            host=args.host,
            port=args.port,
            region=args.region,
            token_lifetime=args.token_lifetime,
            credential_lifetime=args.credential_lifetime,
        ) as stack:
            describe(stack, sys.stdout)
            try:
                while not stopping.wait(0.5):
                    pass
            except KeyboardInterrupt:  # only when the handlers could not be installed
                pass
    except OSError as err:
        print(f"scribeauth local-stack: cannot listen: {err.strerror or err}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Scribe local stack stopped.", flush=True)
    return 0
