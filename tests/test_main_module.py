"""``python -m scribeauth`` (the 1.x command) as a child process against the strict local stack.

Interactive cases run the command in a new session whose controlling terminal is a pty, so its
``/dev/tty`` prompts reach the test, which answers each one only after it is shown.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pyotp

from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import run as run_child
from scribeauth.local.testing.pty import PtyCommand, pty_command

TOKEN_KEYS = {"refresh_token", "access_token", "id_token"}
WARNING = "visible to other users"


def pool_args(stack: LocalStack) -> list[str]:
    return ["--client_id", stack.seed.public_client_id, "--user_pool_id", stack.seed.user_pool_id]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs the command with no terminal at all (a new session, stdin closed)."""
    return run_child([sys.executable, "-m", "scribeauth", *args])


@contextlib.contextmanager
def terminal(*args: str) -> Iterator[PtyCommand]:
    """``python -m scribeauth ARGS`` with a pty as its terminal."""
    with pty_command([sys.executable, "-m", "scribeauth", *args]) as command:
        yield command


def tokens_of(stdout: str, username: str) -> dict[str, Any]:
    tokens = json.loads(stdout)  # JSON, not a Python repr
    assert set(tokens) >= TOKEN_KEYS
    assert all(isinstance(tokens[key], str) and tokens[key] for key in TOKEN_KEYS)
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["cognito:username"] == username
    return dict(tokens)


def test_prints_tokens_as_json_and_warns_about_the_password(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    done = run(*pool_args(stack), "--username", "alice", "--password", alice.password)
    assert done.returncode == 0, done.stderr
    tokens_of(done.stdout, "alice")
    assert WARNING in done.stderr
    assert alice.password not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    # With the user pool id the 1.x command now signs in with SRP.
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert not any(alice.password.encode() in body for body in stack.recorder.raw_bodies)


def test_refresh_token_prints_tokens_without_a_warning(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    first = tokens_of(
        run(*pool_args(stack), "--username", "alice", "--password", alice.password).stdout,
        "alice",
    )
    done = run(*pool_args(stack), "--refresh_token", first["refresh_token"])
    assert done.returncode == 0, done.stderr
    assert tokens_of(done.stdout, "alice")["refresh_token"] == first["refresh_token"]
    assert done.stderr == ""


def test_identity_pool_id_adds_the_identity_and_credentials(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    done = run(
        *pool_args(stack),
        "--identity_pool_id",
        stack.seed.identity_pool_id,
        "--username",
        "alice",
        "--password",
        alice.password,
    )
    assert done.returncode == 0, done.stderr
    output = tokens_of(done.stdout, "alice")
    assert output["identity_id"].startswith(f"{stack.seed.region}:")
    credentials = output["credentials"]
    assert set(credentials) == {"AccessKeyId", "SecretKey", "SessionToken", "Expiration"}
    assert credentials["Expiration"].endswith("Z")


def test_wrong_password_exits_5_with_one_error_line(stack: LocalStack) -> None:
    done = run(*pool_args(stack), "--username", "alice", "--password", "Wrong-Passw0rd!")
    assert done.returncode == 5
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if WARNING not in line]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("scribeauth: ")
    assert "Traceback" not in done.stderr
    assert "Wrong-Passw0rd!" not in done.stderr


def test_revoked_refresh_token_exits_5_with_one_line(stack: LocalStack) -> None:
    done = run(*pool_args(stack), "--refresh_token", "not-a-refresh-token-" + "x" * 40)
    assert done.returncode == 5
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("scribeauth: ")
    assert done.stdout == ""


def test_usage_errors_exit_2(stack: LocalStack) -> None:
    no_client = run("--username", "alice", "--password", "x")
    assert no_client.returncode == 2
    assert "--client_id" in no_client.stderr
    no_user = run(*pool_args(stack))
    assert no_user.returncode == 2
    assert "--username" in no_user.stderr
    assert stack.recorder.count("InitiateAuth") == 0


def test_without_a_password_or_terminal_exits_4(stack: LocalStack) -> None:
    done = run(*pool_args(stack), "--username", "alice")
    assert done.returncode == 4
    assert len(done.stderr.splitlines()) == 1
    assert "terminal" in done.stderr
    assert stack.recorder.count("InitiateAuth") == 0


def test_new_password_challenge_is_printed_and_exits_4(stack: LocalStack) -> None:
    carol = stack.seed.users["carol"]
    done = run(*pool_args(stack), "--username", "carol", "--password", carol.password)
    assert done.returncode == 4
    challenge = json.loads(done.stdout)
    assert set(challenge) == {"challenge_name", "session"}
    assert challenge["challenge_name"] == "NEW_PASSWORD_REQUIRED"
    assert "scribeauth login" in done.stderr


def test_asks_for_the_password_and_mfa_code_on_the_terminal(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret is not None
    with terminal(*pool_args(stack), "--username", "bob") as term:
        term.expect("Password for bob: ")
        term.type(bob.password)
        term.expect("MFA code from your authenticator app: ")
        term.type(pyotp.TOTP(bob.totp_secret).at(stack.now()))
        code, out, err = term.finish()
    assert code == 0, err
    tokens_of(out, "bob")
    assert err == ""  # no password on the command line, no warning
    assert bob.password not in term.screen  # not echoed
    assert stack.recorder.count("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA") == 1


def test_wrong_mfa_code_on_the_terminal_exits_5(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret is not None
    window = {pyotp.TOTP(bob.totp_secret).at(stack.now() + s * 30) for s in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    with terminal(*pool_args(stack), "--username", "bob", "--password", bob.password) as term:
        term.expect("MFA code from your authenticator app: ")
        term.type(wrong)
        code, out, err = term.finish()
    assert code == 5
    assert out == ""
    errors = [line for line in err.splitlines() if WARNING not in line]
    assert len(errors) == 1, err
    assert "code" in errors[0]


def test_sms_code_is_asked_for_on_the_terminal(stack: LocalStack) -> None:
    dave = stack.seed.users["dave"]
    with terminal(*pool_args(stack), "--username", "dave", "--password", dave.password) as term:
        term.expect("Code sent to your phone: ")
        code_sent = stack.user_pool.last_code("dave")
        assert code_sent is not None
        term.type(code_sent)
        code, out, err = term.finish()
    assert code == 0, err
    tokens_of(out, "dave")
