"""Browser sign-in around the browser: the profile settings, the loopback listener, the cache and
credential chain after it, refresh, logout at ``/oauth2/revoke``, and what ``credential_process``
says for a browser-only profile. The pages are driven over HTTP here (no Chromium needed);
``test_browser_login.py`` drives the same flow in a real browser."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest
from _managed_login import (
    Login,
    Pages,
    assert_nothing_cached,
    callback,
    complete,
    free_port,
    one_line_error,
    query_of,
)

from scribeauth import browser_login, oauth
from scribeauth.cli import main
from scribeauth.config import load_profile
from scribeauth.errors import ConfigError, SignInRequired
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    BIN,
    PROFILE,
    broker,
    calls,
    process_command,
    run,
    write_profile,
)
from scribeauth.local.testing.pty import pty_command
from scribeauth.loopback import CallbackListener


def browser_profile(stack: LocalStack, **extra: str) -> int:
    port = free_port()
    callback(stack, port)
    settings = {"scribe_domain": stack.endpoint_url, "scribe_redirect_port": str(port)}
    settings.update(extra)
    omit = () if "scribe_username" in extra else ("scribe_username",)
    write_profile(stack, omit=omit, extra=settings)
    return port


def sign_in(stack: LocalStack, tmp_path: Path, *flags: str, user: str = "alice") -> str:
    login = Login(tmp_path, *flags)
    assert complete(stack, login.opened_url(), user).status == 200
    code, out, err = login.finish()
    assert code == 0, err
    return out


def test_login_follows_a_browser_only_profile_without_the_flag(
    stack: LocalStack, tmp_path: Path
) -> None:
    browser_profile(stack, scribe_login="browser")
    out = sign_in(stack, tmp_path)  # plain `scribeauth login`
    assert "as alice;" in out
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1


def test_credential_process_names_login_browser_for_a_browser_only_profile(
    stack: LocalStack,
) -> None:
    browser_profile(stack, scribe_login="browser")
    result = run(process_command())
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr == (
        "scribeauth-credentials: no valid session for profile 'scribe'; "
        "run: scribeauth login --browser --profile scribe\n"
    )
    # Even where a terminal would allow a password prompt, it never asks one.
    with pytest.raises(SignInRequired, match="login --browser"):
        broker(stack).credentials(interactive=True)
    assert calls(stack) == []


def test_the_session_refreshes_with_the_refresh_token_and_the_token_endpoint(
    stack: LocalStack, tmp_path: Path
) -> None:
    browser_profile(stack)
    sign_in(stack, tmp_path, "--browser")
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.tokens is not None
    assert entry.credentials is not None
    refresh_token = entry.tokens.refresh_token
    assert refresh_token is not None
    stack.recorder.reset()
    # Two hours on: credentials and id token expired; the broker refreshes with the user pool.
    stack.clock_offset += 7200
    fresh = broker(stack).credentials(interactive=False)
    assert fresh.access_key_id != entry.credentials.access_key_id
    assert "GetCredentialsForIdentity" in calls(stack)
    assert len(calls(stack)) == 2  # one refresh, one exchange
    # The token endpoint's refresh_token grant works on the same token.
    tokens = browser_login.refresh(load_profile(PROFILE), refresh_token)
    assert tokens.refresh_token == refresh_token
    assert tokens.id.claims["cognito:username"] == "alice"


def test_logout_revokes_at_the_revoke_endpoint(stack: LocalStack, tmp_path: Path) -> None:
    browser_profile(stack)
    sign_in(stack, tmp_path, "--browser")
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.tokens is not None
    refresh_token = entry.tokens.refresh_token
    assert refresh_token is not None
    assert main(["logout", "--profile", PROFILE]) == 0
    assert stack.recorder.count("oauth2/revoke") == 1
    assert_nothing_cached(stack)
    with pytest.raises(SignInRequired):
        browser_login.refresh(load_profile(PROFILE), refresh_token)


def test_a_profile_for_another_user_refuses_the_sign_in(stack: LocalStack, tmp_path: Path) -> None:
    browser_profile(stack, scribe_username="bob")
    login = Login(tmp_path, "--browser")
    complete(stack, login.opened_url(), "alice")
    code, out, err = login.finish()
    assert (code, out) == (5, "")
    assert "profile 'scribe' is for 'bob'" in one_line_error(err)
    assert_nothing_cached(stack)


def test_the_output_carries_no_secret(stack: LocalStack, tmp_path: Path) -> None:
    browser_profile(stack)
    login = Login(tmp_path, "--no-browser")
    url = login.printed_url()
    user = stack.seed.users["alice"]
    landed = Pages(stack).sign_in(url, "alice", user.password).location
    login.paste(landed)
    code, out, err = login.finish()
    assert code == 0, err
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.tokens is not None
    assert entry.credentials is not None
    secrets = [
        entry.tokens.id_token,
        entry.tokens.access_token,
        entry.tokens.refresh_token,
        entry.credentials.secret_access_key,
        entry.credentials.session_token,
        user.password,
        query_of(landed)["code"],
    ]
    for secret in secrets:
        assert secret
        assert secret not in out
        assert secret not in err


def test_no_browser_without_anything_to_paste_into_is_one_line(stack: LocalStack) -> None:
    browser_profile(stack)
    result = run([str(BIN / "scribeauth"), "login", "--no-browser", "--profile", PROFILE])
    assert (result.returncode, result.stdout) == (3, "")
    assert "stdin ended" in one_line_error(result.stderr)
    assert_nothing_cached(stack)


def test_login_browser_needs_a_domain(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    write_profile(stack, omit=("scribe_username",))
    assert main(["login", "--browser", "--profile", PROFILE]) == 3
    assert "has no scribe_domain" in capsys.readouterr().err


def test_a_busy_port_is_named(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        write_profile(
            stack,
            omit=("scribe_username",),
            extra={"scribe_domain": stack.endpoint_url, "scribe_redirect_port": str(port)},
        )
        assert main(["login", "--browser", "--profile", PROFILE]) == 3
    assert "scribe_redirect_port" in capsys.readouterr().err


def test_a_bad_setting_is_a_config_error(stack: LocalStack) -> None:
    write_profile(stack, extra={"scribe_domain": "https://auth.example.com/path?x"})
    with pytest.raises(ConfigError, match="scribe_domain"):
        load_profile(PROFILE)
    write_profile(stack, extra={"scribe_login": "sometimes"})
    with pytest.raises(ConfigError, match="password or browser"):
        load_profile(PROFILE)
    write_profile(stack, extra={"scribe_domain": "http://auth.example.com"})
    with pytest.raises(ConfigError, match="https"):
        browser_login.authorization_request(load_profile(PROFILE), "http://localhost:1/callback")


def test_the_listener_takes_one_redirect_and_serves_nothing_else() -> None:
    with CallbackListener(0) as listener:
        base = f"http://127.0.0.1:{listener.port}"
        for path, status in (("/favicon.ico", 404), ("/callback", 400)):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(base + path, timeout=5)
            caught.value.close()
            assert caught.value.code == status
        with urllib.request.urlopen(f"{base}/callback?code=c&state=s", timeout=5) as reply:
            assert b"Sign-in received" in reply.read()
        assert listener.wait(1) == f"{listener.redirect_uri}?code=c&state=s"
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{base}/callback?code=d&state=s", timeout=5)
        caught.value.close()
        assert caught.value.code == 404  # one sign-in only
    with CallbackListener(0) as idle, pytest.raises(SignInRequired, match="within 0 s"):
        idle.wait(0.1)


def test_the_redirect_uri_uses_the_profiles_port(stack: LocalStack) -> None:
    port = browser_profile(
        stack, scribe_scopes="openid email", scribe_identity_provider="ExampleSSO"
    )
    request = browser_login.authorization_request(
        load_profile(PROFILE), f"http://localhost:{port}{oauth.CALLBACK_PATH}"
    )
    query = query_of(request.url)
    assert query["scope"] == "openid email"
    assert query["identity_provider"] == "ExampleSSO"
    assert query["redirect_uri"] == f"http://localhost:{port}/callback"


@pytest.mark.parametrize("kind", ["500", "throttle", "garble", "reset"])
def test_a_failing_token_endpoint_is_one_line_and_nothing_cached(
    stack: LocalStack, tmp_path: Path, kind: str
) -> None:
    browser_profile(stack)
    stack.faults.add("oauth2/token", kind)
    login = Login(tmp_path, "--browser")
    complete(stack, login.opened_url(), "alice")
    code, out, err = login.finish()
    assert out == ""
    assert code == (7 if kind == "garble" else 6), err
    one_line_error(err)
    assert_nothing_cached(stack)


def test_logout_when_revoking_fails_still_deletes_the_cache(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    browser_profile(stack)
    sign_in(stack, tmp_path, "--browser")
    stack.faults.add("oauth2/revoke", "500")
    assert main(["logout", "--profile", PROFILE]) == 6
    assert "could not revoke" in capsys.readouterr().err
    assert_nothing_cached(stack)


def test_no_browser_asks_for_the_address_on_the_terminal(stack: LocalStack) -> None:
    browser_profile(stack)
    argv = [str(BIN / "scribeauth"), "login", "--no-browser", "--profile", PROFILE]
    with pty_command(argv) as command:
        stderr = command.process.stderr
        assert stderr is not None
        url = ""
        while not url.startswith("http"):
            url = stderr.readline().decode().strip()
            assert url or command.process.poll() is None
        landed = Pages(stack).sign_in(url, "alice", stack.seed.users["alice"].password).location
        command.expect("Paste that whole address here: ")
        command.type(landed)
        code, out, err = command.finish()
    assert code == 0, err
    assert "as alice;" in out
    # The terminal echoes what was pasted (a used-up code); scribeauth itself never prints it.
    assert query_of(landed)["code"] not in out + err
