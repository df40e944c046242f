"""scribeauth benchmarks: every figure measured side by side in one run, printed with its ratio.

Usage::

    python benchmarks/run.py              # or: tox -e bench
    python benchmarks/run.py --runs 31    # more alternating runs per command

What it measures, against a strict local stack it starts itself (no network, no account):

1. the ``scribeauth-credentials --profile NAME`` cache-hit wall time (the installed console
   script, and ``python -m scribeauth.credential_process``), as ratios to the same interpreter
   running ``pass`` and running ``import boto3`` (the floor of a Python helper built on boto3):
   medians of alternating runs (target: hit <= 1.1x bare);
2. the peak RSS of those processes (``os.wait4``; target: hit <= bare + 5 MiB);
3. upstream calls at the stack: 0 on a hit, 1 with a valid id token, 2 otherwise, GetId never
   after sign-in;
4. 16 ``scribeauth-credentials`` processes racing at expiry: one refresh, identical output;
5. a warm in-process provider's ``get_frozen_credentials()`` against botocore's own
   ``RefreshableCredentials`` (timeit; target: <= 1.1x).

When the cache hit misses its target, the modules it imports beyond the bare interpreter are
listed by import time (``python -X importtime``), slowest first.

Targets are printed as PASS or MISS next to each figure; the script exits 0 unless something
crashed. Child processes run without ``PYTHONDONTWRITEBYTECODE`` so that every command uses
compiled bytecode, as an installed package does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scribeauth.local.testing import (
    PROFILE,
    calls,
    expire_soon,
    isolated,
    process_command,
    signed_in,
    start_process,
    write_profile,
)

RACERS = 16
HIT_TARGET = 1.10
RSS_TARGET_KIB = 5 * 1024
PROVIDER_TARGET = 1.10


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- the stack -------------------------------------------------------------------------------------


@contextmanager
def local_stack() -> Iterator[Any]:
    try:
        from scribeauth.local.stack import LocalStack
    except ImportError as err:
        sys.exit(f"benchmarks need the local stack: pip install 'scribeauth[local]' ({err})")
    with LocalStack() as stack:
        os.environ["AWS_ENDPOINT_URL"] = stack.endpoint_url
        yield stack


# -- child processes -----------------------------------------------------------------------------


# Runs each measured command and reports its wall time, exit status and peak RSS. It is a
# small process of its own because Linux carries a process's peak RSS across fork and exec:
# children of this process (moto and botocore loaded) would all report its size instead.
_LAUNCHER = """
import json, os, sys, time
null = os.open(os.devnull, os.O_RDWR)
actions = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
for line in sys.stdin:
    argv = json.loads(line)
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    print(json.dumps([elapsed, os.waitstatus_to_exitcode(status), usage.ru_maxrss]), flush=True)
"""


class Launcher:
    """A small long-lived process that runs commands for :func:`measure`."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ,
        )

    def run(self, argv: Sequence[str]) -> tuple[float, int, int]:
        """(wall seconds, exit status, peak RSS KiB) of one run of ``argv``, output discarded."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps(list(argv)) + "\n")
        self._process.stdin.flush()
        elapsed, status, peak = json.loads(self._process.stdout.readline())
        return float(elapsed), int(status), int(peak)

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)
        assert self._process.stdout is not None
        self._process.stdout.close()


def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, timeout=120
    )


def measure(commands: dict[str, list[str]], rounds: int) -> dict[str, tuple[float, int]]:
    """Median wall time and median peak RSS per command, over ``rounds`` alternating rounds."""
    launcher = Launcher()
    try:
        for argv in commands.values():  # warm up: bytecode written, files in the page cache
            for _ in range(2):
                launcher.run(argv)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        rss: dict[str, list[int]] = {name: [] for name in commands}
        names = list(commands)
        for index in range(rounds):
            # Rotate, and reverse every other round: no command always runs first or last.
            shift = index % len(names)
            order = names[shift:] + names[:shift]
            if index % 2:
                order.reverse()
            for name in order:
                elapsed, code, peak = launcher.run(commands[name])
                if code != 0:
                    raise RuntimeError(f"{name} exited {code}")
                walls[name].append(elapsed)
                rss[name].append(peak)
    finally:
        launcher.close()
    return {
        name: (statistics.median(walls[name]), int(statistics.median(rss[name])))
        for name in commands
    }


def import_profile(argv: Sequence[str], bare: Sequence[str]) -> list[tuple[int, str]]:
    """Modules ``argv`` imports beyond ``bare``, with their own import time (us), slowest first."""

    def modules(command: Sequence[str]) -> dict[str, int]:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", *command[1:]]
            if command[0] == sys.executable
            else [sys.executable, "-X", "importtime", *command],
            capture_output=True,
            text=True,
            check=False,
        )
        found = {}
        for line in result.stderr.splitlines():
            if line.startswith("import time:") and "self [us]" not in line:
                own, _, name = line.split(":", 1)[1].split("|")
                found[name.strip()] = int(own)
        return found

    base = modules(bare)
    return sorted(
        ((own, name) for name, own in modules(argv).items() if name not in base), reverse=True
    )


# -- the sections ----------------------------------------------------------------------------------


def wall_and_rss(stack: Any, rounds: int) -> list[str]:
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "scribeauth-credentials (cache hit)": process_command(),
        "python -m scribeauth.credential_process (hit)": [
            python,
            "-m",
            "scribeauth.credential_process",
            "--profile",
            PROFILE,
        ],
        'python -c "import boto3"': [python, "-c", "import boto3"],
    }
    # A real hit: the Version 1 document, nothing on stderr, no request to the stack.
    for name in (
        "scribeauth-credentials (cache hit)",
        "python -m scribeauth.credential_process (hit)",
    ):
        result = run(commands[name])
        document = json.loads(result.stdout)
        if result.returncode != 0 or document.get("Version") != 1 or result.stderr:
            raise RuntimeError(f"{name} is not a clean hit: {result.stderr.strip()}")
    stack.recorder.reset()
    figures = measure(commands, rounds)
    if calls(stack):
        raise RuntimeError(f"cache hits called Cognito: {calls(stack)}")
    bare_wall, bare_rss = figures["python -c pass"]
    boto_wall, _ = figures['python -c "import boto3"']
    width = max(map(len, commands))
    lines = [
        f"Wall time and peak RSS: medians of {rounds} alternating runs each "
        "(same interpreter, no flags)",
        f"  {'command':<{width}}  {'wall':>8}  {'/ bare':>7}  {'/ boto3':>7}  "
        f"{'peak RSS':>9}  {'- bare':>8}",
    ]
    misses = []
    for name, (wall, peak) in figures.items():
        ratio, extra = wall / bare_wall, peak - bare_rss
        marks = ""
        if "hit" in name:
            ok_wall, ok_rss = ratio <= HIT_TARGET, extra <= RSS_TARGET_KIB
            marks = (
                f"  wall {verdict(ok_wall)} (<= {HIT_TARGET:.2f}x), "
                f"RSS {verdict(ok_rss)} (<= +5 MiB)"
            )
            if not ok_wall:
                misses.append(commands[name])
        lines.append(
            f"  {name:<{width}}  {wall * 1000:6.1f} ms  {ratio:6.2f}x  {wall / boto_wall:6.2f}x  "
            f"{peak / 1024:6.1f} MiB  {extra / 1024:+5.1f} MiB{marks}"
        )
    if misses:
        slowest = import_profile(misses[0], commands["python -c pass"])
        total = sum(own for own, _ in slowest) / 1000
        shown = ", ".join(f"{name} {own / 1000:.1f}" for own, name in slowest[:10])
        lines.append(
            f"  The hit imports {len(slowest)} modules beyond the bare interpreter, "
            f"{total:.1f} ms by -X importtime; slowest (ms): {shown}"
        )
    return lines


def upstream_calls(stack: Any) -> list[str]:
    lines = ["Upstream calls at the stack, per scribeauth-credentials run"]
    command = process_command()

    def calls_for(setup: Callable[[], None]) -> list[str]:
        setup()
        stack.recorder.reset()
        result = run(command)
        if result.returncode != 0:
            raise RuntimeError(f"scribeauth-credentials failed: {result.stderr.strip()}")
        return calls(stack)

    def fresh_tokens_short_id() -> None:
        stack.token_lifetime = 240  # the id token has under the 5 minutes it must have left
        signed_in(stack)
        stack.token_lifetime = stack.default_token_lifetime
        expire_soon(stack)

    cases = [
        ("cache hit", lambda: None, 0),
        ("credentials expiring, id token valid", lambda: expire_soon(stack), 1),
        ("credentials expiring, id token expiring", fresh_tokens_short_id, 2),
    ]
    get_ids = 0
    for label, setup, target in cases:
        made = calls_for(setup)
        get_ids += made.count("GetId")
        shown = " + ".join(made) or "none"
        lines.append(
            f"  {label:<40} {len(made)} ({shown})  {verdict(len(made) == target)} (= {target})"
        )
    lines.append(f"  {'GetId after sign-in':<40} {get_ids}  {verdict(get_ids == 0)} (= 0)")
    return lines


def race(stack: Any) -> list[str]:
    expire_soon(stack)
    stack.recorder.reset()
    children = [start_process() for _ in range(RACERS)]
    outputs = [child.communicate(timeout=120) for child in children]
    ok = sum(child.returncode == 0 for child in children)
    documents = {out for out, _ in outputs if out}
    refreshes = stack.recorder.count("GetCredentialsForIdentity")
    good = ok == RACERS and len(documents) == 1 and refreshes == 1
    return [
        f"{RACERS} scribeauth-credentials processes at expiry",
        f"  {refreshes} refresh (GetCredentialsForIdentity), {ok}/{RACERS} exit 0, "
        f"{len(documents)} distinct document(s) printed  {verdict(good)} (1 refresh, 1 document)",
    ]


def provider_overhead(repeats: int) -> list[str]:
    from botocore.credentials import RefreshableCredentials

    from scribeauth.provider import ScribeCredentialProvider

    ours: Any = ScribeCredentialProvider(PROFILE).load()
    frozen = ours.get_frozen_credentials()  # the first call fetches (a cache hit, no network)
    expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    theirs: Any = RefreshableCredentials.create_from_metadata(
        {
            "access_key": frozen.access_key,
            "secret_key": frozen.secret_key,
            "token": frozen.token,
            "expiry_time": expiry,
        },
        refresh_using=lambda: {},
        method="custom-process",
    )
    # For reference, botocore's class with scribeauth's state: the same expiry object and the
    # same aware-UTC clock (botocore's default clock reads the local zone through dateutil's
    # tzlocal on every call, which is most of its cost).
    like = RefreshableCredentials(
        frozen.access_key,
        frozen.secret_key,
        frozen.token,
        ours._expiry_time,
        refresh_using=lambda: {},
        method="custom-process",
        time_fetcher=ours._time_fetcher,
    )
    number = 20000
    subjects = {"scribeauth": ours, "botocore": theirs, "botocore-utc": like}
    timings: dict[str, list[float]] = {name: [] for name in subjects}
    names = list(subjects)
    for index in range(repeats):
        order = names[index % 3 :] + names[: index % 3]
        for name in reversed(order) if index % 2 else order:
            elapsed = timeit.timeit(subjects[name].get_frozen_credentials, number=number)
            timings[name].append(elapsed / number)
    per_call = {name: statistics.median(values) for name, values in timings.items()}
    ratio = per_call["scribeauth"] / per_call["botocore"]
    same = per_call["scribeauth"] / per_call["botocore-utc"]
    return [
        f"In-process get_frozen_credentials(), warm: medians of {repeats} x {number} calls",
        f"  scribeauth provider                        {per_call['scribeauth'] * 1e6:6.2f} us",
        f"  botocore RefreshableCredentials            {per_call['botocore'] * 1e6:6.2f} us"
        f"  scribeauth / botocore: {ratio:.2f}x  {verdict(ratio <= PROVIDER_TARGET)} "
        f"(<= {PROVIDER_TARGET:.2f}x)",
        f"  botocore RefreshableCredentials with scribeauth's expiry and clock "
        f"{per_call['botocore-utc'] * 1e6:.2f} us: {same:.2f}x (for reference)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="scribeauth benchmarks (prints ratios)")
    parser.add_argument("--runs", type=int, default=21, help="alternating runs per command (21)")
    args = parser.parse_args(argv)
    if args.runs < 15:
        parser.error("--runs must be at least 15")
    print(
        f"scribeauth benchmarks: Python {platform.python_version()} "
        f"({sys.executable}), {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    )
    # Real retry back-off, and compiled bytecode as an installed package uses.
    with (
        tempfile.TemporaryDirectory(prefix="scribeauth-bench-") as tmp,
        isolated(Path(tmp), fast_retries=False, keep_bytecode_setting=False),
        local_stack() as stack,
    ):
        write_profile(stack)
        signed_in(stack)
        sections: list[Callable[[], list[str]]] = [
            lambda: wall_and_rss(stack, args.runs),
            lambda: upstream_calls(stack),
            lambda: race(stack),
            lambda: provider_overhead(9),
        ]
        for section in sections:
            print()
            print("\n".join(section()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
