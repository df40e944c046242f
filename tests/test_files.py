"""files: the one atomic, private write (cache and AWS config) and the sweep of its leftovers."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from scribeauth.files import sweep_temporaries, temporary_name, write_atomic


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "folder"
    made.mkdir()
    return made


def test_write_atomic_replaces_the_file_with_the_mode_asked(folder: Path) -> None:
    target = folder / "entry.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    old_umask = os.umask(0o077)
    try:
        write_atomic(target, b"new", 0o640)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(folder) == ["entry.json"]


def test_write_atomic_leaves_the_error_to_its_caller(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(folder / "missing" / "entry.json", b"x")
    assert os.listdir(folder) == []


def test_a_failed_rename_leaves_no_temporary(folder: Path) -> None:
    target = folder / "a-folder"
    target.mkdir()
    (target / "inside").write_text("x")  # os.replace of a file onto a non-empty folder fails
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert sorted(os.listdir(folder)) == ["a-folder"]


def test_sweep_removes_only_our_temporaries_and_respects_their_age(folder: Path) -> None:
    target = folder / "p.json"
    ours = [temporary_name(target) for _ in range(2)]
    for path in ours:
        path.write_text("refresh-token")
    fresh = temporary_name(target)
    fresh.write_text("mid-write")
    others = [folder / ".p.json.notours.tmp", folder / ".q.json.0123456789abcdef.tmp"]
    for path in others:
        path.write_text("x")
    old = time.time() - 3600
    for path in ours:
        os.utime(path, (old, old))
    assert sorted(sweep_temporaries(target, older_than=60)) == sorted(ours)
    assert fresh.exists()
    assert sweep_temporaries(target) == [fresh]
    assert all(path.exists() for path in others)
