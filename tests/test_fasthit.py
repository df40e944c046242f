"""The hit record of ``scribeauth-credentials`` (scribeauth.fasthit).

A run that printed credentials leaves a record; the next identical run prints the same bytes from
it without the network and without importing config, cache, credentials or models. Every change
that could change the full path's answer (config files, environment, profile, the cache entry,
expiry, the record itself) sends the run down the full path, which gives the right answer.
Each run is a child process, as botocore runs it; the probe reports which path it took.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scribeauth.fasthit import SUFFIX, safe_name
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    PROFILE,
    broker,
    calls,
    child_env,
    run,
    signed_in,
    write_profile,
)
from scribeauth.models import AwsCredentials

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

# Runs main() and reports, besides its exit code and stdout, whether the full path ran (it
# imports scribeauth.config) and which of our modules were loaded.
PROBE = """
import contextlib, io, sys
from scribeauth.credential_process import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    rc = main(sys.argv[1:])
ours = sorted(m for m in sys.modules if m.startswith("scribeauth"))
import json
print(json.dumps([rc, out.getvalue(), ours]))
"""
FULL_PATH_MODULES = {"scribeauth.config", "scribeauth.cache", "scribeauth.credentials"}


@dataclass
class Outcome:
    code: int
    stdout: str
    modules: list[str]
    stderr: str

    @property
    def from_record(self) -> bool:
        return not FULL_PATH_MODULES & set(self.modules)


def probe(*args: str, env: dict[str, str] | None = None) -> Outcome:
    argv = list(args) if args else ["--profile", PROFILE]
    result = run([sys.executable, "-c", PROBE, *argv], env if env is not None else child_env())
    assert result.returncode == 0, result.stderr
    code, stdout, modules = json.loads(result.stdout)
    return Outcome(code, stdout, modules, result.stderr)


def record_path(stack: LocalStack, name: str = PROFILE) -> Path:
    path: Path = broker(stack, name).cache.sidecar(SUFFIX)
    return path


def primed(stack: LocalStack) -> Outcome:
    """Signs alice in and runs once (full path, which writes the record); returns that run."""
    signed_in(stack)
    first = probe()
    assert first.code == 0, first.stderr
    assert not first.from_record
    assert record_path(stack).exists()
    stack.recorder.reset()
    return first


def document(outcome: Outcome) -> dict[str, object]:
    value: dict[str, object] = json.loads(outcome.stdout)
    return value


def test_a_repeated_hit_is_served_from_the_record(stack: LocalStack) -> None:
    first = primed(stack)
    second = probe()
    assert second.code == 0
    assert second.from_record
    assert second.modules == [
        "scribeauth",
        "scribeauth.credential_process",
        "scribeauth.errors",
        "scribeauth.fasthit",
    ]
    assert second.stdout == first.stdout  # the same bytes as the full path printed
    assert second.stderr == ""
    assert stack.recorder.requests == []
    # The full path (debug on skips the record) still prints exactly those bytes.
    debug = probe(env=child_env(SCRIBEAUTH_DEBUG="1"))
    assert not debug.from_record
    assert debug.stdout == first.stdout


def test_the_installed_script_prints_the_record_bytes(stack: LocalStack) -> None:
    first = primed(stack)
    script = Path(sys.executable).parent / "scribeauth-credentials"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "scribeauth.credential_process"]
    )
    result = run([*command, "--profile", PROFILE])
    assert (result.returncode, result.stdout, result.stderr) == (0, first.stdout, "")
    assert stack.recorder.requests == []


def test_the_record_is_private(stack: LocalStack) -> None:
    primed(stack)
    info = record_path(stack).lstat()
    assert oct(info.st_mode) == oct(0o100600)
    assert oct(record_path(stack).parent.stat().st_mode & 0o777) == oct(0o700)


def _edit_config(stack: LocalStack) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")


def _touch_config(stack: LocalStack) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


def _create_yaml(stack: LocalStack) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "scribeauth" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("profiles: {}\n", encoding="utf-8")


def _rewrite_entry_behind_our_back(stack: LocalStack) -> None:
    # Another writer (say an older scribeauth) replaces the entry without removing the record.
    record = record_path(stack)
    kept = record.read_bytes()
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    cache.save(entry)
    fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, kept)
    os.close(fd)


def _expiring_record(stack: LocalStack) -> None:
    # The record itself says the credentials have 10 minutes left: not good enough.
    record = record_path(stack)
    lines = record.read_text(encoding="utf-8").split("\n")
    lines[1] = f"{int(time.time()) + 600} 3600"  # expiry, lifetime
    record.write_text("\n".join(lines), encoding="utf-8")


def _rewrite_record(change: Callable[[bytes], bytes]) -> Callable[[LocalStack], None]:
    def apply(stack: LocalStack) -> None:
        record = record_path(stack)
        record.write_bytes(change(record.read_bytes()))

    return apply


def _symlinked_record(stack: LocalStack) -> None:
    record = record_path(stack)
    copy = record.with_name("elsewhere")
    record.rename(copy)
    record.symlink_to(copy)


def _loose_record(stack: LocalStack) -> None:
    record_path(stack).chmod(0o644)


INVALIDATIONS: dict[str, Callable[[LocalStack], None]] = {
    "config edited": _edit_config,
    "config touched": _touch_config,
    "yaml created": _create_yaml,
    "entry replaced without removing the record": _rewrite_entry_behind_our_back,
    "record expiring": _expiring_record,
    "record truncated": _rewrite_record(lambda data: data[: len(data) // 2]),
    "record header changed": _rewrite_record(lambda data: data.replace(b"hit 2", b"hit 3", 1)),
    "record key changed": _rewrite_record(lambda data: data.replace(b"scribe", b"scribf", 1)),
    "record extra line": _rewrite_record(lambda data: data + b"more\n"),
    "record empty": _rewrite_record(lambda data: b""),
    "record not utf-8": _rewrite_record(lambda data: b"\xff" + data),
    "record symlinked": _symlinked_record,
    "record mode 0644": _loose_record,
}


@pytest.mark.parametrize("change", list(INVALIDATIONS), ids=list(INVALIDATIONS))
def test_each_invalidation_takes_the_full_path(stack: LocalStack, change: str) -> None:
    first = primed(stack)
    INVALIDATIONS[change](stack)
    again = probe()
    assert again.code == 0, again.stderr
    assert not again.from_record
    assert again.stdout == first.stdout  # the cache still holds the same credentials
    assert calls(stack) == []
    # ... and that run left a fresh record, which the next run uses.
    assert probe().from_record


@pytest.mark.parametrize(
    "variable",
    ["AWS_DEFAULT_PROFILE", "AWS_PROFILE", "SCRIBEAUTH_USERNAME", "XDG_CONFIG_HOME", "HOME"],
)
def test_a_changed_variable_takes_the_full_path(stack: LocalStack, variable: str) -> None:
    first = primed(stack)
    if variable == "SCRIBEAUTH_USERNAME":  # the same value as the config file's: same answer
        value = stack.seed.users["alice"].username
    elif variable in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        value = "someone-else"  # --profile wins, but the key must still differ
    else:  # the same folder, spelled another way
        folder = Path(os.environ[variable])
        value = f"{folder}/../{folder.name}"
    env = child_env(**{variable: value})
    again = probe(env=env)
    assert again.code == 0, again.stderr
    assert not again.from_record
    assert again.stdout == first.stdout


def test_profile_from_the_environment_has_its_own_record_key(stack: LocalStack) -> None:
    first = primed(stack)
    env = child_env(AWS_PROFILE=PROFILE)
    no_flag = probe("--profile=" + PROFILE, env=env)  # same profile, another argv and env
    assert not no_flag.from_record
    assert no_flag.stdout == first.stdout
    # No --profile at all: another key again; the full path answers, then its record does.
    runs = [json.loads(run([sys.executable, "-c", PROBE], env).stdout) for _ in range(2)]
    assert [(code, out) for code, out, _ in runs] == [(0, first.stdout)] * 2
    assert ["scribeauth.config" in modules for _, _, modules in runs] == [True, False]


def test_another_profile_never_gets_this_profiles_record(stack: LocalStack) -> None:
    first = primed(stack)
    write_profile(stack, name="other", user="bob", append=True)
    signed_in(stack, "other", user="bob")
    primed_again = probe()  # the config file changed: full path, record rewritten
    assert not primed_again.from_record
    assert primed_again.stdout == first.stdout
    other = probe("--profile", "other")
    assert other.code == 0
    assert not other.from_record
    assert document(other)["AccessKeyId"] != document(first)["AccessKeyId"]
    assert probe("--profile", "other").stdout == other.stdout
    assert probe().stdout == first.stdout
    assert probe().from_record


def test_another_process_refreshing_the_entry_wins(stack: LocalStack) -> None:
    primed(stack)
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=2)
    newer = AwsCredentials("ASIANEWER0000000000", "newer-secret", "newer-token", later)
    cache.save(entry.replace(credentials=newer))  # as the in-process provider would
    assert not record_path(stack).exists()
    again = probe()
    assert not again.from_record
    assert document(again)["AccessKeyId"] == "ASIANEWER0000000000"
    assert probe().stdout == again.stdout


def test_credentials_expiring_are_refreshed_not_served(stack: LocalStack) -> None:
    first = primed(stack)
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    assert entry.credentials is not None
    soon = datetime.now(timezone.utc) + timedelta(minutes=19)
    # Hour-long credentials with 19 minutes left: inside their 20-minute window.
    hour_ago = soon - timedelta(hours=1)
    expiring = dataclasses.replace(entry.credentials, expires_at=soon, issued_at=hour_ago)
    cache.save(entry.replace(credentials=expiring))
    again = probe()
    assert again.code == 0, again.stderr
    assert not again.from_record
    assert document(again)["AccessKeyId"] != document(first)["AccessKeyId"]
    assert calls(stack) == ["GetCredentialsForIdentity"]


def test_logout_leaves_no_record(stack: LocalStack) -> None:
    primed(stack)
    assert broker(stack).logout() in (True, False)
    assert not record_path(stack).exists()
    assert not list(record_path(stack).parent.glob("*.hit"))
    after = probe()
    assert after.code == 4
    assert after.stdout == ""
    assert not after.from_record


def test_usage_is_unchanged_with_a_record(stack: LocalStack) -> None:
    primed(stack)
    assert probe("--bogus").code == 2
    version = probe("--version")
    assert (version.code, version.stdout.startswith("scribeauth-credentials ")) == (0, True)
    assert probe("--help").stdout.startswith("usage: scribeauth-credentials")


def test_no_record_for_paths_only_the_full_path_can_resolve(stack: LocalStack) -> None:
    signed_in(stack)
    config = os.environ["AWS_CONFIG_FILE"]
    env = child_env(
        SCRIBEAUTH_HOME_ALIAS=str(Path(config).parent),
        AWS_CONFIG_FILE="$SCRIBEAUTH_HOME_ALIAS/config",
    )
    for _ in range(2):
        outcome = probe(env=env)
        assert outcome.code == 0, outcome.stderr
        assert not outcome.from_record
    assert not record_path(stack).exists()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_safe_name_is_the_cache_entrys_naming(name: str) -> None:
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return
    readable = re.sub(r"[^a-z0-9_-]", "_", name.lower())[:64] or "_"
    assert safe_name(name) == f"{readable}-{hashlib.sha256(encoded).hexdigest()[:16]}"


def test_probe_sees_the_full_path_without_a_record(stack: LocalStack) -> None:
    signed_in(stack)
    outcome = probe()
    assert outcome.code == 0
    assert set(outcome.modules) >= FULL_PATH_MODULES


@given(st.integers(min_value=0, max_value=3 * 86400))
def test_the_records_refresh_window_is_the_models(lifetime: int) -> None:
    # The hit record keeps a copy (it may not import models): the two must never drift.
    from scribeauth import fasthit, models

    assert models.REFRESH_WINDOW.total_seconds() == fasthit.REFRESH_WINDOW_SECONDS
    expected = models.refresh_window(timedelta(seconds=lifetime) if lifetime else None)
    assert fasthit.refresh_window(lifetime) == pytest.approx(expected.total_seconds(), abs=1e-5)


def test_the_hit_record_is_a_leaf() -> None:
    # Nothing of ours, not even for type checking: the record's module sits below everything.
    import ast

    from scribeauth import fasthit

    tree = ast.parse(Path(fasthit.__file__).read_text(encoding="utf-8"))
    ours = [
        node
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.ImportFrom) and (node.level or "scribeauth" in (node.module or ""))
        )
        or (isinstance(node, ast.Import) and any("scribeauth" in a.name for a in node.names))
    ]
    assert ours == []


def test_the_cache_knows_no_hit_record_names() -> None:
    from scribeauth import cache

    text = Path(cache.__file__).read_text(encoding="utf-8")
    assert ".hit" not in text
    assert "SUFFIX" not in text
