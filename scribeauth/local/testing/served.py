"""The identity-pool stand-in (and optionally the gateway) served alone, with a movable clock.

For tests of those two services without the user pool: tokens are minted with moto's
well-known Cognito key (``cognitoidp/resources/jwks-private.json``) instead of signing in.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from moto.utilities.utils import load_resource
from werkzeug.serving import make_server

from scribeauth.local.gateway import OPERATION_KEY, Gateway
from scribeauth.local.identity_pool import IdentityPoolService

__all__ = ["Clock", "Served", "pool_private_jwk", "serve_identity_pool"]

_TARGET = "AWSCognitoIdentityService."


class Clock:
    """A service's clock: real time plus an offset tests move."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Served:
    """A running identity pool (and gateway): its URL, service, clock and the gateway's calls."""

    url: str
    service: IdentityPoolService
    clock: Clock
    operations: list[str] = field(default_factory=list)

    def reset(self) -> None:
        """Clock offset 0, one-hour credentials, no recorded gateway calls."""
        self.clock.offset = 0.0
        self.service.credential_lifetime = 3600
        self.operations.clear()


def pool_private_jwk() -> dict[str, Any]:
    """The private key behind moto's Cognito JWKS (every moto user pool signs with it)."""
    key: dict[str, Any] = load_resource("cognitoidp/resources/jwks-private.json")
    return key


def _router(
    service: IdentityPoolService, gateway: Gateway | None, operations: list[str]
) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(_TARGET):
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            status, payload = service.dispatch(target[len(_TARGET) :], json.loads(raw or b"{}"))
            body = json.dumps(payload).encode()
            start_response(
                f"{status} {HTTPStatus(status).phrase}",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if gateway is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        reply = gateway(environ, start_response)
        operations.append(environ[OPERATION_KEY])
        return reply

    return app


@contextlib.contextmanager
def serve_identity_pool(
    *,
    identity_pool_id: str,
    region: str,
    user_pool_id: str,
    client_ids: Sequence[str],
    with_gateway: bool = False,
) -> Iterator[Served]:
    """Serves the identity pool (and the gateway) on a loopback port until the block ends."""
    clock = Clock()
    service = IdentityPoolService(
        identity_pool_id=identity_pool_id,
        region=region,
        user_pool_id=user_pool_id,
        client_ids=list(client_ids),
        jwks=load_resource("cognitoidp/resources/jwks-public.json"),
        now=clock,
    )
    gateway = Gateway(lookup=service.lookup, region=region, now=clock) if with_gateway else None
    operations: list[str] = []
    server = make_server("127.0.0.1", 0, _router(service, gateway, operations), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_port}", service, clock, operations)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
