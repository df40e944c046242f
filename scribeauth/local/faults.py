"""Injected failures: per operation, a FIFO of faults, each firing a set number of times.

Kinds (what the client sees):

- ``throttle``: HTTP 400 ``TooManyRequestsException`` "Rate exceeded" (429 for execute-api,
  an STS ``Throttling`` error for STS), which botocore's standard retry mode retries;
- ``500``: HTTP 500 ``InternalErrorException``;
- ``delay``: the request is served normally after sleeping ``delay`` seconds;
- ``reset``: the connection is dropped abruptly without a response;
- ``truncate``: a 200 whose ``Content-Length`` promises more than the body delivers;
- ``garble``: a 200 whose body is ``<html>not json``.

``fault_reply`` and ``reset_connection`` produce the first kinds on the wire; the stack applies
the others as it serves.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribeauth.local.user_pool import JSON_TYPE

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

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


def fault_reply(
    service: str, operation: str, fault: Fault, start_response: StartResponse
) -> list[bytes]:
    """Answer with an injected ``throttle`` or ``500`` fault, in the service's own error format."""
    throttle = fault.kind == "throttle"
    if operation == "GetCallerIdentity":
        status = "400 Bad Request" if throttle else "500 Internal Server Error"
        code = "Throttling" if throttle else "InternalFailure"
        data = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            f"<Type>{'Sender' if throttle else 'Receiver'}</Type><Code>{code}</Code>"
            f"<Message>{'Rate exceeded' if throttle else 'Internal error'}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    elif service in ("gateway", "managed-login"):  # plain HTTP endpoints: 429 / 500
        status = "429 Too Many Requests" if throttle else "500 Internal Server Error"
        body = {"message": "Too Many Requests" if throttle else "Internal server error"}
        kind = "TooManyRequestsException" if throttle else "InternalServerErrorException"
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", kind)]
    else:
        status = "400 Bad Request" if throttle else "500 Internal Server Error"
        kind = "TooManyRequestsException" if throttle else "InternalErrorException"
        message = "Rate exceeded" if throttle else "Internal error"
        data = json.dumps({"__type": kind, "message": message}).encode()
        headers = [("Content-Type", JSON_TYPE), ("x-amzn-ErrorType", kind)]
    start_response(status, [*headers, ("Content-Length", str(len(data)))])
    return [data]


def reset_connection(environ: WSGIEnvironment) -> list[bytes]:
    """Drop the request's connection with a TCP reset (the ``reset`` fault)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        # Linger 0: closing sends RST instead of FIN, so the client sees a reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Hang up now, or the keep-alive handler would wait for the next request.
        sock.shutdown(socket.SHUT_RDWR)
    # werkzeug treats ConnectionError as "client went away": no response, no log noise.
    raise ConnectionResetError("injected connection reset")
