"""The failure record: when a profile's last refresh failed, why, and when the next may run.

Kept beside the cache entry (a sidecar of :class:`~scribeauth.cache.ProfileCache`, 0600,
written atomically), so every process sees it: after a failed refresh, none tries again for
:func:`delay` (60 s, doubling with each failure in a row, 15 minutes at most, as botocore's
token refresher backs off), and meanwhile credentials that are still good are served from the
cache. Saving a new entry (a refresh or sign-in that worked) removes the record.

The record holds no secret: the error's message (ours never quote one), its exit code, times.
Standard library only.
"""

from __future__ import annotations

import contextlib
import json

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cache import ProfileCache
    from .errors import ScribeAuthError

__all__ = ["FIRST_DELAY", "MAX_DELAY", "SUFFIX", "Failure", "delay", "read", "record"]

#: The sidecar's suffix.
SUFFIX = ".failure"
#: Seconds before the first retry after a failure, and the longest wait.
FIRST_DELAY = 60.0
MAX_DELAY = 15 * 60.0


def delay(failures: int) -> float:
    """Seconds to wait after ``failures`` failed refreshes in a row."""
    return min(FIRST_DELAY * 2.0 ** max(failures - 1, 0), MAX_DELAY)


class Failure:
    """A failed refresh, as recorded.

    Attributes:
        failures: failed refreshes in a row.
        at: when the last one failed (POSIX seconds, the broker's clock).
        until: no refresh is tried before this (POSIX seconds).
        message: its error message (never a secret).
        exit_code: its error's exit code.
    """

    __slots__ = ("at", "exit_code", "failures", "message", "until")

    def __init__(self, failures: int, at: float, until: float, message: str, exit_code: int):
        self.failures = failures
        self.at = at
        self.until = until
        self.message = message
        self.exit_code = exit_code

    def __repr__(self) -> str:
        return f"Failure(failures={self.failures}, at={self.at}, until={self.until})"

    def waiting(self, now: float) -> bool:
        """Whether ``now`` is still inside the back-off."""
        return now < self.until


def read(cache: ProfileCache) -> Failure | None:
    """The profile's failure record, or None when there is none (or it cannot be read)."""
    data = cache.read_sidecar(SUFFIX)
    if data is None:
        return None
    try:
        doc = json.loads(data.decode("utf-8"))
        failure = Failure(
            int(doc["failures"]),
            float(doc["at"]),
            float(doc["until"]),
            str(doc["message"]),
            int(doc["exit_code"]),
        )
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return failure if failure.failures > 0 else None


def record(cache: ProfileCache, err: ScribeAuthError, now: float) -> Failure:
    """Records a failed refresh at ``now``, one more in a row than the record before.

    Best effort: a record that cannot be written only loses the back-off.
    """
    previous = read(cache)
    failures = previous.failures + 1 if previous is not None else 1
    message = " ".join(str(err).split()) or type(err).__name__
    failure = Failure(failures, now, now + delay(failures), message, err.exit_code)
    document = {
        "failures": failure.failures,
        "at": failure.at,
        "until": failure.until,
        "message": failure.message,
        "exit_code": failure.exit_code,
    }
    from .errors import ScribeAuthError

    with contextlib.suppress(OSError, ScribeAuthError):
        cache.write_sidecar(SUFFIX, json.dumps(document).encode("utf-8"))
    return failure
