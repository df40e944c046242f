"""The hit record: what lets ``scribeauth-credentials`` answer a cache hit at interpreter speed.

A full run of ``scribeauth-credentials`` that printed credentials also leaves, beside the
profile's cache entry, ``<cache dir>/<profile file name>.hit``: the exact document it printed,
the credentials' expiry, and a *context key* naming everything that decided that answer: the
``--profile`` argument, every environment variable that changes which profile, settings or
cache are used (``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, ``AWS_CONFIG_FILE``, ``HOME``, the
XDG folders and every ``SCRIBEAUTH_*`` variable), and the stat stamps of the AWS config file
and the YAML file (taken before the profile was read) and of the cache entry itself.

The next run serves the record only when the key is the same, the stamps are the same and the
credentials are still fresh (more than their refresh window left, :func:`refresh_window`);
anything else, including a record that is not a 0600 regular file of ours in a folder of ours
that others cannot write to, goes the full way. A saved entry has a new stamp, so saving makes
the record stale. The record holds the same secrets as the cache entry and is written the same
way, by the cache (0600 in the 0700 folder, atomically, and deleted with the entry), and only by
a ``scribeauth-credentials`` run that just validated everything
(:mod:`scribeauth.credential_process`).

A leaf: this module runs before anything else of ours on a hit and imports nothing of ours;
standard library only, and only what the bare interpreter has already loaded (``os``, ``sys``,
``time``; ``_sha256`` for the names).
"""

from __future__ import annotations

import os

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "REFRESH_WINDOW_SECONDS",
    "SUFFIX",
    "Context",
    "context",
    "record",
    "refresh_window",
    "safe_name",
    "serve",
    "stamp",
]

#: The hit record's file name ends so; the rest is the cache entry's (:func:`safe_name`).
SUFFIX = ".hit"
_HEADER = "scribeauth-hit 2"
#: A copy of :data:`scribeauth.models.REFRESH_WINDOW` in seconds (importing models is what this
#: module avoids); tests/test_fasthit.py pins the two together.
REFRESH_WINDOW_SECONDS = 20 * 60


def refresh_window(lifetime: float) -> float:
    """A copy of :func:`scribeauth.models.refresh_window` in seconds (0: lifetime unknown);
    tests/test_fasthit.py pins the two together."""
    if lifetime <= 0 or lifetime >= 3 * REFRESH_WINDOW_SECONDS:
        return REFRESH_WINDOW_SECONDS
    return lifetime / 3


_MAX_SIZE = 64 * 1024
# What decides the profile name, the config files and the cache folder (besides SCRIBEAUTH_*).
_ENV_KEYS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "HOME",
)
_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def safe_name(profile_name: str) -> str:
    """A file name (without suffix) for a profile: readable, and distinct for distinct names.

    The hash suffix keeps names apart that only differ in case (case-insensitive file
    systems) or in characters the readable part replaces.
    """
    readable = "".join(c if c in _SAFE_CHARS else "_" for c in profile_name.lower())[:64]
    digest = _sha256_hex(profile_name.encode("utf-8"))[:16]
    return f"{readable or '_'}-{digest}"


def _sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex, without loading OpenSSL when CPython has its own SHA-256.

    ``hashlib`` loads libcrypto: about 2.5 ms and 3.5 MiB of a cache hit in
    ``scribeauth-credentials``. The digest only names files.
    """
    for name in ("_sha2", "_sha256"):  # CPython 3.12+, 3.10-3.11
        try:
            module = __import__(name)
        except ImportError:
            continue
        digest: str = module.sha256(data).hexdigest()
        return digest
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _home_path(text: str, env: Mapping[str, str]) -> str | None:
    """``text`` with a leading ``~`` or ``~/`` expanded from ``$HOME``; None when it needs
    more (``$VAR``, ``~user``) or is relative: those records are not worth the risk."""
    if text == "~" or text.startswith("~/"):
        text = env["HOME"] + text[1:]
    if text.startswith("~") or not os.path.isabs(text):
        return None
    return text


def stamp(path: str, *, follow: bool = True) -> tuple[int, ...] | None:
    """What changes when the file at ``path`` changes in any way; None when there is none."""
    try:
        info = os.stat(path, follow_symlinks=follow)
    except (OSError, ValueError):
        return None
    return (
        info.st_dev,
        info.st_ino,
        info.st_mode,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )


class Context:
    """Where one run's hit record and cache entry are, and the key a record must carry."""

    __slots__ = ("aws_config", "entry", "key", "name", "record", "yaml_config")

    def __init__(
        self, name: str, record: str, entry: str, aws_config: str, yaml_config: str, key: str
    ) -> None:
        self.name = name
        self.record = record
        self.entry = entry
        self.aws_config = aws_config
        self.yaml_config = yaml_config
        self.key = key


