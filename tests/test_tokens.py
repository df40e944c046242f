"""JWT verification against a JWKS: keys made here, and the local stack's own keys over HTTP."""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from scribeauth import tokens
from scribeauth.errors import (
    ConfigError,
    ResourceNotFoundException,
    ServiceUnavailableError,
    UnauthorizedException,
    UnknownException,
)
from scribeauth.local.stack import LocalStack
from scribeauth.login import SignIn
from scribeauth.models import Tokens

POOL = "eu-west-2_TestPool9"
ISSUER = f"https://cognito-idp.eu-west-2.amazonaws.com/{POOL}"
CLIENT = "client123"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict[str, Any]:
    return KeySet([key]).as_dict(private=False)


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "u-1",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "alice",
        "iat": int(NOW.timestamp()) - 10,
        "exp": int(NOW.timestamp()) + 3600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    return jwt.encode(header or {"alg": "RS256", "kid": "k1"}, payload, key)


def check(token: str, jwks: dict[str, Any], **kw: Any) -> Any:
    args: dict[str, Any] = {
        "jwks": jwks,
        "issuer": ISSUER,
        "audience": CLIENT,
        "token_use": "id",
        "now": NOW,
    }
    args.update(kw)
    return tokens.verify(token, **args)


def test_valid_id_token(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims())
    verified = check(token, jwks)
    assert verified.claims["cognito:username"] == "alice"
    assert verified.raw == token


def test_valid_access_token_checks_client_id(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(aud=None, token_use="access", client_id=CLIENT))
    assert check(token, jwks, token_use="access").claims["client_id"] == CLIENT
    with pytest.raises(UnauthorizedException, match="another app client"):
        check(token, jwks, token_use="access", audience="other")


def test_audience_none_accepts_any_client(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(aud="someone-else"))
    assert check(token, jwks, audience=None).claims["aud"] == "someone-else"


def test_other_key_same_kid_is_refused(jwks: dict[str, Any]) -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(UnauthorizedException, match="signature"):
        check(sign(impostor, claims()), jwks)


def test_unknown_kid_is_refused(jwks: dict[str, Any]) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    with pytest.raises(UnauthorizedException):
        check(sign(stranger, claims(), {"alg": "RS256", "kid": "k2"}), jwks)


def test_tampered_payload_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    header, _, signature = sign(key, claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(sub="admin")).encode()).rstrip(b"=")
    with pytest.raises(UnauthorizedException):
        check(f"{header}.{forged.decode()}.{signature}", jwks)


def test_hmac_token_is_refused(jwks: dict[str, Any]) -> None:
    # An HS256 token "signed" with guessable material must never pass as RS256.
    secret = OctKey.import_key(b"x" * 32)
    token = jwt.encode({"alg": "HS256", "kid": "k1"}, claims(), secret)
    with pytest.raises(UnauthorizedException):
        check(token, jwks)


def test_unsigned_token_is_refused(jwks: dict[str, Any]) -> None:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    with pytest.raises(UnauthorizedException):
        check(f"{part({'alg': 'none'})}.{part(claims())}.", jwks)


def test_garbage_is_refused(jwks: dict[str, Any]) -> None:
    with pytest.raises(UnauthorizedException):
        check("not-a-jwt", jwks)


@pytest.mark.parametrize("offset", [0, -1, -3600])
def test_expired_is_refused(key: RSAKey, jwks: dict[str, Any], offset: int) -> None:
    token = sign(key, claims(exp=int(NOW.timestamp()) + offset))
    with pytest.raises(UnauthorizedException, match="expired"):
        check(token, jwks)


def test_missing_exp_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    with pytest.raises(UnauthorizedException, match="expired"):
        check(sign(key, claims(exp=None)), jwks)


def test_not_yet_valid_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(nbf=int(NOW.timestamp()) + 60))
    with pytest.raises(UnauthorizedException, match="not valid yet"):
        check(token, jwks)


def test_now_is_the_clock(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims())
    assert check(token, jwks, now=NOW + timedelta(minutes=59))
    with pytest.raises(UnauthorizedException):
        check(token, jwks, now=NOW + timedelta(minutes=61))


def test_wrong_issuer_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(iss="https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Other"))
    with pytest.raises(UnauthorizedException, match="another issuer"):
        check(token, jwks)


def test_wrong_audience_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    with pytest.raises(UnauthorizedException, match="another app client"):
        check(sign(key, claims(aud="other")), jwks)


def test_access_token_is_not_an_id_token(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(token_use="access"))
    with pytest.raises(UnauthorizedException, match="not an id token"):
        check(token, jwks)


def test_messages_never_contain_the_token(key: RSAKey, jwks: dict[str, Any]) -> None:
    token = sign(key, claims(aud="other"))
    with pytest.raises(UnauthorizedException) as info:
        check(token, jwks)
    assert token not in str(info.value)
    assert token.split(".")[1] not in str(info.value)


