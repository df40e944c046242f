"""Cognito's SRP-6a client arithmetic (the USER_SRP_AUTH flow), with no I/O.

Cognito runs SRP-6a over the RFC 5054 3072-bit group with SHA-256, plus a few quirks of its own
that every client library (amazon-cognito-identity-js, pycognito, the AWS SDK helpers) follows:

- numbers are hashed as "padded hex": the shortest even-length big-endian hex, with a ``00`` byte
  in front when the high bit is set (Java's ``BigInteger.toByteArray()``), decoded to bytes;
- ``x = H(pad(salt) | H(poolname | USER_ID_FOR_SRP | ":" | password))`` where the pool name is the
  part of the pool id after ``_``;
- the session key is ``HKDF-SHA256(ikm=pad(S), salt=pad(u), info="Caldera Derived Key")[:16]``;
- the proof is ``HMAC-SHA256(key, poolname | USER_ID_FOR_SRP | SECRET_BLOCK | TIMESTAMP)``, with
  ``TIMESTAMP`` like ``Tue Feb 1 03:04:05 UTC 2000`` (English names, day not zero-padded).

Remembered devices (device tracking) reuse the same arithmetic with the device in place of the
user, as amazon-cognito-identity-js does it (``generateHashDevice`` / ``getDeviceResponse``):

- the device password is ``base64(40 random bytes)``, its salt 16 random bytes;
- the verifier sent by ``ConfirmDevice`` is ``g^x mod N`` with
  ``x = H(pad(salt) | H(DeviceGroupKey | DeviceKey | ":" | device password))``, both as base64 of
  their padded bytes;
- the ``DEVICE_PASSWORD_VERIFIER`` answer is the password claim with ``DeviceGroupKey`` in place
  of the pool name and ``DeviceKey`` in place of ``USER_ID_FOR_SRP``.

Randomness and the clock are passed in so the arithmetic is testable with fixed values. The
password only ever lives in the arguments and locals of :func:`password_claim`; the device
password in those of :func:`device_verifier` and :func:`device_claim` (the caller keeps it in
the profile's cache, like a refresh token).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timezone

from .errors import ServiceError

__all__ = [
    "G",
    "N",
    "cognito_timestamp",
    "device_claim",
    "device_verifier",
    "generate_a",
    "new_device_password",
    "new_device_salt",
    "pad_hex",
    "password_claim",
    "secret_hash",
    "srp_a_hex",
]

# RFC 5054 appendix A, 3072-bit group (the one amazon-cognito-identity-js hard-codes).
N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6B"
    "F12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB31"
    "43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2

_INFO = b"Caldera Derived Key"
_A_BYTES = 128  # 1024 random bits for the private value, as the Cognito clients use
_DEVICE_PASSWORD_BYTES = 40  # amazon-cognito-identity-js generateRandomString()
_DEVICE_SALT_BYTES = 16  # amazon-cognito-identity-js generateHashDevice()
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad_hex(value: int) -> str:
    """Cognito's padded hex of a non-negative integer.

    Even length, and a leading ``00`` when the first byte has its high bit set, so the bytes read
    as a positive two's-complement number (Java's ``BigInteger.toByteArray()``).
    """
    if value < 0:
        raise ValueError("SRP values are never negative")
    text = format(value, "x")
    if len(text) % 2:
        text = "0" + text
    if text[0] in "89abcdef":
        text = "00" + text
    return text


def _pad(value: int) -> bytes:
    return bytes.fromhex(pad_hex(value))


def _sha256_int(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


# k = H(pad(N) | pad(g)), fixed for the group.
_K = _sha256_int(_pad(N) + _pad(G))


def generate_a(random_bytes: Callable[[int], bytes]) -> tuple[int, int]:
    """Draws the client's private value ``a`` and computes its public value ``A = g^a mod N``.

    Args:
        random_bytes: a cryptographic source of random bytes, e.g. ``os.urandom``.

    Returns:
        ``(a, A)``. Keep ``a`` for :func:`password_claim`; send ``A`` as :func:`srp_a_hex`.
    """
    for _ in range(8):
        a = int.from_bytes(random_bytes(_A_BYTES), "big") % N
        # a of 0 or 1 would make A public knowledge; redraw (vanishingly unlikely).
        if a > 1:
            return a, pow(G, a, N)
    raise ValueError("the random source returned degenerate values")


def srp_a_hex(big_a: int) -> str:
    """``A`` as Cognito's ``SRP_A`` parameter: plain lower-case hex."""
    return format(big_a, "x")


