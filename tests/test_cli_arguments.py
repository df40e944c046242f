"""Command-line arguments the ``scribeauth`` command must refuse clearly (issue 11, item 6):
an empty or non-UTF-8 ``--profile``, a non-UTF-8 ``AWS_PROFILE``, usage errors quoting an
argument with a newline, and ``configure --profile=-x`` writing an unrunnable credential_process
(or any hint printing an unrunnable ``scribeauth login --profile -x``).

The non-UTF-8 cases run the installed executable, so the bytes arrive in ``argv`` and the
environment as the operating system hands them over.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scribeauth.cli import build_parser, main
from scribeauth.config import aws_config_path
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import text_stdin, write_user_profile

BIN = Path(sys.executable).parent
SCRIBEAUTH = shutil.which("scribeauth", path=str(BIN)) or "scribeauth"


def run(argv: list[bytes | str], env: dict[str, str | bytes] | None = None) -> tuple[int, str]:
    environ: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environ[b"PATH"] = os.fsencode(f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for key, value in (env or {}).items():
        environ[os.fsencode(key)] = value if isinstance(value, bytes) else os.fsencode(value)
    done = subprocess.run(
        [os.fsencode(SCRIBEAUTH), *(os.fsencode(a) for a in argv)],
        env=environ,
        capture_output=True,
        timeout=60,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    err = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in err
    assert done.stdout == b""
    return done.returncode, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("scribeauth: ")
    return lines[0]


@pytest.mark.parametrize("command", ["status", "login", "export", "configure"])
def test_non_utf8_profile_flag_is_a_usage_error(command: str) -> None:
    code, err = run([command, "--profile", b"caf\xe9"])
    assert code == 2
    line = one_line(err)
    assert "--profile" in line
    assert "UTF-8" in line
    assert "\\udce9" in line  # shown escaped, never as a raw byte
    assert not aws_config_path().exists()  # configure wrote nothing


def test_non_utf8_aws_profile_is_a_configuration_error() -> None:
    code, err = run(["status"], env={"AWS_PROFILE": b"caf\xe9"})
    assert code == 3
    line = one_line(err)
    assert "AWS_PROFILE" in line
    assert "UTF-8" in line


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_profile_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--profile", value]) == 2
    line = one_line(capsys.readouterr().err)
    assert "--profile must not be empty" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--bogus\nINJECTED"],
        ["status", "--profile", "a", "extra\narg"],
        ["export", "--format", "x\n\x1b[31mred"],
        ["no-such-command\nINJECTED"],
    ],
)
def test_usage_errors_never_echo_a_newline_raw(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    line = one_line(err)
    assert "\x1b" not in err
    assert "INJECTED" not in err or "\\nINJECTED" in line


def test_exec_not_found_does_not_echo_a_newline_raw(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["exec", "--", "no-such\ncommand"]) == 127
    line = one_line(capsys.readouterr().err)
    assert "no-such\\ncommand" in line


def test_configure_with_a_dash_profile_writes_a_runnable_line(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = scribe_stack.seed
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    argv = [
        "configure",
        "--profile=-x",
        "--client-id",
        seed.public_client_id,
        "--user-pool-id",
        seed.user_pool_id,
        "--identity-pool-id",
        seed.identity_pool_id,
        "--username",
        "alice",
        "--region",
        seed.region,
    ]
    monkeypatch.setattr("scribeauth.cli.session.TTY_PATH", "/nonexistent/tty")
    assert main(argv) == 0
    text = aws_config_path().read_text()
    written = next(
        entry.split("=", 1)[1].strip()
        for entry in text.splitlines()
        if entry.startswith("credential_process")
    )
    command = shlex.split(written)
    assert command[0] == "scribeauth-credentials"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    # The line reaches the profile: "not signed in" (4), not a usage error (2).
    assert done.returncode == 4, done.stderr
    assert "'-x'" in done.stderr
    # ... and the hint names it so a parser takes it for the profile, not for an option.
    assert "run: scribeauth login --profile=-x" in done.stderr
    assert "--profile -x" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "env", "code", "names"),
    [
        ([b"--profile", b"caf\xe9"], {}, 2, "--profile"),
        ([b"--profile=caf\xe9"], {}, 2, "--profile"),
        ([], {"AWS_PROFILE": b"caf\xe9"}, 3, "AWS_PROFILE"),
        ([], {"AWS_DEFAULT_PROFILE": b"caf\xe9"}, 3, "AWS_DEFAULT_PROFILE"),
    ],
)
def test_credential_process_refuses_a_non_utf8_profile(
    argv: list[bytes], env: dict[str, str | bytes], code: int, names: str
) -> None:
    program = shutil.which("scribeauth-credentials", path=str(BIN))
    assert program is not None
    environ = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environ.update({os.fsencode(k): os.fsencode(v) for k, v in env.items()})
    done = subprocess.run(
        [os.fsencode(program), *argv],
        env=environ,
        capture_output=True,
        timeout=60,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == code
    assert done.stdout == b""
    err = done.stderr.decode("utf-8", errors="replace").strip()
    assert err.startswith(f"scribeauth-credentials: {names} is not valid UTF-8")
    assert len(err.splitlines()) == 1


def login_hint_profile(text: str) -> str:
    """The profile the ``scribeauth login ...`` hint at the end of ``text`` signs in to, as the
    CLI's own parser reads it (a hint saying ``--profile -x`` fails to parse)."""
    argv = shlex.split(text[text.index("scribeauth login") :])
    args = build_parser().parse_args(argv[1:])
    assert args.handler.__name__ == "login"
    return str(args.profile)


def test_status_hint_for_a_dash_profile_is_runnable(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    write_user_profile(stack, "alice", name="-x")
    assert main(["status", "--profile=-x"]) == 4  # not signed in
    out = capsys.readouterr().out
    hint = next(line for line in out.splitlines() if line.startswith("Sign in with:"))
    assert hint == "Sign in with: scribeauth login --profile=-x"
    assert login_hint_profile(hint) == "-x"


def test_forgot_password_hint_for_a_dash_profile_is_runnable(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_user_profile(stack, "alice", name="-x")
    assert main(["forgot-password", "--profile=-x"]) == 0
    code = stack.user_pool.last_code("alice")
    assert code
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", text_stdin("Brand-New-Passw0rd!\n"))
    argv = ["forgot-password", "--profile=-x", "--code", code, "--password-stdin"]
    assert main(argv) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith("sign in with: scribeauth login --profile=-x"), out
    assert login_hint_profile(out) == "-x"
