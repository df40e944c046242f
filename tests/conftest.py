"""Shared fixtures, over the one set-up module :mod:`scribeauth.local.testing`.

Every test runs in an isolated environment (HOME, the AWS files and XDG folders in ``tmp_path``,
botocore's retry back-off capped at 0). ``local_stack`` and ``scribe_stack`` come from the
``scribeauth_local`` plugin; here:

- ``stack``: the reset stack, reached through ``AWS_ENDPOINT_URL``; in a module or test marked
  ``with_profile`` (the credential-chain modules: ``pytestmark = pytest.mark.with_profile``) also
  ``[profile scribe]`` for alice on it, its credential_process the installed
  ``scribeauth-credentials`` (the marker's keyword arguments go to ``write_profile``);
- ``no_terminal``: in-process commands never reach the developer's own terminal;
- ``pty``: the person's side of a pseudo-terminal;
- ``pool``: a module's ``served`` identity pool (and gateway), reset;
- ``cli_login``: ``scribeauth login`` in this process for a seed user (bob unless named), with
  the profile ``scribeauth configure`` would write, the password on stdin and the TOTP code.

Tests marked ``slow`` (the fault matrix, the AWS CLI and JavaScript SDK consumers, ...) are left
out of the inner loop: ``pytest -m "not slow"``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scribeauth.local.testing import (
    PROFILE,
    isolated_environ,
    text_stdin,
    totp_now,
    write_profile,
    write_user_profile,
)

if TYPE_CHECKING:
    from scribeauth.local.stack import LocalStack
    from scribeauth.local.testing.pty import Pty
    from scribeauth.local.testing.served import Served


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every file the AWS tools or scribeauth read or write into ``tmp_path``."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "SCRIBEAUTH_")):
            monkeypatch.delenv(name)
    for name, value in isolated_environ(tmp_path).items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    return tmp_path / "home"


@pytest.fixture
def stack(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> LocalStack:
    """The session's local stack, reset, as the endpoint of every AWS client (AWS_ENDPOINT_URL);
    with ``[profile scribe]`` written for it under the ``with_profile`` marker."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    marker = request.node.get_closest_marker("with_profile")
    if marker is not None:
        write_profile(scribe_stack, **marker.kwargs)
    return scribe_stack


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process runs never reach the developer's own terminal (pty tests use their own)."""
    from scribeauth.prompt import Terminal

    nowhere = str(tmp_path / "no-tty")
    monkeypatch.setattr("scribeauth.prompt._default", Terminal(nowhere))
    monkeypatch.setattr("scribeauth.cli.session.TTY_PATH", nowhere)


@pytest.fixture
def pty() -> Iterator[Pty]:
    """The person's side of a pseudo-terminal (its ``path`` is the terminal to open)."""
    if not hasattr(os, "openpty"):
        pytest.skip("needs POSIX pseudo-terminals")
    from scribeauth.local.testing.pty import Pty

    terminal = Pty()
    yield terminal
    terminal.close()


@pytest.fixture
def pool(served: Served) -> Served:
    """The module's ``served`` identity pool: clock offset 0, one-hour credentials, no calls."""
    served.reset()
    return served


@pytest.fixture
def cli_login(stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``scribeauth login --profile scribe --password-stdin`` in this process; its exit code."""
    from scribeauth.cli import main

    def login(user: str = "bob") -> int:
        write_user_profile(stack, user)
        monkeypatch.setattr(sys, "stdin", text_stdin(stack.seed.users[user].password + "\n"))
        argv = ["login", "--profile", PROFILE, "--password-stdin"]
        if stack.seed.users[user].totp_secret:
            argv += ["--mfa-code", totp_now(stack, user)]
        return main(argv)

    return login
