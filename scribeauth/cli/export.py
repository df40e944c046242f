"""``scribeauth export`` and ``scribeauth exec``: the profile's AWS credentials for other tools."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
from typing import TYPE_CHECKING, Any

from ..models import format_expiration
from .console import Console, printable
from .session import broker_for, load

if TYPE_CHECKING:
    from ..config import Profile
    from ..models import AwsCredentials

__all__ = ["credential_environment", "credentials_for", "register"]

EXIT_USAGE = 2
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127
# Variables that would make an SDK in the child look the profile up again (and so run our own
# credential_process) instead of using the credentials we hand it.
_DROPPED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def credential_environment(profile: Profile, credentials: AwsCredentials) -> dict[str, str]:
    """The ``AWS_*`` variables that hand ``credentials`` to any AWS SDK or CLI."""
    region = profile.signing_region
    return {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_CREDENTIAL_EXPIRATION": format_expiration(credentials.expires_at),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


def credentials_for(args: argparse.Namespace, console: Console) -> tuple[Profile, AwsCredentials]:
    """The profile and its AWS credentials, signing in on the terminal when one is attached."""
    profile = load(args)
    broker = broker_for(profile, console)
    with console.busy("Getting AWS credentials"):
        credentials = broker.credentials()
    console.secret(credentials.secret_access_key, credentials.session_token)
    return profile, credentials


def export(args: argparse.Namespace, console: Console) -> int:
    profile, credentials = credentials_for(args, console)
    if args.format == "json":
        console.out(json.dumps(credentials.to_process_json(), indent=2))
    else:
        for name, value in credential_environment(profile, credentials).items():
            console.out(f"export {name}={shlex.quote(value)}")
    return 0


def run_command(args: argparse.Namespace, console: Console) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        console.error("exec: name a command to run, e.g. scribeauth exec -- aws s3 ls")
        return EXIT_USAGE
    if os.sep not in command[0] and shutil.which(command[0]) is None:
        # Before asking for credentials: a typo should not cost a sign-in.
        console.error(f"{printable(command[0])}: command not found")
        return EXIT_NOT_FOUND
    profile, credentials = credentials_for(args, console)
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    env.update(credential_environment(profile, credentials))
    try:
        child = subprocess.Popen(command, env=env)
    except FileNotFoundError:
        console.error(f"{printable(command[0])}: command not found")
        return EXIT_NOT_FOUND
    except PermissionError:
        console.error(f"{printable(command[0])}: permission denied")
        return EXIT_CANNOT_RUN
    except OSError as err:
        console.error(f"{printable(command[0])}: cannot run: {err.strerror}")
        return EXIT_CANNOT_RUN
    # Ctrl-C reaches the child too (same process group); let the child decide what it means
    # and pass its exit status on, instead of dying first.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return 128 - code if code < 0 else code


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds export and exec."""
    from . import add_command

    parser = add_command(
        subparsers,
        "export",
        summary="print the profile's AWS credentials for a shell or a program",
        description=(
            "Print the profile's AWS credentials (refreshed first when 20 minutes or less are "
            "left): as shell 'export' lines (env, the default; with AWS_SESSION_TOKEN, "
            "AWS_CREDENTIAL_EXPIRATION and the region) or as the credential_process JSON "
            "document (json). The output holds secrets: do not paste it anywhere."
        ),
        examples=[
            'eval "$(scribeauth export --profile scribe)"',
            "scribeauth export --profile scribe --format json",
        ],
        common=common,
        handler=export,
    )
    parser.add_argument(
        "--format", choices=("env", "json"), default="env", help="output format (default: env)"
    )

    parser = add_command(
        subparsers,
        "exec",
        summary="run a command with the profile's AWS credentials in its environment",
        description=(
            "Run CMD with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
            "AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION set (AWS_PROFILE "
            "removed), and exit with CMD's exit code (127 when CMD is not found, 126 when it "
            "cannot be run). Put -- before CMD."
        ),
        examples=[
            "scribeauth exec --profile scribe -- aws sts get-caller-identity",
            "scribeauth exec --profile scribe -- python my_script.py --verbose",
        ],
        common=common,
        handler=run_command,
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...")
