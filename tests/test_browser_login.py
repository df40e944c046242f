"""``scribeauth login --browser`` end to end in a real headless Chromium against the local stack.

The command runs as a child process; Python's ``webbrowser`` in it opens the URL through
``$BROWSER`` (a script that hands the URL to this test), and selenium drives Chromium through
the managed-login pages; the loopback listener in the child receives the redirect. A screenshot
of every page lands in ``test-artifacts/browser/<test>/`` (git-ignored) for a person to look at.

Without Chromium (Debian: ``apt-get install chromium chromium-driver``) these tests skip.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _managed_login import (
    CHROMEDRIVER,
    CHROMIUM,
    Login,
    assert_nothing_cached,
    callback,
    chromium,
    code_form,
    free_port,
    one_line_error,
    query_of,
    token_call,
    with_params,
)

from scribeauth import oauth
from scribeauth.local.cognito_rules import totp_code
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import broker, child_env, process_command, run, write_profile

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
ROLE_ARN_TAIL = ":assumed-role/Cognito_ScribeAuth_Role/CognitoIdentityCredentials"


def _missing() -> str | None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "no Chromium here (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture
def port(stack: LocalStack) -> int:
    """The loopback port of the profile, registered as the app client's callback."""
    chosen = free_port()
    callback(stack, chosen)
    write_profile(
        stack,
        omit=("scribe_username",),
        extra={"scribe_domain": stack.endpoint_url, "scribe_redirect_port": str(chosen)},
    )
    return chosen


class Browser:
    """Chromium, with a screenshot of each page in the test's artifact folder."""

    def __init__(self, driver: Any, folder: Path) -> None:
        self.driver = driver
        self.folder = folder
        self.count = 0

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def find(self, element_id: str) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, 30).until(
            expected_conditions.presence_of_element_located((By.ID, element_id))
        )

    def wait_for_url(self, prefix: str) -> str:
        deadline = time.monotonic() + 30
        while not self.driver.current_url.startswith(prefix):
            assert time.monotonic() < deadline, self.driver.current_url
            time.sleep(0.05)
        return str(self.driver.current_url)

    def sign_in(self, username: str, password: str, totp_secret: str | None = None) -> None:
        self.find("username").send_keys(username)
        self.find("password").send_keys(password)
        self.shot("sign-in-page")
        self.find("signin").click()
        if totp_secret is not None:
            code_box = self.find("code")
            self.shot("totp-page")
            code_box.send_keys(totp_code(totp_secret, time.time()))
            self.find("verify").click()


@pytest.fixture
def browser(request: pytest.FixtureRequest) -> Iterator[Browser]:
    reason = _missing()
    if reason is not None:
        pytest.skip(reason)
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    driver = chromium(ARTIFACTS)
    try:
        yield Browser(driver, folder)
    finally:
        driver.quit()


def assert_gateway_accepts_credentials(stack: LocalStack) -> dict[str, Any]:
    result = run(process_command())
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["Version"] == 1
    import boto3

    session = boto3.Session(
        aws_access_key_id=document["AccessKeyId"],
        aws_secret_access_key=document["SecretAccessKey"],
        aws_session_token=document["SessionToken"],
        region_name=stack.region,
    )
    identity = session.client("sts", endpoint_url=stack.endpoint_url).get_caller_identity()
    assert identity["Arn"].endswith(ROLE_ARN_TAIL)
    return document


