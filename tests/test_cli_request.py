"""``scribeauth request`` refuses what it must not sign, before any network I/O (issue 11, items 3
and 6): hosts that are not API hosts, plain HTTP to another machine, user:pass@ URLs, and bad
arguments (exit 2, one line that says what to do).

"Before any network I/O" is proved with a listening socket: every test points ``HTTP_PROXY`` and
``HTTPS_PROXY`` at it, so any connection to a non-loopback host would arrive there; it must see
none. The override cases show the same listener does see the connection when one is made.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scribeauth.cli import main
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import PROFILE, one_error_line
from scribeauth.local.testing import write_user_profile as configure


class Listener:
    """A TCP listener on loopback that counts the connections it is offered (and drops them)."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield listener
    listener.close()


@pytest.fixture
def signed_in(
    stack: LocalStack, cli_login: Callable[..., int], capsys: pytest.CaptureFixture[str]
) -> LocalStack:
    assert cli_login() == 0
    capsys.readouterr()
    stack.recorder.reset()
    return stack


@pytest.mark.parametrize(
    ("url", "flag"),
    [
        ("http://api.example.com/prod/items", "--any-host"),
        ("https://api.example.com/prod/items", "--any-host"),
        ("https://evil.example/abc.execute-api.eu-west-2.amazonaws.com/", "--any-host"),
        ("https://abc.execute-api.eu-west-2.amazonaws.com.evil.example/", "--any-host"),
        ("https://10.0.0.1/prod", "--any-host"),
        ("http://abc123.execute-api.eu-west-2.amazonaws.com/prod/items", "--allow-http"),
        ("http://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod", "--allow-http"),
    ],
)
def test_refused_before_opening_a_socket(
    signed_in: LocalStack,
    proxy: Listener,
    capsys: pytest.CaptureFixture[str],
    url: str,
    flag: str,
) -> None:
    assert main(["request", "--profile", PROFILE, url]) == 3
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    host = url.split("/")[2]
    assert f"for {host}" in line or f"to {host}" in line
    assert flag in line
    assert captured.out == ""
    assert proxy.connections == 0
    assert signed_in.recorder.requests == []  # not even a credential refresh


