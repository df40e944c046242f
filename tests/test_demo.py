"""scribeauth.demo: the RFC 6238 codes, the whole run in-process, cleanup on Ctrl-C, and the
message when the ``local`` extra is missing. (``test_cli_executable.py`` runs ``scribeauth demo``
as a process.)"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pyotp
import pytest

from scribeauth.demo import run, totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_the_rfc_6238_sha1_vectors(at: int, code: str) -> None:
    assert totp(RFC_SECRET, at, digits=8) == code


def test_totp_agrees_with_pyotp() -> None:
    secret = pyotp.random_base32()
    for at in (0, 29, 30, 1_700_000_000, 1_700_000_015.5):
        assert totp(secret, at) == pyotp.TOTP(secret).at(at)
    assert totp(secret.lower(), 1_700_000_000) == pyotp.TOTP(secret).at(1_700_000_000)


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_run_reports_every_step_and_restores_everything(
    temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings of the person's own that must neither leak into the demo nor be lost by it.
    monkeypatch.setenv("AWS_PROFILE", "mine")
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "not-the-demo-client")
    before = dict(os.environ)
    lines: list[str] = []

    assert run(lines.append) == 0

    text = "\n".join(lines)
    assert [n for n in range(1, 8) if f"[{n}/7] " in text] == list(range(1, 8))
    assert "GetId 1, GetCredentialsForIdentity 1" in text.split("[4/7]", 1)[1]
    assert "same access key id: yes" in text
    assert dict(os.environ) == before
    assert list(temp_root.iterdir()) == []
    assert "Passw0rd" not in text
    assert not re.search(r"eyJ[\w-]+\.", text)


def test_ctrl_c_midway_stops_the_stack_and_removes_the_folder(
    temp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = dict(os.environ)
    lines: list[str] = []

    def report(line: str) -> None:
        lines.append(line)
        if line.startswith("[4/7]"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(report)

    assert dict(os.environ) == before
    assert list(temp_root.iterdir()) == []
    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", "\n".join(lines)).group(1))  # type: ignore[union-attr]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_without_the_local_extra_the_demo_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['moto'] = None; "  # as if moto were not installed
        "from scribeauth.cli import main; sys.exit(main(['demo']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "scribeauth: the demo needs the local stack: pip install 'scribeauth[local]'"
    )
    assert "Traceback" not in result.stderr
