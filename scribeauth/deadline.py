"""The time limit of a refresh, and Cognito's clock as its replies show it.

A refresh without a person (``scribeauth-credentials``, the in-process provider) runs inside
:func:`bounded`: the Cognito clients built meanwhile get connect and read timeouts that fit the
deadline, and hooks on every client (:func:`install`) start no attempt that could not finish
in time and give up instead of sleeping past it between retries, so the whole refresh ends
within :attr:`Deadline.seconds` with
:class:`~scribeauth.errors.ServiceUnavailableError` at worst. Outside :func:`bounded` (sign-in
on a terminal, ``scribeauth login``), the hooks do nothing.

The same hooks note the ``Date`` header of every reply (:func:`server_time`), which is how the
broker learns the offset between Cognito's clock and this machine's.

Standard library only; botocore calls the hooks, but this module never imports it.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import ServiceUnavailableError

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_SECONDS",
    "READ_TIMEOUT",
    "Deadline",
    "bounded",
    "current",
    "install",
    "server_offset",
    "server_time",
]

#: The refresh deadline when the profile sets none (``scribe_refresh_deadline``), seconds.
DEFAULT_SECONDS = 20.0
#: The timeouts of a client outside any deadline (sign-in on a terminal), seconds.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# botocore's standard retry mode: the back-off before retry n is at most 2**(n-1) s, 20 at most.
_MAX_BACKOFF = 20.0


class Deadline:
    """A point in time (monotonic) by which a refresh must be over.

    Args:
        seconds: how long from ``start``.
        start: ``time.monotonic()`` when the work began (default: now).
    """

    def __init__(self, seconds: float, *, start: float | None = None) -> None:
        self.seconds = float(seconds)
        self.end = (time.monotonic() if start is None else start) + self.seconds

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds}, remaining={self.remaining():.1f})"

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.end - time.monotonic()

    def timeouts(self) -> tuple[float, float]:
        """The (connect, read) timeouts of one attempt: a quarter of the deadline at most, so
        that retries fit inside it."""
        quarter = self.seconds / 4
        return min(CONNECT_TIMEOUT, quarter), min(READ_TIMEOUT, quarter)

    def exceeded(self, operation: str, last: str) -> ServiceUnavailableError:
        """The error of a refresh that ran out of time in ``operation`` (``last``: what the last
        attempt got)."""
        return ServiceUnavailableError(
            f"Cognito did not answer {operation} within the {self.seconds:g} s refresh deadline "
            f"(last attempt: {last}); try again later, or raise scribe_refresh_deadline"
        )


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "scribeauth_deadline", default=None
)
# (Cognito's time in the Date header, this machine's time.time() on receipt)
_server_time: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar(
    "scribeauth_server_time", default=None
)


def current() -> Deadline | None:
    """The deadline of the refresh running in this thread, if any."""
    return _current.get()


@contextmanager
def bounded(deadline: Deadline) -> Iterator[Deadline]:
    """Runs the block with ``deadline`` in force for Cognito calls made in this thread."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def server_time() -> float | None:
    """Cognito's clock (POSIX seconds) in the ``Date`` header of the latest reply received in
    this thread; None before any. One-second resolution."""
    seen = _server_time.get()
    return None if seen is None else seen[0]


def server_offset() -> float | None:
    """Cognito's clock minus ``time.time()``, seconds, from the latest reply received in this
    thread; None before any."""
    seen = _server_time.get()
    return None if seen is None else seen[0] - seen[1]


def install(client: Any, read_timeout: float) -> None:
    """Registers the deadline and ``Date`` hooks on a botocore client (idempotent).

    Args:
        client: the client.
        read_timeout: its read timeout, seconds: an attempt is started only with that much
            time left.
    """
    events = client.meta.events

    def before_send(event_name: str = "", **_: Any) -> None:
        deadline = _current.get()
        if deadline is not None and deadline.remaining() < read_timeout:
            name = event_name.rpartition(".")[2] or "the call"
            raise deadline.exceeded(name, "not started, too little time left")

    def needs_retry(
        attempts: int = 1,
        response: Any = None,
        caught_exception: BaseException | None = None,
        operation: Any = None,
        **_: Any,
    ) -> None:
        deadline = _current.get()
        last = _failure(response, caught_exception)
        if deadline is None or last is None:
            return
        backoff = min(2.0 ** max(attempts - 1, 0), _MAX_BACKOFF)
        if deadline.remaining() < read_timeout + backoff:
            raise deadline.exceeded(getattr(operation, "name", "the call"), last)

    def after_call(http_response: Any = None, **_: Any) -> None:
        headers = getattr(http_response, "headers", None) or {}
        text = headers.get("Date") or headers.get("date")
        if not text:
            return
        try:
            _server_time.set((parsedate_to_datetime(text).timestamp(), time.time()))
        except (TypeError, ValueError, OverflowError):
            return

    events.register_first("before-send", before_send, unique_id="scribeauth-deadline-send")
    events.register("needs-retry", needs_retry, unique_id="scribeauth-deadline-retry")
    events.register("after-call", after_call, unique_id="scribeauth-server-date")


def _failure(response: Any, caught: BaseException | None) -> str | None:
    """What went wrong with an attempt that botocore may retry, or None when it went well."""
    if caught is not None:
        return type(caught).__name__
    if not response:
        return None
    status = getattr(response[0], "status_code", 200)
    if status >= 500 or status == 429:
        return f"HTTP {status}"
    error = (response[1] or {}).get("Error", {}) if len(response) > 1 else {}
    code = error.get("Code") if isinstance(error, dict) else None
    if (isinstance(code, str) and "Throttl" in code) or code == "TooManyRequestsException":
        return str(code)
    return None