def cognito_timestamp(now: datetime) -> str:
    """The ``TIMESTAMP`` Cognito expects, e.g. ``Tue Feb 1 03:04:05 UTC 2000``.

    Built by hand because ``strftime`` names follow the locale and ``%-d`` is not portable.
    Naive datetimes are taken as UTC.
    """
    when = now.astimezone(timezone.utc) if now.tzinfo is not None else now
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} UTC {when.year}"
    )


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """``SECRET_HASH`` for a confidential app client: base64 HMAC-SHA256(secret, user + client)."""
    digest = hmac.new(
        client_secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def _pool_name(pool_id: str) -> str:
    region, sep, name = pool_id.partition("_")
    if not sep or not region or not name:
        raise ValueError("a user pool id looks like REGION_NAME, e.g. eu-west-2_AbCdEf123")
    return name


def _hex_int(text: str, what: str) -> int:
    try:
        return int(text, 16)
    except (TypeError, ValueError) as err:
        raise ServiceError(f"Cognito sent an SRP challenge whose {what} is not hex") from err


def _hkdf(ikm: bytes, salt: bytes) -> bytes:
    # RFC 5869 with one output block: Cognito keeps only the first 16 bytes.
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, _INFO + b"\x01", hashlib.sha256).digest()[:16]


def password_claim(
    pool_id: str,
    user_id_for_srp: str,
    password: str,
    a: int,
    big_a: int,
    srp_b_hex: str,
    salt_hex: str,
    secret_block_b64: str,
    now: datetime,
) -> dict[str, str]:
    """Answers Cognito's ``PASSWORD_VERIFIER`` challenge.

    Args:
        pool_id: the user pool id, e.g. ``eu-west-2_AbCdEf123``.
        user_id_for_srp: ``USER_ID_FOR_SRP`` from the challenge (not the name the user typed).
        password: the user's password; used here only, never stored.
        a: the private value from :func:`generate_a`.
        big_a: the public value from :func:`generate_a` (the one sent as ``SRP_A``).
        srp_b_hex: ``SRP_B`` from the challenge.
        salt_hex: ``SALT`` from the challenge.
        secret_block_b64: ``SECRET_BLOCK`` from the challenge.
        now: the current time (the ``TIMESTAMP`` Cognito checks against its clock).

    Returns:
        ``PASSWORD_CLAIM_SIGNATURE``, ``PASSWORD_CLAIM_SECRET_BLOCK`` and ``TIMESTAMP``; the caller
        adds ``USERNAME`` (and ``SECRET_HASH``).

    Raises:
        ServiceError: the challenge is malformed or unsafe (``B mod N == 0`` or ``u == 0``).
    """
    return _claim(
        _pool_name(pool_id),
        user_id_for_srp,
        password,
        a,
        big_a,
        srp_b_hex,
        salt_hex,
        secret_block_b64,
        now,
    )


def _claim(
    realm: str,
    user_id: str,
    password: str,
    a: int,
    big_a: int,
    srp_b_hex: str,
    salt_hex: str,
    secret_block_b64: str,
    now: datetime,
) -> dict[str, str]:
    """The claim for a user (realm: pool name) or a device (realm: device group key)."""
    big_b = _hex_int(srp_b_hex, "SRP_B")
    salt = _hex_int(salt_hex, "SALT")
    try:
        secret_block = base64.b64decode(secret_block_b64, validate=True)
    except (TypeError, ValueError, binascii.Error) as err:
        raise ServiceError(
            "Cognito sent an SRP challenge whose SECRET_BLOCK is not base64"
        ) from err
    if big_b % N == 0:
        raise ServiceError("Cognito sent an unsafe SRP challenge (B mod N is 0); sign in again")
    u = _sha256_int(_pad(big_a) + _pad(big_b))
    if u == 0:
        raise ServiceError("the SRP exchange produced u = 0; sign in again")

    x = _x(realm, user_id, password, salt)
    # Reduce the base first so pow() never sees a negative number.
    base = (big_b - _K * pow(G, x, N)) % N
    s = pow(base, a + u * x, N)
    key = _hkdf(_pad(s), _pad(u))

    timestamp = cognito_timestamp(now)
    message = realm.encode() + user_id.encode() + secret_block + timestamp.encode()
    signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")
    return {
        "PASSWORD_CLAIM_SIGNATURE": signature,
        "PASSWORD_CLAIM_SECRET_BLOCK": secret_block_b64,
        "TIMESTAMP": timestamp,
    }


