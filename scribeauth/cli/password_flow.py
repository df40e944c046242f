"""Asking before the password leaves the machine: the app client does not allow SRP.

``scribeauth login`` signs in with SRP, where the password never leaves the machine. When the
app client does not allow SRP and the profile pins no flow, nothing has been sent yet
(:class:`~scribeauth.errors.SrpNotAllowedError`); on a terminal the person is asked once
whether to send the password to Cognito (over TLS) instead, and a yes is written into the
profile (``scribe_auth_flow = USER_PASSWORD_AUTH``) so the question is not asked again. With no
terminal, or with ``--password-stdin``, the command fails with a line naming that setting and
the ``--auth-flow`` flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SrpNotAllowedError
from ..ids import PASSWORD
from .console import Console

if TYPE_CHECKING:
    from ..config import Profile
    from .session import CliTerminal

__all__ = ["choose_password_flow"]


def _refusal(profile: Profile, where: str, *, declined: bool = False) -> SrpNotAllowedError:
    start = "not signed in" if declined else "the app client does not allow SRP sign-in"
    return SrpNotAllowedError(
        f"{start}; the password was not sent. To send it to Cognito (over TLS), set "
        f"scribe_auth_flow = {PASSWORD} in {where}, or pass --auth-flow {PASSWORD}"
    )


def choose_password_flow(
    profile: Profile,
    console: Console,
    terminal: CliTerminal | None,
    *,
    refused: SrpNotAllowedError,
) -> str:
    """Asks whether to send the password instead of SRP, and pins the answer in the profile.

    Args:
        profile: the profile signing in (no flow pinned).
        console: the command's console.
        terminal: the person's terminal, or None (no terminal, or the password came on stdin).
        refused: the error SRP's refusal raised; chained to the one raised here.

    Returns:
        The flow to sign in with (``USER_PASSWORD_AUTH``), now written into the profile.

    Raises:
        SrpNotAllowedError: no terminal to ask on, or the person said no (exit 3, naming the
            setting and the flag).
        ConfigError: the AWS config file cannot be written.
    """
    from ..config import aws_config_path, write_profile
    from ..ini import section_header

    path = aws_config_path()
    where = f"{section_header(profile.name)} of {path}"
    if terminal is None:
        raise _refusal(profile, where) from refused
    terminal.say(
        "This app client does not allow SRP sign-in, where the password never leaves this "
        "machine. scribeauth can send the password to Cognito (over TLS) instead, and remember "
        f"that choice for profile {profile.name!r} (scribe_auth_flow = {PASSWORD} in {where})."
    )
    answer = terminal.ask("Send the password to Cognito? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise _refusal(profile, where, declined=True) from refused
    write_profile(path, profile.name, {"scribe_auth_flow": PASSWORD})
    console.info(f"Wrote scribe_auth_flow = {PASSWORD} to {where}.")
    return PASSWORD
