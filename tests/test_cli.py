"""The ``scribeauth`` command through ``main(argv)`` against the strict local stack.

Every command is run in-process (output through capsys/capfd); ``test_cli_executable.py`` runs
the installed executables and ``test_cli_pty.py`` the interactive prompts.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scribeauth.cache import ProfileCache
from scribeauth.cli import build_parser, main
from scribeauth.config import aws_config_path, load_profile, write_profile
from scribeauth.errors import UnauthorizedException
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import one_error_line, text_stdin
from scribeauth.local.testing import write_user_profile as configure
from scribeauth.login import SignIn

PROFILE = "scribe"


# In-process runs never reach the developer's own terminal (pty tests use a pty).
pytestmark = pytest.mark.usefixtures("no_terminal")


def stdin(monkeypatch: pytest.MonkeyPatch, data: str | bytes) -> None:
    monkeypatch.setattr(sys, "stdin", text_stdin(data))


def cache_entry() -> Any:
    profile = load_profile(PROFILE)
    return ProfileCache(profile.name, profile.fingerprint()).load()


def secrets_of(entry: Any) -> list[str]:
    tokens, creds = entry.tokens, entry.credentials
    values = [tokens.id_token, tokens.access_token, tokens.refresh_token]
    values += [creds.secret_access_key, creds.session_token]
    return [value for value in values if value]


# -- parsing, help, errors -----------------------------------------------------------------


COMMANDS = sorted(
    build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
)


def test_every_command_is_registered() -> None:
    assert set(COMMANDS) == {
        "login",
        "logout",
        "status",
        "devices",
        "export",
        "exec",
        "request",
        "configure",
        "forgot-password",
        "change-password",
        "demo",
        "local-stack",
        "serve",
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_every_command_has_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example" in out
    example = out.split("example", 1)[1]
    assert f"scribeauth {command}" in example or command == "local-stack"
    assert f"usage: scribeauth {command}" in out


def test_top_level_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "scribeauth demo" in out
    assert "exit codes" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "scribeauth 2.0.0"


def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "--bogus"]) == 2
    assert "--bogus" in one_error_line(capsys.readouterr().err)
    assert main(["export", "--format", "yaml"]) == 2
    assert "yaml" in one_error_line(capsys.readouterr().err)
    assert main([]) == 2
    assert "scribeauth demo" in capsys.readouterr().err


def test_missing_profile_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--profile", "nope"]) == 3
    line = one_error_line(capsys.readouterr().err)
    assert "scribeauth configure --profile nope" in line


def test_profile_option_before_the_command_and_aws_profile(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice", name="other")
    assert main(["--profile", "other", "status"]) == 4
    assert "Profile 'other': not signed in" in capsys.readouterr().out
    monkeypatch.setenv("AWS_PROFILE", "other")
    assert main(["status"]) == 4
    assert "scribeauth login --profile other" in capsys.readouterr().out


# -- login / status / logout ---------------------------------------------------------------


def test_login_with_password_stdin_and_mfa_code(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    out = capsys.readouterr().out
    assert f"Signed in to profile '{PROFILE}' as bob" in out
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1
    assert stack.recorder.count("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA") == 1
    entry = cache_entry()
    assert entry.tokens.refresh_token
    assert entry.credentials is not None
    for secret in secrets_of(entry):
        assert secret not in out


def test_login_with_wrong_password_exits_5_with_one_line(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    stdin(monkeypatch, "Wrong-Passw0rd!\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 5
    captured = capsys.readouterr()
    assert captured.out == ""
    one_error_line(captured.err)
    assert "Wrong-Passw0rd!" not in captured.err
    assert cache_entry() is None


def test_login_needing_a_code_without_terminal_says_what_to_do(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "bob")
    stdin(monkeypatch, stack.seed.users["bob"].password + "\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 4
    assert "terminal" in one_error_line(capsys.readouterr().err)


def test_login_with_empty_stdin_is_a_config_error(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    stdin(monkeypatch, "")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 3
    assert "stdin" in one_error_line(capsys.readouterr().err)
    assert stack.recorder.count("InitiateAuth") == 0


def test_debug_logs_to_stderr_with_secrets_masked(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # USER_PASSWORD_AUTH puts the password itself in the request botocore logs.
    user = stack.seed.users["alice"]
    write_profile(
        aws_config_path(),
        PROFILE,
        {
            "region": stack.seed.region,
            "scribe_client_id": stack.seed.srp_disabled_client_id,
            "scribe_user_pool_id": stack.seed.user_pool_id,
            "scribe_identity_pool_id": stack.seed.identity_pool_id,
            "scribe_username": user.username,
            "scribe_auth_flow": "USER_PASSWORD_AUTH",
        },
    )
    stdin(monkeypatch, user.password + "\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin", "--debug"]) == 0
    err = capsys.readouterr().err
    assert "botocore" in err
    assert "InitiateAuth" in err
    assert "****" in err
    assert user.password not in err
    for secret in secrets_of(cache_entry()):
        assert secret not in err


def test_status_shows_who_and_expiry_and_never_a_secret(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    entry = cache_entry()
    stack.recorder.reset()

    assert main(["status", "--profile", PROFILE]) == 0
    text = capsys.readouterr().out
    assert "bob" in text
    assert entry.identity_id in text
    assert entry.credentials.access_key_id in text
    assert "tokens expire:" in text
    assert "credentials expire:" in text

    assert main(["status", "--profile", PROFILE, "--json"]) == 0
    raw = capsys.readouterr().out
    document = json.loads(raw)
    assert document["signed_in"] is True
    assert document["username"] == "bob"
    assert document["identity_id"] == entry.identity_id
    assert document["credentials_expire"].endswith("Z")
    assert document["refresh_token"] is True
    for secret in secrets_of(entry):
        assert secret not in text
        assert secret not in raw
    assert stack.recorder.requests == []  # status makes no network call


def test_logout_revokes_then_deletes_the_cache(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    entry = cache_entry()
    capsys.readouterr()

    assert main(["logout", "--profile", PROFILE]) == 0
    assert "token revoked, cache deleted" in capsys.readouterr().out
    assert stack.recorder.count("RevokeToken") == 1
    assert cache_entry() is None
    profile = load_profile(PROFILE)
    client = SignIn(client_id=profile.client_id, user_pool_id=profile.user_pool_id)
    with pytest.raises(UnauthorizedException):
        client.refresh(entry.tokens.refresh_token, username=entry.tokens.username)
    assert main(["status", "--profile", PROFILE]) == 4


def test_logout_when_revoking_fails_still_deletes_and_exits_non_zero(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    stack.faults.add("RevokeToken", "500", times=20)

    assert main(["logout", "--profile", PROFILE]) == 6
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert "could not revoke" in line
    assert "cache is deleted" in line
    assert stack.recorder.count("RevokeToken") >= 1
    assert cache_entry() is None


def test_logout_when_not_signed_in(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    configure(stack, "alice")
    assert main(["logout", "--profile", PROFILE]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert stack.recorder.count("RevokeToken") == 0


# -- export / exec -------------------------------------------------------------------------


def test_export_env_lines(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    creds = cache_entry().credentials
    stack.recorder.reset()

    assert main(["export", "--profile", PROFILE]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    exported = {}
    for line in lines:
        assert line.startswith("export ")
        name, _, value = line[len("export ") :].partition("=")
        exported[name] = shlex.split(value)[0]
    assert exported == {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_CREDENTIAL_EXPIRATION": creds.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "AWS_REGION": "eu-west-2",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    assert stack.recorder.requests == []  # served from the cache


def test_export_json_is_the_credential_process_document(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    creds = cache_entry().credentials
    assert main(["export", "--profile", PROFILE, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == creds.to_process_json()
    assert document["Version"] == 1


def test_export_when_not_signed_in_exits_4(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    assert main(["export", "--profile", PROFILE]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"scribeauth login --profile {PROFILE}" in one_error_line(captured.err)


def test_exec_passes_credentials_and_the_exit_code(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    creds = cache_entry().credentials
    monkeypatch.setenv("AWS_PROFILE", PROFILE)
    capfd.readouterr()
    script = (
        "import json, os, sys; "
        "names = ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', "
        "'AWS_CREDENTIAL_EXPIRATION', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'); "
        "print(json.dumps({n: os.environ.get(n) for n in names})); sys.exit(7)"
    )
    assert main(["exec", "--profile", PROFILE, "--", sys.executable, "-c", script]) == 7
    seen = json.loads(capfd.readouterr().out)
    assert seen["AWS_ACCESS_KEY_ID"] == creds.access_key_id
    assert seen["AWS_SECRET_ACCESS_KEY"] == creds.secret_access_key
    assert seen["AWS_SESSION_TOKEN"] == creds.session_token
    assert seen["AWS_CREDENTIAL_EXPIRATION"].endswith("Z")
    assert seen["AWS_REGION"] == seen["AWS_DEFAULT_REGION"] == "eu-west-2"
    assert seen["AWS_PROFILE"] is None


def test_exec_of_a_missing_command_exits_127(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    assert main(["exec", "--profile", PROFILE, "--", "no-such-command-xyz"]) == 127
    assert "no-such-command-xyz: command not found" in one_error_line(capsys.readouterr().err)
    assert stack.recorder.requests == []  # no credentials fetched for a typo
    assert main(["exec", "--profile", PROFILE]) == 2


# -- request -------------------------------------------------------------------------------


def test_request_get_and_post_are_verified_by_the_gateway(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    entry = cache_entry()
    url = stack.endpoint_url + "/prod/echo"

    assert main(["request", "--profile", PROFILE, url + "?a=1&b=two+words"]) == 0
    echo = json.loads(capsys.readouterr().out)
    assert echo["method"] == "GET"
    assert echo["query"] == {"a": "1", "b": "two words"}
    assert echo["identity_id"] == entry.identity_id
    assert echo["access_key_id"] == entry.credentials.access_key_id

    body = '{"hello": "scribe"}'
    argv = ["request", "--profile", PROFILE, "-d", body, "-H", "X-Trace: 7", url]
    assert main(argv) == 0
    echo = json.loads(capsys.readouterr().out)
    assert echo["method"] == "POST"
    assert echo["body"] == body
    assert stack.recorder.count("execute-api") == 2


def test_request_body_from_a_file_and_from_stdin_and_include(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    url = stack.endpoint_url + "/prod/echo"
    item = tmp_path / "item.json"
    item.write_bytes(b'{"from": "file", "bytes": "\\u00e9"}')

    assert main(["request", "--profile", PROFILE, "-X", "PUT", "-d", f"@{item}", url]) == 0
    echo = json.loads(capsys.readouterr().out)
    assert (echo["method"], echo["body"]) == ("PUT", item.read_text())

    stdin(monkeypatch, b"from stdin\n")
    assert main(["request", "--profile", PROFILE, "-i", "-d", "@-", url]) == 0
    out = capsys.readouterr().out
    head, _, body = out.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200 OK")
    assert "content-type: application/json" in head.lower()
    assert json.loads(body)["body"] == "from stdin\n"


def test_request_non_2xx_prints_the_body_and_exits_22(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login() == 0
    capsys.readouterr()
    # Signed for the wrong region: the gateway's signature check refuses it.
    argv = ["request", "--profile", PROFILE, "--region", "us-east-1", stack.endpoint_url + "/x"]
    assert main(argv) == 22
    captured = capsys.readouterr()
    assert "message" in json.loads(captured.out)
    assert "HTTP 403" in one_error_line(captured.err)


def test_request_rejects_a_bad_header_and_url(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    assert main(["request", "--profile", PROFILE, "-H", "nocolon", "http://127.0.0.1/"]) == 2
    assert "Name: value" in one_error_line(capsys.readouterr().err)
    assert main(["request", "--profile", PROFILE, "ftp://example.com/"]) == 2
    one_error_line(capsys.readouterr().err)


# -- configure -----------------------------------------------------------------------------


CONFIG_BEFORE = """\
# my AWS config: keep this comment
[default]
region = us-east-1

