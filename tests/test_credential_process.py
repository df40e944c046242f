"""``scribeauth-credentials`` as botocore runs it: a child process with no stdin and no terminal.

What stdout carries (only the Version 1 JSON), what a failure looks like (one stderr line, the
documented exit code), what a cache hit imports (the standard library only), and what 16
processes racing at expiry cost upstream (one refresh).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from scribeauth.credential_process import main
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    PROFILE,
    broker,
    calls,
    child_env,
    expire_soon,
    process_command,
    run,
    signed_in,
    stack_clock,
    start_process,
    write_profile,
)

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

SIGN_IN_AGAIN = (
    "scribeauth-credentials: no valid session for profile 'scribe'; "
    "run: scribeauth login --profile scribe\n"
)
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("scribeauth-credentials: ")
    assert "Traceback" not in result.stderr
    return result.stderr


def test_cache_hit_prints_only_the_version_1_document(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert list(document) == [
        "Version",
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ]
    assert document["Version"] == 1
    assert document["AccessKeyId"] == entry.credentials.access_key_id
    assert document["SecretAccessKey"] == entry.credentials.secret_access_key
    assert document["SessionToken"] == entry.credentials.session_token
    assert RFC3339_Z.match(document["Expiration"])
    expiration = datetime.fromisoformat(document["Expiration"].replace("Z", "+00:00"))
    assert abs((expiration - entry.credentials.expires_at).total_seconds()) < 1
    assert stack.recorder.requests == []


def test_cache_hit_imports_only_the_standard_library(stack: LocalStack) -> None:
    signed_in(stack)
    probe = (
        "import sys, io, contextlib\n"
        "from scribeauth.credential_process import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    rc = main(['--profile', 'scribe'])\n"
        "third = {'botocore', 'boto3', 'yaml', 'urllib3', 'dateutil', 's3transfer', 'jmespath'}\n"
        "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in third))\n"
        "print(sorted(m for m in sys.modules if m.startswith('scribeauth')))\n"
    )
    result = run([sys.executable, "-c", probe])
    assert result.returncode == 0, result.stderr
    status, ours = result.stdout.splitlines()
    assert status == "0 []"
    # None of the network-side modules either.
    for module in ("identity_pool", "login", "user_pool", "clients", "provider", "prompt"):
        assert f"scribeauth.{module}" not in ours
    assert stack.recorder.requests == []


def test_profile_from_aws_profile(stack: LocalStack) -> None:
    signed_in(stack)
    command = [c for c in process_command() if c not in ("--profile", PROFILE)]
    result = run(command, child_env(AWS_PROFILE=PROFILE))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1


def test_refresh_with_a_valid_id_token_costs_one_call(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    expire_soon(stack)
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] != entry.credentials.access_key_id
    assert calls(stack) == ["GetCredentialsForIdentity"]


def test_refresh_with_an_expiring_id_token_costs_two_calls(stack: LocalStack) -> None:
    stack.token_lifetime = 240  # under the 5 minutes an id token must have left
    signed_in(stack)
    expire_soon(stack)
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert calls(stack) == ["GetTokensFromRefreshToken", "GetCredentialsForIdentity"]
    assert stack.recorder.count("GetTokensFromRefreshToken") == 1


def test_sixteen_racers_at_expiry_refresh_once(stack: LocalStack) -> None:
    signed_in(stack)
    expire_soon(stack)
    children = [start_process() for _ in range(16)]
    outputs = [child.communicate(timeout=90) for child in children]
    assert [child.returncode for child in children] == [0] * 16, [err for _, err in outputs]
    keys = {json.loads(out)["AccessKeyId"] for out, _ in outputs}
    assert len(keys) == 1
    assert stack.recorder.count("GetCredentialsForIdentity") == 1
    assert stack.recorder.count("InitiateAuth") == 0
    assert stack.recorder.count("GetId") == 0


def test_no_session_and_no_terminal_fails_at_once(stack: LocalStack) -> None:
    started = time.monotonic()
    result = run(process_command())
    assert time.monotonic() - started < 20
    assert result.returncode == 4
    assert one_line_error(result) == SIGN_IN_AGAIN
    assert stack.recorder.requests == []


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 99, "fingerprint": "abc"}'],
    ids=["corrupt", "foreign-format"],
)
def test_unusable_cache_counts_as_absent(stack: LocalStack, content: bytes) -> None:
    cache = broker(stack).cache
    cache.directory.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(content)
    result = run(process_command())
    assert result.returncode == 4
    assert one_line_error(result) == SIGN_IN_AGAIN
    assert cache.path.read_bytes() == content


def test_unusable_cache_is_rewritten_by_the_next_sign_in(stack: LocalStack) -> None:
    cache = broker(stack).cache
    cache.directory.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(b"\x00garbage")
    signed_in(stack)
    assert cache.load() is not None
    result = run(process_command())
    assert result.returncode == 0, result.stderr


def test_unknown_profile(stack: LocalStack) -> None:
    result = run(process_command("nobody"))
    assert result.returncode == 3
    message = one_line_error(result)
    assert "'nobody' not found" in message
    assert "scribeauth configure --profile nobody" in message


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("scribe_identity_pool_id", "scribe_identity_pool_id"),
        ("scribe_client_id", "scribe_client_id"),
        ("scribe_user_pool_id", "scribe_user_pool_id"),
    ],
)
def test_missing_setting(stack: LocalStack, missing: str, named: str) -> None:
    write_profile(stack, omit=(missing,))
    result = run(process_command())
    assert result.returncode == 3
    assert named in one_line_error(result)


def test_invalid_setting(stack: LocalStack) -> None:
    write_profile(stack, extra={"scribe_user_pool_id": "not-a-pool"})
    result = run(process_command())
    assert result.returncode == 3
    assert "scribe_user_pool_id" in one_line_error(result)


def test_identity_pool_that_does_not_exist(stack: LocalStack) -> None:
    signed_in(stack)
    missing = f"{stack.seed.region}:22222222-2222-4222-8222-222222222222"
    write_profile(stack, extra={"scribe_identity_pool_id": missing})
    result = run(process_command())
    assert result.returncode == 7
    assert missing in one_line_error(result)


def test_service_unavailable(stack: LocalStack) -> None:
    signed_in(stack)
    expire_soon(stack)
    stack.faults.add("GetCredentialsForIdentity", "garble", times=1)
    result = run(process_command())
    assert result.returncode == 6
    assert "try again" in one_line_error(result)


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--bogus"], 2), (["--profile"], 2), (["--profile", ""], 2), (["extra"], 2)],
)
def test_bad_usage(args: list[str], code: int) -> None:
    result = run([*process_command()[:-2], *args])
    assert result.returncode == code
    assert "usage: scribeauth-credentials" in one_line_error(result)


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("scribeauth-credentials 2.")
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert "credential_process = scribeauth-credentials --profile scribe" in shown
    assert "4 sign-in required" in shown


def test_interrupted_while_waiting_exits_130(stack: LocalStack) -> None:
    signed_in(stack)
    expire_soon(stack)
    cache = broker(stack).cache
    with cache.lock():  # another refresh in progress: the child waits for the lock
        # A signal that lands while the interpreter is still starting proves nothing (Python
        # itself dies of it); give the child longer each time until it is inside main().
        for wait in (1.0, 3.0, 8.0):
            child = start_process()
            try:
                time.sleep(wait)
                assert child.poll() is None, child.communicate()
                child.send_signal(signal.SIGINT)
                out, err = child.communicate(timeout=30)
            finally:
                if child.poll() is None:  # never leave it waiting to refresh in a later test
                    child.kill()
                    child.wait()
            if child.returncode != -signal.SIGINT:
                break
    assert child.returncode == 130
    assert out == ""
    assert err == "scribeauth-credentials: interrupted\n"
    assert stack.recorder.requests == []


def test_debug_log_shows_no_secret(stack: LocalStack) -> None:
    stack.token_lifetime = 240
    entry = signed_in(stack)
    assert entry.tokens is not None
    expire_soon(stack)
    result = run(process_command(), child_env(SCRIBEAUTH_DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert "debug" in result.stderr
    fresh = json.loads(result.stdout)
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.tokens is not None
    secrets = [
        fresh["SecretAccessKey"],
        fresh["SessionToken"],
        saved.tokens.id_token,
        saved.tokens.access_token,
        entry.tokens.id_token,
        entry.tokens.refresh_token or "",
    ]
    for secret in secrets:
        assert secret
        assert secret not in result.stderr
    assert calls(stack) == ["GetTokensFromRefreshToken", "GetCredentialsForIdentity"]


def test_main_in_process_hit(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    assert main(["--profile", PROFILE]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["AccessKeyId"] == entry.credentials.access_key_id
    assert captured.err == ""
    assert entry.credentials.expires_at - stack_clock(stack) > timedelta(minutes=20)


CONTROLLING_TTY = (
    "import fcntl, os, sys, termios\n"
    "os.setsid()\n"
    "fd = os.open(sys.argv[1], os.O_RDWR)\n"
    "fcntl.ioctl(fd, termios.TIOCSCTTY, 0)\n"
    "os.close(fd)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs POSIX pseudo-terminals")
def test_with_a_terminal_it_signs_in_there(stack: LocalStack) -> None:
    """botocore captures stdout and stderr; the password prompt goes to /dev/tty instead."""
    import select

    master, slave = os.openpty()
    alice = stack.seed.users["alice"]
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", CONTROLLING_TTY, os.ttyname(slave), *process_command()],
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        shown = bytearray()
        deadline = time.monotonic() + 30
        while b"Password for alice: " not in shown:
            assert time.monotonic() < deadline, f"no prompt on the terminal: {bytes(shown)!r}"
            if select.select([master], [], [], 0.5)[0]:
                shown.extend(os.read(master, 4096))
        os.write(master, alice.password.encode() + b"\n")
        out, err = child.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert child.returncode == 0, err
    assert err == ""
    document = json.loads(out)
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.credentials is not None
    assert document["AccessKeyId"] == entry.credentials.access_key_id
    assert calls(stack) == [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetId",
        "GetCredentialsForIdentity",
    ]
