"""The credential chain under contention, failure and a wrong clock (``scribeauth-credentials``
as the AWS tools run it, against the strict stack with its faults and ``clock_offset``).

Each test prints the figures it measured (``pytest -s`` shows them)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import termios
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scribeauth import backoff
from scribeauth.config import load_profile
from scribeauth.credentials import Broker
from scribeauth.errors import ServiceUnavailableError
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    PROFILE,
    broker,
    calls,
    child_env,
    process_command,
    run,
    signed_in,
    write_profile,
)
from scribeauth.local.testing.pty import Pty
from scribeauth.models import parse_expiration

pytestmark = pytest.mark.with_profile()


def left_in_cache(stack: LocalStack, left: timedelta, lifetime: timedelta) -> None:
    """Makes the cached credentials ones of ``lifetime`` with ``left`` to go (real time)."""
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    assert entry.credentials is not None
    expires = datetime.now(timezone.utc).replace(microsecond=0) + left
    moved = dataclasses.replace(entry.credentials, expires_at=expires, issued_at=expires - lifetime)
    cache.save(entry.replace(credentials=moved))


def race(count: int, **env: str) -> list[tuple[int, str, str, float]]:
    """``count`` runs started together; (exit code, stdout, stderr, seconds) each."""
    started = time.monotonic()
    children = [
        subprocess.Popen(
            process_command(),
            env=child_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        results.append((child.returncode, out, err, time.monotonic() - started))
    return results


def keys(results: list[tuple[int, str, str, float]]) -> set[str]:
    return {json.loads(out)["AccessKeyId"] for _, out, _, _ in results}


# -- serve what is still good -------------------------------------------------------------------


def test_a_failing_refresh_serves_credentials_still_good_and_backs_off(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    left_in_cache(stack, timedelta(minutes=19), timedelta(hours=1))
    stack.faults.add("GetCredentialsForIdentity", "500", times=100)
    started = time.monotonic()
    first = run(process_command())
    took = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["AccessKeyId"] == entry.credentials.access_key_id
    lines = first.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("scribeauth-credentials: warning: could not refresh")
    assert "next attempt in 60 s" in lines[0]
    tried = stack.recorder.count("GetCredentialsForIdentity")
    assert tried >= 1
    stack.recorder.reset()
    second = run(process_command())
    assert second.returncode == 0
    assert second.stdout == first.stdout
    assert len(second.stderr.splitlines()) == 1
    assert stack.recorder.requests == []  # the back-off holds across processes
    print(
        f"\n19 min left, persistent 500: exit 0 in {took:.1f} s after {tried} attempts; "
        f"second call: exit 0, {len(stack.recorder.requests)} upstream calls"
    )


def test_back_off_grows_and_a_success_clears_it(stack: LocalStack) -> None:
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=10), timedelta(hours=1))
    cache = broker(stack).cache
    stack.faults.add("GetCredentialsForIdentity", "garble", times=2)
    clock = [datetime.now(timezone.utc)]
    the_broker = Broker(load_profile(PROFILE), now=lambda: clock[0], warn=lambda _: None)
    the_broker.credentials()
    first = backoff.read(cache)
    assert first is not None
    assert first.until - first.at == 60
    clock[0] += timedelta(seconds=61)  # the back-off is over: try again, fail again
    the_broker.credentials()
    second = backoff.read(cache)
    assert second is not None
    assert (second.failures, second.until - second.at) == (2, 120)
    clock[0] += timedelta(seconds=121)
    fresh = the_broker.credentials()  # works now: the record goes
    assert fresh.fresh(clock[0])
    assert backoff.read(cache) is None


def test_nothing_usable_left_fails_with_the_error(stack: LocalStack) -> None:
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=4), timedelta(hours=1))
    stack.faults.add("GetCredentialsForIdentity", "garble", times=100)
    result = run(process_command())
    assert result.returncode == 6
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


# -- a deadline ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_hung_cognito_fails_every_racer_within_the_deadline(stack: LocalStack) -> None:
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=1), timedelta(hours=1))  # nothing usable
    stack.faults.add("GetCredentialsForIdentity", "delay", times=100, delay=40.0)
    results = race(4)
    for code, out, err, _ in results:
        assert code not in (0, 1, 8), err
        assert out == ""
        assert len(err.splitlines()) == 1, err
    slowest = max(seconds for *_, seconds in results)
    assert slowest < 30
    codes = sorted(code for code, *_ in results)
    print(
        f"\nhung Cognito, 4 racers: exit codes {codes}, slowest {slowest:.1f} s, "
        f"{stack.recorder.count('GetCredentialsForIdentity')} attempts upstream"
    )
    print("\n".join(err.strip() for _, _, err, _ in results))


def test_the_deadline_is_a_profile_setting(stack: LocalStack) -> None:
    write_profile(stack, extra={"scribe_refresh_deadline": "8"})
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=1), timedelta(hours=1))
    stack.faults.add("GetCredentialsForIdentity", "delay", times=100, delay=40.0)
    started = time.monotonic()
    result = run(process_command())
    took = time.monotonic() - started
    assert result.returncode == 6
    assert "8 s refresh deadline" in result.stderr
    assert took < 12


def test_a_waiter_gets_the_holders_failure_not_a_second_attempt(stack: LocalStack) -> None:
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=1), timedelta(hours=1))
    stack.faults.add("GetCredentialsForIdentity", "garble", times=1)
    cache = broker(stack).cache
    with cache.lock():
        children = [
            subprocess.Popen(
                process_command(),
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for _ in range(3)
        ]
        time.sleep(1.0)  # all three wait on the lock
    outcomes = [child.communicate(timeout=60) for child in children]
    codes = sorted(child.returncode for child in children)
    # One holder met the garbled reply (exit 6); the others got its error, exit 9.
    assert codes == [6, 9, 9], outcomes
    assert stack.recorder.count("GetCredentialsForIdentity") == 1
    busy = [
        err for (_, err), child in zip(outcomes, children, strict=True) if child.returncode == 9
    ]
    for err in busy:
        assert "another scribeauth process refreshing profile 'scribe' failed" in err


# -- windows that fit the lifetime --------------------------------------------------------------


@pytest.mark.slow
def test_ten_minute_credentials_come_from_the_cache_and_refresh_once(stack: LocalStack) -> None:
    stack.credential_lifetime = 600
    entry = signed_in(stack)
    assert entry.credentials is not None
    fresh = race(32)
    assert [code for code, *_ in fresh] == [0] * 32
    assert keys(fresh) == {entry.credentials.access_key_id}
    upstream_fresh = len(calls(stack))
    assert upstream_fresh == 0
    left_in_cache(stack, timedelta(seconds=150), timedelta(minutes=10))  # inside 200 s
    due = race(32)
    assert [code for code, *_ in due] == [0] * 32, [err for _, _, err, _ in due]
    assert len(keys(due)) == 1
    assert keys(due) != {entry.credentials.access_key_id}
    upstream_due = stack.recorder.count("GetCredentialsForIdentity")
    assert upstream_due == 1
    print(
        f"\n10-minute credentials, 32 racers: fresh {upstream_fresh} calls; "
        f"at expiry {upstream_due} call, {len(keys(due))} document"
    )


# -- Cognito's clock ----------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [-45, 45], ids=["cognito-behind", "cognito-ahead"])
def test_cognitos_clock_keeps_the_lifetime_true(stack: LocalStack, minutes: int) -> None:
    stack.clock_offset = minutes * 60
    warnings: list[str] = []
    alice = stack.seed.users["alice"]
    Broker(load_profile(PROFILE), warn=warnings.append).sign_in(password=alice.password)
    assert len(warnings) == 1  # once per sign-in
    assert f"{abs(minutes)} min" in warnings[0]
    stack.recorder.reset()
    results = [run(process_command()) for _ in range(3)]
    for result in results:
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
    expires = parse_expiration(json.loads(results[0].stdout)["Expiration"])
    left = (expires - datetime.now(timezone.utc)).total_seconds()
    assert abs(left - 3600) < 5 * 60
    assert calls(stack) == []
    # After a refresh, too.
    left_in_cache(stack, timedelta(minutes=2), timedelta(hours=1))
    refreshed = run(process_command())
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stderr == ""  # warned once per sign-in, not on every refresh
    assert calls(stack) == ["GetCredentialsForIdentity"]
    expires = parse_expiration(json.loads(refreshed.stdout)["Expiration"])
    after = (expires - datetime.now(timezone.utc)).total_seconds()
    assert abs(after - 3600) < 5 * 60
    stack.recorder.reset()
    sequential = [run(process_command()) for _ in range(3)]
    racers = race(8)
    assert [r.returncode for r in sequential] == [0, 0, 0]
    assert [code for code, *_ in racers] == [0] * 8
    assert calls(stack) == []
    status = broker(stack).status()
    assert status.clock_offset == minutes * 60 or abs(status.clock_offset - minutes * 60) < 5
    print(
        f"\nCognito {minutes:+d} min: printed lifetime {left / 60:.1f} min after sign-in, "
        f"{after / 60:.1f} min after a refresh; 3 sequential + 8 racers: "
        f"{len(calls(stack))} upstream calls"
    )


def test_credentials_already_expired_are_never_printed(stack: LocalStack) -> None:
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=1), timedelta(hours=1))
    stack.credential_lifetime = 0  # expired when issued
    result = run(process_command())
    assert result.returncode == 7, result.stderr
    assert result.stdout == ""
    assert "check this machine's clock" in result.stderr


# -- one prompt for N callers -------------------------------------------------------------------


def test_four_callers_on_one_terminal_prompt_once(stack: LocalStack) -> None:
    if not hasattr(os, "openpty"):
        pytest.skip("needs POSIX pseudo-terminals")
    from scribeauth.local.testing.pty import PtyCommand

    alice = stack.seed.users["alice"]
    out_dir = Path(os.environ["HOME"]) / "outs"
    out_dir.mkdir()
    command = " ".join(process_command())
    # As a Makefile or a shell loop runs them: one terminal, four at once, no session cached.
    script = f"for i in 1 2 3 4; do {command} > {out_dir}/out$i 2> {out_dir}/err$i & done; wait"
    shell = PtyCommand(["/bin/sh", "-c", script])
    try:
        shell.expect("Password for alice: ")
        time.sleep(1.5)  # the other three are running by now, and must not prompt
        # Meanwhile a caller with no terminal does not wait for the person: it fails at once.
        started = time.monotonic()
        detached = run(process_command())
        detached_took = time.monotonic() - started
        shell.type(alice.password)
        code, _, _ = shell.finish()
        echo_on = bool(termios.tcgetattr(shell.master)[3] & termios.ECHO)
    finally:
        shell.close()
    assert code == 0
    assert detached.returncode == 4
    assert "run: scribeauth login --profile scribe" in detached.stderr
    assert detached_took < 20
    prompts = shell.screen.count("Password for")
    assert prompts == 1, shell.screen
    assert alice.password not in shell.screen
    assert echo_on
    documents = [(out_dir / f"out{i}").read_text() for i in range(1, 5)]
    errors = [(out_dir / f"err{i}").read_text() for i in range(1, 5)]
    assert errors == [""] * 4
    assert len(set(documents)) == 1
    assert json.loads(documents[0])["Version"] == 1
    sign_ins = stack.recorder.count("InitiateAuth", "USER_SRP_AUTH")
    assert sign_ins == 1
    assert calls(stack).count("GetCredentialsForIdentity") == 1
    print(
        f"\n4 callers on one pty: {prompts} prompt, {sign_ins} sign-in upstream, "
        f"{len(set(documents))} distinct answer, echo {'on' if echo_on else 'off'}"
    )


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGHUP"])
def test_a_signal_at_the_password_prompt_restores_the_terminal(
    stack: LocalStack, signum: str
) -> None:
    if not hasattr(os, "openpty"):
        pytest.skip("needs POSIX pseudo-terminals")
    import signal

    from scribeauth.local.testing.pty import PtyCommand

    command = PtyCommand(process_command())
    try:
        command.expect("Password for alice: ")
        assert not termios.tcgetattr(command.master)[3] & termios.ECHO  # hidden while asked
        command.process.send_signal(getattr(signal, signum))
        code, out, _ = command.finish()
        echo_on = bool(termios.tcgetattr(command.master)[3] & termios.ECHO)
    finally:
        command.close()
    assert code == -getattr(signal, signum)  # it still dies of the signal
    assert out == ""
    assert echo_on
    assert not broker(stack).cache.sign_in_lock_path.exists() or _sign_in_lock_free(stack)


def _sign_in_lock_free(stack: LocalStack) -> bool:
    from scribeauth.errors import RefreshBusyError
    from scribeauth.lock import FileLock

    cache = broker(stack).cache
    try:
        with FileLock(cache.sign_in_lock_path, lambda *_: None, RefreshBusyError, 0.5):
            return True
    except RefreshBusyError:
        return False


def test_threads_of_one_process_prompt_once(stack: LocalStack, pty: Pty) -> None:
    # The in-process provider's threads: one asks, the others wait for it and use its result.
    import threading

    from scribeauth.prompt import Terminal

    alice = stack.seed.users["alice"]
    results: list[object] = []

    def one() -> None:
        try:
            results.append(broker(stack, terminal=Terminal(pty.path)).credentials())
        except BaseException as err:
            results.append(err)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    pty.read_until("Password for alice: ")
    time.sleep(1.0)  # the other three are waiting by now, and must not prompt
    shown = pty.drain()
    pty.type(alice.password + "\n")
    for thread in threads:
        thread.join(30)
    assert shown.count(b"Password for") == 1
    assert pty.drain().count(b"Password for") == 1
    assert len(results) == 4
    assert all(not isinstance(r, BaseException) for r in results), results
    assert len({r.access_key_id for r in results}) == 1  # type: ignore[attr-defined]
    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 1


def test_the_in_process_refresh_has_the_deadline_too(stack: LocalStack) -> None:
    write_profile(stack, extra={"scribe_refresh_deadline": "4"})
    signed_in(stack)
    left_in_cache(stack, timedelta(minutes=1), timedelta(hours=1))
    stack.faults.add("GetCredentialsForIdentity", "delay", times=100, delay=30.0)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError, match="4 s refresh deadline"):
        broker(stack).credentials(interactive=False)
    assert time.monotonic() - started < 6


def test_a_session_that_ended_still_serves_its_good_credentials(stack: LocalStack) -> None:
    from scribeauth.login import SignIn

    entry = signed_in(stack)
    assert entry.tokens is not None
    assert entry.tokens.refresh_token
    assert entry.credentials is not None
    SignIn.from_profile(load_profile(PROFILE)).revoke(entry.tokens.refresh_token)
    left_in_cache(stack, timedelta(minutes=15), timedelta(hours=1))
    stack.recorder.reset()
    stack.clock_offset = 3600  # the id token has expired at Cognito: refused, and no refresh
    first = run(process_command())
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["AccessKeyId"] == entry.credentials.access_key_id
    assert "run: scribeauth login --profile scribe" in first.stderr
    assert len(first.stderr.splitlines()) == 1
    stack.recorder.reset()
    assert run(process_command()).returncode == 0
    assert stack.recorder.requests == []  # recorded: no second doomed refresh