def test_bad_jwks_is_a_config_error(key: RSAKey) -> None:
    with pytest.raises(ConfigError, match="JWKS"):
        check(sign(key, claims()), {"keys": [{"kty": "nope"}]})


def test_missing_joserfc_is_a_config_error(
    key: RSAKey, jwks: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = sign(key, claims())
    for name in list(sys.modules):
        if name == "joserfc" or name.startswith("joserfc."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "joserfc", None)
    with pytest.raises(ConfigError, match=r"scribeauth\[jwt\]"):
        check(token, jwks)


# --- URLs --------------------------------------------------------------------------------------
def test_issuer_and_jwks_url_default_to_aws() -> None:
    assert tokens.issuer_url(POOL) == ISSUER
    assert tokens.jwks_url(POOL) == f"{ISSUER}/.well-known/jwks.json"


def test_jwks_url_honours_endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/")
    assert tokens.jwks_url(POOL) == f"http://127.0.0.1:1/{POOL}/.well-known/jwks.json"
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:2")
    assert tokens.jwks_url(POOL) == f"http://127.0.0.1:2/{POOL}/.well-known/jwks.json"
    assert tokens.jwks_url(POOL, "http://h:3") == f"http://h:3/{POOL}/.well-known/jwks.json"


def test_malformed_pool_id_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        tokens.issuer_url("nopool")


# --- fetching over HTTP -----------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tiny_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_jwks_reads_a_key_set(
    tiny_server: tuple[str, type[_Handler]], jwks: dict[str, Any], key: RSAKey
) -> None:
    url, handler = tiny_server
    handler.body = json.dumps(jwks).encode()
    fetched = tokens.fetch_jwks(POOL, endpoint_url=url)
    assert fetched == jwks
    assert check(sign(key, claims()), fetched).claims["sub"] == "u-1"


@pytest.mark.parametrize("body", [b"<html>", b'{"no": "keys"}', b"[]"])
def test_fetch_jwks_refuses_non_key_sets(
    tiny_server: tuple[str, type[_Handler]], body: bytes
) -> None:
    url, handler = tiny_server
    handler.body = body
    with pytest.raises(UnknownException):
        tokens.fetch_jwks(POOL, endpoint_url=url)


def test_fetch_jwks_404_is_not_found(tiny_server: tuple[str, type[_Handler]]) -> None:
    url, handler = tiny_server
    handler.status = 404
    with pytest.raises(ResourceNotFoundException):
        tokens.fetch_jwks(POOL, endpoint_url=url)


def test_fetch_jwks_500_is_unavailable(tiny_server: tuple[str, type[_Handler]]) -> None:
    url, handler = tiny_server
    handler.status = 500
    with pytest.raises(ServiceUnavailableError, match="HTTP 500"):
        tokens.fetch_jwks(POOL, endpoint_url=url)


def test_fetch_jwks_unreachable_is_unavailable() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    with pytest.raises(ServiceUnavailableError):
        tokens.fetch_jwks(POOL, endpoint_url=f"http://127.0.0.1:{port}", timeout=2)


def test_fetch_jwks_refuses_non_http_endpoint() -> None:
    with pytest.raises(ConfigError):
        tokens.fetch_jwks(POOL, endpoint_url="file:///etc")


# --- the local stack's real tokens and JWKS ----------------------------------------------------
def test_stack_tokens_verify_against_its_jwks(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    seed = scribe_stack.seed
    signed_in = SignIn(client_id=seed.public_client_id, user_pool_id=seed.user_pool_id).start(
        "alice", seed.users["alice"].password
    )
    assert isinstance(signed_in, Tokens)
    jwks = tokens.fetch_jwks(seed.user_pool_id)
    now = datetime.fromtimestamp(scribe_stack.now(), timezone.utc)
    issuer = tokens.issuer_url(seed.user_pool_id)
    id_token = tokens.verify(
        signed_in.id_token,
        jwks=jwks,
        issuer=issuer,
        audience=seed.public_client_id,
        token_use="id",
        now=now,
    )
    assert id_token.claims["cognito:username"] == "alice"
    access = tokens.verify(
        signed_in.access_token,
        jwks=jwks,
        issuer=issuer,
        audience=seed.public_client_id,
        token_use="access",
        now=now,
    )
    assert access.claims["username"] == "alice"
    with pytest.raises(UnauthorizedException, match="expired"):
        tokens.verify(
            signed_in.id_token,
            jwks=jwks,
            issuer=issuer,
            audience=seed.public_client_id,
            token_use="id",
            now=now + timedelta(hours=2),
        )


def test_stack_unknown_pool_jwks_is_not_found(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    with pytest.raises(ResourceNotFoundException):
        tokens.fetch_jwks("eu-west-2_NoSuchPool")
    assert scribe_stack.recorder.count("jwks") == 1
