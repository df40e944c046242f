"""The fault matrix: every Cognito call on the credential path x every fault the stack injects.

Each cell signs a user in (without faults), puts the cache in the state the operation needs,
makes the strict local stack fail that operation (``stack.faults.add``), then runs the real
executable the way a user or botocore does (a child process, no terminal): ``scribeauth login
--password-stdin`` for the sign-in calls, ``scribeauth-credentials`` for the refresh calls,
``scribeauth logout`` for RevokeToken. A *transient* fault fires once (fewer times than botocore's
5 attempts); a *persistent* one fires on every attempt.

Cells run in parallel, one local stack per worker; each worker's profile reaches its stack
through the AWS config ``services`` section, so no environment variable is shared.
:func:`check` is the contract every cell keeps. ``tests/test_faults.py`` asserts it cell by cell;
``benchmarks/fault_matrix.py`` prints the table the README quotes.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import queue
import stat
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from scribeauth.local.testing import command_line, isolated, profile_section

if TYPE_CHECKING:
    from scribeauth.cache import CacheEntry
    from scribeauth.credentials import Broker
    from scribeauth.local.stack import LocalStack

#: botocore's standard retry mode as ``scribeauth.clients`` configures it (``max_attempts: 4``
#: counts retries): a first try and up to 4 retries.
MAX_ATTEMPTS = 5
#: ``scribeauth.clients`` read timeout, seconds; a ``delay`` fault sleeps a second longer.
READ_TIMEOUT = 10
KINDS = ("throttle", "500", "delay", "reset", "truncate", "garble")
#: Faults botocore retries by itself (throttling, 5xx, timeouts, broken connections). A 200 whose
#: body is cut short or not JSON is not retried (botocore reads bodies with
#: ``enforce_content_length=False``): it fails at once as "unreadable reply; try again".
RETRIED = frozenset({"throttle", "500", "delay", "reset"})
#: The exit code of "Cognito unavailable, failing, timed out or throttled after retries".
EXIT_UNAVAILABLE = 6
DOCUMENTED_EXITS = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130})
#: ``scribeauth-credentials`` under its 20 s refresh deadline: 5 s read timeouts, and no attempt
#: started (or back-off slept) that could not end in time: a Cognito that never answers gets 3.
DEADLINE_ATTEMPTS = 3
USER = "alice"
COMMANDS = {
    "login": "scribeauth login",
    "credentials": "scribeauth-credentials",
    "logout": "scribeauth logout",
}


@dataclass(frozen=True)
class Operation:
    """One Cognito call on the credential path and the command that makes it.

    Attributes:
        name: the label in the table.
        stack_op: the operation as the stack records it (and as faults are keyed).
        flow: the AuthFlow the recorder counts it under, if any.
        command: ``login``, ``credentials`` or ``logout``.
        state: what the cache holds before the command runs (``signed-in``, ``expiring``,
            ``id-token-expiring``, ``no-identity``).
    """

    name: str
    stack_op: str
    flow: str | None
    command: str
    state: str


OPERATIONS = (
    Operation("InitiateAuth (SRP)", "InitiateAuth", "USER_SRP_AUTH", "login", "signed-in"),
    Operation("RespondToAuthChallenge", "RespondToAuthChallenge", None, "login", "signed-in"),
    Operation(
        "GetTokensFromRefreshToken", "GetTokensFromRefreshToken", None, "credentials",
        "id-token-expiring",
    ),
    Operation("GetId", "GetId", None, "credentials", "no-identity"),
    Operation("GetCredentialsForIdentity", "GetCredentialsForIdentity", None, "credentials",
              "expiring"),
    Operation("RevokeToken", "RevokeToken", None, "logout", "signed-in"),
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One cell: an operation, a fault kind, and whether the fault outlasts botocore's retries."""

    operation: Operation
    kind: str
    persistent: bool

    @property
    def id(self) -> str:
        op = self.operation.name.replace(" (", "-").replace(")", "")
        return f"{op}-{self.kind}-{'persistent' if self.persistent else 'transient'}"

    @property
    def times(self) -> int:
        return MAX_ATTEMPTS if self.persistent else 1

    @property
    def expected_exit(self) -> int:
        """0 when botocore's retries outlast the fault, else the service-unavailable code."""
        if not self.persistent and self.kind in RETRIED:
            return 0
        return EXIT_UNAVAILABLE

    @property
    def expected_attempts(self) -> int:
        """Requests of the operation the stack should see."""
        if self.kind not in RETRIED:
            return 1
        if self.kind == "delay" and self.persistent and self.operation.command == "credentials":
            return DEADLINE_ATTEMPTS
        return MAX_ATTEMPTS if self.persistent else 2

    @property
    def cost(self) -> float:
        """Rough seconds this cell takes (for scheduling the slow ones first)."""
        if self.kind == "delay":
            return (READ_TIMEOUT + 2.5) * self.times
        if self.kind not in RETRIED:
            return 0.4
        return 8.0 if self.persistent else 1.0


