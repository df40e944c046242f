"""The local Scribe stack: one loopback HTTP server for everything a client talks to.

Routing (one port):

- ``X-Amz-Target: AWSCognitoIdentityProviderService.*`` -> the strict user pool;
- ``X-Amz-Target: AWSCognitoIdentityService.*`` -> the identity pool;
- ``GET /<user_pool_id>/.well-known/jwks.json`` -> the user pool's public keys (a key pair made
  for this stack: a token signed with moto's published key is refused everywhere);
- ``/oauth2/*``, ``/login``, ``/logout``, ``.well-known/openid-configuration`` ... -> managed login
  (``managed_login``);
- ``GET /_local/codes`` (every SMS / e-mail code "sent", newest last; ``?username=NAME`` for one
  user's), ``GET /_local/users`` (the seed users, their pool, client and flow; no passwords) and
  ``GET /_local/identity-pool/jwks.json`` (the keys of GetOpenIdToken's tokens);
- anything else (``execute-api`` paths, STS ``GetCallerIdentity``) -> the gateway.

Every request is first recorded (``stack.recorder``), then may meet an injected fault
(``stack.faults``). Each stack lives in its own moto account, so two stacks in one process never
share users.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from email.utils import formatdate
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl

from moto.cognitoidp.models import cognitoidp_backends
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

from scribeauth.local import seed as seeding
from scribeauth.local.faults import Faults, fault_reply, reset_connection
from scribeauth.local.gateway import Gateway
from scribeauth.local.identity_pool import IdentityPoolService
from scribeauth.local.managed_login import ManagedLogin
from scribeauth.local.options import LOOPBACK_HOSTS
from scribeauth.local.pool_state import LOCKOUT_SECONDS
from scribeauth.local.recorder import Recorder
from scribeauth.local.user_pool import JSON_TYPE, TARGET_PREFIX, StrictUserPool

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

IDENTITY_PREFIX = "AWSCognitoIdentityService."
_JWKS_PATH = re.compile(r"^/(?P<pool>[\w-]+_[0-9A-Za-z]+)/\.well-known/jwks\.json$")
LOCAL_PREFIX = "/_local/"
_log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: test output stays readable. No Date header of its own: the
    application sends one on the stack clock."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 (werkzeug's name)
        _log.debug("%s: " + message, type, *args)


class LocalStack:
    """A strict local Scribe stack (user pool, identity pool, gateway) on a loopback port.

    Use as a context manager, or ``start()`` / ``stop()``::

        with LocalStack(token_lifetime=600) as stack:
            stack.seed.users["alice"].password

    Args:
        token_lifetime: id/access token lifetime, seconds (settable later).
        credential_lifetime: identity-pool credential lifetime, seconds (settable later).
        region: the region of the pools and of the gateway's SigV4 scope.
        host: the loopback address to bind (``127.0.0.1``, ``localhost`` or ``::1``).
        port: the port; 0 picks a free one.
        lockout_seconds: how long five wrong passwords lock a user out (settable later as
            ``stack.user_pool.lockout_seconds``).
    """

    def __init__(
        self,
        *,
        token_lifetime: int = 3600,
        credential_lifetime: int = 3600,
        region: str = "eu-west-2",
        host: str = "127.0.0.1",
        port: int = 0,
        lockout_seconds: float = LOCKOUT_SECONDS,
    ) -> None:
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the local stack only binds to loopback, not {host!r}")
        self.host = host
        self.port = port
        self.region = region
        self.clock_offset: float = 0.0
        self.default_token_lifetime = token_lifetime
        self.default_credential_lifetime = credential_lifetime
        self.default_lockout_seconds = lockout_seconds
        self.recorder = Recorder()
        self.faults = Faults()
        self.account_id = self._fresh_account_id()
        self.user_pool = StrictUserPool(
            account_id=self.account_id, region=region, now=self.now, token_lifetime=token_lifetime
        )
        self.user_pool.lockout_seconds = lockout_seconds
        self.jwks: dict[str, Any] = self.user_pool.tokens.jwks
        self.seed = seeding.seed_stack(self.user_pool, f"{region}:{uuid.uuid4()}")
        self._seed_snapshots = [
            seeding.snapshot(self.user_pool, user.user_pool_id, user.username)
            for user in self.seed.users.values()
        ]
        # Managed login (the code grant) on the main pool's public and confidential clients,
        # before the snapshot so that restore_defaults keeps it.
        self.managed_login = ManagedLogin(self.user_pool, self.now)
        for client_id in (self.seed.public_client_id, self.seed.confidential_client_id):
            self.managed_login.enable(client_id)
        self._config_snapshot = seeding.snapshot_configs(self.user_pool)
        self.identity_pool = IdentityPoolService(
            identity_pool_id=self.seed.identity_pool_id,
            region=region,
            user_pool_id=self.seed.user_pool_id,
            client_ids=[
                self.seed.public_client_id,
                self.seed.confidential_client_id,
                self.seed.srp_disabled_client_id,
                self.seed.rotating_client_id,
            ],
            jwks=self.jwks,
            now=self.now,
            credential_lifetime=credential_lifetime,
        )
        self.identity_pool.add_provider(
            self.seed.mfa_required_pool.user_pool_id,
            [self.seed.mfa_required_pool.public_client_id],
        )
        self.identity_pool.add_provider(
            self.seed.devices_pool.user_pool_id, [self.seed.devices_pool.public_client_id]
        )
        self.gateway = Gateway(lookup=self.identity_pool.lookup, region=region, now=self.now)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _fresh_account_id() -> str:
        # moto's state is process-global and keyed by account: one account per stack.
        while True:
            account = f"{secrets.randbelow(9 * 10**11) + 10**11}"
            if account not in cognitoidp_backends:
                return account

    # ----------------------------------------------------------------------------- lifecycle
    def start(self) -> LocalStack:
        """Start serving (idempotent); returns the stack.

        Raises:
            OSError: the address cannot be bound (``errno.EADDRINUSE`` when the port is in use).
        """
        if self._server is None:
            # Bound here, not by werkzeug, which prints its own text and exits on a busy port.
            family = select_address_family(self.host, self.port)
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(get_sockaddr(self.host, self.port, family))
                sock.listen(128)
                self._server = make_server(
                    self.host,
                    self.port,
                    self._app,
                    threaded=True,
                    request_handler=_QuietHandler,
                    fd=sock.fileno(),
                )
            finally:
                sock.close()  # make_server holds its own duplicate
            self.port = int(self._server.server_address[1])
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"scribeauth-local-stack-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop this stack's moto state."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.account_id in cognitoidp_backends:
            del cognitoidp_backends[self.account_id]

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- public API
    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT`` (only meaningful once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment a client needs to reach this stack."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url}

    def now(self) -> float:
        """The stack clock: wall time plus ``clock_offset``."""
        return time.time() + self.clock_offset

    @property
    def token_lifetime(self) -> int:
        """Id/access token lifetime in seconds."""
        return int(self.user_pool.token_lifetime)

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        self.user_pool.token_lifetime = seconds

    @property
    def credential_lifetime(self) -> int:
        """Identity-pool credential lifetime in seconds."""
        return int(self.identity_pool.credential_lifetime)

    @credential_lifetime.setter
    def credential_lifetime(self, seconds: int) -> None:
        self.identity_pool.credential_lifetime = seconds

    def create_user(
        self,
        username: str,
        password: str,
        *,
        totp: bool = False,
        email: str | None = None,
        temporary: bool = False,
    ) -> seeding.SeedUser:
        """Add a user to the main pool (replacing a non-seed user of that name).

        Args:
            username: the internal user name.
            password: the password (temporary when ``temporary``).
            totp: set up TOTP MFA with a fresh secret (in the returned user).
            email: e-mail address and sign-in alias (default ``<username>@example.com``).
            temporary: the user must choose a new password (NEW_PASSWORD_REQUIRED).
        """
        if username in self.seed.users:
            raise ValueError(f"{username!r} is a seed user; pick another name")
        pool_id = self.seed.user_pool_id
        email = email or f"{username}@example.com"
        with self.user_pool.lock:
            pool = self.user_pool.pool(pool_id)
            pool.users.pop(username, None)
            for other in pool.users.values():
                if other.attribute_lookup.get("email", "").lower() == email.lower():
                    raise ValueError(
                        f"e-mail alias {email!r} already belongs to {other.username!r}"
                    )
            user = seeding.add_user(
                self.user_pool, pool_id, username, password, email=email, temporary=temporary
            )
            secret = seeding.enable_totp(self.user_pool, pool_id, user) if totp else None
            if not totp:
                self.user_pool.user_state(pool_id, username).totp_secret = None
        return seeding.SeedUser(
            username, password, email, secret, None, pool_id, self.seed.public_client_id
        )

    def codes(self, username: str | None = None) -> list[dict[str, Any]]:
        """Every SMS / e-mail code "sent" (MFA, sign-in, forgot-password), oldest first.

        Each is a dict with ``user_pool_id``, ``username``, ``purpose`` (``SMS_MFA``,
        ``EMAIL_OTP``, ``SMS_OTP``, ``FORGOT_PASSWORD``), ``medium``, ``destination`` (masked),
        ``code`` and ``sent_at`` (stack clock). ``username``: only that user's.
        """
        with self.user_pool.lock:
            sent = [dict(item) for item in self.user_pool.sent_codes]
        return [item for item in sent if username is None or item["username"] == username]

    def reset(self) -> None:
        """Clear the recorder, the injected faults and the list of codes sent."""
        self.recorder.reset()
        self.faults.clear()
        with self.user_pool.lock:
            self.user_pool.sent_codes.clear()

    def restore_defaults(self) -> None:
        """``reset()``, clock and lifetimes back to the defaults, seed users as seeded."""
        self.reset()
        self.clock_offset = 0.0
        self.token_lifetime = self.default_token_lifetime
        self.credential_lifetime = self.default_credential_lifetime
        with self.user_pool.lock:
            for snap in self._seed_snapshots:
                seeding.restore(self.user_pool, snap)
            seeding.restore_configs(self.user_pool, self._config_snapshot)
            self.user_pool.devices.clear()
            self.user_pool.failures.clear()
            self.user_pool.lockout_seconds = self.default_lockout_seconds

    # ----------------------------------------------------------------------------- WSGI
    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Every reply's Date header is on the stack clock (``clock_offset``), as Cognito's
        # replies are on Cognito's clock: clients learn the offset from it.
        def dated(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            headers = [(k, v) for k, v in headers if k.lower() != "date"]
            headers.append(("Date", formatdate(self.now(), usegmt=True)))
            return start_response(status, headers, *rest)

        return self._respond(environ, dated)

    def _respond(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        # The gateway reads the body again (to check the payload hash).
        environ["wsgi.input"] = io.BytesIO(body)
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service, operation, params = self._classify(environ, method, path, target, body)
        flow = params.get("AuthFlow") or params.get("ChallengeName")
        self.recorder.record(
            operation,
            flow if isinstance(flow, str) else None,
            params,
            body,
            method=method,
            path=path,
        )
        fault = self.faults.take(operation)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "reset":
            return reset_connection(environ)
        if fault is not None and fault.kind in ("throttle", "500"):
            return fault_reply(service, operation, fault, start_response)
        if fault is not None and fault.kind == "garble":
            garbled = b"<html>not json"
            start_response(
                "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(garbled)))]
            )
            return [garbled]
        if service in ("gateway", "managed-login"):
            app = self.gateway if service == "gateway" else self.managed_login
            if fault is None:
                served: Iterable[bytes] = app(environ, start_response)
                return served
            status_line, headers, data = self._capture(app, environ)
        else:
            status, header_map, data = self._serve(service, operation, params, body, path)
            status_line = f"{status} {'OK' if status == 200 else 'Error'}"
            headers = list(header_map.items())
        if fault is not None and fault.kind == "truncate":
            # Promise the whole body, deliver half, then hang up.
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [("Content-Length", str(len(data) + 64)), ("Connection", "close")]
            start_response(status_line, headers)
            return [data[: len(data) // 2]]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status_line, [*headers, ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _classify(
        environ: WSGIEnvironment, method: str, path: str, target: str, body: bytes
    ) -> tuple[str, str, dict[str, Any]]:
        if target.startswith((TARGET_PREFIX, IDENTITY_PREFIX)):
            service = "idp" if target.startswith(TARGET_PREFIX) else "identity"
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
            return service, target.split(".", 1)[1], params if isinstance(params, dict) else {}
        if method == "GET" and _JWKS_PATH.match(path):
            return "jwks", "jwks", {}
        if ManagedLogin.handles(path):
            return "managed-login", ManagedLogin.operation(path), {}
        if method == "GET" and path.startswith(LOCAL_PREFIX):
            query = parse_qs(environ.get("QUERY_STRING", ""))
            return "local", path, {k: v[-1] for k, v in query.items()}
        form: dict[str, Any] = {}
        if "form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if form.get("Action") == "GetCallerIdentity" or "/sts/aws4_request" in auth:
            return "gateway", "GetCallerIdentity", form
        return "gateway", "execute-api", {}

    def _serve(
        self, service: str, operation: str, params: dict[str, Any], body: bytes, path: str
    ) -> tuple[int, dict[str, str], bytes]:
        if service == "idp":
            return self.user_pool.handle(operation, body)
        if service == "identity":
            status, reply = self.identity_pool.dispatch(operation, params)
            headers = {"Content-Type": JSON_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
            if status != 200 and "__type" in reply:
                headers["x-amzn-ErrorType"] = str(reply["__type"])
            return status, headers, json.dumps(reply).encode()
        if service == "local":
            return self._local_route(path, params)
        match = _JWKS_PATH.match(path)
        pool_id = match.group("pool") if match else ""
        if pool_id in self.user_pool.backend.user_pools:
            return 200, {"Content-Type": "application/json"}, json.dumps(self.jwks).encode()
        return 404, {"Content-Type": "application/json"}, b'{"message":"User pool not found"}'

    def _local_route(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """The stack's own read-only routes under ``/_local/`` (never part of AWS's API)."""
        reply: Any
        if path == "/_local/codes":
            username = params.get("username")
            reply = {"codes": self.codes(username if isinstance(username, str) else None)}
        elif path == "/_local/users":
            reply = {
                "users": [
                    {
                        "username": u.username,
                        "user_pool_id": u.user_pool_id,
                        "client_id": u.client_id,
                        "email": u.email,
                        "phone_number": u.phone_number,
                        "flow": u.flow,
                    }
                    for u in self.seed.users.values()
                ]
            }
        elif path == "/_local/identity-pool/jwks.json":
            reply = self.identity_pool.openid_jwks
        else:
            return 404, {"Content-Type": "application/json"}, b'{"message":"Not found"}'
        return 200, {"Content-Type": "application/json"}, json.dumps(reply).encode()

    @staticmethod
    def _capture(app: Any, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        data = b"".join(app(environ, start))
        return captured["status"], list(captured["headers"]), data
