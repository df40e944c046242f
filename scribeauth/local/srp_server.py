"""The server side of Cognito's SRP-6a (``USER_SRP_AUTH`` / ``PASSWORD_VERIFIER``).

Cognito uses the 3072-bit group of RFC 5054 with ``g = 2`` and SHA-256, and a few conventions of
its own, all reproduced here because clients must match them bit for bit:

- numbers are hashed as "padded hex": lower-case hex of the integer, with a leading ``0`` when the
  length is odd or ``00`` when the top bit is set (so it never reads as negative);
- ``x = H(pad(salt) | H(poolname | username | ":" | password))`` where ``poolname`` is the part of
  the pool id after ``_`` and ``username`` is ``USER_ID_FOR_SRP`` (the internal user name);
- the session key is ``HKDF-SHA256(ikm=pad(S), salt=pad(u), info="Caldera Derived Key")[:16]``;
- the client proves it with
  ``HMAC-SHA256(K, poolname | USER_ID_FOR_SRP | secret_block | TIMESTAMP)``;
- device SRP (``DEVICE_SRP_AUTH``) is the same exchange with the device group key in place of the
  pool name, the device key in place of the user name and the random device password that the
  client chose at ``ConfirmDevice`` (the server only ever holds its verifier).

No I/O here; randomness is passed in so tests can pin it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"


def pad_hex(value: int | str) -> str:
    """Cognito's padded hex of a non-negative integer (or of a hex string, as the SALT is)."""
    text = value if isinstance(value, str) else format(value, "x")
    if len(text) % 2:
        return "0" + text
    if text[0] in "89abcdefABCDEF":
        return "00" + text
    return text


def _h(*hex_parts: str) -> int:
    return int(hashlib.sha256(bytes.fromhex("".join(hex_parts))).hexdigest(), 16)


K_MULTIPLIER = _h(pad_hex(N), pad_hex(G))


def pool_name(user_pool_id: str) -> str:
    """The part of a user pool id that SRP hashes (``eu-west-2_AbC`` -> ``AbC``)."""
    return user_pool_id.split("_", 1)[1]


def compute_verifier(user_pool_id: str, user_id_for_srp: str, password: str, salt_hex: str) -> int:
    """``v = g^x mod N`` for this user, password and salt."""
    inner = hashlib.sha256(
        f"{pool_name(user_pool_id)}{user_id_for_srp}:{password}".encode()
    ).hexdigest()
    x = _h(pad_hex(salt_hex), inner)
    return pow(G, x, N)


def hkdf_key(s_value: int, u_value: int) -> bytes:
    """The 16-byte session key Cognito derives from the shared secret ``S`` and scrambler ``u``."""
    prk = hmac.new(bytes.fromhex(pad_hex(u_value)), bytes.fromhex(pad_hex(s_value)), "sha256")
    return hmac.new(prk.digest(), INFO + b"\x01", "sha256").digest()[:16]


def claim_signature(
    key: bytes, user_pool_id: str, user_id_for_srp: str, secret_block_b64: str, timestamp: str
) -> str:
    """The base64 ``PASSWORD_CLAIM_SIGNATURE`` a client holding ``key`` must send."""
    message = (
        pool_name(user_pool_id).encode()
        + user_id_for_srp.encode()
        + base64.b64decode(secret_block_b64)
        + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, "sha256").digest()).decode()


def device_claim_signature(
    key: bytes, device_group_key: str, device_key: str, secret_block_b64: str, timestamp: str
) -> str:
    """The base64 ``PASSWORD_CLAIM_SIGNATURE`` of a ``DEVICE_PASSWORD_VERIFIER`` answer."""
    message = (
        device_group_key.encode()
        + device_key.encode()
        + base64.b64decode(secret_block_b64)
        + timestamp.encode()
    )
    return base64.b64encode(hmac.new(key, message, "sha256").digest()).decode()


@dataclass
class ServerExchange:
    """One SRP exchange as the server sees it: holds ``b`` and ``v``, publishes ``B``.

    Args:
        verifier: the user's ``v``.
        private_b: the server's secret exponent (random, at least 256 bits).
    """

    verifier: int = field(repr=False)
    private_b: int = field(repr=False)
    public_b: int = field(init=False)

    def __post_init__(self) -> None:
        self.public_b = (K_MULTIPLIER * self.verifier + pow(G, self.private_b, N)) % N
        if self.public_b == 0:
            # Vanishingly unlikely; a zero B would let any client "prove" anything.
            raise ValueError("degenerate SRP server value")

    def session_key(self, public_a: int) -> bytes | None:
        """The key for a client's ``A``; None when ``A`` is unsafe (``A % N == 0``, ``u == 0``)."""
        if public_a % N == 0:
            return None
        u = _h(pad_hex(public_a), pad_hex(self.public_b))
        if u == 0:
            return None
        s_value = pow(public_a * pow(self.verifier, u, N), self.private_b, N)
        return hkdf_key(s_value, u)