def _x(realm: str, user_id: str, password: str, salt: int) -> int:
    inner = hashlib.sha256(f"{realm}{user_id}:{password}".encode()).digest()
    return _sha256_int(_pad(salt) + inner)


# -- remembered devices --------------------------------------------------------------------------


def new_device_password(random_bytes: Callable[[int], bytes]) -> str:
    """A fresh random device password: base64 of 40 random bytes, as Amplify makes it.

    Args:
        random_bytes: a cryptographic source of random bytes, e.g. ``os.urandom``.
    """
    return base64.b64encode(random_bytes(_DEVICE_PASSWORD_BYTES)).decode("ascii")


def new_device_salt(random_bytes: Callable[[int], bytes]) -> int:
    """A fresh random salt for a device verifier (16 random bytes, read as a positive number)."""
    return int.from_bytes(random_bytes(_DEVICE_SALT_BYTES), "big")


def device_verifier(
    device_group_key: str, device_key: str, device_password: str, salt: int
) -> dict[str, str]:
    """ConfirmDevice's ``DeviceSecretVerifierConfig`` for a new device.

    Args:
        device_group_key: ``NewDeviceMetadata.DeviceGroupKey`` from the sign-in reply.
        device_key: ``NewDeviceMetadata.DeviceKey`` from the sign-in reply.
        device_password: from :func:`new_device_password`; keep it (secret) to sign in later.
        salt: from :func:`new_device_salt`.

    Returns:
        ``{"Salt": ..., "PasswordVerifier": ...}``: base64 of the padded salt and of the padded
        verifier ``g^x mod N``.
    """
    if not device_group_key or not device_key:
        raise ValueError("a device verifier needs the device group key and the device key")
    verifier = pow(G, _x(device_group_key, device_key, device_password, salt), N)
    return {
        "Salt": base64.b64encode(_pad(salt)).decode("ascii"),
        "PasswordVerifier": base64.b64encode(_pad(verifier)).decode("ascii"),
    }


def device_claim(
    device_group_key: str,
    device_key: str,
    device_password: str,
    a: int,
    big_a: int,
    srp_b_hex: str,
    salt_hex: str,
    secret_block_b64: str,
    now: datetime,
) -> dict[str, str]:
    """Answers Cognito's ``DEVICE_PASSWORD_VERIFIER`` challenge for a remembered device.

    Args:
        device_group_key: the device group key saved when the device was confirmed.
        device_key: the device key.
        device_password: the device password saved when the device was confirmed.
        a: a private value from :func:`generate_a`, fresh for this attempt.
        big_a: its public value (the one sent as ``SRP_A`` with ``DEVICE_SRP_AUTH``).
        srp_b_hex: ``SRP_B`` from the challenge.
        salt_hex: ``SALT`` from the challenge.
        secret_block_b64: ``SECRET_BLOCK`` from the challenge.
        now: the current time.

    Returns:
        ``PASSWORD_CLAIM_SIGNATURE``, ``PASSWORD_CLAIM_SECRET_BLOCK`` and ``TIMESTAMP``; the caller
        adds ``USERNAME`` and ``DEVICE_KEY`` (and ``SECRET_HASH``).

    Raises:
        ServiceError: the challenge is malformed or unsafe.
    """
    if not device_group_key or not device_key:
        raise ValueError("a device claim needs the device group key and the device key")
    return _claim(
        device_group_key,
        device_key,
        device_password,
        a,
        big_a,
        srp_b_hex,
        salt_hex,
        secret_block_b64,
        now,
    )
