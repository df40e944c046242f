"""``scribeauth configure``: write a profile into the AWS config file."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..errors import ConfigError
from ..ids import user_pool_region
from .console import Console
from .session import read_stdin_lines, terminal_or_none

__all__ = ["profile_flag", "register"]

# (setting, flag, prompt, required)
_ASKED = (
    ("client_id", "--client-id", "App client id", True),
    ("user_pool_id", "--user-pool-id", "User pool id (like eu-west-2_AbCdEf123)", True),
    ("identity_pool_id", "--identity-pool-id", "Identity pool id (like eu-west-2:0000...)", True),
    ("username", "--username", "Username (email or name you sign in with)", False),
    ("region", "--region", "Region for your API calls", True),
)
# What is validated alone, without the person's files.
_NO_FILES = {"AWS_CONFIG_FILE": os.devnull, "SCRIBEAUTH_CONFIG": os.devnull, "HOME": os.devnull}


def profile_flag(name: str) -> str:
    """``--profile NAME`` as a command line must spell it: ``--profile=-x`` for a name starting
    with ``-`` (which a parser would otherwise take for an option)."""
    return f"--profile={name}" if name.startswith("-") else f"--profile {name}"


def _existing(name: str) -> dict[str, str]:
    from ..config import SETTINGS, load_profile

    try:
        profile = load_profile(name)
    except ConfigError:
        return {}
    return {key: value for key in SETTINGS if isinstance(value := getattr(profile, key), str)}


def _check(name: str, values: dict[str, str]) -> str | None:
    """The config module's complaint about ``values`` on their own, or None when they are fine."""
    from ..config import load_profile

    try:
        load_profile(name, flags=values, environ=_NO_FILES)
    except ConfigError as err:
        return str(err)
    return None


def configure(args: argparse.Namespace, console: Console) -> int:
    from ..config import aws_config_path, profile_name, write_profile

    name = profile_name(args.profile)
    current = _existing(name)
    terminal = terminal_or_none(console)
    values: dict[str, str] = {}
    for setting, flag, prompt, required in _ASKED:
        given = getattr(args, setting)
        default = current.get(setting)
        if setting == "region" and not default and values.get("user_pool_id"):
            default = user_pool_region(values["user_pool_id"])
        while True:
            if given is not None:
                value = given.strip()
            elif terminal is not None:
                shown = f" [{default}]" if default else ""
                value = terminal.ask(f"{prompt}{shown}: ") or (default or "")
            elif default:
                value = default
            elif required:
                raise ConfigError(f"configure: give {flag} (there is no terminal to ask on)")
            else:
                value = ""
            if not value and required:
                if terminal is None or given is not None:
                    raise ConfigError(f"configure: {flag} must not be empty")
                terminal.say(f"{prompt} is required.")
                continue
            # The client id is asked first, so every check below has one to resolve with.
            problem = _check(name, {**values, setting: value}) if value else None
            if problem is None:
                break
            if terminal is None or given is not None:
                raise ConfigError(problem)
            terminal.say(problem)
        if value:
            values[setting] = value
    if args.auth_flow:
        values["auth_flow"] = args.auth_flow
    if args.role_arn:
        values["role_arn"] = args.role_arn
    secret = None
    if args.client_secret_stdin:
        (secret,) = read_stdin_lines(1, "--client-secret-stdin")
        console.secret(secret)
    problem = _check(name, values)
    if problem:
        raise ConfigError(problem)

    settings: dict[str, str | None] = {
        "region": values["region"],
        "credential_process": f"scribeauth-credentials {profile_flag(name)}",
        "scribe_client_id": values["client_id"],
        "scribe_user_pool_id": values["user_pool_id"],
        "scribe_identity_pool_id": values["identity_pool_id"],
        "scribe_username": values.get("username"),
    }
    if "auth_flow" in values:
        settings["scribe_auth_flow"] = values["auth_flow"]
    if "role_arn" in values:
        settings["scribe_role_arn"] = values["role_arn"]
    if secret:
        settings["scribe_client_secret"] = secret
    path = aws_config_path()
    write_profile(path, name, settings)
    section = "[default]" if name == "default" else f"[profile {name}]"
    console.out(f"Wrote {section} to {path}.")
    console.out(f"Next: scribeauth login {profile_flag(name)}")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds configure."""
    from . import add_command

    parser = add_command(
        subparsers,
        "configure",
        summary="write a profile (ids and credential_process) into ~/.aws/config",
        description=(
            "Ask for the app client id, user pool id, identity pool id, username and region "
            "(each also a flag, for scripts; Enter keeps the value shown) and write them, with "
            "the profile's credential_process line, into the AWS config file ($AWS_CONFIG_FILE, "
            "else ~/.aws/config). Other profiles, comments and formatting are left untouched."
        ),
        examples=[
            "scribeauth configure --profile scribe",
            "scribeauth configure --profile scribe --client-id 1example23456789 \\\n"
            "      --user-pool-id eu-west-2_AbCdEf123 \\\n"
            "      --identity-pool-id eu-west-2:00000000-0000-0000-0000-000000000000 \\\n"
            "      --username me@example.com --region eu-west-2",
        ],
        common=common,
        handler=configure,
    )
    for setting, flag, prompt, _ in _ASKED:
        parser.add_argument(flag, dest=setting, metavar=setting.upper(), help=prompt.lower())
    parser.add_argument(
        "--auth-flow",
        choices=("USER_SRP_AUTH", "USER_PASSWORD_AUTH"),
        help="pin the sign-in flow (default: SRP; USER_PASSWORD_AUTH sends the password to "
        "Cognito over TLS)",
    )
    parser.add_argument("--role-arn", help="ask the identity pool for this role")
    parser.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the app client secret (confidential clients only) from stdin",
    )
