"""What the command line writes: output, one-line errors, a progress spinner, masked debug logs.

Only the command line (and :mod:`scribeauth.prompt`) touches stdout, stderr or the terminal; the
library returns values and raises errors.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = [
    "Console",
    "SecretMaskFilter",
    "Spinner",
    "debug_logging",
    "mask_secrets",
    "printable",
]

#: How long a network wait may last before the spinner shows.
SPINNER_DELAY = 0.3
_FRAMES = "|/-\\"
_MASK = "****"

# Names whose values are secrets wherever they appear: JSON / dict reprs ("Name": "value"),
# headers (Name: value) and key=value pairs. Matched case-insensitively.
_SECRET_NAMES = (
    "password",
    "previouspassword",
    "proposedpassword",
    "new_password",
    "newpassword",
    "refreshtoken",
    "refresh_token",
    "accesstoken",
    "access_token",
    "idtoken",
    "id_token",
    "secretkey",
    "secret_key",
    "secretaccesskey",
    "secret_access_key",
    "aws_secret_access_key",
    "sessiontoken",
    "session_token",
    "aws_session_token",
    "x-amz-security-token",
    "secret_hash",
    "secrethash",
    "client_secret",
    "clientsecret",
    "secretcode",
    "secret_code",
    "device_password",
    "passwordverifier",
    # One-time codes: MFA answers in ChallengeResponses, VerifySoftwareToken, confirmations.
    "software_token_mfa_code",
    "sms_mfa_code",
    "email_otp_code",
    "sms_otp_code",
    "mfa_code",
    "answer",
    "usercode",
    "user_code",
    "confirmationcode",
    "confirmation_code",
    "session",
    "authorization",
    "signature",
    "token",
)
_NAMES = "|".join(re.escape(name) for name in sorted(_SECRET_NAMES, key=len, reverse=True))
_QUOTED = re.compile(
    rf"""(?P<head>(?P<q>["'])(?:{_NAMES})(?P=q)\s*:\s*(?:b?)(?P<vq>["']))"""
    rf"""(?P<value>(?:\\.|(?!(?P=vq)).)*)""",
    re.IGNORECASE,
)
_PLAIN = re.compile(
    rf"""(?P<head>(?<![\w-])(?:{_NAMES})\s*[=:]\s*)(?P<value>[^\s"',;&}}\]]+)""",
    re.IGNORECASE,
)
# A JWT anywhere (id, access tokens; Cognito refresh tokens are JWE, five parts).
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*(?:\.[\w-]*\.[\w-]*)?")


def printable(text: str) -> str:
    """``text`` with control characters, line breaks and undecodable bytes escaped (``\\n``,
    ``\\x1b``, ``\\udcff``), so an argument echoed in an error stays on one line and cannot
    drive the terminal."""
    import unicodedata

    return "".join(
        c if not unicodedata.category(c).startswith("C") else repr(c)[1:-1] for c in text
    )


def mask_secrets(text: str, values: Iterable[str] = ()) -> str:
    """``text`` with known secret values, JWTs and values of secret-named keys replaced.

    Args:
        text: a log line, header dump, JSON body, ...
        values: secret values known to the caller (a password just typed, ...); values shorter
            than 4 characters are ignored, masking them would only garble the text.
    """
    for value in sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True):
        text = text.replace(value, _MASK)
    text = _JWT.sub(_MASK, text)
    text = _QUOTED.sub(lambda m: m.group("head") + _MASK, text)
    return _PLAIN.sub(lambda m: m.group("head") + _MASK, text)


class SecretMaskFilter(logging.Filter):
    """A logging filter that masks secrets in each record before any handler formats it.

    Secrets are recognised by the names of the keys that carry them (``"PASSWORD": ...``,
    ``RefreshToken``, ``X-Amz-Security-Token``, ``SecretKey``, ...), by shape (JWTs), and by
    value for secrets registered with :meth:`add`.
    """

    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        """Registers secret values (a password, a client secret) to mask wherever they appear."""
        with self._lock:
            self._values.update(value for value in values if value)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            values = tuple(self._values)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = mask_secrets(message, values)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, values)
        return True


