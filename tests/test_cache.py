"""The on-disk cache: round trip, permissions, atomic writes, bad files, the cross-process lock."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scribeauth.cache import (
    CacheEntry,
    ProfileCache,
    cache_dir,
    entry_from_dict,
    entry_to_dict,
)
from scribeauth.errors import CacheError, RefreshBusyError
from scribeauth.models import AwsCredentials, Tokens

FINGERPRINT = "f" * 64
SECRET_KEY = "SECRET-ACCESS-KEY-never-shown"
REFRESH = "REFRESH-TOKEN-never-shown"


def jwt(**claims: object) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def make_entry(fingerprint: str = FINGERPRINT) -> CacheEntry:
    return CacheEntry(
        fingerprint=fingerprint,
        username="alice@example.com",
        tokens=Tokens(
            id_token=jwt(sub="abc", exp=2_000_000_000, **{"cognito:username": "alice"}),
            access_token=jwt(sub="abc", exp=2_000_000_000),
            refresh_token=REFRESH,
        ),
        identity_id="eu-west-2:11111111-2222-3333-4444-555555555555",
        credentials=AwsCredentials(
            access_key_id="ASIAEXAMPLE",
            secret_access_key=SECRET_KEY,
            session_token="SESSION-TOKEN",
            expires_at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        ),
        identity_pool_id="eu-west-2:00000000-0000-0000-0000-000000000000",
        role_arn=None,
    )


@pytest.fixture
def cache(tmp_path: Path) -> ProfileCache:
    return ProfileCache("scribe", FINGERPRINT, directory=tmp_path / "cache")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


# -- round trip and layout ---------------------------------------------------------------------


def test_save_then_load_gives_the_same_entry(cache: ProfileCache) -> None:
    entry = make_entry()
    cache.save(entry)
    assert cache.load() == entry
    document = json.loads(cache.path.read_text(encoding="utf-8"))
    assert document["version"] == 1
    assert document["credentials"]["expiration"] == "2030-01-02T03:04:05Z"


def test_serialising_is_separate_from_saving() -> None:
    entry = make_entry()
    document = entry_to_dict(entry)
    assert entry_from_dict(json.loads(json.dumps(document))) == entry
    empty = CacheEntry(fingerprint=FINGERPRINT)
    assert entry_from_dict(entry_to_dict(empty)) == empty


def test_entry_repr_and_replace_keep_secrets_out() -> None:
    entry = make_entry()
    for text in (repr(entry), str(entry)):
        assert SECRET_KEY not in text
        assert REFRESH not in text
    changed = entry.replace(identity_id="x")
    assert changed.identity_id == "x"
    assert changed.tokens == entry.tokens


def test_scoped_to_drops_what_belongs_to_another_identity_pool_or_role() -> None:
    entry = make_entry()
    assert entry.scoped_to(entry.identity_pool_id, None) is entry
    other_role = entry.scoped_to(entry.identity_pool_id, "arn:aws:iam::123456789012:role/R")
    assert (other_role.credentials, other_role.identity_id) == (None, entry.identity_id)
    other_pool = entry.scoped_to("eu-west-2:99999999-0000-0000-0000-000000000000", None)
    assert (other_pool.credentials, other_pool.identity_id) == (None, None)
    assert other_pool.tokens == entry.tokens


def test_cache_dir_follows_the_environment(tmp_path: Path) -> None:
    home = str(tmp_path)
    assert cache_dir({"HOME": home}) == tmp_path / ".cache" / "scribeauth"
    assert cache_dir({"HOME": home, "XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/scribeauth")
    assert cache_dir({"HOME": home, "XDG_CACHE_HOME": "relative"}) == Path(
        home, ".cache", "scribeauth"
    )
    assert cache_dir({"HOME": home, "XDG_CACHE_HOME": "/xdg", "SCRIBEAUTH_CACHE_DIR": "/s"}) == (
        Path("/s")
    )


def test_default_directory_is_scribeauth_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRIBEAUTH_CACHE_DIR", str(tmp_path / "here"))
    assert ProfileCache("p", FINGERPRINT).path.parent == tmp_path / "here"


def test_profile_names_never_collide_or_escape(tmp_path: Path) -> None:
    names = [
        "scribe",
        "Scribe",
        "a/b",
        "a_b",
        "../up",
        "..",
        "",
        "a b",
        "a\\b",
        "ü",
        "u",
        "x" * 300,
    ]
    paths = [ProfileCache(name, FINGERPRINT, directory=tmp_path).path for name in names]
    assert len({str(path).lower() for path in paths}) == len(names)
    for path in paths:
        assert path.parent == tmp_path
        assert not path.name.startswith(".")
        assert len(path.name) < 100


# -- permissions and atomicity -----------------------------------------------------------------


def test_folder_0700_and_file_0600_even_with_an_open_umask(cache: ProfileCache) -> None:
    old = os.umask(0)
    try:
        cache.save(make_entry())
    finally:
        os.umask(old)
    assert mode(cache.directory) == 0o700
    assert mode(cache.path) == 0o600


def test_a_loose_folder_of_ours_is_tightened(cache: ProfileCache) -> None:
    cache.directory.mkdir(mode=0o755)
    cache.directory.chmod(0o755)
    cache.save(make_entry())
    assert mode(cache.directory) == 0o700


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown")
def test_a_folder_others_own_and_can_write_is_refused(cache: ProfileCache) -> None:
    cache.directory.mkdir()
    os.chown(cache.directory, 65534, -1)
    cache.directory.chmod(0o777)
    with pytest.raises(CacheError, match="SCRIBEAUTH_CACHE_DIR"):
        cache.save(make_entry())


def test_save_replaces_atomically_and_leaves_no_temp_files(cache: ProfileCache) -> None:
    cache.save(make_entry())
    first = os.stat(cache.path).st_ino
    updated = make_entry().replace(identity_id="eu-west-2:another")
    cache.save(updated)
    assert os.stat(cache.path).st_ino != first, "a new file was renamed over the old one"
    assert sorted(os.listdir(cache.directory)) == [cache.path.name]
    assert cache.load() == updated


def test_unwritable_folder_is_a_cache_error_naming_it_and_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = ProfileCache("scribe", FINGERPRINT, directory=blocker / "cache")
    with pytest.raises(CacheError) as err:
        cache.save(make_entry())
    text = str(err.value)
    assert str(blocker / "cache") in text
    assert "SCRIBEAUTH_CACHE_DIR" in text
    assert SECRET_KEY not in text
    assert err.value.exit_code == 8


@pytest.mark.skipif(hasattr(os, "getuid") and os.getuid() == 0, reason="root ignores modes")
def test_read_only_folder_is_a_cache_error(cache: ProfileCache) -> None:
    cache.directory.mkdir(mode=0o700)
    cache.directory.chmod(0o500)
    try:
        with pytest.raises(CacheError, match="cannot write"):
            cache.save(make_entry())
    finally:
        cache.directory.chmod(0o700)


# -- bad files load as absent ------------------------------------------------------------------


def valid_document(**changes: object) -> dict[str, object]:
    document = entry_to_dict(make_entry())
    document.update(changes)
    return document


def broken_credentials() -> dict[str, object]:
    document = valid_document()
    credentials = dict(document["credentials"])  # type: ignore[call-overload]
    credentials["expiration"] = "2030-01-02T03:04:05"  # naive
    document["credentials"] = credentials
    return document


BAD_CONTENTS = {
    "empty": b"",
    "not json": b"{not json",
    "binary": bytes(range(256)) * 4,
    "a list": b"[1, 2, 3]",
    "old version": json.dumps(valid_document(version=0)).encode(),
    "future version": json.dumps(valid_document(version=2)).encode(),
    "version as bool": json.dumps(valid_document(version=True)).encode(),
    "foreign fingerprint": json.dumps(valid_document(fingerprint="0" * 64)).encode(),
    "missing fingerprint": json.dumps(valid_document(fingerprint=None)).encode(),
    "truncated": json.dumps(valid_document()).encode()[:150],
    "tokens not an object": json.dumps(valid_document(tokens="x")).encode(),
    "token not a jwt": json.dumps(
        valid_document(tokens={"id_token": "x", "access_token": "y", "refresh_token": None})
    ).encode(),
    "naive expiration": json.dumps(broken_credentials()).encode(),
    "username not text": json.dumps(valid_document(username=5)).encode(),
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
    "too large": b" " * (2 << 20) + json.dumps(valid_document()).encode(),
}


@pytest.mark.parametrize("content", BAD_CONTENTS.values(), ids=BAD_CONTENTS.keys())
def test_unusable_file_loads_as_none_and_save_overwrites_it(
    cache: ProfileCache, content: bytes
) -> None:
    cache.directory.mkdir(mode=0o700)
    cache.path.write_bytes(content)
    assert cache.load() is None
    cache.save(make_entry())
    assert cache.load() == make_entry()


def test_absent_file_and_folder_load_as_none(cache: ProfileCache) -> None:
    assert cache.load() is None
    assert not cache.directory.exists(), "loading creates nothing"


def test_a_symlink_at_the_path_is_not_followed(cache: ProfileCache, tmp_path: Path) -> None:
    planted = tmp_path / "planted.json"
    planted.write_text(json.dumps(valid_document()), encoding="utf-8")
    cache.directory.mkdir(mode=0o700)
    cache.path.symlink_to(planted)
    assert cache.load() is None
    replacement = make_entry().replace(identity_id="mine")
    cache.save(replacement)
    assert not cache.path.is_symlink()
    assert json.loads(planted.read_text(encoding="utf-8")) == valid_document()
    assert cache.load() == replacement


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only")
def test_a_fifo_at_the_path_does_not_hang_load(cache: ProfileCache) -> None:
    cache.directory.mkdir(mode=0o700)
    os.mkfifo(cache.path)
    assert cache.load() is None


def test_delete_removes_file_and_lock_file(cache: ProfileCache) -> None:
    assert cache.delete() is False
    with cache.lock():
        cache.save(make_entry())
    assert cache.lock_path.exists()
    assert cache.delete() is True
    assert not cache.path.exists()
    assert not cache.lock_path.exists()
    assert cache.delete() is False


# -- the lock ----------------------------------------------------------------------------------

HOLDER = """
import os, sys, time
from pathlib import Path
from scribeauth.cache import ProfileCache
directory, marks, action = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
cache = ProfileCache("scribe", "f" * 64, directory=directory)
if action == "try":
    try:
        with cache.lock(timeout=0.3):
            print("acquired")
    except Exception as err:
        print(type(err).__name__)
    sys.exit(0)
