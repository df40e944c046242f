"""``scribeauth local-stack`` / ``python -m scribeauth.local``: run the local stack until Ctrl-C.

Prints the endpoint, the seeded ids, the demo users (pool, app client, throwaway local-only
password and the flow each one exercises), the environment line to export and a ready-to-paste
``~/.aws/config`` profile; then every SMS / e-mail code the stack "sends", as it is sent (also at
``GET /_local/codes``). A port that is in use is one line on stderr and exit status 10.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from types import FrameType
from typing import Any, TextIO

from scribeauth.local.options import EXIT_CANNOT_LISTEN, add_arguments
from scribeauth.local.stack import LocalStack

PROFILE = "scribe-local"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scribeauth.local",
        description="Run the strict local Scribe stack (Cognito user pool, identity pool, "
        "execute-api gateway) on loopback until interrupted.",
    )
    add_arguments(parser)
    return parser


def _labels(stack: LocalStack) -> tuple[dict[str, str], dict[str, str]]:
    seed = stack.seed
    pools = {
        seed.user_pool_id: "main",
        seed.mfa_required_pool.user_pool_id: "mfa-required",
        seed.devices_pool.user_pool_id: "devices",
    }
    clients = {
        seed.public_client_id: "public",
        seed.confidential_client_id: "confidential",
        seed.srp_disabled_client_id: "password-only",
        seed.rotating_client_id: "rotating",
        seed.mfa_required_pool.public_client_id: "public",
        seed.devices_pool.public_client_id: "public",
    }
    return pools, clients


def describe(stack: LocalStack, out: TextIO) -> None:
    """Write what a person needs to use ``stack``: endpoint, ids, users, env and profile."""
    seed = stack.seed
    pools, clients = _labels(stack)
    lines = [
        f"Scribe local stack listening on {stack.endpoint_url}",
        "",
        f"  region                      {seed.region}",
        f"  user pool id (main)         {seed.user_pool_id}",
        f"  public client id            {seed.public_client_id}",
        f"  confidential client id      {seed.confidential_client_id}",
        f"  confidential client secret  {seed.confidential_client_secret}",
        f"  password-only client id     {seed.srp_disabled_client_id}",
        f"  rotating client id          {seed.rotating_client_id}",
        f"  identity pool id            {seed.identity_pool_id}",
        f"  MFA-required user pool id   {seed.mfa_required_pool.user_pool_id}",
        f"  MFA-required client id      {seed.mfa_required_pool.public_client_id}",
        f"  device-tracking pool id     {seed.devices_pool.user_pool_id}",
        f"  device-tracking client id   {seed.devices_pool.public_client_id}",
        "",
        "Demo users (local throwaway passwords):",
        f"  {'user':<6} {'password':<18} {'pool':<13} {'client':<13} flow",
    ]
    for user in seed.users.values():
        password = user.password or "(none)"
        pool = pools.get(user.user_pool_id, user.user_pool_id)
        client = clients.get(user.client_id, user.client_id)
        lines.append(f"  {user.username:<6} {password:<18} {pool:<13} {client:<13} {user.flow}")
        if user.totp_secret:
            lines.append(f"  {'':<6} TOTP secret {user.totp_secret}")
    lines += [
        "",
        "Codes sent by SMS or e-mail are printed below as they are sent, and served at",
        f"  {stack.endpoint_url}/_local/codes",
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


def print_codes(stack: LocalStack, out: TextIO) -> None:
    """From now on, write each code the stack "sends" to ``out`` as one line."""
    lock = threading.Lock()

    def show(sent: dict[str, Any]) -> None:
        with lock:
            out.write(
                f"code for {sent['username']} ({sent['purpose']}, {sent['medium']} to "
                f"{sent['destination']}): {sent['code']}\n"
            )
            out.flush()

    stack.user_pool.code_listeners.append(show)


def main(argv: list[str] | None = None) -> int:
    """Run the stack until SIGINT or SIGTERM; returns the exit status (0 on a clean stop)."""
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the stack with parsed options (see ``options.add_arguments``) until interrupted."""
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stack = LocalStack(
            host=args.host,
            port=args.port,
            region=args.region,
            token_lifetime=args.token_lifetime,
            credential_lifetime=args.credential_lifetime,
            lockout_seconds=args.lockout_seconds,
        )
        with stack:
            describe(stack, sys.stdout)
            print_codes(stack, sys.stdout)
            try:
                while not stopping.wait(0.5):
                    pass
            except KeyboardInterrupt:  # only when the handlers could not be installed
                pass
    except OSError as err:
        where = f"{args.host} port {args.port}"
        if err.errno == errno.EADDRINUSE:
            reason = f"{where} is already in use; pick another --port (0: any free port)"
        else:
            reason = f"cannot listen on {where}: {err.strerror or err}"
        print(f"scribeauth local-stack: {reason}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Scribe local stack stopped.", flush=True)
    return 0