def cases(*, quick: bool = False) -> list[Case]:
    """Every cell; ``quick`` leaves out persistent delays (5 read timeouts, about a minute)."""
    found = []
    for operation in OPERATIONS:
        for kind in KINDS:
            for persistent in (False, True):
                if quick and persistent and kind == "delay":
                    continue
                found.append(Case(operation, kind, persistent))
    return found


@dataclass
class Outcome:
    """What one cell showed.

    Attributes:
        case: the cell.
        exit_code: the command's exit status.
        stdout: what it printed on stdout.
        stderr: what it printed on stderr.
        attempts: requests of the operation the stack saw during the command.
        cache_before: whether the cache loaded before the command.
        cache_after: whether it loads after.
        file_mode: the cache file's permission bits after (None when absent).
        dir_mode: the cache folder's permission bits after.
        temp_files: leftover ``*.tmp`` files in the cache folder after.
        seconds: the command's wall time.
        secrets: every secret the cell handled (password, tokens, secret keys).
        harness_error: set when the harness itself failed (not the command).
        debug: whether the command ran with debug logging (stderr then holds more lines).
    """

    case: Case
    exit_code: int = -1
    stdout: str = ""
    stderr: str = ""
    attempts: int = 0
    cache_before: bool = False
    cache_after: bool = False
    file_mode: int | None = None
    dir_mode: int | None = None
    temp_files: int = 0
    seconds: float = 0.0
    secrets: list[str] = field(default_factory=list, repr=False)
    harness_error: str | None = None
    debug: bool = False

    @property
    def problems(self) -> list[str]:
        """What this cell got wrong (empty when it behaved)."""
        return check(self)


def check(outcome: Outcome) -> list[str]:
    """The contract every cell must keep, as a list of violations."""
    case, found = outcome.case, []
    if outcome.harness_error:
        return [f"harness: {outcome.harness_error}"]
    if outcome.exit_code != case.expected_exit:
        found.append(f"exit {outcome.exit_code}, expected {case.expected_exit}")
    if outcome.exit_code not in DOCUMENTED_EXITS:
        found.append(f"undocumented exit {outcome.exit_code}")
    # --debug shows tracebacks by design; without it there must be none.
    if not outcome.debug and "Traceback" in outcome.stderr + outcome.stdout:
        found.append("traceback")
    if outcome.exit_code != 0:
        if outcome.stdout:
            found.append("stdout not empty on failure")
        lines = outcome.stderr.splitlines()
        if len(lines) != 1 and not outcome.debug:
            found.append(f"{len(lines)} stderr lines on failure")
        credentials = case.operation.command == "credentials"
        prefix = "scribeauth-credentials: " if credentials else "scribeauth: "
        if not any(line.startswith(prefix) for line in lines):
            found.append("no error line")
    elif not outcome.debug and outcome.stderr:
        found.append("stderr not empty on success")
    if case.operation.command == "credentials" and outcome.stdout:
        problem = version_1_problem(outcome.stdout)
        if problem:
            found.append(problem)
    expected_attempts = case.expected_attempts
    if outcome.attempts != expected_attempts:
        found.append(f"{outcome.attempts} attempts, expected {expected_attempts}")
    if case.operation.command == "logout":
        if outcome.cache_after:
            found.append("logout left the cache")
    elif outcome.cache_before and not outcome.cache_after:
        found.append("the cache no longer loads")
    if outcome.file_mode is not None and outcome.file_mode != 0o600:
        found.append(f"cache file mode {outcome.file_mode:o}")
    if outcome.dir_mode is not None and outcome.dir_mode != 0o700:
        found.append(f"cache folder mode {outcome.dir_mode:o}")
    if outcome.temp_files:
        found.append(f"{outcome.temp_files} temp files left")
    return found


