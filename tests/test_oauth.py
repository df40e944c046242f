"""The OAuth protocol module (no I/O) and the id-token check: known answers, the redirect's
state, how each wire error becomes an exception, and signatures verified without any extra."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from scribeauth import oauth
from scribeauth.errors import (
    ConfigError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    UnauthorizedException,
)
from scribeauth.id_token import verify_id_token

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ISSUER = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Test"


_COUNTER = itertools.count()


def counting_bytes(size: int) -> bytes:
    return bytes([next(_COUNTER) % 256]) * size


def test_pkce_known_answer_from_rfc_7636() -> None:
    # RFC 7636, appendix B.
    assert (
        oauth.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    pkce = oauth.new_pkce(lambda n: b"\x01" * n)
    assert len(pkce.verifier) == 64
    assert pkce.challenge == oauth.s256(pkce.verifier)
    assert pkce.verifier not in repr(pkce)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("auth.example.com", "https://auth.example.com"),
        (
            "https://scribe.auth.eu-west-2.amazoncognito.com/",
            "https://scribe.auth.eu-west-2.amazoncognito.com",
        ),
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566"),
        ("http://localhost:8080", "http://localhost:8080"),
    ],
)
def test_check_domain_accepts(domain: str, expected: str) -> None:
    assert oauth.check_domain(domain) == expected


@pytest.mark.parametrize(
    "domain",
    [
        "http://auth.example.com",  # plain HTTP off loopback
        "https://auth.example.com/oauth2",
        "https://auth.example.com?x=1",
        "ftp://auth.example.com",
        "https://user@auth.example.com",
    ],
)
def test_check_domain_refuses(domain: str) -> None:
    with pytest.raises(ConfigError, match="scribe_domain"):
        oauth.check_domain(domain)


def request(**kwargs: Any) -> oauth.AuthorizationRequest:
    return oauth.new_authorization_request(
        "https://auth.example.com",
        "client123",
        "http://localhost:8400/callback",
        token_bytes=counting_bytes,
        **kwargs,
    )


def test_the_authorize_url_carries_state_nonce_and_the_s256_challenge() -> None:
    sign_in = request(scopes=["openid", "email"], identity_provider="Corp")
    url = sign_in.url
    assert url.startswith("https://auth.example.com/oauth2/authorize?")
    from urllib.parse import parse_qsl, urlsplit

    query = dict(parse_qsl(urlsplit(url).query))
    assert query == {
        "response_type": "code",
        "client_id": "client123",
        "redirect_uri": "http://localhost:8400/callback",
        "scope": "openid email",
        "state": sign_in.state,
        "nonce": sign_in.nonce,
        "code_challenge": sign_in.pkce.challenge,
        "code_challenge_method": "S256",
        "identity_provider": "Corp",
    }
    assert sign_in.pkce.verifier not in url
    assert len({sign_in.state, sign_in.nonce, sign_in.pkce.verifier}) == 3


def test_parse_redirect() -> None:
    sign_in = request()
    base = "http://localhost:8400/callback"
    assert oauth.parse_redirect(f"{base}?code=abc&state={sign_in.state}", sign_in) == "abc"
    assert oauth.parse_redirect(f"  ?state={sign_in.state}&code=abc\n", sign_in) == "abc"
    with pytest.raises(UnauthorizedException, match="state does not match"):
        oauth.parse_redirect(f"{base}?code=abc&state=forged", sign_in)
    with pytest.raises(UnauthorizedException, match="state does not match"):
        oauth.parse_redirect(f"{base}?code=abc", sign_in)
    with pytest.raises(ConfigError, match="not the sign-in redirect"):
        oauth.parse_redirect(
            f"http://localhost:9999/callback?code=abc&state={sign_in.state}", sign_in
        )
    with pytest.raises(UnauthorizedException, match="access_denied"):
        oauth.parse_redirect(f"{base}?error=access_denied&state={sign_in.state}", sign_in)
    with pytest.raises(ServiceError, match="invalid_scope: nope"):
        oauth.parse_redirect(
            f"{base}?error=invalid_scope&error_description=nope&state={sign_in.state}", sign_in
        )
    with pytest.raises(ServiceError, match="no authorization code"):
        oauth.parse_redirect(f"{base}?state={sign_in.state}", sign_in)


def test_token_request_is_a_form_with_the_verifier() -> None:
    sign_in = request()
    http = oauth.token_request(sign_in, "the-code")
    assert http.url == "https://auth.example.com/oauth2/token"
    assert http.headers["Content-Type"] == "application/x-www-form-urlencoded"
    from urllib.parse import parse_qsl

    form = dict(parse_qsl(http.body.decode()))
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": sign_in.redirect_uri,
        "code_verifier": sign_in.pkce.verifier,
        "client_id": "client123",
    }
    secret = oauth.token_request(sign_in, "the-code", client_secret="s3cret")
    basic = base64.b64encode(b"client123:s3cret").decode()
    assert secret.headers["Authorization"] == f"Basic {basic}"
    assert "client_id" not in dict(parse_qsl(secret.body.decode()))
    assert "s3cret" not in repr(secret)
    assert sign_in.pkce.verifier not in repr(http)


@pytest.mark.parametrize(
    ("status", "body", "error", "match"),
    [
        (400, b'{"error":"invalid_grant"}', UnauthorizedException, "invalid_grant"),
        (400, b'{"error":"unauthorized_client"}', ConfigError, "callback URLs"),
        (400, b'{"error":"invalid_client"}', ConfigError, "scribe_client_id"),
        (400, b'{"error":"invalid_request"}', ServiceError, "invalid_request"),
        (500, b"oops", ServiceUnavailableError, "HTTP 500"),
        (429, b"", ServiceUnavailableError, "try again later"),
        (200, b"<html>", ServiceError, "not JSON"),
        (200, b'{"access_token":"a"}', ServiceError, "openid"),
    ],
)
def test_token_errors_become_our_exceptions(
    status: int, body: bytes, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        oauth.parse_token_response(status, body)


def test_a_refused_refresh_means_sign_in_again() -> None:
    with pytest.raises(SignInRequired):
        oauth.parse_token_response(400, b'{"error":"invalid_grant"}', refresh=True)
    tokens = oauth.parse_token_response(
        200, b'{"id_token":"i","access_token":"a","refresh_token":"r"}'
    )
    assert (tokens.id_token, tokens.access_token, tokens.refresh_token) == ("i", "a", "r")
    oauth.parse_revoke_response(200, b"")
    with pytest.raises(ServiceError, match="unsupported_token_type"):
        oauth.parse_revoke_response(400, b'{"error":"unsupported_token_type"}')


# -- the id token ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def signed(key: RSAKey, **changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "aud": "client123",
        "token_use": "id",
        "nonce": "n-1",
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
        "sub": "abc",
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    token: str = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    return token


def check(token: str, key: RSAKey, **kwargs: Any) -> Any:
    arguments = {
        "jwks": {"keys": [key.as_dict(private=False)]},
        "issuer": ISSUER,
        "client_id": "client123",
        "nonce": "n-1",
        "now": NOW,
    }
    arguments.update(kwargs)
    return verify_id_token(token, **arguments)


def test_a_good_id_token_verifies(key: RSAKey) -> None:
    assert check(signed(key), key).claims["sub"] == "abc"


def tamper(token: str) -> str:
    header, claims, signature = token.split(".")
    document = json.loads(base64.urlsafe_b64decode(claims + "=="))
    document["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda key: tamper(signed(key)), "signature does not verify"),
        (lambda key: signed(key, nonce="replayed"), "nonce does not match"),
        (lambda key: signed(key, nonce=None), "nonce does not match"),
        (lambda key: signed(key, aud="other"), "not for this app client"),
        (lambda key: signed(key, token_use="access"), "not for this app client"),
        (lambda key: signed(key, iss="https://evil.example"), "another issuer"),
        (lambda key: signed(key, exp=int(NOW.timestamp()) - 1), "expired"),
        (lambda key: "not.a.jwt", "not a JWT"),
        (lambda key: signed(RSAKey.generate_key(2048, parameters={"kid": "k1"})), "signature"),
    ],
)
def test_a_bad_id_token_is_refused(key: RSAKey, make: Any, match: str) -> None:
    with pytest.raises(UnauthorizedException, match=match):
        check(make(key), key)


def test_an_unpublished_key_is_refused(key: RSAKey) -> None:
    with pytest.raises(UnauthorizedException, match="does not publish"):
        check(signed(key), key, jwks={"keys": []})
