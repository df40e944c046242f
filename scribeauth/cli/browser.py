"""``scribeauth login --browser`` / ``--no-browser``: sign-in through managed login.

The flow is :mod:`scribeauth.browser_login`; this module only wires it to the command line
(lines for the person on stderr, the pasted address from the terminal or stdin).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .console import Console
from .session import broker_for, read_stdin_lines, terminal_or_none

if TYPE_CHECKING:
    from ..cache import CacheEntry
    from ..config import Profile

__all__ = ["login", "wants_browser"]


def wants_browser(args: argparse.Namespace, profile: Profile) -> bool:
    """Whether ``login`` signs in through the browser: asked for, or the profile's way."""
    return bool(args.browser or args.no_browser) or profile.login == "browser"


def login(args: argparse.Namespace, console: Console, profile: Profile) -> CacheEntry:
    """Signs in through managed login; returns the saved cache entry."""
    from ..browser_login import sign_in

    if args.password_stdin or args.mfa_code:
        from ..errors import ConfigError

        raise ConfigError(
            "--password-stdin and --mfa-code are for password sign-in; the browser asks for "
            "them itself"
        )
    broker = broker_for(profile, console)

    def paste(prompt: str) -> str:
        terminal = terminal_or_none(console)
        if terminal is not None:
            answer = terminal.ask(prompt)
        else:
            console.info(prompt.rstrip())
            (answer,) = read_stdin_lines(1, "--no-browser (the pasted address)")
        console.secret(answer)
        return answer

    with console.busy("Waiting for the browser" if not args.no_browser else "Signing in"):
        return sign_in(broker, browser=not args.no_browser, show=console.info, paste=paste)
