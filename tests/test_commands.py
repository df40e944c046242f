"""The command lines hints print (``scribeauth login --profile NAME``) run as printed, whatever the
profile name, through the real ``scribeauth`` argument parser."""

from __future__ import annotations

import shlex

import pytest

from scribeauth.cli import build_parser
from scribeauth.commands import login_command, profile_flag


def parsed(line: str) -> tuple[str, str, bool]:
    """The command, profile and ``--browser`` the CLI's parser reads from ``line``."""
    argv = shlex.split(line)
    assert argv[0] == "scribeauth"
    args = build_parser().parse_args(argv[1:])
    return args.handler.__name__, args.profile, bool(getattr(args, "browser", False))


@pytest.mark.parametrize("name", ["scribe", "-x", "--x", "-", "a-b"])
@pytest.mark.parametrize("browser", [False, True])
def test_login_command_parses_back_to_the_profile(name: str, browser: bool) -> None:
    line = login_command(name, browser=browser)
    assert parsed(line) == ("login", name, browser)


def test_profile_flag_spelling() -> None:
    assert profile_flag("scribe") == "--profile scribe"
    assert profile_flag("-x") == "--profile=-x"
    assert login_command("-x") == "scribeauth login --profile=-x"
    assert login_command("scribe", browser=True) == "scribeauth login --browser --profile scribe"
