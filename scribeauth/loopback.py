"""The loopback redirect listener of a browser sign-in: ``http://localhost:PORT/callback``.

A one-shot HTTP server on 127.0.0.1 (RFC 8252 section 7.3) that waits for the browser to come
back from managed login, answers it with a short page, and hands the redirect URL to the flow.
It serves nothing else (other paths get 404) and logs nothing (the URL carries the code).
"""

from __future__ import annotations

import threading
from html import escape
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import ConfigError, SignInRequired
from .oauth import CALLBACK_PATH

__all__ = ["CallbackListener"]

_PAGE = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>scribeauth</title>"
    "<style>body{{font-family:system-ui,sans-serif;background:#eef1f5}}main{{max-width:420px;"
    "margin:60px auto;background:#fff;border-radius:10px;padding:28px 32px;"
    "box-shadow:0 2px 10px rgba(0,0,0,.12)}}</style></head><body><main>"
    "<h1 id='result'>{title}</h1><p>{text}</p></main></body></html>"
)


class _Server(HTTPServer):
    redirect: str | None = None
    done: threading.Event


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH or self.server.redirect is not None:
            self._reply(404, "Not found", "This address only receives one sign-in.")
            return
        query = dict(parse_qsl(parts.query))
        if "code" not in query and "error" not in query:
            self._reply(400, "Not a sign-in", "This address only receives sign-in redirects.")
            return
        port = self.server.server_address[1]
        self.server.redirect = f"http://localhost:{port}{self.path}"
        self.server.done.set()
        if "error" in query:
            self._reply(200, "Sign-in failed", f"Managed login said: {query['error']}.")
        else:
            self._reply(
                200,
                "Sign-in received",
                "scribeauth is finishing the sign-in; you can close this window and return "
                "to the terminal.",
            )

    def _reply(self, status: int, title: str, text: str) -> None:
        data = _PAGE.format(title=escape(title), text=escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        pass  # the request line holds the authorization code


class CallbackListener:
    """Listens on ``127.0.0.1:port`` for the redirect back from managed login.

    Use as a context manager::

        with CallbackListener(port) as listener:
            open_browser(url_with(listener.redirect_uri))
            redirect = listener.wait(timeout=300)

    Args:
        port: the port registered as the app client's callback (0: a free one).

    Raises:
        ConfigError: the port is taken or cannot be bound.
    """

    def __init__(self, port: int = 0) -> None:
        try:
            self._server = _Server(("127.0.0.1", port), _Handler)
        except OSError as err:
            raise ConfigError(
                f"cannot listen on localhost port {port} for the sign-in redirect "
                f"({err.strerror}); free it, or set scribe_redirect_port to another port "
                "registered as a callback URL"
            ) from None
        self._server.done = threading.Event()
        self._server.timeout = 0.2
        self._thread = threading.Thread(target=self._serve, name="scribeauth-callback", daemon=True)
        self._stopping = threading.Event()
        self._thread.start()

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """``http://localhost:PORT/callback``."""
        return f"http://localhost:{self.port}{CALLBACK_PATH}"

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self._server.handle_request()

    def wait(self, timeout: float) -> str:
        """The redirect URL once the browser comes back.

        Raises:
            SignInRequired: nothing came back within ``timeout`` seconds.
        """
        if not self._server.done.wait(timeout):
            raise SignInRequired(
                f"no sign-in came back from the browser within {int(timeout)} s; run the "
                "command again (or use --no-browser and paste the address)"
            )
        assert self._server.redirect is not None
        return self._server.redirect

    def close(self) -> None:
        """Stops listening."""
        self._stopping.set()
        self._thread.join(timeout=2)
        self._server.server_close()

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
