"""The installed executables (``scribeauth``, ``python -m scribeauth.cli``, the AWS CLI) against
the local stack, in fresh processes with no terminal (``start_new_session``).

Includes the issue's must-show: ``scribeauth configure`` and ``scribeauth login`` alone take a
person to a verified ``aws sts get-caller-identity --profile scribe``; and ``scribeauth demo``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest

from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import BIN, child_env
from scribeauth.local.testing import run as run_child

SCRIBEAUTH = shutil.which("scribeauth", path=str(BIN))
AWS = shutil.which("aws", path=str(BIN))


def run(
    argv: list[str], *, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """No controlling terminal: nothing may prompt. The venv's bin first on PATH."""
    environ = (
        child_env() if env is None else dict(env, PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    )
    return run_child(argv, environ, timeout, stdin=stdin)


def configure_argv(stack: LocalStack, profile: str, username: str) -> list[str]:
    seed = stack.seed
    return [
        "configure",
        "--profile",
        profile,
        "--client-id",
        seed.public_client_id,
        "--user-pool-id",
        seed.user_pool_id,
        "--identity-pool-id",
        seed.identity_pool_id,
        "--username",
        username,
        "--region",
        seed.region,
    ]


def test_the_executables_are_installed() -> None:
    assert SCRIBEAUTH is not None
    assert AWS is not None
    result = run([SCRIBEAUTH, "--version"])
    assert (result.returncode, result.stdout.strip()) == (0, "scribeauth 2.0.0")
    result = run([sys.executable, "-m", "scribeauth.cli", "--version"])
    assert (result.returncode, result.stdout.strip()) == (0, "scribeauth 2.0.0")


@pytest.mark.slow
def test_configure_and_login_alone_give_a_verified_aws_cli_call(stack: LocalStack) -> None:
    """The must-show: from nothing to `aws sts get-caller-identity --profile scribe`."""
    assert SCRIBEAUTH is not None
    assert AWS is not None
    bob = stack.seed.users["bob"]
    assert bob.totp_secret is not None

    result = run([SCRIBEAUTH, *configure_argv(stack, "scribe", "bob")])
    assert result.returncode == 0, result.stderr
    code = pyotp.TOTP(bob.totp_secret).at(stack.now())
    login = [SCRIBEAUTH, "login", "--profile", "scribe", "--password-stdin", "--mfa-code", code]
    result = run(login, stdin=bob.password + "\n")
    assert result.returncode == 0, result.stderr
    assert "Signed in to profile 'scribe' as bob" in result.stdout
    assert bob.password not in result.stdout + result.stderr

    # The AWS CLI finds the endpoint only on its command line; credentials come from the
    # profile's credential_process (a cache hit), and the stack verifies the SigV4 signature.
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    stack.recorder.reset()
    argv = [AWS, "sts", "get-caller-identity", "--profile", "scribe"]
    result = run([*argv, "--endpoint-url", stack.endpoint_url, "--output", "json"], env=env)
    assert result.returncode == 0, result.stderr
    identity = json.loads(result.stdout)
    assert identity["Arn"].startswith("arn:aws:sts::")
    assert identity["Arn"].endswith("/CognitoIdentityCredentials")
    assert stack.recorder.count("GetCallerIdentity") == 1
    assert stack.recorder.count("InitiateAuth") == 0  # the credential_process hit the cache


def test_login_status_export_request_logout_through_the_executable(stack: LocalStack) -> None:
    assert SCRIBEAUTH is not None
    alice = stack.seed.users["alice"]
    assert run([SCRIBEAUTH, *configure_argv(stack, "p", "alice")]).returncode == 0

    result = run([SCRIBEAUTH, "login", "--profile", "p", "--password-stdin"], stdin="bad\n")
    assert result.returncode == 5
    assert result.stderr.startswith("scribeauth: ")
    assert len(result.stderr.strip().splitlines()) == 1

    result = run([SCRIBEAUTH, "login", "--profile", "p", "--password-stdin"], stdin=alice.password)
    assert result.returncode == 0, result.stderr

    result = run([SCRIBEAUTH, "status", "--profile", "p", "--json"])
    assert result.returncode == 0
    assert json.loads(result.stdout)["username"] == "alice"

    result = run([SCRIBEAUTH, "export", "--profile", "p", "--format", "json"])
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["Version"] == 1
    assert document["SecretAccessKey"] not in run([SCRIBEAUTH, "status", "--profile", "p"]).stdout

    url = stack.endpoint_url + "/prod/echo"
    result = run([SCRIBEAUTH, "request", "--profile", "p", "-d", "@-", url], stdin="payload")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["body"] == "payload"
    assert result.stderr == ""  # no spinner when stderr is not a terminal

    result = run([SCRIBEAUTH, "exec", "--profile", "p", "--", "sh", "-c", "exit 42"])
    assert result.returncode == 42

    result = run([SCRIBEAUTH, "logout", "--profile", "p"])
    assert result.returncode == 0
    result = run([SCRIBEAUTH, "export", "--profile", "p"])
    assert result.returncode == 4
    assert "scribeauth login --profile p" in result.stderr
    assert result.stdout == ""


def test_ctrl_c_exits_130_without_a_traceback(stack: LocalStack) -> None:
    assert SCRIBEAUTH is not None
    assert run([SCRIBEAUTH, *configure_argv(stack, "p", "alice")]).returncode == 0
    stack.faults.add("InitiateAuth", "delay", times=1, delay=5.0)
    with subprocess.Popen(
        [SCRIBEAUTH, "login", "--profile", "p", "--password-stdin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            assert process.stdin is not None
            process.stdin.write(stack.seed.users["alice"].password + "\n")
            process.stdin.close()
            deadline = time.monotonic() + 20
            while stack.recorder.count("InitiateAuth") == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            assert process.wait(timeout=30) == 130
        finally:
            process.kill()
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.read() == ""
        assert process.stderr.read().strip() == "scribeauth: interrupted"


def test_demo_runs_every_step_and_cleans_up(tmp_path: Path) -> None:
    assert SCRIBEAUTH is not None
    env = dict(os.environ, TMPDIR=str(tmp_path))
    result = run([SCRIBEAUTH, "demo"], env=env, timeout=110)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for number in range(1, 8):
        assert f"[{number}/7] " in out
    assert "FAILED" not in out
    assert "Signed in as bob with SRP and a TOTP MFA code" in out
    assert "POST /prod/echo -> 200" in out
    assert "assumed-role/" in out
    assert "same access key id: yes" in out
    # The cache hit made no Cognito call at all.
    last = out.split("[7/7]", 1)[1]
    assert "InitiateAuth 0, RespondToAuthChallenge 0, GetId 0, GetCredentialsForIdentity 0" in last
    assert "Done in" in out
    assert not any(tmp_path.glob("scribeauth-demo-*"))  # the temp folder is gone
    # Never a secret: the seeded password and anything shaped like a secret key or token.
    assert "Passw0rd" not in out
    assert "SecretAccessKey" not in out
    assert "eyJ" not in out


def test_local_stack_serves_until_ctrl_c() -> None:
    assert SCRIBEAUTH is not None
    with subprocess.Popen(
        [SCRIBEAUTH, "local-stack", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("Scribe local stack listening on http://127.0.0.1:")
            url = first.rsplit(" ", 1)[1].strip()
            host, port = url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port)), timeout=5):
                pass
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
        finally:
            process.kill()
