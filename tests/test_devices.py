"""Issue 12 against the strict stack: rotation, remembered devices, passwordless sign-in, lock-out.

A person at a real pseudo-terminal answers the prompts (:class:`Person`): the tests see which
questions were asked, and the answers travel through the same ``/dev/tty`` code as in use.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest

from scribeauth.cli import main
from scribeauth.dialogue import Dialogue
from scribeauth.errors import ConfigError, UnauthorizedException
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    PROFILE,
    broker,
    calls,
    expire_soon,
    process_command,
    run,
    signed_in,
    start_process,
    write_profile,
)
from scribeauth.login import SignIn
from scribeauth.models import Challenge
from scribeauth.prompt import Terminal


@pytest.fixture
def stack(scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    monkeypatch.setenv("SCRIBEAUTH_CACHE_DIR", str(Path(os.environ["HOME"]) / "cache"))
    return scribe_stack


class Person:
    """Someone at a real pseudo-terminal who answers prompts by what they say."""

    def __init__(self, answers: dict[str, Callable[[], str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self._screen = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import select

        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                self._screen += os.read(self.master, 4096).decode("utf-8", "replace")
            except OSError:
                return
            for prompt, answer in self.answers.items():
                if prompt in self._screen:
                    self.asked.append(prompt)
                    self._screen = ""
                    os.write(self.master, (answer() + "\n").encode())
                    break

    def terminal(self) -> Terminal:
        return Terminal(self.path)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def person() -> Iterator[Callable[[dict[str, Callable[[], str]]], Person]]:
    made: list[Person] = []

    def make(answers: dict[str, Callable[[], str]]) -> Person:
        made.append(Person(answers))
        return made[-1]

    yield make
    for one in made:
        one.close()


def _code(stack: LocalStack, username: str) -> Callable[[], str]:
    return lambda: str(stack.codes(username)[-1]["code"])


# -- rotation ------------------------------------------------------------------------------------


def _rotating_profile(stack: LocalStack) -> None:
    write_profile(stack, user="judy", extra={"scribe_client_id": stack.seed.rotating_client_id})


def test_sixteen_racers_on_a_rotating_client_refresh_once(stack: LocalStack) -> None:
    _rotating_profile(stack)
    stack.token_lifetime = 240  # the id token needs refreshing before it is used again
    first = signed_in(stack, user="judy")
    assert first.tokens is not None
    old_refresh = first.tokens.refresh_token
    expire_soon(stack)
    children = [start_process() for _ in range(16)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert [child.returncode for child in children] == [0] * 16, [err for _, err in outputs]
    assert len({json.loads(out)["AccessKeyId"] for out, _ in outputs}) == 1
    assert stack.recorder.count("GetTokensFromRefreshToken") == 1
    # The rotated token was saved under the lock; the old one is dead (grace period 0).
    saved = broker(stack).cache.load()
    assert saved is not None
    assert saved.tokens is not None
    assert saved.tokens.refresh_token not in (None, old_refresh)
    client = SignIn(client_id=stack.seed.rotating_client_id, user_pool_id=stack.seed.user_pool_id)
    with pytest.raises(UnauthorizedException):
        client.refresh(old_refresh or "")
    # The next refresh, with the rotated token, works.
    stack.recorder.reset()
    expire_soon(stack)
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert calls(stack) == ["GetTokensFromRefreshToken", "GetCredentialsForIdentity"]
    assert stack.recorder.count("InitiateAuth", "REFRESH_TOKEN_AUTH") == 0


def test_a_refresh_beaten_by_another_process_uses_its_rotated_token(stack: LocalStack) -> None:
    _rotating_profile(stack)
    stack.token_lifetime = 240
    signed_in(stack, user="judy")
    ours, theirs = broker(stack), broker(stack)
    stale = ours.cached()
    assert stale is not None
    stack.token_lifetime = 3600  # the tokens the other process gets are good for an hour
    # Another process refreshes first and rotates the token.
    with theirs.cache.lock():
        rotated = theirs._refresher.refresh_tokens(theirs.cached() or stale)
    assert rotated is not None
    assert rotated.tokens is not None
    # Ours, still holding the old token, is refused, re-reads the cache and carries on.
    with ours.cache.lock():
        renewed = ours._refresher.refresh_tokens(stale)
    assert renewed is not None
    assert renewed.tokens is not None
    assert renewed.tokens.refresh_token == rotated.tokens.refresh_token
    assert stack.recorder.count("GetTokensFromRefreshToken") == 2  # one refused
    assert broker(stack).status().signed_in


# -- remembered devices --------------------------------------------------------------------------


def _devices_profile(stack: LocalStack) -> None:
    pool = stack.seed.devices_pool
    write_profile(
        stack,
        user="hank",
        extra={"scribe_user_pool_id": pool.user_pool_id, "scribe_client_id": pool.public_client_id},
    )


def test_remembered_device_skips_mfa_then_is_listed_and_forgotten(
    stack: LocalStack,
    person: Callable[[dict[str, Callable[[], str]]], Person],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    totp = pyotp.TOTP(hank.totp_secret or "")
    answers = {
        "Password for hank": lambda: hank.password,
        "MFA code from your authenticator app": lambda: totp.at(stack.now()),
        "Remember this device?": lambda: "y",
    }
    first = person(answers)
    broker(stack, terminal=first.terminal()).sign_in()
    assert first.asked == list(answers)
    assert stack.recorder.count("ConfirmDevice") == 1
    assert stack.recorder.count("UpdateDeviceStatus") == 1
    cache = broker(stack).cache
    device = cache.load_device()
    assert device is not None
    assert stat.S_IMODE(cache.device_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.device_path.parent.stat().st_mode) == 0o700
    assert device.password not in repr(device)

    # Logout keeps the device; the next sign-in asks for the password only.
    assert main(["logout", "--profile", PROFILE]) == 0
    assert cache.load_device() == device
    stack.recorder.reset()
    second = person(answers)
    broker(stack, terminal=second.terminal()).sign_in()
    assert second.asked == ["Password for hank"]
    assert stack.recorder.count("RespondToAuthChallenge", None) >= 3
    verifier = [
        r
        for r in stack.recorder.requests
        if r["operation"] == "RespondToAuthChallenge"
        and r["params"].get("ChallengeName") == "DEVICE_PASSWORD_VERIFIER"
    ]
    assert len(verifier) == 1
    assert verifier[0]["params"]["ChallengeResponses"]["DEVICE_KEY"] == device.key

    # Every refresh sends the device key.
    stack.recorder.reset()
    stack.clock_offset = 3600 - 60
    broker(stack).credentials(interactive=False)
    [refresh] = [
        r for r in stack.recorder.requests if r["operation"] == "GetTokensFromRefreshToken"
    ]
    assert refresh["params"]["DeviceKey"] == device.key

    # `scribeauth devices` lists it as this machine's, remembered; `forget` removes it.
    capsys.readouterr()
    assert main(["devices", "--profile", PROFILE, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["key"], r["this_machine"], r["remembered"]) for r in rows] == [
        (device.key, True, True)
    ]
    assert main(["devices", "forget", "--profile", PROFILE]) == 0
    assert device.key in capsys.readouterr().out
    assert stack.recorder.count("ForgetDevice") == 1
    assert cache.load_device() is None
    assert main(["devices", "--profile", PROFILE]) == 0
    assert "no device" in capsys.readouterr().out
    assert device.password not in str(stack.recorder.requests)


def test_device_not_remembered_without_a_terminal_or_setting(stack: LocalStack) -> None:
    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    code = pyotp.TOTP(hank.totp_secret or "").at(stack.now())
    broker(stack).sign_in(password=hank.password, mfa_code=code, remember_device=False)
    assert stack.recorder.count("ConfirmDevice") == 1
    assert stack.recorder.count("UpdateDeviceStatus") == 0
    assert broker(stack).cache.load_device() is not None


def test_logout_forget_device_forgets_it_at_cognito_too(stack: LocalStack) -> None:
    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    code = pyotp.TOTP(hank.totp_secret or "").at(stack.now())
    broker(stack).sign_in(password=hank.password, mfa_code=code, remember_device=True)
    assert main(["logout", "--forget-device", "--profile", PROFILE]) == 0
    assert stack.recorder.count("ForgetDevice") == 1
    assert broker(stack).cache.load_device() is None


def test_a_failed_confirm_device_does_not_fail_the_sign_in(stack: LocalStack) -> None:
    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    code = pyotp.TOTP(hank.totp_secret or "").at(stack.now())
    stack.faults.add("ConfirmDevice", "500", times=10)
    entry = broker(stack).sign_in(password=hank.password, mfa_code=code, remember_device=True)
    assert entry.credentials is not None
    assert broker(stack).cache.load_device() is None


# -- passwordless --------------------------------------------------------------------------------


def test_passwordless_user_signs_in_with_an_email_code(
    stack: LocalStack, person: Callable[[dict[str, Callable[[], str]]], Person]
) -> None:
    write_profile(
        stack,
        user="iris",
        extra={"scribe_auth_flow": "USER_AUTH", "scribe_preferred_challenge": "EMAIL_OTP"},
    )
    someone = person({"Code sent to your e-mail": _code(stack, "iris")})
    broker(stack, terminal=someone.terminal()).sign_in()
    assert someone.asked == ["Code sent to your e-mail"]
    assert stack.recorder.count("InitiateAuth", "USER_AUTH") == 1
    stack.recorder.reset()
    expire_soon(stack)
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Version"] == 1


def test_passwordless_user_picks_a_factor_on_the_terminal(
    stack: LocalStack, person: Callable[[dict[str, Callable[[], str]]], Person]
) -> None:
    write_profile(stack, user="iris", extra={"scribe_auth_flow": "USER_AUTH"})
    someone = person(
        {"Sign in with?": lambda: "a code sent to your phone", "Code sent": _code(stack, "iris")}
    )
    entry = broker(stack, terminal=someone.terminal()).sign_in()
    assert entry.tokens is not None
    assert someone.asked == ["Sign in with?", "Code sent"]
    assert stack.codes("iris")[-1]["purpose"] == "SMS_OTP"


def test_user_auth_with_a_password_asks_for_it_only_when_cognito_does(
    stack: LocalStack, person: Callable[[dict[str, Callable[[], str]]], Person]
) -> None:
    write_profile(stack, user="alice", extra={"scribe_auth_flow": "USER_AUTH"})
    alice = stack.seed.users["alice"]
    someone = person({"Password for alice": lambda: alice.password})
    entry = broker(stack, terminal=someone.terminal()).sign_in()
    assert entry.tokens is not None
    assert someone.asked == ["Password for alice"]
    assert stack.recorder.count("RespondToAuthChallenge", None) >= 1


# -- lock-out ------------------------------------------------------------------------------------


def test_locked_out_user_gets_one_clear_line(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    write_profile(stack)
    client = SignIn(client_id=stack.seed.public_client_id, user_pool_id=stack.seed.user_pool_id)
    for _ in range(5):
        with pytest.raises(UnauthorizedException):
            client.start("alice", "Wr0ng-Passw0rd!")
    monkeypatch.setattr("sys.stdin", io.StringIO(stack.seed.users["alice"].password + "\n"))
    capsys.readouterr()
    code = main(["login", "--profile", PROFILE, "--password-stdin"])
    err = capsys.readouterr().err
    assert code == 5
    assert len(err.strip().splitlines()) == 1
    assert "locked out" in err
    assert "wait" in err


def test_a_device_cognito_forgot_is_dropped_and_a_new_one_confirmed(stack: LocalStack) -> None:
    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    totp = pyotp.TOTP(hank.totp_secret or "")
    entry = broker(stack).sign_in(
        password=hank.password, mfa_code=totp.at(stack.now()), remember_device=True
    )
    cache = broker(stack).cache
    old = cache.load_device()
    assert old is not None
    assert entry.tokens is not None
    pool = stack.seed.devices_pool
    client = SignIn(client_id=pool.public_client_id, user_pool_id=pool.user_pool_id)
    client.forget_device(entry.tokens.access_token, old.key)  # elsewhere; this cache keeps it
    stack.clock_offset = 31  # the next TOTP window
    broker(stack).sign_in(
        password=hank.password, mfa_code=totp.at(stack.now()), remember_device=True
    )
    new = cache.load_device()
    assert new is not None
    assert new.key != old.key
    assert stack.recorder.count("ConfirmDevice") == 2


def test_a_passkey_only_factor_points_to_the_browser_sign_in() -> None:
    client = SignIn(client_id="c", user_pool_id="eu-west-2_Abc", auth_flow="USER_AUTH")
    offered = Challenge("SELECT_CHALLENGE", "s", {"AVAILABLE_CHALLENGES": '["WEB_AUTHN"]'}, "iris")
    with pytest.raises(ConfigError, match="login --browser"):
        client.answer(offered, "WEB_AUTHN")
    with pytest.raises(ConfigError, match="login --browser"):
        client._outcome({"ChallengeName": "WEB_AUTHN", "Session": "s"}, "iris")
    with pytest.raises(ConfigError, match="login --browser"):
        Dialogue(None)._choose(client, offered, "iris", None)


def test_debug_login_on_a_new_device_shows_no_device_secret(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import re

    _devices_profile(stack)
    hank = stack.seed.users["hank"]
    code = pyotp.TOTP(hank.totp_secret or "").at(stack.now())
    monkeypatch.setattr("sys.stdin", io.StringIO(hank.password + "\n"))
    args = ["--debug", "login", "--profile", PROFILE, "--password-stdin", "--mfa-code", code]
    assert main([*args, "--remember-device"]) == 0
    shown = capsys.readouterr()
    device = broker(stack).cache.load_device()
    assert device is not None
    assert "ConfirmDevice" in shown.err  # the debug log did cover the call
    assert device.password not in shown.out + shown.err
    assert not re.search(r"PasswordVerifier['\"]?\s*:\s*['\"](?!\*)", shown.err)


# -- the fallback: an endpoint that does not know GetTokensFromRefreshToken ----------------------


class _OlderEndpoint:
    """A real HTTP endpoint in front of the stack that answers GetTokensFromRefreshToken with
    UnknownOperationException (as an emulator without it does) and passes the rest on."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import urllib.error
        import urllib.request

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("X-Amz-Target", "").endswith(".GetTokensFromRefreshToken"):
                    # As AWS words it; botocore keeps what follows the '#'.
                    unknown = b'{"__type":"com.amazon.coral.service#UnknownOperationException"}'
                    self._reply(400, {"Content-Type": "application/x-amz-json-1.1"}, unknown)
                    return
                forward = urllib.request.Request(
                    upstream + self.path, data=body, method="POST", headers=dict(self.headers)
                )
                try:
                    with urllib.request.urlopen(forward, timeout=30) as answer:
                        self._reply(answer.status, dict(answer.headers), answer.read())
                except urllib.error.HTTPError as refused:
                    self._reply(refused.code, dict(refused.headers), refused.read())

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_refresh_falls_back_only_where_the_endpoint_does_not_know_the_operation(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = stack.seed
    client = SignIn(client_id=seed.public_client_id, user_pool_id=seed.user_pool_id)
    tokens = client.start("alice", seed.users["alice"].password)
    assert not isinstance(tokens, Challenge)
    older = _OlderEndpoint(stack.endpoint_url)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", older.url)
        stack.recorder.reset()
        refreshed = client.refresh(tokens.refresh_token or "")
        assert refreshed.username == "alice"
        assert stack.recorder.count("InitiateAuth", "REFRESH_TOKEN_AUTH") == 1
        # Any other refusal is not a reason to fall back: an unknown token stays refused.
        stack.recorder.reset()
        monkeypatch.setenv("AWS_ENDPOINT_URL", stack.endpoint_url)
        with pytest.raises(UnauthorizedException):
            client.refresh("not-a-refresh-token")
        assert stack.recorder.operations() == ["GetTokensFromRefreshToken"]
    finally:
        older.close()
