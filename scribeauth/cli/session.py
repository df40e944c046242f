"""``scribeauth login``, ``logout`` and ``status``; the terminal and profile helpers the other
commands share."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..commands import login_command
from ..errors import ConfigError, SrpNotAllowedError
from ..models import format_expiration
from ..prompt import DEFAULT_TTY, Terminal
from ..refresh import CLOCK_WARNING
from .console import Console

if TYPE_CHECKING:
    from ..cache import CacheEntry
    from ..config import Profile
    from ..credentials import Broker

__all__ = ["TTY_PATH", "CliTerminal", "broker_for", "load", "read_stdin_lines", "register"]

#: ``logout`` could not revoke (Cognito unreachable or failing): the service-unavailable code.
EXIT_REVOKE_FAILED = 6
#: The terminal device prompts go to (the controlling terminal).
TTY_PATH = DEFAULT_TTY


class CliTerminal(Terminal):
    """The terminal as the command line uses it: prompts hide the spinner, and an
    ``otpauth://`` set-up URI is followed by a QR code when ``segno`` (extra ``qr``) is there."""

    def __init__(self, console: Console, path: str | None = None) -> None:
        super().__init__(TTY_PATH if path is None else path)
        self._console = console

    def say(self, text: str) -> None:
        with self._console.quiet():
            super().say(text)
            if "otpauth://" in text:
                for line in _qr_lines(text[text.index("otpauth://") :].split()[0]):
                    super().say(line)

    def ask(self, text: str) -> str:
        with self._console.quiet():
            return super().ask(text)

    def ask_secret(self, text: str) -> str:
        with self._console.quiet():
            answer = super().ask_secret(text)
        self._console.secret(answer)
        return answer

    def choose(self, text: str, options: Sequence[str]) -> str:
        with self._console.quiet():
            return super().choose(text, options)


