"""scribeauth.endpoints: which hosts signed requests may go to, and the endpoints a profile
configures (passed on to ``exec``'s child as ``AWS_ENDPOINT_URL*``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scribeauth.endpoints import (
    check_target,
    configured_endpoints,
    endpoint_environment,
    is_loopback,
    parse_host_list,
)
from scribeauth.errors import ConfigError


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("127.9.8.7", True),
        ("::1", True),
        ("0:0:0:0:0:0:0:1", True),
        ("localhost.example.com", False),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("::2", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize(
    "url",
    [
        "https://abc123.execute-api.eu-west-2.amazonaws.com/prod",
        "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod",
        "https://abc123-vpce-0a1b2c.execute-api.us-east-1.vpce.amazonaws.com/prod",
        "http://127.0.0.1:4566/prod",
        "http://[::1]:8080/",
        "http://localhost/",
        "https://api.example.com/prod",
        "https://deep.corp.test/",
        "https://gw.internal.test:8443/x",
    ],
)
def test_allowed_targets(url: str) -> None:
    check_target(
        url,
        trusted_hosts=parse_host_list("api.example.com, *.corp.test"),
        endpoints=["https://gw.internal.test:8443"],
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.com/", "--any-host"),
        ("https://corp.test/", "--any-host"),  # *.corp.test is the names under it only
        ("https://xcorp.test/", "--any-host"),
        ("https://abc.execute-api.eu-west-2.amazonaws.com.evil.test/", "--any-host"),
        ("https://execute-api.eu-west-2.amazonaws.com/", "--any-host"),
        ("http://api.example.com/", "--allow-http"),
        ("http://gw.internal.test:8443/", "--allow-http"),
        ("http://abc.execute-api.eu-west-2.amazonaws.com/", "--allow-http"),
        ("https://a:b@api.example.com/", "user name or password"),
        ("https://a@127.0.0.1/", "user name or password"),
        ("ftp://api.example.com/", "http(s)"),
        ("http://[::1/", "not a valid URL"),
        ("http://127.0.0.1:70000/", "not a valid URL"),
    ],
)
def test_refused_targets(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=r".*") as info:
        check_target(
            url,
            trusted_hosts=parse_host_list("api.example.com *.corp.test"),
            endpoints=["https://gw.internal.test:8443"],
        )
    assert says in str(info.value)
    assert ":b@" not in str(info.value)


def test_overrides() -> None:
    check_target("https://example.com/", any_host=True)
    check_target("http://example.com/", any_host=True, allow_http=True)
    with pytest.raises(ConfigError, match="--allow-http"):
        check_target("http://example.com/", any_host=True)
    with pytest.raises(ConfigError, match="user name"):
        check_target("https://u:p@example.com/", any_host=True, allow_http=True)


def test_a_bad_host_list_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="scribe_api_hosts"):
        parse_host_list("api.example.com, https://x.test/")
    assert parse_host_list(" A.example.com.,, *.B.test ") == ("a.example.com", "*.b.test")
    assert parse_host_list(None) == ()


def write_config(text: str) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CONFIG = """\
[profile p]
region = eu-west-2
endpoint_url = http://127.0.0.1:1111
services = local

[profile bare]
region = eu-west-2

[profile ignoring]
endpoint_url = http://127.0.0.1:1111
ignore_configured_endpoint_urls = true

[services local]
sts =
  endpoint_url = http://127.0.0.1:2222
cognito_identity =
  endpoint_url = http://127.0.0.1:3333
"""


def test_configured_endpoints_of_a_profile() -> None:
    write_config(CONFIG)
    assert configured_endpoints("p") == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1111",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:2222",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY": "http://127.0.0.1:3333",
    }
    assert configured_endpoints("bare") == {}
    assert configured_endpoints("ignoring") == {}
    assert configured_endpoints("missing") == {}
    assert configured_endpoints("p", {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}) == {}


def test_endpoint_environment_keeps_botocores_precedence() -> None:
    configured = {
        "AWS_ENDPOINT_URL": "http://g",
        "AWS_ENDPOINT_URL_STS": "http://s",
    }
    assert endpoint_environment(configured, {}) == configured
    # The parent's own variables win and reach the child anyway.
    assert endpoint_environment(configured, {"AWS_ENDPOINT_URL_STS": "http://mine"}) == {
        "AWS_ENDPOINT_URL": "http://g"
    }
    # A global variable in the parent beats the profile's `services` entries in botocore.
    assert endpoint_environment(configured, {"AWS_ENDPOINT_URL": "http://mine"}) == {}
    assert endpoint_environment(configured, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}) == {}
