"""The ``scribeauth`` command: argument parsing and exit codes only.

Each command lives in its own module (``session``: login, logout, status, forgot-password,
change-password; ``export``: export; ``run``: exec (also ``--server``), serve; ``request``;
``configure``; ``local``: demo, local-stack) and registers its parser here. The work is done by
the library; this package turns its values into lines of output and its errors into one line on
stderr and an exit code:

==== ==========================================================================
code meaning
==== ==========================================================================
0    success
1    unexpected error (run again with ``--debug`` and report it)
2    usage: a bad flag or argument
3    configuration: fix the profile (``scribeauth configure``) or a flag
4    sign-in required: run ``scribeauth login``
5    unauthorized: wrong password, code or token
6    Cognito unreachable, failing or throttling even after retries: try again later
7    Cognito answered in a way scribeauth cannot use (e.g. a pool does not exist)
8    the cache folder cannot be written
22   ``request``: the API answered with a non-2xx status (like ``curl --fail``)
126  ``exec``: the command cannot be run (not executable)
127  ``exec``: the command was not found
130  interrupted (Ctrl-C)
==== ==========================================================================

``exec`` otherwise exits with the command's own exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .. import __version__
from ..errors import ScribeAuthError
from .console import Console, debug_logging, mask_secrets, printable

__all__ = ["EXIT_HTTP_ERROR", "build_parser", "main"]

EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_HTTP_ERROR = 22
EXIT_INTERRUPTED = 130

_log = logging.getLogger("scribeauth.cli")
_WIDTH = 79  # --help paragraphs are wrapped here; the examples below them are kept as written

Handler = Callable[[argparse.Namespace, Console], int]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``scribeauth: <message>``, exit 2."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes the offending argument: a newline or an escape sequence in it must
        # not reach the terminal raw.
        line = printable(message)
        print(
            f"scribeauth: {line} (see: {printable(self.prog)} --help)", file=sys.stderr, flush=True
        )
        raise SystemExit(EXIT_USAGE)


def _profile_name(value: str) -> str:
    """``--profile``: a non-empty name that can be written to a file (UTF-8)."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "--profile must not be empty; name a profile (or leave the flag out for "
            "$AWS_PROFILE, else 'default')"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError(
            f"--profile {printable(value)!r} is not valid UTF-8 text; check the terminal's "
            "encoding (LANG/LC_ALL) and retype the name"
        ) from None
    return value


def _environment_problem() -> str | None:
    """A one-line complaint about ``AWS_PROFILE``/``AWS_DEFAULT_PROFILE``, or None."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        value = os.environ.get(name)
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return (
                f"{name} ({printable(value)!r}) is not valid UTF-8 text; set it to the "
                "profile's name (or unset it)"
            )
    return None


def add_command(
    subparsers: Any,
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str],
    common: argparse.ArgumentParser,
    handler: Handler,
) -> _Parser:
    """Adds one subcommand with its ``--help`` text and examples.

    Args:
        subparsers: the top-level parser's subcommands.
        name: the command name.
        summary: one line for the command list.
        description: the paragraph ``--help`` shows first.
        examples: command lines for the ``--help`` epilog (comments start with ``#``).
        common: the parent parser with the options every command takes.
        handler: ``handler(args, console) -> exit code``.
    """
    lines = "\n".join(f"  {example}" for example in examples)
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, width=_WIDTH),
        epilog=f"example{'s' if len(examples) > 1 else ''}:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.set_defaults(handler=handler)
    assert isinstance(parser, _Parser)
    return parser


def _common_options(*, top: bool) -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    # SUPPRESS: an option given before the command must survive the subcommand's defaults.
    default = None if top else argparse.SUPPRESS
    common.add_argument(
        "--profile",
        metavar="NAME",
        type=_profile_name,
        default=default,
        help="the profile to use (default: $AWS_PROFILE, else 'default')",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="log what happens to stderr (secrets masked); show tracebacks",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The ``scribeauth`` argument parser with every command registered."""
    from . import configure, devices, export, local, password, request, run, session

    parser = _Parser(
        prog="scribeauth",
        description=textwrap.fill(
            "Sign in to Scribe's Cognito user pool and use the temporary AWS credentials it "
            "gives in the standard AWS credential chain.",
            width=_WIDTH,
        ),
        epilog=(
            "examples:\n"
            "  scribeauth demo                          # the whole flow against a local stack\n"
            "  scribeauth configure --profile scribe    # write the profile into ~/.aws/config\n"
            "  scribeauth login --profile scribe        # sign in (password and MFA code)\n"
            "  aws sts get-caller-identity --profile scribe\n"
            "\n"
            "exit codes: 0 ok, 1 unexpected, 2 usage, 3 configuration, 4 sign-in required,\n"
            "5 unauthorized, 6 service unavailable, 7 unusable reply, 8 cache not writable,\n"
            "9 another process's refresh failed, 22 request: non-2xx reply,\n"
            "127 exec: command not found, 130 interrupted."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"scribeauth {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = _common_options(top=False)
    for module in (session, password, devices, export, run, request, configure, local):
        module.register(subparsers, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs ``scribeauth`` with ``argv`` (default ``sys.argv[1:]``) and returns the exit code."""
    if argv is None:
        # Run as the program (not called by a test or an embedding app): keep secrets out of
        # core files for the whole run.
        from ..coredump import disable

        disable()
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            if not getattr(args, "forward_unknown", False):
                parser.error(f"unrecognized arguments: {' '.join(map(repr, extra))}")
            args.args = [*args.args, *extra]
    except SystemExit as exit_:  # --help, --version, usage errors
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if getattr(args, "handler", None) is None:
        parser.print_usage(sys.stderr)
        print(
            "scribeauth: name a command (see: scribeauth --help; to try it out: scribeauth demo)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    problem = None if getattr(args, "profile", None) else _environment_problem()
    if problem is not None:
        print(f"scribeauth: {problem}", file=sys.stderr, flush=True)
        return EXIT_CONFIG
    debug = bool(getattr(args, "debug", False))
    if not debug:
        return _guarded(args, Console())
    with debug_logging() as mask:
        return _guarded(args, Console(debug=True, mask=mask))


def _guarded(args: argparse.Namespace, console: Console) -> int:
    """Runs the command; turns every error into one line on stderr and an exit code."""
    debug = console.debug
    try:
        handler: Handler = args.handler
        return handler(args, console)
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except ScribeAuthError as err:
        if debug:
            _log.debug("failed", exc_info=True)
        console.error(str(err) or type(err).__name__)
        return err.exit_code
    except BrokenPipeError:
        # Whoever read our stdout has gone (`| head`); say nothing more on it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as err:  # noqa: BLE001 - the last resort: one line, no traceback
        if debug:
            _log.debug("unexpected error", exc_info=True)
        detail = mask_secrets(f"{type(err).__name__}: {err}")
        hint = "" if debug else "; run again with --debug for details"
        console.error(f"unexpected error: {detail}{hint}")
        return 1
