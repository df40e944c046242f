"""``scribeauth login`` against an app client without SRP: no password leaves before the person
chose so (issue 11, item 2). The terminal case is in ``test_cli_pty.py``."""

from __future__ import annotations

import json
import sys

import pytest

from scribeauth.cli import main
from scribeauth.config import aws_config_path, load_profile, write_profile
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import text_stdin, write_srp_disabled_profile

PROFILE = "scribe"


# In-process runs never reach the developer's own terminal.
pytestmark = pytest.mark.usefixtures("no_terminal")


@pytest.fixture(autouse=True)
def srp_disabled_profile(stack: LocalStack) -> None:
    """[profile scribe] for alice through the app client that has SRP disabled."""
    write_srp_disabled_profile(stack)


def login(monkeypatch: pytest.MonkeyPatch, password: str, *extra: str) -> int:
    monkeypatch.setattr(sys, "stdin", text_stdin(password + "\n"))
    return main(["login", "--profile", PROFILE, "--password-stdin", *extra])


def password_sent(stack: LocalStack, password: str) -> bool:
    bodies = b"\n".join(stack.recorder.raw_bodies)
    return any(form in bodies for form in (password.encode(), json.dumps(password)[1:-1].encode()))


def test_no_pin_and_no_terminal_fails_naming_the_setting_and_sends_no_password(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = stack.seed.users["alice"].password
    assert login(monkeypatch, password) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "scribe_auth_flow = USER_PASSWORD_AUTH" in err
    assert "--auth-flow USER_PASSWORD_AUTH" in err
    assert str(aws_config_path()) in err
    assert password not in err
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
    assert not password_sent(stack, password)
    assert load_profile(PROFILE).auth_flow is None, "nothing is pinned without asking"


def test_the_auth_flow_flag_chooses_the_password_flow_for_one_run(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = stack.seed.users["alice"].password
    assert login(monkeypatch, password, "--auth-flow", "USER_PASSWORD_AUTH") == 0
    assert "Signed in" in capsys.readouterr().out
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 0
    assert load_profile(PROFILE).auth_flow is None


def test_with_the_pin_sign_in_works(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_profile(aws_config_path(), PROFILE, {"scribe_auth_flow": "USER_PASSWORD_AUTH"})
    assert login(monkeypatch, stack.seed.users["alice"].password) == 0
    assert "Signed in" in capsys.readouterr().out
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1


def test_a_pinned_srp_is_never_changed(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_profile(aws_config_path(), PROFILE, {"scribe_auth_flow": "USER_SRP_AUTH"})
    password = stack.seed.users["alice"].password
    assert login(monkeypatch, password) == 3
    assert "scribe_auth_flow = USER_PASSWORD_AUTH" in capsys.readouterr().err
    assert load_profile(PROFILE).auth_flow == "USER_SRP_AUTH"
    assert not password_sent(stack, password)
