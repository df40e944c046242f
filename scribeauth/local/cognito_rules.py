"""Cognito's rules as pure functions: errors, SECRET_HASH, password policy, TOTP, auth flows.

Used by the strict user pool; no state and no I/O here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone
from typing import Any

from moto.cognitoidp.models import CognitoIdpUserPool, CognitoIdpUserPoolClient

from scribeauth.local import srp_server

TOTP_STEP = 30
SRP_TIMESTAMP_SKEW = 300

INCORRECT = "Incorrect username or password."
INVALID_SESSION = "Invalid session for the user."
EXPIRED_SESSION = "Invalid session for the user, session is expired."
CODE_MISMATCH = "Invalid code received for user"

# Cognito's default when a client is created without ExplicitAuthFlows.
DEFAULT_FLOWS = frozenset({"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "CUSTOM_AUTH"})
# Cognito rejects a zero-padded day of month ("Mar 05"), a classic client bug.
_TIMESTAMP = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]|[12]\d|3[01]) \d\d:\d\d:\d\d UTC \d{4}$"
)
_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


class CognitoError(Exception):
    """A Cognito error reply: ``{"__type": code, "message": message}`` with HTTP ``status``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def not_authorized(message: str = INCORRECT) -> CognitoError:
    """``NotAuthorizedException`` (by default Cognito's answer to a wrong password)."""
    return CognitoError("NotAuthorizedException", message)


def invalid(message: str) -> CognitoError:
    """``InvalidParameterException``."""
    return CognitoError("InvalidParameterException", message)


def srp_public_a(srp_a: Any) -> int:
    """A client's ``SRP_A`` as a number, refused when missing, not hex, or 0 mod N."""
    if not isinstance(srp_a, str) or not srp_a:
        raise invalid("Missing required parameter SRP_A")
    try:
        public_a = int(srp_a, 16)
    except ValueError:
        raise invalid("SRP_A is not a hex number") from None
    if public_a % srp_server.N == 0:
        raise invalid("SRP_A cannot be 0 mod N")
    return public_a


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """``base64(HMAC-SHA256(client_secret, username + client_id))``, Cognito's SECRET_HASH."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), "sha256").digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(
    client: CognitoIdpUserPoolClient, given: Any, usernames: list[str], *, refresh: bool = False
) -> None:
    """Refuse a confidential client's call without a SECRET_HASH of one of ``usernames``."""
    if not client.generate_secret:
        return
    if not isinstance(given, str) or not given:
        raise not_authorized(
            f"Client {client.id} is configured with secret but SECRET_HASH was not received"
        )
    for username in usernames:
        if hmac.compare_digest(secret_hash(client.secret, username, client.id), given):
            return
    if refresh:
        raise not_authorized(f"SecretHash does not match for the client: {client.id}")
    raise not_authorized(f"Unable to verify secret hash for client {client.id}")


def allowed_flows(client: CognitoIdpUserPoolClient) -> frozenset[str]:
    """The auth flows an app client allows, without the ``ALLOW_`` prefix."""
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    if not flows:
        return DEFAULT_FLOWS
    return frozenset(f.removeprefix("ALLOW_") for f in flows)


def check_password_policy(pool: CognitoIdpUserPool, password: Any) -> None:
    """Refuse a new password the pool's policy rejects, with Cognito's message."""
    if not isinstance(password, str):
        raise invalid("Missing required parameter password")
    policy = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    problems = [
        (len(password) < int(policy.get("MinimumLength", 8)), "Password not long enough"),
        (
            policy.get("RequireUppercase", True) and not re.search("[A-Z]", password),
            "Password must have uppercase characters",
        ),
        (
            policy.get("RequireLowercase", True) and not re.search("[a-z]", password),
            "Password must have lowercase characters",
        ),
        (
            policy.get("RequireNumbers", True) and not re.search("[0-9]", password),
            "Password must have numeric characters",
        ),
        (
            policy.get("RequireSymbols", True) and not set(password) & _SYMBOLS,
            "Password must have symbol characters",
        ),
    ]
    for failed, message in problems:
        if failed:
            raise CognitoError(
                "InvalidPasswordException", f"Password does not conform to policy: {message}"
            )


def srp_timestamp_ok(timestamp: str, now: float) -> bool:
    """Whether an SRP ``TIMESTAMP`` has Cognito's format and lies within 5 minutes of ``now``."""
    if not _TIMESTAMP.match(timestamp):
        return False
    stamped = datetime.strptime(timestamp, "%a %b %d %H:%M:%S UTC %Y")
    return abs(stamped.replace(tzinfo=timezone.utc).timestamp() - now) <= SRP_TIMESTAMP_SKEW


def totp_code(secret_b32: str, at: float) -> str:
    """The RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret at epoch time ``at``."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    mac = hmac.new(key, int(at // TOTP_STEP).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def totp_ok(secret_b32: str, code: str, now: float) -> bool:
    """Whether ``code`` is the TOTP of ``secret_b32`` now, one step either side (clock drift)."""
    return any(
        hmac.compare_digest(totp_code(secret_b32, now + step * TOTP_STEP), code)
        for step in (-1, 0, 1)
    )


def new_totp_secret() -> str:
    """A random base32 TOTP secret (256 bits, unpadded, as Cognito hands them out)."""
    return base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")


def new_code() -> str:
    """A random 6-digit SMS / e-mail code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def mask_destination(value: str) -> str:
    """Where a code went, as Cognito shows it (``a***@e***``, ``+*******0004``)."""
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(value) - 5, 0) + value[-4:]


def user_not_found() -> CognitoError:
    """``UserNotFoundException``: what a LEGACY app client says about an unknown user."""
    return CognitoError("UserNotFoundException", "User does not exist.")


def hides_users(client: CognitoIdpUserPoolClient) -> bool:
    """Whether the client's ``PreventUserExistenceErrors`` is ENABLED (LEGACY when unset)."""
    return client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"


def rotation(client: CognitoIdpUserPoolClient) -> tuple[bool, int]:
    """The client's refresh-token rotation: (enabled, ``RetryGracePeriodSeconds`` 0-60)."""
    config = client.extended_config.get("RefreshTokenRotation") or {}
    grace = config.get("RetryGracePeriodSeconds", 0)
    grace = grace if isinstance(grace, int) and not isinstance(grace, bool) else 0
    return config.get("Feature") == "ENABLED", min(max(grace, 0), 60)


def device_config(pool: CognitoIdpUserPool) -> dict[str, Any] | None:
    """The pool's ``DeviceConfiguration`` (device tracking on), or None (off)."""
    config = pool.extended_config.get("DeviceConfiguration")
    return dict(config) if isinstance(config, dict) else None


def first_factors(pool: CognitoIdpUserPool) -> list[str]:
    """The pool's ``SignInPolicy.AllowedFirstAuthFactors`` (``PASSWORD`` when unset)."""
    policy = pool.extended_config.get("Policies", {}).get("SignInPolicy", {})
    return list(policy.get("AllowedFirstAuthFactors") or ["PASSWORD"])
