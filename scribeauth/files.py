"""Writing files the way scribeauth writes them: privately, atomically, leaving nothing behind.

:func:`write_atomic` is the one way the cache and the AWS config file are written: a temporary
file beside the target (created exclusively, never through a link, with its final mode from
the start), the data, ``fsync``, ``os.replace``, then the folder synced. A crash leaves either
the old file or the new one, and at worst a temporary file named ``.<name>.<random>.tmp``, which
:func:`sweep_temporaries` removes.

Standard library only: the cache sits on the ``credential_process`` path.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

__all__ = ["sweep_temporaries", "sync_directory", "temporary_name", "write_atomic"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_SUFFIX = ".tmp"


def temporary_name(target: Path) -> Path:
    """A fresh temporary file name beside ``target``: ``.<name>.<16 hex digits>.tmp``."""
    # os.urandom, not the secrets module: that import costs ~1 ms on the credential path.
    return target.with_name(f".{target.name}.{os.urandom(8).hex()}{_SUFFIX}")


def write_atomic(target: Path, data: bytes, mode: int = 0o600) -> None:
    """Replaces ``target`` with ``data`` atomically; the file has ``mode`` from its first byte.

    Raises:
        OSError: the temporary file cannot be created or written, or the rename fails (the
            temporary file is removed first). Callers turn it into their own error.
    """
    temp = temporary_name(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, mode)
    try:
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # a umask may have taken bits we need
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    sync_directory(target.parent)


def sync_directory(directory: Path) -> None:
    """Makes a rename in ``directory`` durable (best effort; not possible on Windows)."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sweep_temporaries(target: Path, *, older_than: float | None = None) -> list[Path]:
    """Removes the temporary files :func:`write_atomic` left beside ``target`` (a crash).

    Args:
        target: the file whose temporaries to remove.
        older_than: remove only those last modified this many seconds ago or more (a writer in
            another process may be mid-way through a fresh one); None removes them all.

    Returns:
        The files removed. Files that cannot be removed are left (and not listed).
    """
    prefix = f".{target.name}."
    removed: list[Path] = []
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(_SUFFIX)]
        if len(middle) != 16 or not all(c in "0123456789abcdef" for c in middle):
            continue
        path = target.parent / name
        try:
            if older_than is not None:
                info = os.stat(path, follow_symlinks=False)
                if now - info.st_mtime < older_than:
                    continue
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    return removed
