"""Injected failures: per operation, a FIFO of faults, each firing a set number of times.

Kinds (what the client sees):

- ``throttle``: HTTP 400 ``TooManyRequestsException`` "Rate exceeded" (429 for execute-api,
  an STS ``Throttling`` error for STS), which botocore's standard retry mode retries;
- ``500``: HTTP 500 ``InternalErrorException``;
- ``delay``: the request is served normally after sleeping ``delay`` seconds;
- ``reset``: the connection is dropped abruptly without a response;
- ``truncate``: a 200 whose ``Content-Length`` promises more than the body delivers;
- ``garble``: a 200 whose body is ``<html>not json``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

KINDS = ("throttle", "500", "delay", "reset", "truncate", "garble")


@dataclass
class Fault:
    """One injected fault and how many more requests it will hit."""

    kind: str
    remaining: int
    delay: float = 0.0


class Faults:
    """Thread-safe registry of injected faults, keyed by operation (as the recorder names them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}

    def add(self, operation: str, kind: str, times: int = 1, delay: float = 0.0) -> None:
        """Make the next ``times`` ``operation`` requests fail with ``kind``.

        Args:
            operation: e.g. ``"InitiateAuth"``, ``"GetCredentialsForIdentity"``, ``"execute-api"``.
            kind: one of ``throttle``, ``500``, ``delay``, ``reset``, ``truncate``, ``garble``.
            times: how many requests it hits; later faults for the same operation wait their turn.
            delay: seconds to sleep, for ``delay``.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queues.setdefault(operation, deque()).append(Fault(kind, times, delay))

    def take(self, operation: str) -> Fault | None:
        """The fault this request gets (counting it down), or None to serve it normally."""
        with self._lock:
            queue = self._queues.get(operation)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return Fault(fault.kind, 0, fault.delay)

    def pending(self, operation: str) -> int:
        """How many more requests of ``operation`` will be hit by a fault."""
        with self._lock:
            return sum(f.remaining for f in self._queues.get(operation, ()))

    def clear(self) -> None:
        """Drop every injected fault."""
        with self._lock:
            self._queues.clear()
