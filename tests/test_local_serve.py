"""``scribeauth local-stack`` / ``python -m scribeauth.local`` as a newcomer meets them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

SCRIBEAUTH = shutil.which("scribeauth") or os.path.join(
    os.path.dirname(sys.executable), "scribeauth"
)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "command", [[sys.executable, "-m", "scribeauth.local"], [SCRIBEAUTH, "local-stack"]]
)
def test_a_busy_port_is_one_line_and_exit_10(busy_port: int, command: list[str]) -> None:
    done = subprocess.run(
        [*command, "--port", str(busy_port)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 10
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"scribeauth local-stack: 127.0.0.1 port {busy_port} is already in use; "
        "pick another --port (0: any free port)"
    ]


def test_a_port_out_of_range_is_bad_usage() -> None:
    done = subprocess.run(
        [SCRIBEAUTH, "local-stack", "--port", "70000"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "not a port number" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_shows_every_option() -> None:
    done = subprocess.run(
        [SCRIBEAUTH, "local-stack", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=True,
    )
    for option in (
        "--port",
        "--host",
        "--region",
        "--token-lifetime",
        "--credential-lifetime",
        "--lockout-seconds",
    ):
        assert option in done.stdout


@pytest.fixture
def served() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [SCRIBEAUTH, "local-stack", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


@pytest.mark.slow
def test_the_console_lists_users_and_prints_codes_as_sent(
    served: subprocess.Popen[str],
) -> None:
    assert served.stdout is not None
    lines = [served.stdout.readline()]
    while lines[-1] not in ("", "Press Ctrl-C to stop.\n"):
        lines.append(served.stdout.readline())
    endpoint = lines[0].rsplit(" ", 1)[1].strip()
    table = {line.split()[0]: line for line in lines if line.startswith("  ") and line.split()}
    assert table["user"].split() == ["user", "password", "pool", "client", "flow"]
    assert table["judy"].split()[2:4] == ["main", "rotating"]
    assert "GetTokensFromRefreshToken" in table["judy"]
    assert "devices" in table["hank"]
    assert table["iris"].split()[1] == "(none)"
    assert "USER_AUTH" in table["iris"]
    assert "mfa-required" in table["gina"]

    with urllib.request.urlopen(f"{endpoint}/_local/users", timeout=5) as reply:
        dave = next(u for u in json.load(reply)["users"] if u["username"] == "dave")
    idp = boto3.client(
        "cognito-idp",
        region_name="eu-west-2",
        endpoint_url=endpoint,
        config=Config(signature_version=UNSIGNED),
    )
    password = table["dave"].split()[1]
    idp.initiate_auth(
        ClientId=dave["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dave", "PASSWORD": password},
    )
    printed = served.stdout.readline()
    assert printed.startswith("code for dave (SMS_MFA, SMS to +********0004): ")
    with urllib.request.urlopen(f"{endpoint}/_local/codes?username=dave", timeout=5) as reply:
        assert json.load(reply)["codes"][-1]["code"] == printed.rsplit(" ", 1)[1].strip()
    served.send_signal(signal.SIGINT)
    _, err = served.communicate(timeout=10)
    assert served.returncode == 0
    assert "Traceback" not in err
