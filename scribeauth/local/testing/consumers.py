"""Three real AWS SDKs as the child of ``scribeauth exec --server``, calling the stack's gateway.

boto3, the AWS CLI and the AWS SDK for JavaScript v3 (``tests/js/container.mjs``) run side by
side in one ``sh -c`` child, each making ``calls`` STS GetCallerIdentity calls ``every`` seconds
apart with credentials from the container endpoint (no static keys in its environment), each
writing its own file. :func:`run_consumers` runs them and reads the files back as a
:class:`ConsumerRun`.

``tests/test_container_server.py`` asserts on it with short credential lifetimes;
``benchmarks/long_child.py`` prints it for the 200 s child against 90-second credentials.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scribeauth.local.testing import BIN, PROFILE, child_env, run

if TYPE_CHECKING:
    from scribeauth.local.stack import LocalStack

__all__ = [
    "BOTO3_LOOP",
    "CONSUMERS",
    "ROLE_TAIL",
    "SCRIBEAUTH",
    "ConsumerRun",
    "aws_cli",
    "json_lines",
    "node_for",
    "run_consumers",
    "scribeauth_env",
]

SCRIBEAUTH = shutil.which("scribeauth", path=str(BIN)) or "scribeauth"
#: How the gateway's GetCallerIdentity ARN ends for identity-pool credentials.
ROLE_TAIL = "/CognitoIdentityCredentials"
CONSUMERS = ("boto3", "cli", "js")

# A boto3 consumer: CALLS STS calls, INTERVAL seconds apart, one JSON line each, then a summary
# line (static key variables present, the credential method boto3 used).
BOTO3_LOOP = """
import json, os, sys, time
import boto3
calls, interval = int(sys.argv[1]), float(sys.argv[2])
session = boto3.Session()
sts = session.client("sts", endpoint_url=os.environ["STACK"])
failed = 0
for i in range(calls):
    if i:
        time.sleep(interval)
    try:
        arn = sts.get_caller_identity()["Arn"]
        key = session.get_credentials().get_frozen_credentials().access_key
        print(json.dumps({"Arn": arn, "AccessKeyId": key}), flush=True)
    except Exception as err:
        failed += 1
        print(json.dumps({"Error": repr(err)}), flush=True)
static = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
print(json.dumps({"static": [n for n in static if n in os.environ],
                  "method": session.get_credentials().method}), flush=True)