def _qr_lines(uri: str) -> list[str]:
    try:
        import segno
    except ImportError:
        return ["(pip install 'scribeauth[qr]' to see this as a QR code)"]
    buffer = io.StringIO()
    segno.make(uri, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue().rstrip("\n").split("\n")


def terminal_or_none(console: Console) -> CliTerminal | None:
    """The person's terminal, or None when no terminal is attached."""
    terminal = CliTerminal(console)
    return terminal if terminal.has_terminal() else None


def broker_for(profile: Profile, console: Console) -> Broker:
    """The profile's Broker, prompting (when it must) on the command line's terminal."""
    from ..credentials import Broker

    # Always the CLI's terminal object, never None: a Broker without one would open /dev/tty
    # itself, bypassing the spinner handling (and TTY_PATH). Its warnings are CLI lines too, not
    # bare logger records.
    return Broker(profile, terminal=CliTerminal(console), warn=console.warning)


def read_stdin_lines(count: int, what: str) -> list[str]:
    """The first ``count`` lines of stdin, line endings removed.

    Raises:
        ConfigError: stdin ended before ``count`` lines (a usage mistake, named).
    """
    lines = []
    for _ in range(count):
        line = sys.stdin.readline()
        if not line:
            raise ConfigError(f"{what}: stdin ended before {count} line(s) were read")
        lines.append(line.rstrip("\r\n"))
    return lines


def load(args: argparse.Namespace, **flags: str | None) -> Profile:
    """The profile named by ``--profile`` (else ``$AWS_PROFILE`` / default), with flag overrides."""
    from ..config import load_profile

    return load_profile(args.profile, flags=flags or None)


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    now = datetime.now(timezone.utc)
    seconds = int((value - now).total_seconds())
    if seconds <= 0:
        return f"{format_expiration(value)} (expired)"
    hours, rest = divmod(seconds, 3600)
    left = f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
    return f"{format_expiration(value)} (in {left})"


# -- login ---------------------------------------------------------------------------------


def login(args: argparse.Namespace, console: Console) -> int:
    from . import browser

    profile = load(args, username=args.username, auth_flow=args.auth_flow)
    if browser.wants_browser(args, profile):
        return _signed_in(console, profile, browser.login(args, console, profile))
    if not profile.username and terminal_or_none(console) is None:
        from ..config import missing_setting

        raise missing_setting(profile.name, "username", "to sign in without a terminal")
    password = None
    if args.password_stdin:
        (password,) = read_stdin_lines(1, "--password-stdin")
        console.secret(password)
        if not password:
            raise ConfigError("--password-stdin: the first line of stdin is empty")
    try:
        with console.busy("Signing in"):
            entry = broker_for(profile, console).sign_in(
                password=password, mfa_code=args.mfa_code, remember_device=args.remember_device
            )
    except SrpNotAllowedError as refused:
        # Nothing was sent: the person chooses whether the password may leave the machine.
        from .password_flow import choose_password_flow

        terminal = None if args.password_stdin else terminal_or_none(console)
        flow = choose_password_flow(profile, console, terminal, refused=refused)
        profile = load(args, username=args.username, auth_flow=flow)
        with console.busy("Signing in"):
            entry = broker_for(profile, console).sign_in(
                password=password, mfa_code=args.mfa_code, remember_device=args.remember_device
            )
    return _signed_in(console, profile, entry)


def _signed_in(console: Console, profile: Profile, entry: CacheEntry) -> int:
    who = entry.username or profile.username or "?"
    expiry = entry.credentials.expires_at if entry.credentials is not None else None
    suffix = f"; AWS credentials until {_when(expiry)}" if expiry is not None else ""
    console.out(f"Signed in to profile {profile.name!r} as {who}{suffix}.")
    if not profile.identity_pool_id:
        console.warning(_no_identity_pool(profile))
    return 0


def _no_identity_pool(profile: Profile) -> str:
    from ..config import missing_setting

    return str(missing_setting(profile.name, "identity_pool_id", "(so no AWS credentials)"))


# -- logout --------------------------------------------------------------------------------


def logout(args: argparse.Namespace, console: Console) -> int:
    profile = load(args)
    broker = broker_for(profile, console)
    with console.busy("Signing out"):
        if profile.domain:
            from ..browser_login import sign_out

            if args.forget_device:
                from ..devices import DeviceCalls

                DeviceCalls(broker).forget_this()
            result = sign_out(broker)  # at the domain's /oauth2/revoke, then the cache goes
        else:
            result = broker.sign_out(forget_device=args.forget_device)
    if not result.was_signed_in:
        console.out(f"Profile {profile.name!r} was not signed in; nothing to do.")
        return 0
    if result.revoked:
        console.out(f"Signed out of profile {profile.name!r}: token revoked, cache deleted.")
        return 0
    if not result.revocable:
        console.out(
            f"Signed out of profile {profile.name!r}: cache deleted (Cognito cannot revoke "
            "this session's refresh token; it stays valid until it expires)."
        )
        return 0
    console.error(
        f"could not revoke the refresh token of profile {profile.name!r} at Cognito; "
        "the local cache is deleted, but the token stays valid until it expires"
    )
    return EXIT_REVOKE_FAILED


# -- status --------------------------------------------------------------------------------


def status(args: argparse.Namespace, console: Console) -> int:
    profile = load(args)
    state = broker_for(profile, console).status()

    def iso(value: datetime | None) -> str | None:
        return format_expiration(value) if value is not None else None

    document = {
        "profile": state.profile,
        "signed_in": state.signed_in,
        "username": state.username,
        "tokens_expire": iso(state.token_expires_at),
        "refresh_token": state.refresh_token,
        "identity_id": state.identity_id,
        "credentials_expire": iso(state.credentials_expire_at),
        "access_key_id": state.access_key_id,
        "user_pool_id": state.user_pool_id,
        "identity_pool_id": state.identity_pool_id,
        "region": state.region,
        "cache": state.cache_path,
        "clock_offset": state.clock_offset,
    }
    if args.json:
        console.out(json.dumps(document, indent=2))
    elif not state.signed_in:
        console.out(f"Profile {state.profile!r}: not signed in.")
        console.out(f"Sign in with: {login_command(state.profile)}")
    else:
        rows = [
            ("profile", state.profile),
            ("user", state.username or "-"),
            ("tokens expire", _when(state.token_expires_at)),
            ("refresh token", "cached" if state.refresh_token else "none"),
            ("identity id", state.identity_id or "-"),
            ("credentials expire", _when(state.credentials_expire_at)),
            ("access key id", state.access_key_id or "-"),
            ("region", state.region or "-"),
            ("cache", state.cache_path),
        ]
        if abs(state.clock_offset) > CLOCK_WARNING:
            way = "ahead of" if state.clock_offset > 0 else "behind"
            rows.append(
                (
                    "clock",
                    f"Cognito's is {abs(state.clock_offset) // 60} min {way} this machine's; "
                    "AWS refuses requests signed with a clock that far off",
                )
            )
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            console.out(f"{label + ':':<{width + 1}} {value}")
    if state.signed_in and not profile.identity_pool_id:
        console.error(_no_identity_pool(profile))
        return 3
    return 0 if state.signed_in else 4


# -- registration --------------------------------------------------------------------------


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds login, logout and status."""
    from . import add_command

    parser = add_command(
        subparsers,
        "login",
        summary="sign in and cache tokens and AWS credentials",
        description=(
            "Sign in to the profile's user pool (SRP: the password never leaves this machine "
            "unless the profile pins USER_PASSWORD_AUTH or --auth-flow says so; an app client "
            "without SRP makes login ask first), "
            "answer MFA and new-password challenges, and cache the tokens, identity id and AWS "
            "credentials. The password is asked on the terminal unless --password-stdin is "
            "given; MFA codes likewise unless --mfa-code is given."
        ),
        examples=[
            "scribeauth login --profile scribe",
            "pass show scribe | scribeauth login --profile scribe --password-stdin "
            "--mfa-code 123456",
            "scribeauth login --browser --profile scribe    # managed login (SSO, passkeys)",
            "scribeauth login --no-browser --profile scribe # over SSH: paste the address back",
        ],
        common=common,
        handler=login,
    )
    parser.add_argument("--username", help="sign in as this user (default: the profile's)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of the terminal",
    )
    parser.add_argument(
        "--mfa-code",
        metavar="CODE",
        help="the MFA code (TOTP, SMS or email), or a passwordless sign-in's code",
    )
    parser.add_argument(
        "--remember-device",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="remember this device when the user pool asks (default: the profile's "
        "scribe_remember_device, else ask on the terminal)",
    )
    parser.add_argument(
        "--auth-flow",
        choices=("USER_SRP_AUTH", "USER_PASSWORD_AUTH"),
        help="pin the sign-in flow for this run (USER_PASSWORD_AUTH sends the password to "
        "Cognito over TLS; default: the profile's scribe_auth_flow, else SRP)",
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="sign in through the user pool's managed login in a browser (scribe_domain)",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="browser sign-in without opening a browser here: print the address, then read "
        "the address the browser was sent back to (for SSH sessions)",
    )

    parser = add_command(
        subparsers,
        "logout",
        summary="revoke the refresh token and delete the cached session",
        description=(
            "Revoke the profile's refresh token at Cognito, then delete its cache. If revoking "
            "fails (offline, Cognito down) the cache is still deleted, a warning is printed and "
            "the exit code is 6. A remembered device stays (the next sign-in may skip MFA on "
            "it) unless --forget-device."
        ),
        examples=[
            "scribeauth logout --profile scribe",
            "scribeauth logout --profile scribe --forget-device",
        ],
        common=common,
        handler=logout,
    )
    parser.add_argument(
        "--forget-device",
        action="store_true",
        help="also make Cognito forget this machine's remembered device (ForgetDevice)",
    )

    parser = add_command(
        subparsers,
        "status",
        summary="who is signed in, and when tokens and credentials expire",
        description=(
            "Show who is signed in to the profile, when the tokens and AWS credentials expire, "
            "and the identity id; never a secret. Makes no network call. Exits 4 when not signed "
            "in."
        ),
        examples=["scribeauth status --profile scribe", "scribeauth status --json"],
        common=common,
        handler=status,
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")
