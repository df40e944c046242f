"""What the local stack was asked: per-operation counts, masked parameters and raw bodies.

Tests use it to prove what went over the wire: "one InitiateAuth with USER_SRP_AUTH", "no
GetCredentialsForIdentity on a cache hit", "the password never left the machine under SRP".
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

MASK = "***"

# Parameter names (at any depth) whose values are secrets: passwords, tokens, codes, hashes.
SECRET_KEYS = frozenset(
    {
        "PASSWORD",
        "NEW_PASSWORD",
        "Password",
        "PreviousPassword",
        "ProposedPassword",
        "TemporaryPassword",
        "SECRET_HASH",
        "SecretHash",
        "ClientSecret",
        "REFRESH_TOKEN",
        "RefreshToken",
        "AccessToken",
        "IdToken",
        "Token",
        "Session",
        "SessionToken",
        "SecretKey",
        "SecretCode",
        "ConfirmationCode",
        "UserCode",
        "SOFTWARE_TOKEN_MFA_CODE",
        "SMS_MFA_CODE",
        "EMAIL_OTP_CODE",
        "EMAIL_MFA_CODE",
        "SMS_OTP_CODE",
        "PASSWORD_CLAIM_SIGNATURE",
        "PasswordVerifier",
    }
)
# Mappings whose every value is a secret: identity-pool Logins hold id tokens.
SECRET_MAPS = frozenset({"Logins"})


def mask(value: Any) -> Any:
    """A deep copy of ``value`` with every secret replaced by ``"***"``."""
    if isinstance(value, Mapping):
        masked: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRET_KEYS:
                masked[key] = MASK
            elif key in SECRET_MAPS and isinstance(item, Mapping):
                masked[key] = dict.fromkeys(item, MASK)
            else:
                masked[key] = mask(item)
        return masked
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


class Recorder:
    """Thread-safe log of the requests a local stack served.

    Attributes:
        requests: one dict per request: ``operation``, ``flow`` (AuthFlow or ChallengeName,
            else None), ``method``, ``path`` and ``params`` (JSON or form parameters, secrets
            masked).
        raw_bodies: the raw request bodies, in the same order (for "was X ever sent" checks).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str | None]] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.raw_bodies: list[bytes] = []

    def record(
        self,
        operation: str,
        flow: str | None,
        params: Mapping[str, Any],
        raw_body: bytes,
        *,
        method: str = "POST",
        path: str = "/",
    ) -> None:
        """Count one request and log it, secrets masked (the raw body is kept as sent)."""
        entry = {
            "operation": operation,
            "flow": flow,
            "method": method,
            "path": path,
            "params": mask(params),
        }
        with self._lock:
            self._counts[(operation, flow)] += 1
            self.requests.append(entry)
            self.raw_bodies.append(raw_body)

    def count(self, operation: str, flow: str | None = None) -> int:
        """How many ``operation`` requests were served (only those with ``flow`` when given)."""
        with self._lock:
            if flow is not None:
                return self._counts[(operation, flow)]
            return sum(n for (op, _), n in self._counts.items() if op == operation)

    def operations(self) -> list[str]:
        """The operations served, in order (handy in assertion messages)."""
        with self._lock:
            return [entry["operation"] for entry in self.requests]

    def reset(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._counts.clear()
            self.requests.clear()
            self.raw_bodies.clear()