with cache.lock(timeout=30):
    (marks / f"acquired-{os.getpid()}").write_text("")
    if action == "hold":
        while not (marks / "release").exists():
            time.sleep(0.01)
        (marks / "released").write_text("")
    elif action == "hang":
        time.sleep(600)
    elif action == "delete-then-release":
        while not (marks / "release").exists():
            time.sleep(0.01)
        cache.delete()
    elif action == "log":
        with open(marks / "log", "a") as log:
            log.write(f"begin {os.getpid()}\\n")
            log.flush()
            time.sleep(0.02)
            log.write(f"end {os.getpid()}\\n")
"""


Spawn = Callable[[str], "subprocess.Popen[str]"]


@pytest.fixture
def marks(tmp_path: Path) -> Path:
    path = tmp_path / "marks"
    path.mkdir()
    return path


@pytest.fixture
def spawn(cache: ProfileCache, marks: Path) -> Iterator[Spawn]:
    children: list[subprocess.Popen[str]] = []

    def start(action: str) -> subprocess.Popen[str]:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(cache.directory), str(marks), action],
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        return child

    yield start
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
        if child.stdout:
            child.stdout.close()


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def acquired(marks: Path) -> list[Path]:
    return sorted(marks.glob("acquired-*"))


def test_lock_excludes_a_second_process(cache: ProfileCache, marks: Path, spawn: Spawn) -> None:
    holder = spawn("hold")
    wait_for(lambda: acquired(marks))
    # Not exit 8 (the folder cannot be written): its own code, 9.
    with pytest.raises(RefreshBusyError) as err, cache.lock(timeout=0.2):
        pass
    assert err.value.exit_code == 9
    assert str(err.value) == (
        "timed out waiting for another scribeauth process to refresh profile 'scribe'; try again"
    )
    (marks / "release").write_text("")
    with cache.lock(timeout=30):
        # The holder marks the release inside its lock, so it must be visible by now.
        assert (marks / "released").exists()
    assert holder.wait(timeout=30) == 0


def test_lock_serialises_several_processes(marks: Path, spawn: Spawn) -> None:
    children = [spawn("log") for _ in range(4)]
    for child in children:
        assert child.wait(timeout=60) == 0
    lines = (marks / "log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8
    for begin, end in zip(lines[::2], lines[1::2], strict=True):
        assert begin.split()[0] == "begin"
        assert end == "end " + begin.split()[1]


def test_lock_of_a_killed_process_is_acquired(
    cache: ProfileCache, marks: Path, spawn: Spawn
) -> None:
    holder = spawn("hang")
    wait_for(lambda: acquired(marks))
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    with cache.lock(timeout=10):
        cache.save(make_entry())
    assert cache.load() == make_entry()


def test_lock_file_deleted_by_the_holder_does_not_let_two_in(
    cache: ProfileCache, marks: Path, spawn: Spawn
) -> None:
    # The holder unlinks the lock file while holding it (what logout does). Whatever the
    # timing, one holder at a time: lock() re-checks that the file it locked is still the
    # one at the path, else the waiter could sit on the orphan while a newcomer locks anew.
    spawn("delete-then-release")
    wait_for(lambda: acquired(marks))
    inside = threading.Event()
    leave = threading.Event()

    def waiter() -> None:
        with cache.lock(timeout=30):
            inside.set()
            leave.wait(30)

    thread = threading.Thread(target=waiter)
    thread.start()
    try:
        (marks / "release").write_text("")
        assert inside.wait(30)
        # Our waiter holds the lock: a newcomer must not get it through a new lock file.
        newcomer = spawn("try")
        out, _ = newcomer.communicate(timeout=30)
        assert out.strip() == "RefreshBusyError"
    finally:
        leave.set()
        thread.join(30)


def test_lock_excludes_other_threads_of_this_process(cache: ProfileCache) -> None:
    order: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with cache.lock():
            order.append("holder in")
            holding.set()
            release.wait(30)
            order.append("holder out")

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(30)
        with pytest.raises(RefreshBusyError), cache.lock(timeout=0.1):
            order.append("must not happen")
        release.set()
        with cache.lock(timeout=30):
            order.append("main in")
    finally:
        release.set()
        thread.join(30)
    assert order == ["holder in", "holder out", "main in"]


def test_lock_is_released_when_the_block_raises(cache: ProfileCache) -> None:
    with pytest.raises(RuntimeError), cache.lock():
        raise RuntimeError("boom")
    with cache.lock(timeout=0.5):
        pass


def test_lock_file_is_private(cache: ProfileCache) -> None:
    with cache.lock():
        assert mode(cache.lock_path) == 0o600
        assert mode(cache.directory) == 0o700


def test_expiry_survives_with_whole_seconds(cache: ProfileCache) -> None:
    when = datetime(2031, 5, 6, 7, 8, 9, 987654, tzinfo=timezone(timedelta(hours=2)))
    base = make_entry()
    assert base.credentials is not None
    credentials = AwsCredentials("ASIA", "s", "t", when)
    cache.save(base.replace(credentials=credentials))
    loaded = cache.load()
    assert loaded is not None
    assert loaded.credentials is not None
    assert loaded.credentials.expires_at == datetime(2031, 5, 6, 5, 8, 9, tzinfo=timezone.utc)