sys.exit(1 if failed else 0)
"""


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects a consumer printed, one a line (other lines skipped)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def scribeauth_env(stack: LocalStack, **extra: str) -> dict[str, str]:
    """The environment ``scribeauth`` runs in: :func:`child_env`, ``STACK`` (the consumers'
    STS endpoint), no AWS CLI pager."""
    env = child_env(STACK=stack.endpoint_url, AWS_PAGER="", **extra)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def aws_cli() -> str | None:
    """The AWS CLI installed beside this interpreter (the ``test`` extra), if any."""
    return shutil.which("aws", path=str(BIN))


def node_for(js_dir: Path) -> str | None:
    """``node``, with the SDK installed in ``js_dir`` (by npm, when missing); None without
    node or npm.

    Raises:
        RuntimeError: npm failed (its stderr).
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not (js_dir / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        install = subprocess.run(
            [npm, "install", "--prefix", str(js_dir), "--no-audit", "--no-fund",
             "--loglevel=error"],
            capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if install.returncode != 0:
            raise RuntimeError(f"npm install in {js_dir} failed: {install.stderr.strip()}")
    return node


def consumers_command(
    stack: LocalStack, *, cli: str, node: str, js_dir: Path, calls: int, every: float, out: Path
) -> str:
    """One shell command running the three consumers side by side, each writing into ``out``."""
    cli_loop = (
        f"i=0; while [ $i -lt {calls} ]; do [ $i -gt 0 ] && sleep {every}; "
        f"if {cli} sts get-caller-identity --endpoint-url {stack.endpoint_url} "
        f"--output json > {out}/cli.$i.json 2>> {out}/cli.err; then echo ok; else echo failed; "
        f"fi; i=$((i+1)); done > {out}/cli.txt"
    )
    js = js_dir / "container.mjs"
    return (
        f"{sys.executable} -c {shlex.quote(BOTO3_LOOP)} {calls} {every} > {out}/boto3.txt "
        f"2> {out}/boto3.err & "
        f"{node} {js} {stack.endpoint_url} {stack.seed.region} {calls} {every} > {out}/js.txt "
        f"2> {out}/js.err & ({cli_loop}) & wait"
    )


@dataclass(frozen=True)
class ConsumerRun:
    """What one ``exec --server`` run of the three consumers printed.

    Attributes:
        calls: the calls each consumer was to make.
        returncode: ``scribeauth exec``'s exit code (the child's).
        seconds: its wall time.
        replies: per consumer, one dict per call made: ``Arn`` (and, but for the CLI,
            ``AccessKeyId``) when the gateway verified it, else ``Error``.
        boto3_summary: boto3's last line: the static key variables it saw, its credential method.
        stderr: scribeauth's stderr and the consumers' (the last 2000 characters of each).
    """

    calls: int
    returncode: int
    seconds: float
    replies: dict[str, list[dict[str, Any]]]
    boto3_summary: dict[str, Any]
    stderr: dict[str, str] = field(repr=False)

    def verified(self, consumer: str) -> int:
        """Calls of ``consumer`` answered with the identity-pool role's ARN."""
        return sum(r.get("Arn", "").endswith(ROLE_TAIL) for r in self.replies[consumer])

    def credential_sets(self, consumer: str) -> int:
        """Distinct access keys ``consumer`` signed with (the CLI does not print its key: 0)."""
        return len({r["AccessKeyId"] for r in self.replies[consumer] if "AccessKeyId" in r})

    def problems(self) -> list[str]:
        """What went wrong, one line each: empty when every call of every consumer was verified
        and boto3 found the endpoint, not static keys."""
        found = [] if self.returncode == 0 else [f"exit {self.returncode}"]
        for consumer in CONSUMERS:
            made, ok = len(self.replies[consumer]), self.verified(consumer)
            if made != self.calls or ok != self.calls:
                found.append(f"{consumer}: {ok} of {made} calls verified, {self.calls} expected")
        if self.boto3_summary != {"static": [], "method": "container-role"}:
            found.append(f"boto3 saw {self.boto3_summary}")
        return found


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def run_consumers(
    stack: LocalStack,
    *,
    cli: str,
    node: str,
    js_dir: Path,
    calls: int,
    every: float,
    out: Path,
    timeout: float,
) -> ConsumerRun:
    """Runs ``scribeauth exec --server --profile scribe -- sh -c ...`` with the three consumers
    (the profile written and signed in beforehand); their files go into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    command = consumers_command(
        stack, cli=cli, node=node, js_dir=js_dir, calls=calls, every=every, out=out
    )
    argv = [SCRIBEAUTH, "exec", "--server", "--profile", PROFILE, "--", "sh", "-c", command]
    started = time.monotonic()
    result = run(argv, scribeauth_env(stack), timeout=timeout)
    seconds = time.monotonic() - started
    boto3 = json_lines(_read(out / "boto3.txt"))
    summary = boto3.pop() if boto3 and "method" in boto3[-1] else {}
    cli_replies = []
    for i, status in enumerate(_read(out / "cli.txt").split()):
        reply = json.loads(_read(out / f"cli.{i}.json") or "{}")
        cli_replies.append(reply if status == "ok" and "Arn" in reply else {"Error": status})
    stderr = {"scribeauth": result.stderr[-2000:]}
    stderr.update({name: _read(out / f"{name}.err")[-2000:] for name in CONSUMERS})
    return ConsumerRun(
        calls=calls,
        returncode=result.returncode,
        seconds=seconds,
        replies={"boto3": boto3, "cli": cli_replies, "js": json_lines(_read(out / "js.txt"))},
        boto3_summary=summary,
        stderr=stderr,
    )
