"""``scribeauth-credentials``: the AWS ``credential_process`` of a scribeauth profile.

Put this in the profile of ``~/.aws/config``::

    credential_process = scribeauth-credentials --profile scribe

stdout carries only the Version 1 JSON document (``Version``, ``AccessKeyId``,
``SecretAccessKey``, ``SessionToken``, ``Expiration`` in RFC 3339 UTC with a ``Z``). A failure
prints nothing there and one line on stderr, ``scribeauth-credentials: <what happened; the
fix>``, and exits with the code of its class of error:

====  ===========================================================================
code  meaning
====  ===========================================================================
0     credentials printed
1     unexpected error (set ``SCRIBEAUTH_DEBUG=1`` for a traceback; report it)
2     bad usage (unknown option, missing value)
3     configuration: unknown profile, missing or invalid setting, unreadable file
4     sign-in required: no valid session and no terminal to sign in on
5     unauthorized: wrong password or MFA code, token refused
6     Cognito unreachable, failing (5xx), timed out or throttled after retries
7     Cognito replied in a way that cannot be used, or a pool/identity not found
8     the cache folder cannot be written
9     another process was refreshing the profile and it failed or did not finish
130   interrupted (Ctrl-C)
====  ===========================================================================

A cache hit makes no network call and imports only the standard library (and our stdlib-only
modules); a repeated one is served from the hit record of :mod:`scribeauth.fasthit`. The
process never reads stdin; when a terminal is attached and the session is gone it asks for the
password (and MFA code) on ``/dev/tty``, never on stderr, which botocore captures.
``SCRIBEAUTH_DEBUG=1`` logs what scribeauth does to stderr, never a secret.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from . import fasthit
    from .cache import ProfileCache
    from .models import AwsCredentials

__all__ = ["main"]

PROG = "scribeauth-credentials"
USAGE = f"usage: {PROG} [--profile NAME] [--version] [--help]"
HELP = f"""{USAGE}

Prints AWS credentials for a scribeauth profile as a credential_process Version 1 document.
Use it in ~/.aws/config:

  [profile scribe]
  credential_process = {PROG} --profile scribe

options:
  --profile NAME  the profile (default: $AWS_PROFILE, else $AWS_DEFAULT_PROFILE, else default)
  --version       print the version and exit
  -h, --help      print this help and exit