def test_the_override_reaches_the_network(
    signed_in: LocalStack, proxy: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    # The control for the test above: with both overrides the request is made, and the
    # listener (as the proxy) sees it. It drops the connection, hence "cannot reach".
    argv = ["request", "--profile", PROFILE, "--any-host", "--allow-http", "--timeout", "5"]
    assert main([*argv, "http://api.example.com/prod/items"]) == 6
    assert "cannot reach api.example.com" in one_error_line(capsys.readouterr().err)
    assert proxy.connections >= 1


def test_any_host_alone_still_refuses_plain_http(
    signed_in: LocalStack, proxy: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["request", "--profile", PROFILE, "--any-host", "http://api.example.com/x"]
    assert main(argv) == 3
    assert "--allow-http" in one_error_line(capsys.readouterr().err)
    assert proxy.connections == 0


def test_hosts_the_profile_lists_are_signed_for(
    signed_in: LocalStack,
    proxy: Listener,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scribeauth.config import aws_config_path, write_profile

    write_profile(aws_config_path(), PROFILE, {"scribe_api_hosts": "api.example.com, *.corp.test"})
    for url in ("https://api.example.com/prod", "https://x.corp.test/prod"):
        before = proxy.connections
        assert main(["request", "--profile", PROFILE, "--timeout", "5", url]) == 6
        assert "cannot reach" in one_error_line(capsys.readouterr().err)
        assert proxy.connections > before  # allowed: it went out (through the proxy)
    assert main(["request", "--profile", PROFILE, "https://corp.test.evil/prod"]) == 3
    assert main(["request", "--profile", PROFILE, "https://api.example.com.evil/"]) == 3


def test_loopback_and_the_configured_endpoint_are_signed_for(
    signed_in: LocalStack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stack is on 127.0.0.1 (loopback) and is AWS_ENDPOINT_URL; "localhost" is loopback too.
    port = signed_in.endpoint_url.rsplit(":", 1)[1]
    monkeypatch.setenv("NO_PROXY", "*")
    for url in (signed_in.endpoint_url, f"http://localhost:{port}"):
        assert main(["request", "--profile", PROFILE, url + "/prod/echo"]) == 0, url
        capsys.readouterr()
    assert signed_in.recorder.count("execute-api") == 2


def test_a_configured_endpoint_host_is_trusted_but_not_over_http(
    signed_in: LocalStack,
    proxy: Listener,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_EXECUTE_API", "https://gw.internal.test")
    assert (
        main(["request", "--profile", PROFILE, "--timeout", "5", "https://gw.internal.test/p"]) == 6
    )
    assert proxy.connections >= 1
    capsys.readouterr()
    before = proxy.connections
    assert main(["request", "--profile", PROFILE, "http://gw.internal.test/p"]) == 3
    assert "--allow-http" in one_error_line(capsys.readouterr().err)
    assert proxy.connections == before


def test_userinfo_is_refused_and_never_echoed(
    stack: LocalStack, proxy: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(stack, "alice")
    for url in (
        "http://user:hunter2-secret@127.0.0.1/prod",
        "https://hunter2-secret@abc.execute-api.eu-west-2.amazonaws.com/",
    ):
        assert main(["request", "--profile", PROFILE, url]) == 2
        captured = capsys.readouterr()
        line = one_error_line(captured.err)
        assert "hunter2-secret" not in captured.err + captured.out
        assert "user name or password" in line
    assert proxy.connections == 0
    assert stack.recorder.requests == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["-H", "X-A: 1\r\nX-Injected: 2", "http://127.0.0.1/"], "one line"),
        (["-H", "X-A: caf\u00e9 \u2603", "http://127.0.0.1/"], "Latin-1"),
        (["-H", "nocolon", "http://127.0.0.1/"], "Name: value"),
        (["-H", "Bad Name: 1", "http://127.0.0.1/"], "Name: value"),
        (["-X", "BAD METHOD", "http://127.0.0.1/"], "HTTP method"),
        (["-X", "GET\r\n", "http://127.0.0.1/"], "HTTP method"),
        (["--timeout", "-1", "http://127.0.0.1/"], "above 0"),
        (["--timeout", "nan", "http://127.0.0.1/"], "above 0"),
        (["--timeout", "0", "http://127.0.0.1/"], "above 0"),
        (["http://[::1"], "http(s)"),
        (["http://127.0.0.1:99999/"], "http(s)"),
        (["127.0.0.1/prod/echo"], "http(s)"),
        (["abc123.execute-api.eu-west-2.amazonaws.com/prod"], "http(s)"),
        (["ftp://example.com/"], "http(s)"),
        (["http:///path-only"], "http(s)"),
        (["http://127.0.0.1/a b"], "percent-encoded"),
    ],
)
def test_argument_errors_exit_2_with_one_line(
    stack: LocalStack,
    proxy: Listener,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    configure(stack, "alice")
    assert main(["request", "--profile", PROFILE, *argv]) == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert says in line
    assert "\r" not in captured.err
    assert "X-Injected: 2\n" not in captured.err
    assert proxy.connections == 0
    assert stack.recorder.requests == []


def test_a_header_with_latin_1_text_is_sent(
    signed_in: LocalStack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.setenv("NO_PROXY", "*")
    url = signed_in.endpoint_url + "/prod/echo"
    assert main(["request", "--profile", PROFILE, "-X", "patch", "-H", "X-A: caf\u00e9", url]) == 0
    echo = json.loads(capsys.readouterr().out)
    assert echo["method"] == "PATCH"


def test_requests_auth_refuses_before_sending(
    signed_in: LocalStack, proxy: Listener, tmp_path: Path
) -> None:
    import requests

    from scribeauth.errors import ConfigError
    from scribeauth.signing import RequestsAuth

    auth = RequestsAuth(profile_name=PROFILE)
    with pytest.raises(ConfigError, match=r"api\.example\.com.*--any-host"):
        requests.get("https://api.example.com/prod", auth=auth, timeout=5)
    with pytest.raises(ConfigError, match="plain HTTP"):
        requests.get("http://abc.execute-api.eu-west-2.amazonaws.com/", auth=auth, timeout=5)
    with pytest.raises(ConfigError, match="user name or password") as info:
        requests.get("https://u:pw-xyz@abc.execute-api.eu-west-2.amazonaws.com/", auth=auth)
    assert "pw-xyz" not in str(info.value)
    assert proxy.connections == 0
    assert signed_in.recorder.requests == []
    trusted = RequestsAuth(profile_name=PROFILE, trusted_hosts=["api.example.com"])
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://api.example.com/prod", auth=trusted, timeout=5)
    assert proxy.connections >= 1


def test_requests_auth_does_not_carry_the_token_across_a_redirect(
    signed_in: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    from scribeauth.signing import RequestsAuth

    monkeypatch.setenv("NO_PROXY", "*")
    seen: list[dict[str, str]] = []

    class Redirector(threading.Thread):
        def __init__(self) -> None:
            super().__init__(daemon=True)
            self.sock = socket.create_server(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]

        def run(self) -> None:
            for reply in (
                f"HTTP/1.1 302 Found\r\nLocation: http://localhost:{self.port}/next\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            ):
                conn, _ = self.sock.accept()
                data = conn.recv(65536).decode("latin-1")
                head = data.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
                seen.append({k.lower(): v for k, _, v in (h.partition(": ") for h in head)})
                conn.sendall(reply.encode())
                conn.close()
            self.sock.close()

    server = Redirector()
    server.start()
    reply = requests.get(
        f"http://127.0.0.1:{server.port}/start", auth=RequestsAuth(profile_name=PROFILE), timeout=5
    )
    server.join(5)
    assert reply.status_code == 200
    assert "x-amz-security-token" in seen[0]
    assert "x-amz-security-token" not in seen[1]
    assert "authorization" not in seen[1]