@contextlib.contextmanager
def debug_logging(stream: IO[str] | None = None) -> Iterator[SecretMaskFilter]:
    """Sends every log record (ours, botocore's, urllib3's) to stderr with secrets masked.

    The handler and the root logger's level are put back on exit.

    Yields:
        The filter, so the caller can register secret values it learns (``filter.add``).
    """
    mask = SecretMaskFilter()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s", "%H:%M:%S")
    )
    # Mask each record as it is made, so that every handler (not only ours: an embedding
    # app's, pytest's) sees it masked; a logger filter would miss records of child loggers.
    previous_factory = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        mask.filter(record)
        return record

    logging.setLogRecordFactory(masked_record)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield mask
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.setLogRecordFactory(previous_factory)


class Spinner:
    """A progress line on stderr for a wait on the network.

    It appears only after :data:`SPINNER_DELAY` seconds and only when stderr is a terminal, and
    erases itself when done. :meth:`paused` hides it while a prompt talks to the person.
    """

    def __init__(self, stream: IO[str], label: str, *, delay: float = SPINNER_DELAY) -> None:
        self._stream = stream
        self._label = label
        self._delay = delay
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._shown = False
        self._paused = 0
        self._thread: threading.Thread | None = None

    @staticmethod
    def wanted(stream: IO[str]) -> bool:
        """Whether ``stream`` is a terminal (the spinner would be noise in a file or a pipe)."""
        isatty = getattr(stream, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False

    def start(self) -> Spinner:
        if self.wanted(self._stream):
            self._thread = threading.Thread(
                target=self._run, name="scribeauth-spinner", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._erase()

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        for frame in itertools.cycle(_FRAMES):
            with self._lock:
                if not self._paused:
                    self._stream.write(f"\r{frame} {self._label}...")
                    self._stream.flush()
                    self._shown = True
            if self._stop.wait(0.1):
                return

    def _erase(self) -> None:
        with self._lock:
            if self._shown:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._shown = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hides the spinner while a prompt is on screen."""
        with self._lock:
            self._paused += 1
            if self._shown:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._shown = False
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1


class Console:
    """The command's stdout and stderr (looked up when used, so tests can capture them)."""

    def __init__(self, *, debug: bool = False, mask: SecretMaskFilter | None = None) -> None:
        self.debug = debug
        self.mask = mask
        self._spinner: Spinner | None = None

    @property
    def stdout(self) -> IO[str]:
        return sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return sys.stderr

    def stdout_is_terminal(self) -> bool:
        """Whether stdout is a terminal (rather than a file or a pipe)."""
        return Spinner.wanted(self.stdout)

    def out(self, text: str = "") -> None:
        """One line on stdout."""
        print(text, file=self.stdout, flush=True)

    def out_bytes(self, data: bytes) -> None:
        """Raw bytes on stdout (a reply body), bypassing text encoding."""
        self.stdout.flush()
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            self.stdout.write(data.decode("utf-8", errors="replace"))
            self.stdout.flush()

    def info(self, text: str) -> None:
        """A line for the person on stderr (progress, hints), keeping stdout for data."""
        with self.quiet():
            print(text, file=self.stderr, flush=True)

    def error(self, text: str) -> None:
        """``scribeauth: <text>`` on stderr, on one line."""
        line = " ".join(str(text).split())
        with self.quiet():
            print(f"scribeauth: {line}", file=self.stderr, flush=True)

    def warning(self, text: str) -> None:
        """``scribeauth: warning: <text>`` on stderr, on one line (the Broker's ``warn``)."""
        self.error(f"warning: {text}")

    def secret(self, *values: str | None) -> None:
        """Registers secret values to mask in debug logs."""
        if self.mask is not None:
            self.mask.add(*values)

    @contextlib.contextmanager
    def busy(self, label: str) -> Iterator[None]:
        """Shows a spinner on stderr while the block waits on the network (terminals only)."""
        if self._spinner is not None:  # nested: the outer spinner covers it
            yield
            return
        spinner = Spinner(self.stderr, label).start()
        self._spinner = spinner
        try:
            yield
        finally:
            self._spinner = None
            spinner.stop()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Hides a running spinner while something else writes to the screen."""
        if self._spinner is None:
            yield
            return
        with self._spinner.paused():
            yield

    def __repr__(self) -> str:
        return f"Console(debug={self.debug})"
