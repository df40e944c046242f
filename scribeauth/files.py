"""Writing files the way scribeauth writes them, and trusting only files written that way.

:func:`write_atomic` is the one way the cache and the AWS config file are written: a temporary
file beside the target (created exclusively, never through a link, with its final mode from
the start), the data, ``fsync``, ``os.replace``, then the folder synced. A crash leaves either
the old file or the new one, and at worst a temporary file named ``.<name>.<random>.tmp``, which
:func:`sweep_temporaries` removes.

Trust is what we would write (:func:`untrusted_folder`, :func:`untrusted_file`): a folder or
file is read only when it belongs to the user and no one else can write to it. A folder or file
of ours with looser modes than ours is tightened (0700, 0600). Windows has no owner or mode bits
to compare (the user profile's ACLs protect it), so these checks pass there.

Standard library only: the cache sits on the ``credential_process`` path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from pathlib import Path

__all__ = [
    "sweep_temporaries",
    "sync_directory",
    "temporary_name",
    "untrusted_file",
    "untrusted_folder",
    "write_atomic",
]

_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH

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
        target: the file whose temporaries to remove; also those of every file whose name
            starts with ``target``'s name and a dot (``p`` covers ``p.json`` and ``p.hit``).
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
        random = name[: -len(_SUFFIX)].rpartition(".")[2]
        if len(random) != 16 or not all(c in "0123456789abcdef" for c in random):
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


def _foreign(info: os.stat_result) -> bool:
    return hasattr(os, "getuid") and info.st_uid != os.getuid()


def untrusted_folder(directory: Path, info: os.stat_result) -> str | None:
    """Why the folder ``directory`` (whose ``stat`` is ``info``) is not to be trusted, or None.

    A folder of ours with modes looser than 0700 is tightened to 0700 first (a folder others
    may write to then no longer is). The reason is one phrase, for a message naming the fix.
    """
    if not hasattr(os, "getuid"):
        return None
    if _foreign(info):
        return "belongs to another user"
    if stat.S_IMODE(info.st_mode) != 0o700:
        try:
            os.chmod(directory, 0o700)
        except OSError:
            if info.st_mode & _OTHERS_WRITE:
                return "can be written by other users and cannot be made private"
    return None


def untrusted_file(fd: int, info: os.stat_result) -> str | None:
    """Why the open file ``fd`` (whose ``fstat`` is ``info``) is not to be trusted, or None.

    A file others can write to may hold what they wrote, so it is refused even when it is ours;
    a file of ours that others can only read is tightened to 0600.
    """
    if not hasattr(os, "getuid"):
        return None
    if _foreign(info):
        return "belongs to another user"
    if info.st_mode & _OTHERS_WRITE:
        return "can be written by other users"
    if stat.S_IMODE(info.st_mode) != 0o600 and hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
    return None
