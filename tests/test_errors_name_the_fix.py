"""Every error names the real fix: the configuration, login and pool cases of issue 11, item 6.

Each case runs the real command (in-process ``main`` or the installed executables) against the
real local stack, and checks the class (exit code) and the one line that says what to do.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from scribeauth.cli import main
from scribeauth.config import aws_config_path, load_profile, write_profile, yaml_config_path
from scribeauth.errors import ConfigError
from scribeauth.local.stack import LocalStack

PROFILE = "scribe"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("scribeauth.cli.session.TTY_PATH", str(tmp_path / "no-tty"))


@pytest.fixture
def stack(scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    for name, value in scribe_stack.env().items():
        monkeypatch.setenv(name, value)
    return scribe_stack


def configure(stack: LocalStack, user: str = "alice", **changes: str | None) -> None:
    seed_user = stack.seed.users[user]
    settings: dict[str, str | None] = {
        "region": stack.seed.region,
        "scribe_client_id": seed_user.client_id,
        "scribe_user_pool_id": seed_user.user_pool_id,
        "scribe_identity_pool_id": stack.seed.identity_pool_id,
        "scribe_username": seed_user.username,
    }
    settings.update(changes)
    write_profile(aws_config_path(), PROFILE, settings)


def run_cli(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), "utf-8"))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


# -- login -----------------------------------------------------------------------------------


def test_a_missing_mfa_code_says_mfa_code(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack, "bob")
    bob = stack.seed.users["bob"]
    code, _, err = run_cli(
        monkeypatch, ["login", "--profile", PROFILE, "--password-stdin"], bob.password + "\n"
    )
    assert code == 4
    assert "--mfa-code" in one_line(err)
    assert "run: scribeauth login" not in err


def test_a_missing_username_names_the_setting_and_the_file(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack, scribe_username=None)
    code, _, err = run_cli(monkeypatch, ["login", "--profile", PROFILE, "--password-stdin"], "x\n")
    assert code == 3
    assert "scribe_username" in one_line(err)
    assert str(aws_config_path()) in err
    assert "--username" in err
    assert stack.recorder.requests == []


def test_a_user_pool_cognito_does_not_know_says_check_scribe_user_pool_id(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack, scribe_user_pool_id=f"{stack.seed.region}_NoSuchPool1")
    alice = stack.seed.users["alice"]
    code, _, err = run_cli(
        monkeypatch,
        ["login", "--profile", PROFILE, "--password-stdin"],
        alice.password + "\n",
    )
    assert code == 7
    assert "scribe_user_pool_id" in one_line(err)
    assert "password" not in err.lower()


def test_a_profile_without_an_identity_pool_says_so_at_login_and_in_status(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack, scribe_identity_pool_id=None)
    alice = stack.seed.users["alice"]
    code, out, err = run_cli(
        monkeypatch, ["login", "--profile", PROFILE, "--password-stdin"], alice.password + "\n"
    )
    assert code == 0, err
    assert "scribe_identity_pool_id" in out + err
    assert "no AWS credentials" in out + err
    code, out, err = run_cli(monkeypatch, ["status", "--profile", PROFILE])
    assert code == 3
    assert "scribe_identity_pool_id" in err
    assert str(aws_config_path()) in err


def test_network_errors_name_the_endpoint(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    code, _, err = run_cli(monkeypatch, ["login", "--profile", PROFILE, "--password-stdin"], "x\n")
    assert code == 6
    assert f"http://127.0.0.1:{port}" in one_line(err)


def test_python_m_scribeauth_without_password_and_terminal_says_password() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scribeauth", "--client_id", "c", "--username", "u"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 4
    assert "--password" in one_line(result.stderr)
    assert "run: scribeauth login" not in result.stderr


# -- configuration files and names ------------------------------------------------------------


def write_yaml(text: str) -> Path:
    path = yaml_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "profiles:\n  scribe:\n    client_id: " + "[" * 5000 + "]" * 5000 + "\n",
        "profiles:\n  scribe: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "profiles:\n  scribe:\n    client_id: " + "9" * 5000 + "\n",
        "profiles:\n  " + "9" * 5000 + ":\n    client_id: c\n",
    ],
    ids=["deep-list", "deep-map", "huge-int", "huge-int-key"],
)
def test_hostile_yaml_is_a_config_error(text: str) -> None:
    path = write_yaml(text)
    with pytest.raises(ConfigError) as caught:
        load_profile(PROFILE)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("which", ["aws", "yaml"])
def test_config_files_over_1_mib_are_refused_before_parsing(which: str) -> None:
    path = aws_config_path() if which == "aws" else yaml_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    comment = "#" if which == "aws" else "# "
    path.write_text((comment + "x" * 1023 + "\n") * 1025, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_profile(PROFILE)
    assert str(path) in str(caught.value)
    assert "1 MiB" in str(caught.value)


def test_scribeauth_config_naming_a_missing_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "config.yaml"
    monkeypatch.setenv("SCRIBEAUTH_CONFIG", str(missing))
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "c")
    with pytest.raises(ConfigError) as caught:
        load_profile(PROFILE)
    assert "SCRIBEAUTH_CONFIG" in str(caught.value)
    assert str(missing) in str(caught.value)


def test_an_empty_profile_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "c")
    code, _, err = run_cli(monkeypatch, ["status", "--profile", ""])
    assert code in (2, 3)
    assert "empty" in one_line(err)
    assert "not found" not in err
    with pytest.raises(ConfigError, match="empty"):
        load_profile("")


@pytest.mark.parametrize("where", ["flag", "AWS_PROFILE"])
def test_a_profile_name_that_is_not_utf8_is_a_config_error(where: str) -> None:
    name = os.fsdecode(b"scribe\xff")
    env = dict(os.environ)
    args = [str(BIN / "scribeauth"), "status"]
    if where == "flag":
        args += ["--profile", name]
    else:
        env["AWS_PROFILE"] = name
    for command in (args, [str(BIN / "scribeauth-credentials"), *args[2:]]):
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, check=False, timeout=60
        )
        # The environment is configuration (3); a flag may be refused as an argument (2).
        assert result.returncode in ((2, 3) if where == "flag" else (3,)), result.stderr
        assert "UTF-8" in one_line(result.stderr)


@pytest.mark.parametrize("setting", ["scribe_identity_pool_id", "scribe_user_pool_id"])
def test_a_missing_id_names_the_setting_and_the_file(
    stack: LocalStack, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(stack, **{setting: None})
    code, out, err = run_cli(monkeypatch, ["export", "--profile", PROFILE])
    assert code == 3
    assert out == ""
    assert setting in one_line(err)
    assert str(aws_config_path()) in err
