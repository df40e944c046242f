"""Checks an id token from managed login: RS256 signature against the pool's JWKS, and claims.

Standard library only (no extra needed for ``login --browser``): RSASSA-PKCS1-v1_5 with SHA-256
is one modular exponentiation and a byte comparison against the whole expected encoding (RFC
8017 section 8.2.2), so no ASN.1 is parsed from the signature. The claims checked are those OIDC
Core section 3.1.3.7 asks of a client: ``iss``, ``aud``, ``exp``, ``token_use`` and the
``nonce`` sent with the sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import UnauthorizedException
from .models import Jwt

__all__ = ["verify_id_token"]

# DER of DigestInfo{sha256} up to the digest (RFC 8017, section 9.2, note 1).
_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
_MIN_MODULUS_BITS = 2048


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _int(value: Any) -> int:
    if not isinstance(value, str):
        raise ValueError("not a base64url string")  # noqa: TRY004 (callers catch ValueError)
    return int.from_bytes(_b64url(value), "big")


def _rsa_key(jwks: Mapping[str, Any], kid: Any) -> tuple[int, int]:
    keys = jwks.get("keys")
    for key in keys if isinstance(keys, list) else []:
        if isinstance(key, dict) and key.get("kid") == kid and key.get("kty") == "RSA":
            modulus, exponent = _int(key.get("n")), _int(key.get("e"))
            if modulus.bit_length() < _MIN_MODULUS_BITS or exponent < 3:
                raise UnauthorizedException("the pool's signing key is too weak to trust")
            return modulus, exponent
    raise UnauthorizedException(
        "the id token is signed with a key the user pool does not publish; sign in again"
    )


def _signature_ok(signing_input: bytes, signature: bytes, modulus: int, exponent: int) -> bool:
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    encoded = pow(value, exponent, modulus).to_bytes(size, "big")
    digest_info = _SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    padding = b"\xff" * (size - len(digest_info) - 3)
    return hmac.compare_digest(encoded, b"\x00\x01" + padding + b"\x00" + digest_info)


def verify_id_token(
    token: str,
    *,
    jwks: Mapping[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    now: datetime,
) -> Jwt:
    """The id token, once its signature and claims check out.

    Args:
        token: the compact JWT from ``/oauth2/token``.
        jwks: the user pool's key set (:func:`scribeauth.tokens.fetch_jwks`).
        issuer: ``https://cognito-idp.REGION.amazonaws.com/POOL``
            (:func:`~scribeauth.tokens.issuer_url`).
        client_id: the app client the token must be for (``aud``).
        nonce: the nonce sent with this sign-in.
        now: the current time (aware), for ``exp``.

    Raises:
        UnauthorizedException: malformed, bad signature, unknown key, wrong issuer, audience,
            token use or nonce, or expired. The message says which, never the token.
    """
    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(_b64url(header_part))
        claims = json.loads(_b64url(claims_part))
        signature = _b64url(signature_part)
    except ValueError:
        raise UnauthorizedException("the id token is not a JWT; sign in again") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise UnauthorizedException("the id token is not a JWT; sign in again")
    if header.get("alg") != "RS256":
        raise UnauthorizedException("the id token is not signed with RS256; sign in again")
    try:
        modulus, exponent = _rsa_key(jwks, header.get("kid"))
    except ValueError:
        raise UnauthorizedException("the user pool's signing keys cannot be read") from None
    signing_input = f"{header_part}.{claims_part}".encode("ascii")
    if not _signature_ok(signing_input, signature, modulus, exponent):
        raise UnauthorizedException("the id token's signature does not verify; sign in again")
    if claims.get("iss") != issuer:
        raise UnauthorizedException("the id token is from another issuer; check the profile")
    if claims.get("aud") != client_id or claims.get("token_use") != "id":
        raise UnauthorizedException("the id token is not for this app client; check the profile")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise UnauthorizedException(
            "the id token's nonce does not match this sign-in (a replayed token); nothing was "
            "saved; sign in again"
        )
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= now.timestamp():
        raise UnauthorizedException("the id token has already expired; check the clock")
    return Jwt(raw=token, claims=claims)
