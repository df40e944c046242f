"""No core file while secrets are held, and MFA codes masked in debug logs (issue 11, item 5).

The crash is real: the executables are sent SIGABRT while they hold secrets, with the core limit
raised as a developer's shell might have it. A plain Python process under the same conditions
does leave a core file (the control), so the test cannot pass by the machine never dumping.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scribeauth.cli import main
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    BIN,
    PROFILE,
    child_env,
    expire_soon,
    process_command,
    signed_in,
    write_profile,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux core files")


def _unlimited_cores() -> None:
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))


def core_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name == "core" or p.name.startswith("core.")]


def start(argv: list[str], cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    with (cwd.parent / "stderr.txt").open("ab") as stderr:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_unlimited_cores,
        )


def abort(child: subprocess.Popen[bytes]) -> int:
    child.send_signal(signal.SIGABRT)
    return child.wait(30)


@pytest.fixture
def dumps_here(tmp_path: Path) -> Path:
    """A folder where a crashing process leaves ``core`` (skips when this machine never does)."""
    if Path("/proc/sys/kernel/core_pattern").read_text().strip() not in ("core", "core.%p"):
        pytest.skip("core_pattern is not a plain file name; cannot observe core files")
    folder = tmp_path / "cwd"
    folder.mkdir()
    control = start([sys.executable, "-c", "import time; time.sleep(60)"], folder)
    time.sleep(0.5)
    assert abort(control) == -signal.SIGABRT
    if not core_files(folder):
        pytest.skip("this machine writes no core files even when allowed")
    for core in core_files(folder):
        core.unlink()
    return folder


@pytest.fixture
def stack(scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    write_profile(scribe_stack)
    return scribe_stack


def limits_of(pid: int) -> str:
    text = Path(f"/proc/{pid}/limits").read_text()
    return next(line for line in text.splitlines() if line.startswith("Max core file size"))


def test_exec_holding_credentials_leaves_no_core_and_its_child_may(
    stack: LocalStack, dumps_here: Path
) -> None:
    signed_in(stack)
    scribeauth = shutil.which("scribeauth", path=str(BIN))
    assert scribeauth is not None
    marker = dumps_here / "child-started"
    script = f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(60)"
    parent = start([scribeauth, "exec", "--profile", PROFILE, "--", sys.executable, "-c", script],
                   dumps_here)  # fmt: skip
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert parent.poll() is None, (dumps_here.parent / "stderr.txt").read_text()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
    assert limits_of(parent.pid).split()[4] == "0"  # soft limit 0 in the scribeauth process
    assert limits_of(int(children[0])).split()[4] == "unlimited"  # the command's own, restored
    assert abort(parent) == -signal.SIGABRT
    os.kill(int(children[0]), signal.SIGKILL)
    assert core_files(dumps_here) == []


def test_credential_process_aborted_during_a_refresh_leaves_no_core(
    stack: LocalStack, dumps_here: Path
) -> None:
    signed_in(stack)
    expire_soon(stack)
    stack.faults.add("GetCredentialsForIdentity", "delay", times=1, delay=20)
    child = start(process_command(), dumps_here)
    deadline = time.monotonic() + 30
    while stack.recorder.count("GetCredentialsForIdentity") == 0:  # it is mid-refresh
        assert child.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert abort(child) == -signal.SIGABRT
    assert core_files(dumps_here) == []


def test_mfa_code_is_masked_in_debug_logs(
    scribe_stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    import io

    import pyotp

    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    monkeypatch.setattr("scribeauth.cli.session.TTY_PATH", str(tmp_path / "no-tty"))
    write_profile(scribe_stack, user="bob")
    bob = scribe_stack.seed.users["bob"]
    assert bob.totp_secret is not None
    code = pyotp.TOTP(bob.totp_secret).at(scribe_stack.now())
    raw = (bob.password + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    argv = ["login", "--debug", "--profile", PROFILE, "--password-stdin", "--mfa-code", code]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "SOFTWARE_TOKEN_MFA_CODE" in err  # the challenge answer really was logged
    assert not re.search(r"SOFTWARE_TOKEN_MFA_CODE\W{1,6}\d{6}", err)
    assert f"'{code}'" not in err
    assert f'"{code}"' not in err


@pytest.mark.parametrize(
    "line",
    [
        "{'ChallengeResponses': {'USERNAME': 'bob', 'SMS_MFA_CODE': '731904'}}",
        '{"ChallengeResponses": {"EMAIL_OTP_CODE": "731904"}}',
        '{"ChallengeResponses": {"SMS_OTP_CODE": "731904", "ANSWER": "731904"}}',
        '{"AccessToken": "x", "UserCode": "731904"}',
        '{"ConfirmationCode": "731904", "Username": "bob"}',
    ],
)
def test_every_one_time_code_is_masked(line: str) -> None:
    from scribeauth.cli.console import mask_secrets

    assert "731904" not in mask_secrets(line)
