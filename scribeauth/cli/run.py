"""``scribeauth exec`` (static keys, or ``--server``: a credentials endpoint) and ``scribeauth
serve``: the profile's AWS credentials for other programs."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .console import Console, printable
from .export import credential_environment
from .session import CliTerminal, broker_for, load

if TYPE_CHECKING:
    from ..config import Profile
    from ..credentials import Broker
    from ..errors import ScribeAuthError
    from ..models import AwsCredentials

__all__ = ["child_environment", "register"]

EXIT_USAGE = 2
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127
# Credentials the parent may hold that must not reach the child (they would be stale, win over
# what we hand it, or are not the child's to have), and variables that would make an SDK in the
# child look the profile up again (running our own credential_process) instead.
_DROPPED = frozenset(
    {
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    }
)
# SCRIBEAUTH_* variables a child may see (a scribeauth inside it finds the same files); every
# other one (the client secret above all) stays with us.
_KEPT = frozenset({"SCRIBEAUTH_CONFIG", "SCRIBEAUTH_CACHE_DIR", "SCRIBEAUTH_DEBUG"})
# Forwarded to the child. Ctrl-C (SIGINT) is not: the terminal sends it to the child's process
# group already, and a second one would be a double interrupt.
_FORWARDED = tuple(
    getattr(signal, name)
    for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)  # Windows has SIGTERM only
)


def child_environment(
    profile: Profile, environ: Mapping[str, str], variables: Mapping[str, str]
) -> dict[str, str]:
    """The child's environment: the parent's without stale credentials, profile lookups or
    ``SCRIBEAUTH_*`` secrets, plus the region, the profile's endpoints (``AWS_ENDPOINT_URL*``,
    when the parent sets none) and ``variables``."""
    from ..endpoints import configured_endpoints, endpoint_environment

    env = {
        key: value
        for key, value in environ.items()
        if key not in _DROPPED and (not key.startswith("SCRIBEAUTH_") or key in _KEPT)
    }
    env.update(endpoint_environment(configured_endpoints(profile.name, environ), environ))
    region = profile.signing_region
    env.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region})
    env.update(variables)
    return env


def _first_credentials(
    args: argparse.Namespace, console: Console, *, serving: bool = False
) -> tuple[Broker, AwsCredentials]:
    """The profile's Broker and credentials, signing in on the terminal when one is attached.

    A Broker that serves an endpoint says "using the cached credentials" at most once a minute:
    a child polling through a Cognito outage must not flood the terminal.
    """
    if serving:
        from ..credentials import Broker

        broker = Broker(load(args), terminal=CliTerminal(console), warn=_limited(console))
    else:
        broker = broker_for(load(args), console)
    with console.busy("Getting AWS credentials"):
        credentials = broker.credentials()
    console.secret(credentials.secret_access_key, credentials.session_token)
    return broker, credentials


def _limited(console: Console, every: float = 60.0) -> Callable[[str], None]:
    """``console.error`` at most once per ``every`` seconds."""
    import time

    last = [-every]
    lock = threading.Lock()

    def warn(text: str) -> None:
        with lock:
            now = time.monotonic()
            if now - last[0] < every:
                return
            last[0] = now
        console.error(text)

    return warn


def _reporter(console: Console) -> Callable[[ScribeAuthError], None]:
    """Prints each new endpoint failure once (a child retrying must not flood the terminal)."""
    last: list[str] = []
    lock = threading.Lock()

    def report(err: ScribeAuthError) -> None:
        message = str(err) or type(err).__name__
        with lock:
            if last and last[0] == message:
                return
            last[:] = [message]
        console.error(f"credentials endpoint: {message}")

    return report


def _server(broker: Broker, console: Console, host: str = "127.0.0.1", port: int = 0) -> Any:
    from ..container_server import CredentialsServer

    def source() -> AwsCredentials:
        credentials = broker.credentials(interactive=False)
        console.secret(credentials.secret_access_key, credentials.session_token)
        return credentials

    server = CredentialsServer(source, host=host, port=port, on_error=_reporter(console))
    console.secret(server.token)  # masked in --debug logs like every other secret
    return server


def run_command(args: argparse.Namespace, console: Console) -> int:
    from ..coredump import child_limits

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        console.error("exec: name a command to run, e.g. scribeauth exec -- aws s3 ls")
        return EXIT_USAGE
    name = printable(command[0])
    if os.sep not in command[0] and shutil.which(command[0]) is None:
        # Before asking for credentials: a typo should not cost a sign-in.
        console.error(f"{name}: command not found")
        return EXIT_NOT_FOUND
    broker, credentials = _first_credentials(args, console, serving=args.server)
    server = _server(broker, console).start() if args.server else None
    try:
        variables = (
            server.environment()
            if server is not None
            else credential_environment(broker.profile, credentials)
        )
        env = child_environment(broker.profile, os.environ, variables)
        try:
            with child_limits():
                child = subprocess.Popen(command, env=env)
        except FileNotFoundError:
            console.error(f"{name}: command not found")
            return EXIT_NOT_FOUND
        except PermissionError:
            console.error(f"{name}: permission denied")
            return EXIT_CANNOT_RUN
        except OSError as err:
            console.error(f"{name}: cannot run: {err.strerror}")
            return EXIT_CANNOT_RUN
        code = _wait(child)
    finally:
        if server is not None:
            server.stop()
    return 128 - code if code < 0 else code


def _wait(child: subprocess.Popen[bytes]) -> int:
    """Waits for the child, forwarding termination signals to it and ignoring Ctrl-C (which the
    terminal delivers to the child itself): the child decides, we pass its status on."""

    def forward(signum: int, _frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
    for signum in _FORWARDED:
        previous[signum] = signal.signal(signum, forward)
    try:
        return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve(args: argparse.Namespace, console: Console) -> int:
    from ..container_server import FULL_URI, TOKEN

    broker, _ = _first_credentials(args, console, serving=True)
    server = _server(broker, console, args.host, args.port)
    console.out(f"export {FULL_URI}={server.url}")
    console.out(f"export {TOKEN}={server.token}")
    console.info(
        f"Serving AWS credentials for profile '{broker.profile.name}' at {server.url} "
        "(Ctrl-C to stop). Consumers need the two variables above (and AWS_REGION / "
        f"AWS_DEFAULT_REGION={broker.profile.signing_region}) and no AWS_ACCESS_KEY_ID, "
        "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_PROFILE (those win). Docker on Linux: "
        f"docker run --network host -e {FULL_URI} -e {TOKEN} IMAGE (values from your "
        "environment, not the command line); Docker Desktop cannot reach the host's loopback."
    )

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        console.info("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    return 0


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"--port {printable(value)!r}: give a port number from 1 to 65535 (0: any free one)"
        )
    return port


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Adds exec and serve."""
    from . import add_command

    parser = add_command(
        subparsers,
        "exec",
        summary="run a command with the profile's AWS credentials in its environment",
        description=(
            "Run CMD with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, "
            "AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION set, and exit with "
            "CMD's exit code (127 when CMD is not found, 126 when it cannot be run). With "
            "--server, CMD gets no keys but AWS_CONTAINER_CREDENTIALS_FULL_URI and "
            "AWS_CONTAINER_AUTHORIZATION_TOKEN instead: a credentials endpoint on loopback, "
            "served by this process while CMD runs, so CMD never holds expired keys (for jobs "
            "that outlive the credentials). Either way CMD gets the profile's endpoint URLs as "
            "AWS_ENDPOINT_URL* (when none are set), and not AWS_PROFILE, the parent's own AWS "
            "credentials or SCRIBEAUTH_* secrets. SIGTERM and SIGHUP are passed on to CMD. Put "
            "-- before CMD."
        ),
        examples=[
            "scribeauth exec --profile scribe -- aws sts get-caller-identity",
            "scribeauth exec --profile scribe -- python my_script.py --verbose",
            "scribeauth exec --server --profile scribe -- python train.py   # runs for hours",
        ],
        common=common,
        handler=run_command,
    )
    parser.add_argument(
        "--server",
        action="store_true",
        help="serve credentials from a loopback endpoint instead of putting keys in CMD's "
        "environment (they never expire in CMD)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...")

    parser = add_command(
        subparsers,
        "serve",
        summary="serve the profile's credentials on a loopback endpoint (containers, services)",
        description=(
            "Serve the profile's AWS credentials as a container-credentials endpoint on "
            "loopback until Ctrl-C, refreshed as they near expiry. Prints the two variables a "
            "consumer needs (AWS_CONTAINER_CREDENTIALS_FULL_URI and "
            "AWS_CONTAINER_AUTHORIZATION_TOKEN, a fresh random token each run) on stdout; any "
            "AWS SDK or the AWS CLI given them (and no static keys) uses the endpoint. Requests "
            "without the token are refused."
        ),
        examples=[
            "scribeauth serve --profile scribe --port 9911",
            "# then, in the shell where the two printed lines were exported:",
            "docker run --network host -e AWS_CONTAINER_CREDENTIALS_FULL_URI "
            "-e AWS_CONTAINER_AUTHORIZATION_TOKEN IMAGE",
        ],
        common=common,
        handler=serve,
    )
    parser.add_argument("--port", type=_port, default=0, help="default: any free port")
    parser.add_argument(
        "--host", default="127.0.0.1", help="a loopback address: 127.0.0.1 (default) or ::1"
    )