; another comment
[profile work]
sso_start_url = https://example.awsapps.com/start
"""


def test_configure_writes_the_profile_and_keeps_the_rest(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    path = aws_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG_BEFORE)
    seed = stack.seed
    argv = [
        "configure",
        "--profile",
        PROFILE,
        "--client-id",
        seed.public_client_id,
        "--user-pool-id",
        seed.user_pool_id,
        "--identity-pool-id",
        seed.identity_pool_id,
        "--username",
        "bob",
    ]
    assert main(argv) == 0
    assert f"scribeauth login --profile {PROFILE}" in capsys.readouterr().out
    text = path.read_text()
    assert text.startswith(CONFIG_BEFORE)
    assert f"credential_process = scribeauth-credentials --profile {PROFILE}" in text
    profile = load_profile(PROFILE)
    assert profile.client_id == seed.public_client_id
    assert profile.identity_pool_id == seed.identity_pool_id
    assert profile.username == "bob"
    assert profile.region == "eu-west-2"  # from the user pool id when not given

    # Again with one change: the existing values are kept, only the username changes.
    assert main(["configure", "--profile", PROFILE, "--username", "alice"]) == 0
    assert load_profile(PROFILE).client_id == seed.public_client_id
    assert load_profile(PROFILE).username == "alice"
    assert path.read_text().startswith(CONFIG_BEFORE)


def test_configure_without_terminal_names_the_missing_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["configure", "--profile", PROFILE, "--client-id", "abc"]) == 3
    assert "--user-pool-id" in one_error_line(capsys.readouterr().err)
    assert not aws_config_path().exists()


def test_configure_rejects_a_malformed_id(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "configure",
        "--client-id",
        "abc",
        "--user-pool-id",
        "not-a-pool",
        "--identity-pool-id",
        "eu-west-2:00000000-0000-0000-0000-000000000000",
    ]
    assert main(argv) == 3
    assert "not-a-pool" in one_error_line(capsys.readouterr().err)
    assert not aws_config_path().exists()


# -- passwords -----------------------------------------------------------------------------


def test_forgot_password_sends_a_code_then_confirms_it(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    assert main(["forgot-password", "--profile", PROFILE]) == 0
    err = capsys.readouterr().err
    assert "confirmation code was sent" in err
    assert "--code CODE --password-stdin" in err
    code = stack.user_pool.last_code("alice")
    assert code

    stdin(monkeypatch, "Brand-New-Passw0rd!\n")
    argv = ["forgot-password", "--profile", PROFILE, "--code", code, "--password-stdin"]
    assert main(argv) == 0
    assert "Password changed for alice" in capsys.readouterr().out
    stdin(monkeypatch, "Brand-New-Passw0rd!\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 0


def test_change_password(
    cli_login: Callable[..., int],
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_login("alice") == 0
    old = stack.seed.users["alice"].password
    stdin(monkeypatch, f"{old}\nChanged-Passw0rd!\n")
    assert main(["change-password", "--profile", PROFILE, "--password-stdin"]) == 0
    assert "Password changed" in capsys.readouterr().out
    stdin(monkeypatch, "Changed-Passw0rd!\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 0
    stdin(monkeypatch, f"{old}\n")
    assert main(["login", "--profile", PROFILE, "--password-stdin"]) == 5


def test_change_password_needs_a_session(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    assert main(["change-password", "--profile", PROFILE, "--password-stdin"]) == 4
    assert "scribeauth login" in one_error_line(capsys.readouterr().err)
