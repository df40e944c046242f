"""On-disk state of a profile: its tokens, identity id and AWS credentials.

One JSON file per profile in the cache folder (``$SCRIBEAUTH_CACHE_DIR``, else
``$XDG_CACHE_HOME/scribeauth``, else ``~/.cache/scribeauth``). The folder is 0700 and the files
0600 from the moment they exist; writes are atomic (temp file, fsync, ``os.replace``); a file
that cannot be read or understood is treated as absent, never as a crash. A per-profile lock
file lets one process at a time refresh a profile.

Serialising (:class:`CacheEntry`, :func:`entry_to_dict` / :func:`entry_from_dict`) lives apart
from saving, in :mod:`scribeauth.cache_format`, and is re-exported here. This is the only module
that writes secrets to disk. Standard library only: it sits on the credential_process path.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from .cache_format import (
    FORMAT_VERSION,
    CacheEntry,
    device_from_dict,
    device_to_dict,
    entry_from_dict,
    entry_to_dict,
)
from .errors import CacheError, RefreshBusyError
from .fasthit import safe_name as _safe_name
from .files import sweep_temporaries, untrusted_file, untrusted_folder, write_atomic
from .lock import FileLock

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .models import RememberedDevice

__all__ = [
    "FORMAT_VERSION",
    "CacheEntry",
    "ProfileCache",
    "cache_dir",
    "entry_from_dict",
    "entry_to_dict",
]

# A real entry is a few kilobytes; anything much larger is not ours.
_MAX_FILE_SIZE = 1 << 20
# A temporary file this old is a crash's leftover, not another process's write in progress.
_STALE_SECONDS = 60.0


# -- the folder ----------------------------------------------------------------------------


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache folder: ``$SCRIBEAUTH_CACHE_DIR``, else ``$XDG_CACHE_HOME/scribeauth``, else
    ``~/.cache/scribeauth`` (``XDG_CACHE_HOME`` counts only when absolute, per XDG)."""
    env = os.environ if environ is None else environ
    configured = env.get("SCRIBEAUTH_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    xdg = env.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "scribeauth"
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".cache" / "scribeauth"


def _unwritable(directory: Path, err: OSError) -> CacheError:
    reason = err.strerror or type(err).__name__
    return CacheError(
        f"cannot write the scribeauth cache in {directory} ({reason}); make that folder "
        "writable by you, or set SCRIBEAUTH_CACHE_DIR to a folder you own"
    )


def _refused(path: Path, reason: str, *, folder: bool = False) -> CacheError:
    if folder:
        return CacheError(
            f"the scribeauth cache folder {path} {reason}, so nothing in it is used; "
            "set SCRIBEAUTH_CACHE_DIR to a folder you own that only you can write to"
        )
    return CacheError(
        f"the scribeauth cache file {path} {reason}, so it is not used; remove it "
        "(or run: scribeauth logout) and sign in again: scribeauth login"
    )


def _ensure_dir(directory: Path) -> None:
    """Creates the folder 0700, or tightens one of ours that is looser; refuses another's."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.stat()
    except OSError as err:
        raise _unwritable(directory, err) from None
    reason = untrusted_folder(directory, info)
    if reason:
        raise _refused(directory, reason, folder=True)


def _trusted_dir(directory: Path) -> bool:
    """Whether the folder exists (False: nothing cached); raises when it is not to be trusted."""
    try:
        info = directory.stat()
    except OSError:
        return False
    reason = untrusted_folder(directory, info)
    if reason:
        raise _refused(directory, reason, folder=True)
    return True


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class ProfileCache:
    """The cache file of one profile.

    Args:
        profile_name: the profile; names the file.
        fingerprint: the profile's fingerprint; an entry saved under another one loads as None.
        directory: the cache folder (default :func:`cache_dir`).
    """

    def __init__(
        self, profile_name: str, fingerprint: str, *, directory: Path | None = None
    ) -> None:
        self.profile_name = profile_name
        self.fingerprint = fingerprint
        self.directory = Path(directory) if directory is not None else cache_dir()
        self._stem = _safe_name(profile_name)
        self.path = self.directory / f"{self._stem}.json"
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.sign_in_lock_path = self.path.with_name(self.path.name + ".sign-in.lock")
        # What the temporaries of the entry and of every sidecar start with.
        self._every_file = self.directory / self._stem
        # The remembered device: its own file in its own 0700 folder, never beside the entry
        # (not a sidecar), so that neither saving the entry nor logout (which deletes it and
        # its sidecars) touches the device.
        self.device_path = self.directory / "devices" / f"{self._stem}.json"

    def __repr__(self) -> str:
        return f"ProfileCache(profile_name={self.profile_name!r}, path={str(self.path)!r})"

    def load(self) -> CacheEntry | None:
        """The saved entry, or None when absent or unusable.

        Unusable: unreadable, a symlink, not a regular file, too large, not JSON, another
        format version, another fingerprint, missing or invalid fields. Never raises for the
        content of the file. Temporary files a crash left behind are swept first.

        Raises:
            CacheError: the folder or the file belongs to another user or can be written by
                others (what scribeauth would refuse to write is never read).
        """
        if not _trusted_dir(self.directory):
            return None
        sweep_temporaries(self._every_file, older_than=_STALE_SECONDS)
        data = self._read(self.path)
        if data is None:
            return None
        try:
            entry = entry_from_dict(json.loads(data.decode("utf-8")))
        except (ValueError, TypeError, RecursionError):
            return None
        if entry.fingerprint != self.fingerprint:
            return None
        return entry

    def save(self, entry: CacheEntry) -> None:
        """Writes the entry atomically: a 0600 temp file in the folder, fsync, ``os.replace``.

        Raises:
            CacheError: the folder cannot be created or written (names it and the fix).
        """
        data = json.dumps(entry_to_dict(entry), indent=2, sort_keys=True).encode("utf-8")
        _ensure_dir(self.directory)
        for path in self._sidecars():
            self._remove(path)
        self._write(self.path, data)

    def _read(self, path: Path) -> bytes | None:
        """The bytes of a regular file of at most 1 MiB, or None (absent, unreadable, other).

        Raises:
            CacheError: the file belongs to another user or can be written by others.
        """
        try:
            # O_NONBLOCK: a FIFO planted at the path must not hang us before fstat sees it.
            flags = os.O_RDONLY | _NOFOLLOW | _BINARY | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(path, flags)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_FILE_SIZE:
                return None
            reason = untrusted_file(fd, info)
            if reason:
                raise _refused(path, reason)
            chunks = []
            while chunk := os.read(fd, _MAX_FILE_SIZE + 1):
                chunks.append(chunk)
                if sum(map(len, chunks)) > _MAX_FILE_SIZE:
                    return None
            return b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def load_device(self) -> RememberedDevice | None:
        """The remembered device of this profile's user, or None (absent or unusable, as
        :meth:`load`; saved under another fingerprint counts as absent).

        Raises:
            CacheError: a folder or the file is not to be trusted (as :meth:`load`).
        """
        if not _trusted_dir(self.directory) or not _trusted_dir(self.device_path.parent):
            return None
        data = self._read(self.device_path)
        if data is None:
            return None
        try:
            return device_from_dict(json.loads(data.decode("utf-8")), self.fingerprint)
        except (ValueError, TypeError, RecursionError):
            return None

    def save_device(self, device: RememberedDevice) -> None:
        """Saves the remembered device like an entry: 0600, atomically. Holds a secret.

        Raises:
            CacheError: the folder cannot be created or written.
        """
        document = device_to_dict(device, self.fingerprint)
        _ensure_dir(self.directory)
        _ensure_dir(self.device_path.parent)
        self._write(self.device_path, json.dumps(document, indent=2).encode("utf-8"))

    def delete_device(self) -> bool:
        """Removes the remembered device; True when there was one.

        Raises:
            CacheError: the file exists but cannot be removed.
        """
        return self._remove(self.device_path)

    def read_sidecar(self, suffix: str) -> bytes | None:
        """The content of a :meth:`sidecar`, or None when absent or unreadable.

        Raises:
            CacheError: the file belongs to another user or can be written by others.
        """
        if not _trusted_dir(self.directory):
            return None
        return self._read(self.sidecar(suffix))

    def sidecar(self, suffix: str) -> Path:
        """The path of a file kept beside the entry and derived from it, named
        ``<entry's name without .json><suffix>`` (``suffix`` such as ``.state``).

        Sidecars hold what was derived from the entry (and may hold its secrets): every
        :meth:`save` removes them, :meth:`delete` too.
        """
        if not suffix.startswith(".") or "/" in suffix or suffix in (".json", ".json.lock"):
            raise ValueError(f"not a sidecar suffix: {suffix!r}")
        return self.directory / f"{self._stem}{suffix}"

    def write_sidecar(self, suffix: str, data: bytes) -> None:
        """Writes a :meth:`sidecar` like an entry: 0600 in the 0700 folder, atomically.

        Raises:
            CacheError: the folder cannot be created or written.
        """
        path = self.sidecar(suffix)
        _ensure_dir(self.directory)
        self._write(path, data)

    def _sidecars(self) -> list[Path]:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        prefix = self._stem + "."
        keep = {self.path.name, self.lock_path.name}
        return [
            self.directory / name
            for name in names
            if name.startswith(prefix) and name not in keep and not name.endswith(".lock")
        ]

    def _write(self, path: Path, data: bytes) -> None:
        try:
            write_atomic(path, data, 0o600)
        except OSError as err:
            raise _unwritable(self.directory, err) from None

    def delete(self) -> bool:
        """Removes the cache file, its sidecars, its lock file and any temporary file a crash left.

        Returns:
            True when something was removed.

        Raises:
            CacheError: a file exists but cannot be removed.
        """
        removed = False
        for path in (*self._sidecars(), self.path, self.lock_path, self.sign_in_lock_path):
            removed = self._remove(path) or removed
        removed = bool(sweep_temporaries(self._every_file)) or removed
        return removed

    def _remove(self, path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as err:
            raise CacheError(f"cannot remove {path} ({err.strerror}); remove it by hand") from None
        return True

    def lock(self, timeout: float | None = 30.0) -> FileLock:
        """This profile's refresh lock: one process (and one thread) at a time refreshes.

        Use as ``with cache.lock():``. See :class:`~scribeauth.lock.FileLock`.

        Raises (on entering):
            RefreshBusyError: the lock could not be had within ``timeout`` seconds.
            CacheError: the lock file cannot be created, or is not to be trusted.
        """
        return FileLock(self.lock_path, self._lock_ready, self._timed_out, timeout)

    def sign_in_lock(self) -> FileLock:
        """This profile's sign-in lock: one person-facing sign-in at a time, across processes
        and threads. Waits as long as its holder lives (a person may take minutes)."""
        return FileLock(self.sign_in_lock_path, self._lock_ready, self._timed_out, None)

    def _lock_ready(self, path: Path, fd: int | None, err: OSError | None) -> CacheError | None:
        """Before opening a lock file (``fd`` None): the folder; after: the file's owner and
        mode; on an error: what to raise."""
        if err is not None:
            return _unwritable(self.directory, err)
        if fd is None:
            _ensure_dir(self.directory)
            return None
        reason = untrusted_file(fd, os.fstat(fd))
        return _refused(path, reason) if reason else None

    def _timed_out(self) -> RefreshBusyError:
        return RefreshBusyError(
            "timed out waiting for another scribeauth process to refresh profile "
            f"{self.profile_name!r}; try again"
        )
