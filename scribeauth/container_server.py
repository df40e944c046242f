"""A loopback container-credentials endpoint: fresh AWS credentials for long-running children.

Every AWS SDK reads credentials from ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (sending
``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the ``Authorization`` header) when no static keys are
in the environment, and asks again before they expire. Serving that endpoint from a
:class:`~scribeauth.credentials.Broker` keeps a child supplied for as long as it runs, from the
same cache, lock and refresh logic as ``scribeauth-credentials`` (many concurrent callers, one
refresh).

Security: the server binds loopback only; every request must carry the token (a fresh random
one per server, compared in constant time): 401 without it, 403 with a wrong one, and nothing
else is said to either. The token is handed over in the environment, never on a command line.
Nothing secret is logged. Standard library only.

Example::

    from scribeauth.container_server import CredentialsServer

    with CredentialsServer(lambda: broker.credentials(interactive=False)) as server:
        subprocess.run(cmd, env={**os.environ, **server.environment()})
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .endpoints import is_loopback
from .errors import ConfigError, ScribeAuthError
from .models import AwsCredentials, format_expiration

__all__ = ["FULL_URI", "PATH", "TOKEN", "CredentialsServer"]

FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 (a variable's name, not a secret)
#: The path credentials are served on (any other path is 404, once authorised).
PATH = "/credentials"

_log = logging.getLogger("scribeauth.container_server")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # a burst of callers at expiry must not be refused by the kernel
    owner: CredentialsServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "scribeauth"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle or trickling connection is dropped, not kept forever

    def _reply(self, status: HTTPStatus, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body if body is not None else {"message": status.phrase}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self) -> None:
        owner = self.server.owner
        given = self.headers.get("Authorization")
        if given is None:
            owner.refused += 1
            self._reply(HTTPStatus.UNAUTHORIZED)
            return
        if not hmac.compare_digest(given.encode("utf-8", "replace"), owner.token.encode()):
            owner.refused += 1
            self._reply(HTTPStatus.FORBIDDEN)
            return
        if self.path.split("?", 1)[0] != PATH:
            self._reply(HTTPStatus.NOT_FOUND)
            return
        if self.command != "GET":
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        try:
            credentials = owner.source()
        except ScribeAuthError as err:
            owner.failed(err)
            self._reply(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"code": type(err).__name__, "message": str(err)},
            )
            return
        owner.served += 1
        self._reply(HTTPStatus.OK, _document(credentials))

    # http.server dispatches on do_<METHOD>: every method gets the same checks, in order.
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _handle  # noqa: N815

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed requests: a bare status, never the default HTML page (or the request line).
        self.close_connection = True
        with contextlib.suppress(ValueError, OSError):
            self._reply(HTTPStatus(code))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        # The request line and status only; headers (the token) are never logged.
        _log.debug("container endpoint: %s", format % args)


def _document(credentials: AwsCredentials) -> dict[str, str]:
    """The container-credentials document every AWS SDK reads."""
    return {
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token,
        "Expiration": format_expiration(credentials.expires_at),
    }


class CredentialsServer:
    """A container-credentials endpoint on loopback, serving ``source()`` to token holders.

    Args:
        source: returns current credentials; called once per request, from the request's
            thread (so it must be thread-safe, as :meth:`Broker.credentials` is). A
            :class:`~scribeauth.errors.ScribeAuthError` becomes a 503 reply with its message.
        host: the loopback address to bind (``127.0.0.1``, ``::1`` or ``localhost``).
        port: the port; 0 picks a free one.
        on_error: called with each error ``source`` raised (e.g. to print it once).

    Raises:
        ConfigError: ``host`` is not loopback, or the port cannot be bound.
    """

    def __init__(
        self,
        source: Callable[[], AwsCredentials],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_error: Callable[[ScribeAuthError], None] | None = None,
    ) -> None:
        if not is_loopback(host):
            raise ConfigError(
                f"the credentials endpoint listens on loopback only, not {host!r}; use "
                "127.0.0.1 or ::1 (containers: docker run --network host)"
            )
        address = "127.0.0.1" if host.lower().rstrip(".") == "localhost" else host
        self.source = source
        self.token = secrets.token_urlsafe(32)
        self.served = 0
        self.refused = 0
        self._on_error = on_error
        server_class: type[_Server] = _Server
        if ":" in address:
            server_class = type("_Server6", (_Server,), {"address_family": socket.AF_INET6})
        try:
            self._server = server_class((address, port), _Handler)
        except OSError as err:
            raise ConfigError(
                f"cannot listen on {address} port {port}: {err.strerror}; pick another --port"
            ) from None
        self._server.owner = self
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"CredentialsServer(url={self.url!r})"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` value."""
        host = str(self._server.server_address[0])
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{PATH}"

    def environment(self) -> dict[str, str]:
        """The two variables a consumer needs (the token among them: keep it off command lines)."""
        return {FULL_URI: self.url, TOKEN: self.token}

    def failed(self, err: ScribeAuthError) -> None:
        _log.debug("container endpoint: no credentials (%s)", type(err).__name__)
        if self._on_error is not None:
            self._on_error(err)

    def start(self) -> CredentialsServer:
        """Serves in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="scribeauth-credentials-endpoint",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serves in this thread until :meth:`stop` (from another thread) or KeyboardInterrupt."""
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stops serving and closes the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> CredentialsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
