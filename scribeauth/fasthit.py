"""The hit record: what lets ``scribeauth-credentials`` answer a cache hit at interpreter speed.

A full run of ``scribeauth-credentials`` that printed credentials also leaves, beside the
profile's cache entry, ``<cache dir>/<profile file name>.hit``: the exact document it printed,
the credentials' expiry, and a *context key* naming everything that decided that answer: the
``--profile`` argument, every environment variable that changes which profile, settings or
cache are used (``AWS_PROFILE``, ``AWS_DEFAULT_PROFILE``, ``AWS_CONFIG_FILE``, ``HOME``, the
XDG folders and every ``SCRIBEAUTH_*`` variable), and the stat stamps of the AWS config file
and the YAML file (taken before the profile was read) and of the cache entry itself.

The next run serves the record only when the key is the same, the stamps are the same and the
credentials have more than 20 minutes left (``credentials.MIN_TTL``); anything else, including
a record that is not a 0600 regular file of ours in a folder of ours that others cannot write
to, goes the full way. The record holds the same secrets as the cache entry and is written the
same way (0600 in the 0700 folder, atomically,
by :mod:`scribeauth.cache`); :class:`~scribeauth.cache.ProfileCache` removes it whenever it
saves or deletes the entry, so only a ``scribeauth-credentials`` run that just validated
everything writes one.

This module runs before anything else of ours on a hit: standard library only, and only what
the bare interpreter has already loaded (``os``, ``sys``, ``time``; ``_sha256`` for the names).
"""

from __future__ import annotations

import os

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from .credentials import Broker
    from .models import AwsCredentials

__all__ = ["SUFFIX", "Context", "context", "remember", "safe_name", "serve"]

#: The hit record's file name ends so; the rest is the cache entry's (:func:`safe_name`).
SUFFIX = ".hit"
_HEADER = "scribeauth-hit 1"
# credentials.MIN_TTL, in seconds (importing credentials is what this module avoids).
_MIN_TTL_SECONDS = 20 * 60
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


def _stamp(path: str, *, follow: bool = True) -> tuple[int, ...] | None:
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
    base_name = folder + "/" + safe_name(name)
    variables = [(key, env.get(key)) for key in _ENV_KEYS]
    variables += sorted((k, v) for k, v in env.items() if k.startswith("SCRIBEAUTH_"))
    # repr: one line whatever the values hold, and the same text for the same values.
    key = repr((profile, name, variables, aws, _stamp(aws), yaml, _stamp(yaml)))
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

        if int(lines[1]) - time.time() <= _MIN_TTL_SECONDS:
            return None
        if lines[2] != ctx.key or lines[3] != repr(_stamp(ctx.entry, follow=False)):
            return None
        document = lines[4]
        if not document.startswith('{"Version": 1, ') or not document.endswith("}"):
            return None
    except (OSError, ValueError):
        return None
    return document + "\n"


def remember(ctx: Context, broker: Broker, credentials: AwsCredentials, document: str) -> None:
    """Writes the hit record of a run that just printed ``document`` for ``credentials``.

    Called by the full path after :meth:`Broker.credentials` succeeded, with the context taken
    before the profile was read. Writes nothing when this module's idea of the paths is not
    exactly the full path's, or when the cache entry no longer holds these credentials (another
    process saved meanwhile). Best effort: a record that cannot be written is no error.
    """
    import contextlib
    from pathlib import Path

    from . import config
    from .errors import ScribeAuthError

    cache = broker.cache
    if (
        broker.profile.name != ctx.name
        or Path(ctx.aws_config) != config.aws_config_path()
        or Path(ctx.yaml_config) != config.yaml_config_path()
        or Path(ctx.entry) != cache.path
        or Path(ctx.record) != cache.hit_path
        or "\n" in document[:-1]
        or not document.endswith("\n")
    ):
        return
    # The entry's stamp goes in the record; it must be the stamp of an entry holding exactly
    # these credentials, so read it between two identical stamps.
    before = _stamp(ctx.entry, follow=False)
    entry = broker.cached()
    after = _stamp(ctx.entry, follow=False)
    if before is None or before != after or entry is None or entry.credentials != credentials:
        return
    expires = int(credentials.expires_at.timestamp())  # floor: never later than the real one
    text = f"{_HEADER}\n{expires}\n{ctx.key}\n{before!r}\n{document}"
    # No record is no error: the next run takes the full path again.
    with contextlib.suppress(OSError, ScribeAuthError):
        cache.write_hit_record(text.encode("utf-8"))
