"""No core dumps while secrets are in memory.

A crash (SIGABRT, SIGSEGV) of a process holding a refresh token would otherwise write the whole
address space, tokens included, to a core file (or hand it to a crash collector). The
executables call :func:`disable` first thing: ``RLIMIT_CORE`` goes to 0 and, on Linux,
``prctl(PR_SET_DUMPABLE, 0)`` also stops core dumps through a pipe handler and ``ptrace`` attach
by other processes of the same user. The library never calls it on its own: changing a host
application's crash behaviour is the application's decision.

Children get the limit their parent started with back (:func:`child_limits`); ``execve`` resets
the dumpable flag by itself. Standard library only.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["child_limits", "disable", "dumps_disabled"]

_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3
_original: tuple[int, int] | None = None


def disable() -> None:
    """Turns core dumps off for this process (best effort: never fails)."""
    global _original
    try:
        import resource
    except ImportError:  # Windows: no core files to speak of
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        if _original is None:
            _original = (soft, hard)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    except (OSError, ValueError):
        pass
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def dumps_disabled() -> bool:
    """Whether this process can leave no core file (limit 0, or not dumpable on Linux)."""
    try:
        import resource
    except ImportError:
        return False
    if resource.getrlimit(resource.RLIMIT_CORE)[0] == 0:
        return True
    if sys.platform.startswith("linux"):
        import ctypes

        return int(ctypes.CDLL(None).prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0)) == 0
    return False


@contextlib.contextmanager
def child_limits() -> Iterator[None]:
    """Puts the core limit this process started with back while a child is started.

    The child (a command run by ``scribeauth exec``) is the person's own program: its core
    dumps are theirs to have. This process stays non-dumpable meanwhile on Linux.
    """
    if _original is None:
        yield
        return
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, _original)
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_CORE, (0, _original[1]))