def version_1_problem(stdout: str) -> str | None:
    """Why ``stdout`` is not exactly one credential_process Version 1 document (None if it is)."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return "stdout is not JSON"
    if not isinstance(document, dict) or document.get("Version") != 1:
        return "stdout is not a Version 1 document"
    for key in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"):
        if not isinstance(document.get(key), str) or not document[key]:
            return f"stdout lacks {key}"
    if not document["Expiration"].endswith("Z"):
        return "Expiration is not UTC with a Z"
    return None


def leaked(outcome: Outcome) -> list[str]:
    """Secrets found where they must not be: stderr always, stdout unless it is the document."""
    places = [outcome.stderr]
    if not (outcome.case.operation.command == "credentials" and outcome.exit_code == 0):
        places.append(outcome.stdout)
    else:
        # The document carries the AWS secret key by design, never a token or the password.
        document = json.loads(outcome.stdout)
        places.append(json.dumps({k: v for k, v in document.items() if k != "SecretAccessKey"}))
        places[-1] = places[-1].replace(document.get("SessionToken", ""), "")
    return [
        f"{secret[:6]}... in {'stderr' if i == 0 else 'stdout'}"
        for secret in outcome.secrets
        for i, place in enumerate(places)
        if secret and secret in place
    ]


# -- one cell ----------------------------------------------------------------------------------


def _cache_secrets(entry: CacheEntry | None) -> list[str]:
    if entry is None:
        return []
    found = []
    if entry.tokens is not None:
        found += [entry.tokens.id_token, entry.tokens.access_token, entry.tokens.refresh_token]
    if entry.credentials is not None:
        found += [entry.credentials.secret_access_key, entry.credentials.session_token]
    return [value for value in found if value]


def _prepare(stack: LocalStack, profile: str, state: str) -> Broker:
    """Signs the user in without faults and leaves the cache in ``state``; returns the broker."""
    from scribeauth.config import load_profile
    from scribeauth.credentials import Broker
    from scribeauth.models import AwsCredentials

    if state == "id-token-expiring":
        stack.token_lifetime = 240  # under the 5 minutes an id token must have left
    broker = Broker(load_profile(profile))
    broker.cache.delete()
    entry = broker.sign_in(password=stack.seed.users[USER].password)
    stack.token_lifetime = stack.default_token_lifetime
    creds = entry.credentials
    assert creds is not None
    soon = datetime.now(timezone.utc) + timedelta(minutes=2)
    expiring = AwsCredentials(
        creds.access_key_id, creds.secret_access_key, creds.session_token, soon
    )
    if state in ("expiring", "id-token-expiring"):
        broker.cache.save(entry.replace(credentials=expiring))
    elif state == "no-identity":
        broker.cache.save(entry.replace(identity_id=None, credentials=None))
    return broker


def run_case(
    case: Case, stack: LocalStack, profile: str, env: Mapping[str, str], *, debug: bool
) -> Outcome:
    """Runs one cell on ``stack`` (which nobody else uses meanwhile)."""
    outcome = Outcome(case, debug=debug)
    operation = case.operation
    try:
        stack.restore_defaults()
        broker = _prepare(stack, profile, operation.state)
        before = broker.cache.load()
        outcome.cache_before = before is not None
        outcome.secrets = [stack.seed.users[USER].password, *_cache_secrets(before)]
        stack.recorder.reset()
        stack.faults.add(
            operation.stack_op,
            case.kind,
            times=case.times,
            delay=READ_TIMEOUT + 1.0 if case.kind == "delay" else 0.0,
        )
        child_env = dict(env)
        if debug and operation.command == "credentials":
            child_env["SCRIBEAUTH_DEBUG"] = "1"
        password = stack.seed.users[USER].password + "\n" if operation.command == "login" else ""
        started = time.monotonic()
        result = subprocess.run(
            command_line(operation.command, profile, debug=debug),
            input=password,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=READ_TIMEOUT * (MAX_ATTEMPTS + 2) + 30,
            start_new_session=True,  # no controlling terminal, as under botocore
            check=False,
        )
        outcome.seconds = time.monotonic() - started
        stack.faults.clear()
        outcome.exit_code, outcome.stdout, outcome.stderr = (
            result.returncode,
            result.stdout,
            result.stderr,
        )
        outcome.attempts = stack.recorder.count(operation.stack_op, operation.flow)
        after = broker.cache.load()
        outcome.cache_after = after is not None
        outcome.secrets += [s for s in _cache_secrets(after) if s not in outcome.secrets]
        with contextlib.suppress(FileNotFoundError):
            outcome.file_mode = stat.S_IMODE(broker.cache.path.stat().st_mode)
        outcome.dir_mode = stat.S_IMODE(broker.cache.directory.stat().st_mode)
        # Only this profile's: other workers' saves may be in flight in the same folder.
        outcome.temp_files = len(
            list(broker.cache.directory.glob(f".{broker.cache.path.name}.*.tmp"))
        )
    except Exception as err:  # noqa: BLE001 (the harness reports, it does not stop the matrix)
        outcome.harness_error = f"{type(err).__name__}: {err}"
    finally:
        stack.faults.clear()
    return outcome


# -- the matrix --------------------------------------------------------------------------------


@contextlib.contextmanager
def stacks(count: int) -> Iterator[list[LocalStack]]:
    """``count`` running local stacks."""
    from scribeauth.local.stack import LocalStack

    with contextlib.ExitStack() as exits:
        yield [exits.enter_context(LocalStack()) for _ in range(count)]


def run_matrix(
    selected: Sequence[Case],
    root: Path,
    *,
    workers: int = 12,
    debug: bool = False,
) -> list[Outcome]:
    """Runs every case, ``workers`` at a time, each worker on its own stack.

    The calling process's environment must already be the isolated one
    (:func:`~scribeauth.local.testing.isolated` of ``root``): the in-process sign-ins read its
    AWS config file.

    Returns:
        The outcomes, in the order of ``selected``.
    """
    from scribeauth import clients

    env = dict(os.environ)
    config = Path(env["AWS_CONFIG_FILE"])
    config.parent.mkdir(parents=True, exist_ok=True)
    count = max(1, min(workers, len(selected)))
    with stacks(count) as running:
        names = [f"fm{index}" for index in range(count)]
        config.write_text(
            "".join(profile_section(n, s) for n, s in zip(names, running, strict=True))
        )
        clients.clear_cache()
        todo: queue.Queue[tuple[int, Case]] = queue.Queue()
        # The longest cells first, so no worker is left with a long one at the end.
        for index, case in sorted(enumerate(selected), key=lambda item: -item[1].cost):
            todo.put((index, case))
        results: dict[int, Outcome] = {}

        def work(stack: LocalStack, profile: str) -> None:
            while True:
                try:
                    index, case = todo.get_nowait()
                except queue.Empty:
                    return
                results[index] = run_case(case, stack, profile, env, debug=debug)

        threads = [
            threading.Thread(target=work, args=(stack, name), daemon=True)
            for stack, name in zip(running, names, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return [results[index] for index in range(len(selected))]


def estimated_seconds(selected: Sequence[Case], workers: int) -> float:
    """The wall time the longest-first schedule needs, from each cell's rough cost."""
    loads = [0.0] * max(1, workers)
    for case in sorted(selected, key=lambda c: -c.cost):
        heapq.heapreplace(loads, loads[0] + case.cost)
    return max(loads)