def context(profile: str | None, env: Mapping[str, str]) -> Context | None:
    """The context of a run with ``--profile profile`` (None: not given) in ``env``.

    Resolves names and paths the way :mod:`scribeauth.config` and :mod:`scribeauth.cache` do
    in the common case; None for the rest (no ``$HOME``, ``$VAR`` or ``~user`` in a path, a
    relative path), which then always takes the full path.
    """
    if not env.get("HOME"):
        return None
    name = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    home = env["HOME"]
    aws: str | None = env.get("AWS_CONFIG_FILE") or ""
    if not aws:
        aws = home + "/.aws/config"
    elif "$" in aws:
        return None
    aws = _home_path(aws, env)
    yaml: str | None = env.get("SCRIBEAUTH_CONFIG") or ""
    if yaml and "$" in yaml:
        return None
    if not yaml:
        xdg = env.get("XDG_CONFIG_HOME")
        base = xdg if xdg and os.path.isabs(xdg) else home + "/.config"
        yaml = base + "/scribeauth/config.yaml"
    yaml = _home_path(yaml, env)
    folder: str | None = env.get("SCRIBEAUTH_CACHE_DIR") or ""
    if not folder:
        xdg = env.get("XDG_CACHE_HOME")
        folder = xdg + "/scribeauth" if xdg and os.path.isabs(xdg) else home + "/.cache/scribeauth"
    folder = _home_path(folder, env)
    if aws is None or yaml is None or folder is None:
        return None
    try:
        base_name = folder + "/" + safe_name(name)
    except UnicodeEncodeError:
        return None  # a name that is not UTF-8: the full path says so
    variables = [(key, env.get(key)) for key in _ENV_KEYS]
    variables += sorted((k, v) for k, v in env.items() if k.startswith("SCRIBEAUTH_"))
    # repr: one line whatever the values hold, and the same text for the same values.
    key = repr((profile, name, variables, aws, stamp(aws), yaml, stamp(yaml)))
    return Context(name, base_name + SUFFIX, base_name + ".json", aws, yaml, key)


def serve(profile: str | None) -> str | None:
    """The document to print for this run from its hit record, or None to take the full path.

    Never raises for the state of the disk: a missing, foreign, damaged or stale record, a
    changed file or variable, credentials with 20 minutes or less left: all None.
    """
    try:
        ctx = context(profile, os.environ)
        if ctx is None:
            return None
        # Trust only what we would write: a folder of ours no one else can write to (the full
        # path then says why it refuses the folder), and a record that is ours and 0600.
        folder = os.stat(ctx.record.rpartition("/")[0])
        if folder.st_mode & 0o022 or (hasattr(os, "getuid") and folder.st_uid != os.getuid()):
            return None
        fd = os.open(ctx.record, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        try:
            info = os.fstat(fd)
            # st_mode 0o100600: a regular file, read-write for us alone.
            if info.st_mode != 0o100600 or info.st_size > _MAX_SIZE:
                return None
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return None
            data = os.read(fd, _MAX_SIZE + 1)
        finally:
            os.close(fd)
        lines = data.decode("utf-8").split("\n")
        if len(lines) != 6 or lines[0] != _HEADER or lines[5] != "":
            return None
        import time  # built in: costs nothing

        expires, _, lifetime = lines[1].partition(" ")
        if int(expires) - time.time() <= refresh_window(int(lifetime)):
            return None
        if lines[2] != ctx.key or lines[3] != repr(stamp(ctx.entry, follow=False)):
            return None
        document = lines[4]
        if not document.startswith('{"Version": 1, ') or not document.endswith("}"):
            return None
    except (OSError, ValueError):
        return None
    return document + "\n"


def record(
    ctx: Context,
    expires_at: float,
    lifetime: float,
    entry_stamp: tuple[int, ...],
    document: str,
) -> bytes:
    """The hit record of a run that printed ``document``, one line, for credentials expiring at
    ``expires_at`` (POSIX seconds) after living ``lifetime`` seconds (0: not known), read from
    the cache entry whose :func:`stamp` is ``entry_stamp``.

    Raises:
        ValueError: ``document`` is not one line ending in a newline.
    """
    if "\n" in document[:-1] or not document.endswith("\n"):
        raise ValueError("a hit record holds a one-line document")
    expires = int(expires_at)  # floor: never later than the real one
    # ceil, so the window is never smaller than the full path's
    line = f"{expires} {max(-int(-lifetime // 1), 0)}"
    return f"{_HEADER}\n{line}\n{ctx.key}\n{entry_stamp!r}\n{document}".encode()
