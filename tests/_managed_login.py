"""Helpers for the managed-login tests: HTTP to the local stack's pages and OAuth endpoints, a
browser-less page driver (forms as a browser would post them), and a headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scribeauth import oauth
from scribeauth.local.cognito_rules import totp_code
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import BIN, PROFILE, broker, child_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def callback(stack: LocalStack, port: int | None = None) -> str:
    """A loopback callback URL registered on the public client."""
    url = f"http://localhost:{port or free_port()}/callback"
    stack.managed_login.register_callback(stack.seed.public_client_id, url)
    stack.managed_login.register_callback(stack.seed.confidential_client_id, url)
    return url


def with_params(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (None removes one)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


class Pages:
    """Drives the managed-login pages over HTTP as a browser would (cookies kept, no redirects
    followed, so each hop can be checked)."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.base = stack.endpoint_url
        self.cookies = CookieJar()
        self._opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def _url(self, target: str) -> str:
        return target if target.startswith("http") else self.base + target

    def request(
        self,
        target: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> Reply:
        data = urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(
            self._url(target), data=data, headers=headers or {}, method=method
        )
        try:
            with self._opener.open(request, timeout=10) as reply:
                return Reply(reply.status, dict(reply.headers), reply.read().decode())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, dict(err.headers), err.read().decode())

    def transaction(self, page: Reply) -> str:
        found = re.search(r'name="tx" value="([^"]+)"', page.text)
        assert found is not None, page.text
        return found.group(1)

    def sign_in(
        self, authorize_url: str, username: str, password: str, totp_secret: str | None = None
    ) -> Reply:
        """authorize -> sign-in page -> (MFA page) -> the reply that redirects to the app."""
        first = self.request(authorize_url)
        assert first.status == 302, first
        if first.location.startswith("http"):
            return first  # a live session: straight back with a code
        page = self.request(first.location)
        assert page.status == 200
        reply = self.request(
            "/login",
            {"tx": self.transaction(page), "username": username, "password": password},
        )
        if totp_secret is not None:
            assert 'id="code"' in reply.text, reply.text
            code = totp_code(totp_secret, self.stack.now())
            reply = self.request("/mfa", {"tx": self.transaction(reply), "code": code})
        return reply

    def sign_in_federated(self, authorize_url: str, email: str = "sam@corp.example") -> Reply:
        """authorize (identity_provider=ExampleSSO) -> the IdP page -> idpresponse -> the app."""
        first = self.request(authorize_url)
        assert first.status == 302
        location = first.location
        if location.startswith("/login"):
            page = self.request(location)
            found = re.search(r'id="sso" href="([^"]+)"', page.text)
            assert found is not None
            location = found.group(1).replace("&amp;", "&")
        assert location.startswith("/example-sso/authorize"), location
        idp = self.request(location)
        assert "Example SSO" in idp.text
        back = self.request(
            "/example-sso/authorize", {"state": query_of(location)["state"], "email": email}
        )
        assert back.status == 302
        return self.request(back.location)


def token_call(
    stack: LocalStack, form: dict[str, str], *, path: str = "/oauth2/token", **headers: str
) -> Reply:
    """A raw POST to a token/revoke endpoint (form-encoded)."""
    return Pages(stack).request(
        path,
        form,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )


def authorization(
    stack: LocalStack, redirect_uri: str, **kwargs: Any
) -> oauth.AuthorizationRequest:
    return oauth.new_authorization_request(
        stack.endpoint_url, stack.seed.public_client_id, redirect_uri, **kwargs
    )


def code_form(
    request: oauth.AuthorizationRequest, code: str, /, **changes: str | None
) -> dict[str, str]:
    form = {
        "grant_type": "authorization_code",
        "client_id": request.client_id,
        "code": code,
        "redirect_uri": request.redirect_uri,
        "code_verifier": request.pkce.verifier,
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


def chromium(artifacts: Path) -> Any:
    """A fresh headless Chromium (selenium), its profile in a new folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-', dir=artifacts)}")
    options.add_argument("--window-size=800,900")
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


class Login:
    """``scribeauth login`` in a child process without a terminal (stdin a pipe)."""

    def __init__(self, tmp_path: Path, *flags: str) -> None:
        self.opened = tmp_path / "opened-urls"
        opener = tmp_path / "open-url"
        opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{self.opened}'\n")
        opener.chmod(0o755)
        command = [str(BIN / "scribeauth"), "login", *flags, "--profile", PROFILE]
        if not (BIN / "scribeauth").exists():
            command = [sys.executable, "-m", "scribeauth.cli", *command[1:]]
        self.process = subprocess.Popen(
            command,
            env=child_env(BROWSER=f"{opener} %s"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []

    def opened_url(self) -> str:
        """The URL the child opened with ``webbrowser``."""
        deadline = time.monotonic() + 30
        while not (self.opened.exists() and self.opened.read_text().strip()):
            assert self.process.poll() is None, self.process.communicate()
            assert time.monotonic() < deadline, "the browser was never opened"
            time.sleep(0.05)
        return self.opened.read_text().splitlines()[0]

    def printed_url(self) -> str:
        """The authorize URL the child printed (``--no-browser``)."""
        assert self.process.stderr is not None
        while True:
            line = self.process.stderr.readline()
            assert line, f"no URL printed: {self.lines}"
            self.lines.append(line)
            if line.startswith("http"):
                return line.strip()

    def paste(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, "".join(self.lines) + err


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("scribeauth: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def assert_nothing_cached(stack: LocalStack) -> None:
    assert broker(stack).cache.load() is None
    assert not broker(stack).cache.path.exists()


def complete(stack: LocalStack, url: str, username: str = "alice") -> Reply:
    """Signs in at ``url`` without a browser and follows the redirect to the loopback listener."""
    user = stack.seed.users[username]
    reply = Pages(stack).sign_in(url, username, user.password, user.totp_secret)
    assert reply.status == 302, reply
    return Pages(stack).request(reply.location)
