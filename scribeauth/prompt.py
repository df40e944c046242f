"""Talking to a person on the terminal device itself.

Prompts are written to, and answers read from, ``/dev/tty`` (the controlling terminal), never
stdin, stdout or stderr: a credential_process's stdout carries the JSON and botocore captures
its stderr, so only the terminal reaches the person. When there is no terminal, nothing
blocks: :class:`~scribeauth.errors.NoTerminalError` is raised at once.

:class:`Terminal` takes the device path, so tests drive it through a pseudo-terminal; the
module-level functions use ``/dev/tty``. Standard library only. POSIX terminals only: on
Windows ``/dev/tty`` cannot be opened, so sign-in there needs ``scribeauth login`` with
``--password-stdin``.
"""

from __future__ import annotations

import contextlib
import locale
import os
from collections.abc import Iterator, Sequence

from .errors import NoTerminalError, SignInRequired

__all__ = ["DEFAULT_TTY", "Terminal", "ask", "ask_secret", "choose", "has_terminal", "say"]

#: The controlling terminal of the process.
DEFAULT_TTY = "/dev/tty"
_NO_TERMINAL = "no terminal to sign in on; run: scribeauth login"
_END_OF_INPUT = "no answer was typed at the terminal (end of input); run: scribeauth login"


class Terminal:
    """A terminal device to prompt on.

    Each call opens the device, does its exchange and closes it again, so an instance holds
    nothing open between prompts.

    Args:
        path: the terminal device (default ``/dev/tty``, the controlling terminal).
    """

    def __init__(self, path: str = DEFAULT_TTY) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"Terminal(path={self.path!r})"

    @contextlib.contextmanager
    def _open(self) -> Iterator[int]:
        # O_NOCTTY: opening a terminal must never make it our controlling terminal.
        flags = os.O_RDWR | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(self.path, flags)
        except OSError:
            raise NoTerminalError(_NO_TERMINAL) from None
        try:
            if not os.isatty(fd):
                raise NoTerminalError(_NO_TERMINAL)
            yield fd
        except OSError:
            # The terminal went away mid-prompt (hang-up): nobody is there to answer.
            raise NoTerminalError(_NO_TERMINAL) from None
        finally:
            os.close(fd)

    def has_terminal(self) -> bool:
        """Whether the terminal device can be opened (a person may be there to answer)."""
        try:
            with self._open():
                return True
        except NoTerminalError:
            return False

    def say(self, text: str) -> None:
        """Shows one line on the terminal.

        Raises:
            NoTerminalError: there is no terminal.
        """
        with self._open() as fd:
            _write(fd, text + "\n")

    def ask(self, text: str) -> str:
        """Shows ``text`` and returns the line typed, without surrounding spaces.

        Raises:
            NoTerminalError: there is no terminal.
            SignInRequired: the input ended (Ctrl-D) before a line was typed.
        """
        with self._open() as fd:
            _write(fd, text)
            return _read_line(fd).strip()

    def ask_secret(self, text: str) -> str:
        """Shows ``text`` and returns the line typed, without echoing it.

        Only the line ending is removed: spaces may be part of a password. Input typed ahead
        of the prompt (which the terminal has already echoed) is discarded, as getpass does.

        Raises:
            NoTerminalError: there is no terminal.
            SignInRequired: the input ended (Ctrl-D) before a line was typed.
        """
        import termios

        soft = getattr(termios, "TCSASOFT", 0)
        with self._open() as fd, _restoring_on_signals():
            try:
                old = termios.tcgetattr(fd)
                new = termios.tcgetattr(fd)
                new[3] &= ~termios.ECHO
                termios.tcsetattr(fd, termios.TCSAFLUSH | soft, new)
            except termios.error:
                raise NoTerminalError(_NO_TERMINAL) from None
            try:
                _write(fd, text)
                return _read_line(fd)
            finally:
                # TCSADRAIN, not FLUSH: keep what the person types next for the next prompt.
                with contextlib.suppress(termios.error, OSError):
                    termios.tcsetattr(fd, termios.TCSADRAIN | soft, old)
                    _write(fd, "\n")  # the Enter key was not echoed either

    def choose(self, text: str, options: Sequence[str]) -> str:
        """Asks the person to pick one of ``options``; returns the option picked.

        The options are listed numbered; the person types a number or the option itself
        (any case). Asks again until the answer is one of them.

        Raises:
            ValueError: ``options`` is empty.
            NoTerminalError: there is no terminal.
            SignInRequired: the input ended (Ctrl-D) before a choice was made.
        """
        if not options:
            raise ValueError("choose() needs at least one option")
        listing = "".join(f"  {number}) {option}\n" for number, option in enumerate(options, 1))
        with self._open() as fd:
            _write(fd, f"{text}\n{listing}")
            while True:
                _write(fd, f"Choose 1-{len(options)}: ")
                answer = _read_line(fd).strip()
                if answer.isdigit() and 1 <= int(answer) <= len(options):
                    return options[int(answer) - 1]
                for option in options:
                    if answer.casefold() == option.casefold():
                        return option
                _write(fd, f"Please type a number from 1 to {len(options)}.\n")


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived during a prompt (raised to run the ``finally`` blocks)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _restoring_on_signals() -> Iterator[None]:
    """Turns SIGTERM and SIGHUP into an exception for the block, so that the terminal's modes
    are restored on the way out; then dies of the signal as it would have.

    Only in the main thread (the only one Python runs signal handlers in); SIGINT already
    arrives as KeyboardInterrupt.
    """
    import signal
    import threading

    names = ("SIGTERM", "SIGHUP")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: object) -> None:
        raise _Terminated(signum)

    previous = {number: signal.signal(number, terminated) for number in numbers}
    try:
        yield
    except _Terminated as err:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        previous = {}
        os.kill(os.getpid(), err.signum)  # the previous handler (default: die of it)
        raise SignInRequired("interrupted by a signal") from None
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)


def _encoding() -> str:
    return locale.getpreferredencoding(False) or "utf-8"


def _write(fd: int, text: str) -> None:
    data = memoryview(text.encode(_encoding(), errors="replace"))
    while data:
        data = data[os.write(fd, data) :]


def _read_line(fd: int) -> str:
    """Reads one line, a byte at a time so nothing after the newline is consumed."""
    data = bytearray()
    while True:
        byte = os.read(fd, 1)
        if not byte:
            if not data:
                raise SignInRequired(_END_OF_INPUT)
            break
        if byte == b"\n":
            break
        data += byte
    return data.decode(_encoding(), errors="replace").rstrip("\r")


_default = Terminal()


def has_terminal() -> bool:
    """Whether ``/dev/tty`` can be opened."""
    return _default.has_terminal()


def say(text: str) -> None:
    """Shows one line on ``/dev/tty``. See :meth:`Terminal.say`."""
    _default.say(text)


def ask(text: str) -> str:
    """Asks on ``/dev/tty``. See :meth:`Terminal.ask`."""
    return _default.ask(text)


def ask_secret(text: str) -> str:
    """Asks on ``/dev/tty`` without echo. See :meth:`Terminal.ask_secret`."""
    return _default.ask_secret(text)


def choose(text: str, options: Sequence[str]) -> str:
    """Asks on ``/dev/tty`` for one of ``options``. See :meth:`Terminal.choose`."""
    return _default.choose(text, options)
