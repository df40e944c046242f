"""``scribeauth export``: the profile's AWS credentials for a shell or a program (``exec`` and
``serve`` are in :mod:`scribeauth.cli.run`)."""

from __future__ import annotations

import argparse
import json
import shlex
from typing import TYPE_CHECKING, Any

from ..models import format_expiration
from .console import Console
from .session import broker_for, load

if TYPE_CHECKING:
    from ..config import Profile
    from ..models import AwsCredentials

__all__ = ["credential_environment", "credentials_for", "register"]


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


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds export."""
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
