"""Prompts on a real pseudo-terminal: what is shown, what is read, what is never echoed."""

from __future__ import annotations

import os
import subprocess
import sys
import termios
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scribeauth.errors import NoTerminalError, SignInRequired
from scribeauth.local.testing.pty import Pty
from scribeauth.prompt import Terminal

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs POSIX ptys")

PASSWORD = "  correct horse battery staple  "


class Background:
    """Runs one prompt in a thread, as the library would while the person types."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(call,))
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except BaseException as err:
            self.error = err

    def join(self) -> Any:
        self.thread.join(10)
        assert not self.thread.is_alive(), "the prompt never returned"
        if self.error is not None:
            raise self.error
        return self.result


def test_ask_shows_the_prompt_and_returns_the_stripped_answer(
    pty: Pty, capfd: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal(pty.path)
    call = Background(lambda: terminal.ask("Username: "))
    pty.read_until("Username: ")
    pty.type("  alice@example.com \n")
    assert call.join() == "alice@example.com"
    assert "alice@example.com" in pty.drain().decode(), "ordinary answers are echoed"
    assert capfd.readouterr() == ("", ""), "nothing on stdout or stderr"


def test_ask_secret_does_not_echo_and_keeps_spaces(
    pty: Pty, capfd: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal(pty.path)
    call = Background(lambda: terminal.ask_secret("Password: "))
    pty.read_until("Password: ")
    pty.type(PASSWORD + "\n")
    assert call.join() == PASSWORD
    shown = pty.drain().decode()
    assert shown.startswith("Password: ")
    assert "horse" not in shown
    assert shown.endswith("\n"), "a newline replaces the unechoed Enter"
    assert termios.tcgetattr(pty.slave)[3] & termios.ECHO, "echo is back on afterwards"
    assert capfd.readouterr() == ("", "")


def test_ask_secret_then_ask_in_a_row(pty: Pty) -> None:
    terminal = Terminal(pty.path)

    def both() -> tuple[str, str]:
        return terminal.ask_secret("Code: "), terminal.ask("Next: ")

    call = Background(both)
    pty.read_until("Code: ")
    pty.type("123456\n")
    pty.read_until("Next: ")
    pty.type("yes\n")
    assert call.join() == ("123456", "yes")
    shown = pty.drain().decode()
    assert "123456" not in shown
    assert "yes" in shown


@pytest.mark.parametrize("answer", ["2", "software_token_mfa", "  2  "])
def test_choose_by_number_or_name(pty: Pty, answer: str) -> None:
    terminal = Terminal(pty.path)
    call = Background(
        lambda: terminal.choose("How do you want to sign in?", ["SMS_MFA", "SOFTWARE_TOKEN_MFA"])
    )
    pty.read_until("Choose 1-2: ")
    pty.type(answer + "\n")
    assert call.join() == "SOFTWARE_TOKEN_MFA"
    shown = pty.drain().decode()
    assert "How do you want to sign in?" in shown
    assert "1) SMS_MFA" in shown
    assert "2) SOFTWARE_TOKEN_MFA" in shown


def test_choose_asks_again_until_the_answer_is_an_option(pty: Pty) -> None:
    terminal = Terminal(pty.path)
    call = Background(lambda: terminal.choose("Pick", ["a", "b", "c"]))
    # Each answer is typed only once its prompt is shown, as a person would.
    pty.read_until("Choose 1-3: ")
    pty.type("4\n")
    pty.read_until("Choose 1-3: ", count=2)
    pty.type("zzz\n")
    pty.read_until("Choose 1-3: ", count=3)
    pty.type("1\n")
    assert call.join() == "a"
    shown = pty.drain().decode()
    assert shown.count("Please type a number from 1 to 3.") == 2
    assert shown.count("Choose 1-3: ") == 3


def test_choose_needs_options(pty: Pty) -> None:
    with pytest.raises(ValueError, match="at least one"):
        Terminal(pty.path).choose("Pick", [])


def test_say_writes_a_line(pty: Pty) -> None:
    Terminal(pty.path).say("Signed in as alice.")
    pty.read_until("Signed in as alice.\r\n")


def test_end_of_input_is_sign_in_required(pty: Pty) -> None:
    terminal = Terminal(pty.path)
    call = Background(lambda: terminal.ask_secret("Password: "))
    pty.read_until("Password: ")
    pty.type("\x04")  # Ctrl-D on an empty line
    with pytest.raises(SignInRequired, match="end of input"):
        call.join()
    assert termios.tcgetattr(pty.slave)[3] & termios.ECHO


def test_has_terminal(pty: Pty, tmp_path: Path) -> None:
    assert Terminal(pty.path).has_terminal() is True
    assert Terminal(str(tmp_path / "missing")).has_terminal() is False
    regular = tmp_path / "regular"
    regular.write_text("alice\n", encoding="utf-8")
    assert Terminal(str(regular)).has_terminal() is False


@pytest.mark.parametrize("method", ["ask", "ask_secret", "say"])
def test_no_terminal_raises_with_the_fix(tmp_path: Path, method: str) -> None:
    terminal = Terminal(str(tmp_path / "missing"))
    with pytest.raises(NoTerminalError) as err:
        getattr(terminal, method)("Password: ")
    assert str(err.value) == "no terminal to sign in on; run: scribeauth login"
    assert err.value.exit_code == 4


def test_without_a_controlling_terminal_nothing_reads_stdin() -> None:
    """A new session has no /dev/tty; the password on stdin must not be read as an answer."""
    code = (
        "import sys\n"
        "from scribeauth import prompt\n"
        "from scribeauth.errors import NoTerminalError\n"
        "print(prompt.has_terminal())\n"
        "for ask in (prompt.ask_secret, prompt.ask):\n"
        "    try:\n"
        "        print(ask('Password: '))\n"
        "    except NoTerminalError as err:\n"
        "        print(type(err).__name__)\n"
        "print(repr(sys.stdin.read()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input="hunter2\n",
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.splitlines() == [
        "False",
        "NoTerminalError",
        "NoTerminalError",
        "'hunter2\\n'",
    ]
    assert "Password" not in result.stderr
