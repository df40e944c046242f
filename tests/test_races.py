"""Races and crashes: many consumers at expiry, and processes killed mid-write or mid-refresh.

- 16 ``scribeauth-credentials`` processes and 8 in-process threads asking at once, all at
  expiry, cause exactly one refresh at the stack and all get the same credentials;
- a writer SIGKILLed at random points of ``ProfileCache.save()`` leaves the old entry or the new
  one, never a torn file;
- a ``scribeauth-credentials`` SIGKILLed while it holds the lock and waits on Cognito does not
  block the next run: the kernel drops its lock, and the tokens it already refreshed are kept.
"""

from __future__ import annotations

import base64
import json
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scribeauth.cache import CacheEntry, ProfileCache
from scribeauth.errors import RefreshBusyError
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    broker,
    calls,
    expire_soon,
    process_command,
    run,
    signed_in,
    start_process,
)
from scribeauth.models import AwsCredentials, Tokens

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

PROCESSES = 16
THREADS = 8


def wait_for(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


# -- 16 processes and 8 threads at expiry -------------------------------------------------------


def test_sixteen_processes_and_eight_threads_at_expiry_refresh_once(stack: LocalStack) -> None:
    before = signed_in(stack)
    assert before.credentials is not None
    expire_soon(stack)
    start = threading.Barrier(THREADS + 1)
    thread_keys: list[str] = []
    thread_errors: list[BaseException] = []

    def in_process() -> None:
        try:
            start.wait()
            # Each thread its own Broker, as independent callers in one process would be.
            creds = broker(stack).credentials(interactive=False)
            thread_keys.append(json.dumps(creds.to_process_json(), sort_keys=True))
        except BaseException as err:
            thread_errors.append(err)

    threads = [threading.Thread(target=in_process) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    children = [start_process() for _ in range(PROCESSES)]
    start.wait()  # the threads go while the children are still starting up
    for thread in threads:
        thread.join(timeout=60)
    outputs = [child.communicate(timeout=60) for child in children]

    assert thread_errors == []
    assert [child.returncode for child in children] == [0] * PROCESSES, outputs
    assert [err for _, err in outputs] == [""] * PROCESSES
    documents = [json.loads(out) for out, _ in outputs]
    printed = {json.dumps(document, sort_keys=True) for document in documents}
    assert len(printed) == 1  # identical, byte for byte once parsed
    assert set(thread_keys) == printed
    (document,) = [json.loads(text) for text in printed]
    assert document["Version"] == 1
    assert document["AccessKeyId"] != before.credentials.access_key_id
    assert stack.recorder.count("GetCredentialsForIdentity") == 1
    assert stack.recorder.count("InitiateAuth") == 0
    assert stack.recorder.count("GetId") == 0


# -- SIGKILL in the middle of a cache write ----------------------------------------------------

_WRITER = """
import json, sys
from pathlib import Path
from scribeauth.cache import ProfileCache, entry_from_dict
cache = ProfileCache(sys.argv[1], sys.argv[2], directory=Path(sys.argv[3]))
entries = [entry_from_dict(doc) for doc in json.loads(Path(sys.argv[4]).read_text())]
cache.save(entries[0])
print("saving", flush=True)
while True:
    for entry in entries:
        cache.save(entry)
"""


def _jwt(claims: dict[str, object]) -> str:
    def part(value: object) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.c2ln"


def _large_entry(fingerprint: str, label: str, size: int) -> CacheEntry:
    """An entry of about ``size`` bytes whose every field says ``label``."""
    exp = int(time.time()) + 3600
    pad = label * (size // (3 * len(label)))
    return CacheEntry(
        fingerprint=fingerprint,
        username=f"user-{label}",
        tokens=Tokens(
            id_token=_jwt({"exp": exp, "cognito:username": label, "pad": pad}),
            access_token=_jwt({"exp": exp, "pad": pad}),
            refresh_token=f"refresh-{label}-" + pad,
        ),
        identity_id=f"eu-west-2:{label}",
        credentials=AwsCredentials(
            f"ASIA{label.upper()}",
            f"secret-{label}",
            f"session-{label}",
            datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1),
        ),
    )


def test_sigkill_during_cache_writes_leaves_old_or_new(tmp_path: Path) -> None:
    from scribeauth.cache import entry_to_dict

    folder = tmp_path / "cache"
    cache = ProfileCache("scribe", "fp", directory=folder)
    labels = ("aaaa", "bbbb", "cccc")
    # About 300 kB each: a write is many syscalls long, so a kill often lands inside one.
    entries = {label: _large_entry("fp", label, 300_000) for label in labels}
    source = tmp_path / "entries.json"
    source.write_text(json.dumps([entry_to_dict(entries[label]) for label in labels]))
    seen = set()
    kills = 8
    rng = random.Random(6)
    for _ in range(kills):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, "scribe", "fp", str(folder), str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == "saving\n", writer.communicate()
        time.sleep(rng.uniform(0.0, 0.15))  # a random point in the loop of saves
        writer.send_signal(signal.SIGKILL)
        writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        loaded = cache.load()
        assert loaded is not None  # never torn: some complete entry
        assert loaded.credentials is not None
        label = loaded.credentials.access_key_id.removeprefix("ASIA").lower()
        assert loaded == entries[label]
        seen.add(label)
        assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert seen  # and the loop did run through the entries
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # A writer killed between creating its temp file and renaming it leaves that file behind;
    # nothing sweeps them (yet), so at most one per kill, and each as private as the cache.
    leftovers = list(folder.glob(f".{cache.path.name}.*.tmp"))
    print(f"{len(leftovers)} temp files left by {kills} killed writers")
    assert len(leftovers) <= kills
    for leftover in leftovers:
        assert stat.S_IMODE(leftover.stat().st_mode) == 0o600
    # The next save still works, and the entry is whole.
    cache.save(entries["aaaa"])
    assert cache.load() == entries["aaaa"]


# -- SIGKILL in the middle of a refresh --------------------------------------------------------


def _lock_is_free(cache: ProfileCache) -> bool:
    try:
        with cache.lock(timeout=0):
            return True
    except RefreshBusyError:
        return False


def test_sigkill_during_a_refresh_does_not_block_the_next_run(stack: LocalStack) -> None:
    stack.token_lifetime = 240  # the child must refresh the tokens first, then the credentials
    signed_in(stack)
    stack.token_lifetime = 3600
    entry = expire_soon(stack)
    assert entry.tokens is not None
    cache = broker(stack).cache
    stack.faults.add("GetCredentialsForIdentity", "delay", times=1, delay=3.0)
    child = start_process()
    try:
        # The child has refreshed the tokens and waits on GetCredentialsForIdentity, locked.
        wait_for(lambda: stack.recorder.count("GetCredentialsForIdentity") == 1, "the exchange")
        assert child.poll() is None
        assert not _lock_is_free(cache)
    finally:
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert out == ""

    assert cache.lock_path.exists()  # the lock file stays; the lock on it does not
    assert _lock_is_free(cache)
    kept = cache.load()
    assert kept is not None  # readable: the refreshed tokens, saved before the exchange
    assert kept.tokens is not None
    assert kept.tokens.id_token != entry.tokens.id_token
    assert kept.tokens.refresh_token == entry.tokens.refresh_token

    stack.recorder.reset()
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert entry.credentials is not None
    assert document["AccessKeyId"] != entry.credentials.access_key_id
    # No second token refresh: the killed run's tokens were kept.
    assert calls(stack) == ["GetCredentialsForIdentity"]
    assert cache.load() is not None
    assert [p.name for p in cache.directory.iterdir() if p.name.endswith(".tmp")] == []


def test_sigkill_while_waiting_for_the_lock(stack: LocalStack) -> None:
    """A process killed while queued behind the lock leaves nothing behind either."""
    signed_in(stack)
    expire_soon(stack)
    cache = broker(stack).cache
    with cache.lock():
        child = start_process(SCRIBEAUTH_DEBUG="1")
        try:
            assert child.stderr is not None
            # Logged just before it takes the lock, which this test holds.
            assert "refreshing" in child.stderr.readline()
            time.sleep(0.2)  # a few polls of the lock
            assert child.poll() is None
        finally:
            child.send_signal(signal.SIGKILL)
            child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert _lock_is_free(cache)
    assert stack.recorder.requests == []
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert stack.recorder.count("GetCredentialsForIdentity") == 1
