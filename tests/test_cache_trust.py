"""Trust = what we would write: a cache folder or file another user owns, or others can write to,
is never read; loose modes of ours are tightened; a crash's temporary files do not outlive logout.

Issue 11, item 1; each case against the real stack and the real commands.
"""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from scribeauth.cache import cache_dir
from scribeauth.cli import main
from scribeauth.errors import CacheError
from scribeauth.fasthit import SUFFIX
from scribeauth.files import temporary_name
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    PROFILE,
    broker,
    process_command,
    run,
    signed_in,
    write_profile,
)

pytestmark = pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown a planted file"
)
NOBODY = 65534
PLANTED_KEY = "ASIAPLANTEDBYANOTHER"


@pytest.fixture
def stack(scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    write_profile(scribe_stack)
    return scribe_stack


def plant(path: Path) -> None:
    """Rewrites the cached credentials as another user would: the planter's access key."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document["credentials"]["access_key_id"] = PLANTED_KEY
    path.write_text(json.dumps(document), encoding="utf-8")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def status_json() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["status", "--profile", PROFILE, "--json"])
    return code, out.getvalue(), err.getvalue()


def foreign_writable_folder(folder: Path, entry: Path) -> Path:
    plant(entry)
    os.chown(folder, NOBODY, -1)
    folder.chmod(0o777)
    return folder


def foreign_folder(folder: Path, entry: Path) -> Path:
    plant(entry)
    os.chown(folder, NOBODY, -1)
    return folder


def foreign_folder_entry_untouched(folder: Path, entry: Path) -> Path:
    # The hit record still matches the entry: only the folder's owner says not to serve it.
    os.chown(folder, NOBODY, -1)
    return folder


def foreign_entry(folder: Path, entry: Path) -> Path:
    plant(entry)
    os.chown(entry, NOBODY, -1)
    return entry


def others_can_write_entry(folder: Path, entry: Path) -> Path:
    plant(entry)
    entry.chmod(0o666)
    return entry


@pytest.mark.parametrize(
    "make_untrusted",
    [
        foreign_writable_folder,
        foreign_folder,
        foreign_folder_entry_untouched,
        foreign_entry,
        others_can_write_entry,
    ],
)
def test_a_planted_entry_is_never_served(
    stack: LocalStack, make_untrusted: Callable[[Path, Path], Path]
) -> None:
    signed_in(stack)
    cache = broker(stack).cache
    assert run(process_command()).returncode == 0
    assert cache.sidecar(SUFFIX).exists(), "a hit record is there, and must not serve either"
    named = make_untrusted(cache.directory, cache.path)

    result = run(process_command())
    assert result.returncode == 8, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert str(named) in result.stderr
    assert PLANTED_KEY not in result.stderr

    code, out, err = status_json()
    assert code == 8
    assert PLANTED_KEY not in out + err
    assert str(named) in err
    assert stack.recorder.requests == []


def test_a_foreign_lock_file_is_refused(stack: LocalStack) -> None:
    signed_in(stack)
    cache = broker(stack).cache
    cache.lock_path.touch()
    os.chown(cache.lock_path, NOBODY, -1)
    with pytest.raises(CacheError) as caught, cache.lock():
        pass
    assert caught.value.exit_code == 8
    assert str(cache.lock_path) in str(caught.value)


def test_loose_modes_of_our_own_files_are_tightened(stack: LocalStack) -> None:
    signed_in(stack)
    cache = broker(stack).cache
    with cache.lock():
        pass
    cache.path.chmod(0o644)
    cache.lock_path.chmod(0o644)
    cache.directory.chmod(0o755)
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    assert mode(cache.directory) == 0o700
    assert mode(cache.path) == 0o600
    with cache.lock():
        pass
    assert mode(cache.lock_path) == 0o600


def test_a_crashs_temporary_files_are_swept_and_none_outlives_logout(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    assert entry.tokens.refresh_token
    token = entry.tokens.refresh_token
    cache = broker(stack).cache
    # What a crash between fsync and rename leaves: a temporary holding the whole entry.
    old = temporary_name(cache.path)
    old.write_bytes(cache.path.read_bytes())
    os.utime(old, (1, 1))
    fresh = temporary_name(cache.path)
    fresh.write_bytes(cache.path.read_bytes())

    result = run(process_command())  # the full path: no hit record yet
    assert result.returncode == 0, result.stderr
    assert not old.exists(), "a stale temporary is swept on the full path"
    assert fresh.exists(), "a fresh one may be another process's write in progress"

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        main(["logout", "--profile", PROFILE])
    for path in cache_dir().rglob("*"):
        assert token not in path.read_text(encoding="utf-8", errors="replace"), path
