"""Pseudo-terminals for tests: a person typing at a prompt (POSIX only).

:class:`Pty` is the person's side of a terminal handed to code in this process (its ``path`` is
what :class:`scribeauth.prompt.Terminal` opens). :class:`PtyCommand` runs a program in a new
session whose controlling terminal (``/dev/tty``) is a pty, the way a person runs it, while its
stdin is closed and its stdout and stderr are captured.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator

from scribeauth.local.testing import BIN

__all__ = ["Pty", "PtyCommand", "pty_command"]

# Opening the pty as the first terminal of a new session makes it the controlling terminal.
_ATTACH = (
    "import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); os.dup2(fd, 0); os.close(fd); "
    "os.execv(sys.argv[2], sys.argv[2:])"
)


class Pty:
    """The person's side of a pseudo-terminal: reads what is shown, types answers."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.shown = bytearray()

    def read_until(self, text: str, count: int = 1, timeout: float = 10.0) -> None:
        """Waits until ``text`` has been shown ``count`` times in all."""
        deadline = time.monotonic() + timeout
        while self.shown.count(text.encode()) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never shown: {text!r}; shown so far: {bytes(self.shown)!r}")
            if select.select([self.master], [], [], remaining)[0]:
                self.shown.extend(os.read(self.master, 4096))

    def answer(self, prompt: str, text: str, timeout: float = 20.0) -> None:
        """Waits for ``prompt``, forgets what was shown, then types ``text`` and Enter."""
        deadline = time.monotonic() + timeout
        while prompt.encode() not in self.shown:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"never asked {prompt!r}; shown: {bytes(self.shown)!r}")
            if select.select([self.master], [], [], remaining)[0]:
                self.shown.extend(os.read(self.master, 4096))
        self.shown.clear()
        os.write(self.master, text.encode() + b"\n")

    def drain(self) -> bytes:
        """Everything shown so far, after reading what is still waiting."""
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.shown.extend(chunk)
        return bytes(self.shown)

    def type(self, text: str) -> None:
        """Types ``text`` as is (add ``\\n`` for Enter)."""
        os.write(self.master, text.encode())

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class PtyCommand:
    """A command whose /dev/tty is a pty the test drives."""

    def __init__(self, argv: list[str], *, stderr_to_tty: bool = False) -> None:
        self.master, self._slave = os.openpty()
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ATTACH, os.ttyname(self._slave), *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._slave if stderr_to_tty else subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        self.screen = ""
        self._seen = 0

    def expect(self, text: str | re.Pattern[str], timeout: float = 20.0) -> str:
        """Reads the terminal until ``text`` shows up after what was already matched."""
        deadline = time.monotonic() + timeout
        while True:
            rest = self.screen[self._seen :]
            match = text.search(rest) if isinstance(text, re.Pattern) else None
            if match is not None:
                self._seen += match.end()
                return match.group(0)
            if isinstance(text, str) and text in rest:
                self._seen += rest.index(text) + len(text)
                return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not shown; the terminal shows {rest!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                self.screen += os.read(self.master, 4096).decode("utf-8", "replace")

    def type(self, text: str) -> None:
        """Types ``text`` and Enter."""
        os.write(self.master, (text + "\n").encode())

    def finish(self, timeout: float = 60.0) -> tuple[int, str, str]:
        """Waits for the command to end: its exit status, stdout and stderr."""
        out, err = self.process.communicate(timeout=timeout)
        with contextlib.suppress(OSError):
            while select.select([self.master], [], [], 0.05)[0]:
                self.screen += os.read(self.master, 4096).decode("utf-8", "replace")
        return self.process.returncode, out.decode(), (err or b"").decode()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def pty_command(argv: list[str], *, stderr_to_tty: bool = False) -> Iterator[PtyCommand]:
    """:class:`PtyCommand` of ``argv``, killed and closed on the way out."""
    command = PtyCommand(argv, stderr_to_tty=stderr_to_tty)
    try:
        yield command
    finally:
        command.close()
