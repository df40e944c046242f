"""``scribeauth forgot-password`` and ``change-password``."""

from __future__ import annotations

import argparse
from typing import Any

from ..dialogue import Dialogue
from ..errors import ConfigError, NoTerminalError
from .console import Console
from .session import broker_for, load, read_stdin_lines, terminal_or_none

__all__ = ["register"]


def forgot_password(args: argparse.Namespace, console: Console) -> int:
    profile = load(args, username=args.username)
    terminal = terminal_or_none(console)
    username = profile.username
    if not username:
        if terminal is None:
            raise ConfigError(f"profile {profile.name!r} has no username; pass --username")
        username = Dialogue(terminal).username()
    from ..login import SignIn

    client = SignIn.from_profile(profile)
    if args.code is None:
        with console.busy("Asking Cognito for a code"):
            delivery = client.forgot_password(username)
        where = delivery.get("Destination") or "you"
        medium = (delivery.get("DeliveryMedium") or "").lower()
        console.info(f"A confirmation code was sent to {where}{' by ' + medium if medium else ''}.")
        if terminal is None and not args.password_stdin:
            console.info(
                "Finish with: scribeauth forgot-password "
                f"--profile {profile.name} --code CODE --password-stdin"
            )
            return 0
    if args.code is not None:
        code = args.code
    elif terminal is not None:
        code = Dialogue(terminal).confirmation_code()
    else:
        raise NoTerminalError("no terminal to ask for the code on; pass --code CODE")
    if args.password_stdin:
        (new,) = read_stdin_lines(1, "--password-stdin")
        console.secret(new)
    elif terminal is not None:
        new = Dialogue(terminal).new_password()
    else:
        raise NoTerminalError("no terminal to ask for the new password on; use --password-stdin")
    with console.busy("Setting the new password"):
        client.confirm_forgot_password(username, code, new)
    console.out(
        f"Password changed for {username}; sign in with: scribeauth login --profile {profile.name}"
    )
    return 0


def change_password(args: argparse.Namespace, console: Console) -> int:
    profile = load(args)
    broker = broker_for(profile, console)
    if not broker.status().signed_in:
        raise broker.sign_in_required()
    terminal = terminal_or_none(console)
    if args.password_stdin:
        old, new = read_stdin_lines(2, "--password-stdin (old password, then new password)")
    elif terminal is not None:
        dialogue = Dialogue(terminal)
        old = dialogue.current_password()
        console.secret(old)
        new = dialogue.new_password()
    else:
        raise NoTerminalError("no terminal to ask for the passwords on; use --password-stdin")
    console.secret(old, new)
    with console.busy("Changing the password"):
        broker.change_password(old, new)
    console.out(f"Password changed for profile {profile.name!r}.")
    return 0


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds forgot-password and change-password."""
    from . import add_command

    parser = add_command(
        subparsers,
        "forgot-password",
        summary="reset a forgotten password with a code sent by Cognito",
        description=(
            "Ask Cognito to send a confirmation code, then ask for the code and the new "
            "password (twice) on the terminal. Without a terminal it only sends the code; "
            "finish with --code and --password-stdin."
        ),
        examples=[
            "scribeauth forgot-password --profile scribe",
            'echo "$NEW_PASSWORD" | scribeauth forgot-password --profile scribe '
            "--code 123456 --password-stdin",
        ],
        common=common,
        handler=forgot_password,
    )
    parser.add_argument("--username", help="the user (default: the profile's)")
    parser.add_argument(
        "--code", help="the confirmation code already received (skips sending a new one)"
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from the first line of stdin",
    )

    parser = add_command(
        subparsers,
        "change-password",
        summary="change the signed-in user's password",
        description=(
            "Change the password of the user signed in to the profile: asks for the current "
            "password and the new one (twice) on the terminal, or reads both from stdin."
        ),
        examples=[
            "scribeauth change-password --profile scribe",
            'printf \'%s\\n%s\\n\' "$OLD" "$NEW" | scribeauth change-password --password-stdin',
        ],
        common=common,
        handler=change_password,
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the current password (line 1) and the new one (line 2) from stdin",
    )