def test_alice_signs_in_in_chromium_and_credentials_follow(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--browser")
    url = login.opened_url()
    assert url.startswith(f"{stack.endpoint_url}/oauth2/authorize?")
    assert query_of(url)["redirect_uri"] == f"http://localhost:{port}/callback"
    browser.driver.get(url)
    browser.sign_in("alice", stack.seed.users["alice"].password)
    browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    assert browser.find("result").text == "Sign-in received"
    browser.shot("loopback-callback")
    code, out, err = login.finish()
    assert code == 0, err
    assert out.startswith("Signed in to profile 'scribe' as alice; AWS credentials until ")
    assert url in err  # printed too, for when no browser opens
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.tokens is not None
    assert entry.tokens.id.claims["cognito:username"] == "alice"
    assert_gateway_accepts_credentials(stack)
    assert stack.recorder.count("oauth2/token") == 1


def test_bob_answers_the_totp_page(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    bob = stack.seed.users["bob"]
    login = Login(tmp_path, "--browser")
    browser.driver.get(login.opened_url())
    browser.sign_in("bob", bob.password, totp_secret=bob.totp_secret)
    browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    browser.shot("loopback-callback")
    code, out, err = login.finish()
    assert code == 0, err
    assert "as bob;" in out
    assert_gateway_accepts_credentials(stack)


def test_the_federated_button_signs_in_a_federated_user(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--browser")
    browser.driver.get(login.opened_url())
    browser.find("sso")
    browser.shot("sign-in-page")
    browser.find("sso").click()
    browser.find("email")
    browser.shot("example-sso-page")
    browser.find("continue").click()
    browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    browser.shot("loopback-callback")
    code, out, err = login.finish()
    assert code == 0, err
    assert "as ExampleSSO_0001;" in out
    assert_gateway_accepts_credentials(stack)


def test_a_tampered_state_is_refused_and_nothing_cached(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--browser")
    browser.driver.get(with_params(login.opened_url(), state="tampered-by-someone"))
    browser.sign_in("alice", stack.seed.users["alice"].password)
    browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    code, out, err = login.finish()
    assert (code, out) == (5, "")
    assert "state does not match" in one_line_error(err)
    assert stack.recorder.count("oauth2/token") == 0  # never redeemed
    assert_nothing_cached(stack)


def test_a_wrong_code_verifier_is_refused_and_nothing_cached(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--browser")
    # The code gets bound to someone else's challenge: our verifier cannot redeem it.
    other = oauth.new_pkce().challenge
    browser.driver.get(with_params(login.opened_url(), code_challenge=other))
    browser.sign_in("alice", stack.seed.users["alice"].password)
    browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    code, out, err = login.finish()
    assert (code, out) == (5, "")
    assert "invalid_grant" in one_line_error(err)
    assert_nothing_cached(stack)


def test_no_browser_takes_the_pasted_address(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--no-browser")
    url = login.printed_url()
    assert not login.opened.exists()  # no browser opened here
    browser.driver.get(url)
    browser.sign_in("alice", stack.seed.users["alice"].password)
    landed = browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    browser.shot("nothing-listening")  # over SSH the browser cannot reach us: that is fine
    login.paste(landed)
    code, out, err = login.finish()
    assert code == 0, err
    assert "as alice;" in out
    assert_gateway_accepts_credentials(stack)


def test_a_reused_code_is_refused_and_nothing_cached(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--no-browser")
    url = login.printed_url()
    browser.driver.get(url)
    browser.sign_in("alice", stack.seed.users["alice"].password)
    landed = browser.wait_for_url(f"http://localhost:{port}/callback?code=")
    # Someone else redeems the code first (with a verifier of their own): it is used up.
    request = oauth.AuthorizationRequest(
        stack.endpoint_url,
        stack.seed.public_client_id,
        query_of(url)["redirect_uri"],
        ("openid",),
        "s",
        "n",
        oauth.new_pkce(),
    )
    stolen = token_call(stack, code_form(request, query_of(landed)["code"]))
    assert stolen.json() == {"error": "invalid_grant"}
    login.paste(landed)
    code, out, err = login.finish()
    assert (code, out) == (5, "")
    assert "invalid_grant" in one_line_error(err)
    assert_nothing_cached(stack)


def test_a_foreign_redirect_uri_gets_no_code_and_nothing_cached(
    stack: LocalStack, port: int, browser: Browser, tmp_path: Path
) -> None:
    login = Login(tmp_path, "--no-browser")
    url = login.printed_url()
    # Unregistered: managed login shows its error page and sends the code nowhere.
    browser.driver.get(with_params(url, redirect_uri="https://evil.example/callback"))
    assert browser.find("error").text == "redirect_mismatch"
    browser.shot("redirect-mismatch-page")
    # Registered, but not this sign-in's: the command refuses the address pasted back.
    elsewhere = callback(stack)
    browser.driver.get(with_params(url, redirect_uri=elsewhere))
    browser.sign_in("alice", stack.seed.users["alice"].password)
    landed = browser.wait_for_url(elsewhere + "?code=")
    login.paste(landed)
    code, out, err = login.finish()
    assert (code, out) == (3, "")
    assert "not the sign-in redirect" in one_line_error(err)
    assert_nothing_cached(stack)


def test_demo_browser_shows_the_flow(browser: Browser, tmp_path: Path) -> None:
    opened = tmp_path / "opened-urls"
    opener = tmp_path / "open-url"
    opener.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{opened}'\n")
    opener.chmod(0o755)
    demo = subprocess.Popen(
        [sys.executable, "-m", "scribeauth.cli", "demo", "--browser"],
        env=child_env(BROWSER=f"{opener} %s"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (opened.exists() and opened.read_text().strip()):
        assert demo.poll() is None, demo.communicate()
        assert time.monotonic() < deadline, "the demo never opened the browser"
        time.sleep(0.05)
    browser.driver.get(opened.read_text().splitlines()[0])
    browser.find("sso").click()
    browser.find("continue").click()
    out, err = demo.communicate(timeout=60)
    assert demo.returncode == 0, err
    for step in range(1, 6):
        assert f"[{step}/5] " in out
    assert "signed in as ExampleSSO_0001" in out
    assert ROLE_ARN_TAIL in out
    assert "revoked at /oauth2/revoke: yes; refused afterwards: yes" in out
    assert not re.search(r"eyJ[\w-]+\.", out + err)