Sign in first with: scribeauth login --profile NAME
Exit codes: 0 ok, 1 unexpected, 2 usage, 3 configuration, 4 sign-in required,
5 unauthorized, 6 service unavailable or throttled, 7 unusable reply or not found,
8 cache not writable, 9 another process's refresh failed, 130 interrupted.
SCRIBEAUTH_DEBUG=1 logs to stderr (never secrets).
"""

_EXIT_UNEXPECTED = 1
_EXIT_USAGE = 2
_EXIT_CONFIG = 3
_EXIT_INTERRUPTED = 130


class _UsageError(Exception):
    pass


def _parse(argv: Sequence[str]) -> tuple[str, str | None]:
    """Returns (action, profile); action is ``run``, ``help`` or ``version``.

    Hand-rolled: argparse would cost more than the rest of a cache hit.
    """
    profile: str | None = None
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("-h", "--help"):
            return "help", None
        if arg == "--version":
            return "version", None
        if arg == "--profile":
            if not args or args[0].startswith("-"):
                raise _UsageError("--profile needs a profile name")
            profile = args.pop(0)
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
        else:
            raise _UsageError(f"unrecognised argument {arg!r}")
        if not profile or not profile.strip():
            raise _UsageError("--profile needs a profile name")
    return "run", profile


def _undecodable(profile: str | None) -> str | None:
    """``--profile`` or the variable naming the profile, when it holds bytes that are not UTF-8
    (they arrive as surrogates; every file name and message built from them would fail)."""
    for what, value in (
        ("--profile", profile),
        ("AWS_PROFILE", os.environ.get("AWS_PROFILE")),
        ("AWS_DEFAULT_PROFILE", os.environ.get("AWS_DEFAULT_PROFILE")),
    ):
        if value is not None and any("\udc80" <= c <= "\udcff" for c in value):
            return what
        if value:
            return None
    return None


def _debug_enabled() -> bool:
    return os.environ.get("SCRIBEAUTH_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def _enable_debug_logging() -> None:
    # Only scribeauth's own loggers: botocore's debug output includes request and response
    # bodies, i.e. tokens and secret keys.
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: debug: %(name)s: %(message)s"))
    logger = logging.getLogger("scribeauth")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _say_error(message: str) -> None:
    line = " ".join(str(message).split()) or "failed"
    try:
        sys.stderr.write(f"{PROG}: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: nothing better to do
        pass


def _say_warning(message: str) -> None:
    _say_error(f"warning: {message}")


def _print(document: str) -> int:
    try:
        sys.stdout.write(document)
        sys.stdout.flush()
    except (OSError, ValueError):
        # Whoever ran us stopped listening; the credentials are cached for next time.
        return _EXIT_UNEXPECTED
    return 0


def _run(profile_name: str | None, *, debug: bool = False, disable_dumps: bool = False) -> int:
    import time  # built in: costs nothing

    from . import fasthit

    started = time.monotonic()  # the refresh deadline counts from here
    # The hit record (see scribeauth.fasthit) answers a plain cache hit without importing
    # config, cache or credentials; with SCRIBEAUTH_DEBUG the full path shows its decisions.
    document = None if debug else fasthit.serve(profile_name)
    if document is not None:
        return _print(document)
    # Stamps of the config files before they are read: an edit racing with this run makes the
    # record it leaves stale, never wrong.
    context = fasthit.context(profile_name, os.environ)
    if disable_dumps:
        from .coredump import disable

        disable()  # the full path may hold the refresh token: no core file of it

    import json

    from .config import load_profile
    from .credentials import Broker

    profile = load_profile(profile_name)
    broker = Broker(profile, warn=_say_warning)
    credentials = broker.credentials(started=started)
    document = json.dumps(credentials.to_process_json()) + "\n"
    if context is not None and profile.name == context.name:
        _remember(context, broker.cache, credentials, document)
    return _print(document)


def _remember(
    ctx: fasthit.Context, cache: ProfileCache, credentials: AwsCredentials, document: str
) -> None:
    """Leaves the hit record (:mod:`scribeauth.fasthit`) of a run that just printed ``document``.

    ``ctx`` was taken before the profile was read. Writes nothing when the hit record's idea
    of the paths is not exactly the full path's, or when the cache entry no longer holds these
    credentials (another process saved meanwhile). Best effort: a record that cannot be
    written is no error, the next run takes the full path again.
    """
    import contextlib
    from pathlib import Path

    from . import config, fasthit
    from .errors import ScribeAuthError

    if (
        Path(ctx.aws_config) != config.aws_config_path()
        or Path(ctx.yaml_config) != config.yaml_config_path()
        or Path(ctx.entry) != cache.path
        or Path(ctx.record) != cache.sidecar(fasthit.SUFFIX)
    ):
        return
    # The entry's stamp goes in the record; it must be the stamp of an entry holding exactly
    # these credentials, so read it between two identical stamps.
    before = fasthit.stamp(ctx.entry, follow=False)
    entry = cache.load()
    after = fasthit.stamp(ctx.entry, follow=False)
    if before is None or before != after or entry is None or entry.credentials != credentials:
        return
    with contextlib.suppress(OSError, ValueError, ScribeAuthError):
        lifetime = credentials.lifetime
        seconds = lifetime.total_seconds() if lifetime is not None else 0.0
        record = fasthit.record(ctx, credentials.expires_at.timestamp(), seconds, before, document)
        cache.write_sidecar(fasthit.SUFFIX, record)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``scribeauth-credentials``.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).

    Returns:
        The exit code (see the module docstring for the table).
    """
    try:
        action, profile = _parse(sys.argv[1:] if argv is None else argv)
    except _UsageError as err:
        _say_error(f"{err}; {USAGE}")
        return _EXIT_USAGE
    undecodable = _undecodable(profile)
    if undecodable:
        _say_error(
            f"{undecodable} is not valid UTF-8 text; set it to the profile's name "
            "(check the terminal's encoding, LANG/LC_ALL)"
        )
        return _EXIT_USAGE if profile is not None else _EXIT_CONFIG
    if action == "help":
        sys.stdout.write(HELP)
        return 0
    if action == "version":
        from . import __version__

        sys.stdout.write(f"{PROG} {__version__}\n")
        return 0

    debug = _debug_enabled()
    if debug:
        _enable_debug_logging()
    from .errors import ScribeAuthError

    try:
        return _run(profile, debug=debug, disable_dumps=argv is None)
    except KeyboardInterrupt:
        _say_error("interrupted")
        return _EXIT_INTERRUPTED
    except ScribeAuthError as err:
        _say_error(str(err))
        return err.exit_code
    except Exception as err:  # noqa: BLE001 (the one place every failure becomes an exit code)
        if debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        _say_error(
            f"unexpected error ({type(err).__name__}); run again with SCRIBEAUTH_DEBUG=1 "
            "for details and report it"
        )
        return _EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
