"""An SRP-6a client for Cognito written for the local-stack tests only.

Deliberately independent of ``scribeauth.srp`` and ``scribeauth.local.srp_server`` (it follows the
published amazon-cognito-identity-js / pycognito conventions), so a bug shared by our client and
our server cannot make the tests pass. Device SRP follows amazon-cognito-identity-js too:
``device_verifier`` is its ``generateHashDevice`` + ``ConfirmDevice`` encoding, and
``TestSrpClient.for_device`` / ``answer_device`` its ``getDeviceResponse``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timezone

# RFC 5054, 3072-bit group.
_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
    "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B"
    "0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA4836"
    "1C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804"
    "F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6"
    "955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64"
    "ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D226"
    "1AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
_GEN = 2


def _padded(number: int) -> bytes:
    """Big-endian bytes of ``number`` with a leading zero byte when the top bit is set."""
    raw = number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")
    return b"\x00" + raw if raw[0] & 0x80 else raw


def _sha(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _salt_bytes(salt_hex: str) -> bytes:
    text = salt_hex if len(salt_hex) % 2 == 0 else "0" + salt_hex
    raw = bytes.fromhex(text)
    return b"\x00" + raw if raw[0] & 0x80 else raw


def cognito_timestamp(when: datetime | None = None) -> str:
    """Cognito's TIMESTAMP: ``Tue Mar 5 09:04:01 UTC 2024`` (day of month not zero-padded)."""
    when = when or datetime.now(timezone.utc)
    return f"{when:%a %b} {when.day} {when:%H:%M:%S} UTC {when.year}"


def device_verifier(device_group_key: str, device_key: str) -> tuple[str, dict[str, str]]:
    """A random device password and the ``DeviceSecretVerifierConfig`` that proves it.

    As amazon-cognito-identity-js: password = base64 of 40 random bytes; ``x = H(pad(salt) |
    hex(H(group_key | device_key | ":" | password)))``; salt and verifier sent as base64 of their
    padded big-endian bytes.
    """
    password = base64.b64encode(secrets.token_bytes(40)).decode()
    salt = _padded(int.from_bytes(secrets.token_bytes(16), "big") or 1)
    inner = hashlib.sha256(f"{device_group_key}{device_key}:{password}".encode()).hexdigest()
    x = int.from_bytes(_sha(salt, bytes.fromhex(inner)), "big")
    verifier = _padded(pow(_GEN, x, _PRIME))
    return password, {
        "Salt": base64.b64encode(salt).decode(),
        "PasswordVerifier": base64.b64encode(verifier).decode(),
    }


class TestSrpClient:
    """One client-side SRP exchange: ``srp_a`` for InitiateAuth, then ``answer`` the challenge."""

    __test__ = False  # not a pytest test class

    def __init__(self, user_pool_id: str, password: str, small_a: int | None = None) -> None:
        self.pool = user_pool_id.split("_", 1)[1]
        self.password = password
        self.small_a = small_a or secrets.randbits(512)
        self.big_a = pow(_GEN, self.small_a, _PRIME)

    @classmethod
    def for_device(cls, device_group_key: str, device_password: str) -> TestSrpClient:
        """A device SRP exchange: the group key stands where the pool name does."""
        client = cls("x_x", device_password)
        client.pool = device_group_key
        return client

    def answer_device(
        self, challenge: dict[str, str], device_key: str, timestamp: str | None = None
    ) -> dict[str, str]:
        """ChallengeResponses for DEVICE_PASSWORD_VERIFIER."""
        key = self.key(device_key, challenge["SALT"], challenge["SRP_B"])
        timestamp = timestamp or cognito_timestamp()
        message = (
            self.pool.encode()
            + device_key.encode()
            + base64.b64decode(challenge["SECRET_BLOCK"])
            + timestamp.encode()
        )
        signature = base64.b64encode(hmac.digest(key, message, "sha256")).decode()
        return {
            "USERNAME": challenge["USERNAME"],
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
            "DEVICE_KEY": device_key,
        }

    @property
    def srp_a(self) -> str:
        return format(self.big_a, "x")

    def key(self, user_id: str, salt_hex: str, srp_b_hex: str) -> bytes:
        big_b = int(srp_b_hex, 16)
        k = int.from_bytes(_sha(_padded(_PRIME), _padded(_GEN)), "big")
        u = int.from_bytes(_sha(_padded(self.big_a), _padded(big_b)), "big")
        identity = _sha(f"{self.pool}{user_id}:{self.password}".encode())
        x = int.from_bytes(_sha(_salt_bytes(salt_hex), identity), "big")
        shared = pow(big_b - k * pow(_GEN, x, _PRIME), self.small_a + u * x, _PRIME)
        prk = hmac.digest(_padded(u), _padded(shared), "sha256")
        return hmac.digest(prk, b"Caldera Derived Key\x01", "sha256")[:16]

    def answer(self, challenge: dict[str, str], timestamp: str | None = None) -> dict[str, str]:
        """ChallengeResponses for a PASSWORD_VERIFIER challenge."""
        user_id = challenge["USER_ID_FOR_SRP"]
        key = self.key(user_id, challenge["SALT"], challenge["SRP_B"])
        timestamp = timestamp or cognito_timestamp()
        message = (
            self.pool.encode()
            + user_id.encode()
            + base64.b64decode(challenge["SECRET_BLOCK"])
            + timestamp.encode()
        )
        signature = base64.b64encode(hmac.digest(key, message, "sha256")).decode()
        return {
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": challenge["SECRET_BLOCK"],
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        }
