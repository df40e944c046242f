"""A lock across processes and threads on a file: ``flock`` (``msvcrt.locking`` on Windows).

The kernel drops the lock of a process that dies, so a crashed holder never blocks anyone for
long; waiting on a live one lasts until it lets go, or until the caller's timeout. flock is per
open file description, so threads of one process also take a per-path ``threading.Lock`` first.
Standard library only: :mod:`scribeauth.cache` uses it on the credential_process path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from pathlib import Path

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import IO

__all__ = ["FileLock"]

_POLL_INTERVAL = 0.05
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# flock is per open file description, so threads need their own lock.
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(str(path), threading.Lock())


class FileLock:
    """An exclusive lock on ``path``, held in a ``with`` block. Not reentrant.

    Args:
        path: the lock file (created 0600 when missing).
        ready: called as ``ready(path, None, None)`` before the file is opened (to create the
            folder), ``ready(path, fd, None)`` once it is open (an exception returned refuses
            it: another user's file, say), and ``ready(path, None, err)`` when it cannot be
            opened or locked (returns the exception to raise for ``err``).
        timed_out: builds the exception raised when ``timeout`` passes first.
        timeout: seconds to wait; None waits as long as the holder lives.
    """

    def __init__(
        self,
        path: Path,
        ready: Callable[[Path, int | None, OSError | None], Exception | None],
        timed_out: Callable[[], Exception],
        timeout: float | None,
    ) -> None:
        self.path = path
        self._ready = ready
        self._timed_out = timed_out
        self._timeout = timeout
        self._guard = _thread_lock(path)
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> FileLock:
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        if deadline is None:
            while not self._guard.acquire(timeout=_POLL_INTERVAL * 20):
                pass  # wake up now and then: a KeyboardInterrupt gets through
        elif not self._guard.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise self._timed_out()
        try:
            self._handle = self._acquire(deadline)
        except BaseException:
            self._guard.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handle, self._handle = self._handle, None
        try:
            if handle is not None:
                _unlock(handle)
                handle.close()
        finally:
            self._guard.release()

    def _fail(self, err: OSError) -> Exception:
        return self._ready(self.path, None, err) or err

    def _acquire(self, deadline: float | None) -> IO[bytes]:
        self._ready(self.path, None, None)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _BINARY, 0o600)
            except OSError as err:
                raise self._fail(err) from None
            handle = os.fdopen(fd, "r+b")
            try:
                refused = self._ready(self.path, fd, None)
            except OSError as err:
                handle.close()
                raise self._fail(err) from None
            if refused is not None:
                handle.close()
                raise refused
            try:
                locked = _try_lock(handle)
            except OSError as err:
                handle.close()
                raise self._fail(err) from None
            # A holder may have deleted the lock file (logout) before letting go: then our lock
            # is on an orphan and someone else may lock the new file. Start again on that one.
            if locked and _same_file(handle, self.path):
                return handle
            if locked:
                _unlock(handle)
            handle.close()
            if not locked and deadline is not None and time.monotonic() >= deadline:
                raise self._timed_out()
            if not locked:
                time.sleep(_POLL_INTERVAL)


def _try_lock(handle: IO[bytes]) -> bool:
    """One non-blocking attempt at an exclusive lock on an open file."""
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _unlock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _same_file(handle: IO[bytes], path: Path) -> bool:
    """Whether ``path`` still names the file ``handle`` has open (not deleted or replaced)."""
    try:
        mine = os.fstat(handle.fileno())
        current = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (current.st_dev, current.st_ino)