# -- the table ---------------------------------------------------------------------------------


def cell(outcome: Outcome | None) -> str:
    """``ok (2)``: exit 0 after 2 attempts; ``6 (4)``: exit 6 after 4; ``!`` marks a problem."""
    if outcome is None:
        return "-"
    if outcome.harness_error:
        return "harness error"
    shown = "ok" if outcome.exit_code == 0 else f"exit {outcome.exit_code}"
    return f"{shown} ({outcome.attempts})" + (" **!**" if outcome.problems else "")


def table(outcomes: Sequence[Outcome]) -> str:
    """The matrix as Markdown: rows are operations, columns fault kinds, each cell
    ``transient / persistent``."""
    found = {(o.case.operation.name, o.case.kind, o.case.persistent): o for o in outcomes}
    lines = [
        "| operation | command | " + " | ".join(KINDS) + " |",
        "| --- | --- |" + " --- |" * len(KINDS),
    ]
    for operation in OPERATIONS:
        cells = [
            f"{cell(found.get((operation.name, kind, False)))} / "
            f"{cell(found.get((operation.name, kind, True)))}"
            for kind in KINDS
        ]
        command = COMMANDS[operation.command]
        lines.append(f"| {operation.name} | {command} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_isolated(
    selected: Sequence[Case],
    root: Path,
    *,
    workers: int = 12,
    debug: bool = False,
    fast_retries: bool = True,
) -> list[Outcome]:
    """:func:`run_matrix` in an environment isolated under ``root`` (this process's is put back).

    ``fast_retries`` caps botocore's back-off between attempts at 0 (every attempt is still
    made); the benchmark script leaves it off to time what a user sees.
    """
    with isolated(root, fast_retries=fast_retries):
        return run_matrix(selected, root, workers=workers, debug=debug)
