"""Shared fixtures: every test runs in an isolated environment (HOME, AWS, XDG in tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_ISOLATED = (
    "HOME",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every file the AWS tools or scribeauth read or write into ``tmp_path``."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "SCRIBEAUTH_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # EC2 metadata lookups would wait on timeouts; nothing here runs on EC2.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # botocore's retries without the real back-off (every attempt still made; children inherit).
    monkeypatch.setenv("SCRIBEAUTH_TEST_MAX_BACKOFF", "0")
    return home
