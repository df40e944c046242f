"""The ``scribeauth`` command lines that messages tell a person to run, spelled to run as printed.

A profile named ``-x`` written as ``--profile -x`` is taken for an option by any argument parser;
``--profile=-x`` is not. Every hint naming a profile goes through :func:`profile_flag`, so the
line can be pasted into a shell. Standard library only (no imports at all): the data and Cognito
modules at the bottom of the package build these hints too.
"""

from __future__ import annotations

__all__ = ["login_command", "profile_flag"]


def profile_flag(name: str) -> str:
    """``--profile NAME`` as a command line must spell it: ``--profile=-x`` for a name starting
    with ``-`` (which a parser would otherwise take for an option)."""
    return f"--profile={name}" if name.startswith("-") else f"--profile {name}"


def login_command(profile: str, *, browser: bool = False) -> str:
    """``scribeauth login [--browser] --profile NAME`` for ``profile``, runnable as printed."""
    how = " --browser" if browser else ""
    return f"scribeauth login{how} {profile_flag(profile)}"
