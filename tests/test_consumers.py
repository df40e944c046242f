"""Real consumers of a scribeauth profile make a call the local gateway verifies: boto3 through
the ``credential_process`` line, boto3 in-process, the AWS CLI, and the AWS SDK for JavaScript v3.

The gateway only answers STS ``GetCallerIdentity`` for requests signed with credentials the
identity pool issued, so an ``Arn`` in the reply proves the whole chain worked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import (
    BIN,
    PROFILE,
    broker,
    calls,
    child_env,
    expire_soon,
    process_line,
    run,
    signed_in,
    write_profile,
)
from scribeauth.provider import boto3_session

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

ROLE_ARN_TAIL = ":assumed-role/Cognito_ScribeAuth_Role/CognitoIdentityCredentials"
JS_DIR = Path(__file__).parent / "js"


def cached_key(stack: LocalStack) -> str:
    entry = broker(stack).cached()
    assert entry is not None
    assert entry.credentials is not None
    return entry.credentials.access_key_id


@pytest.mark.parametrize("form", ["script", "module"])
def test_boto3_runs_the_credential_process(stack: LocalStack, form: str) -> None:
    if form == "module":
        line = f"{sys.executable} -m scribeauth.credential_process --profile {PROFILE}"
        write_profile(stack, credential_process=line)
    else:
        assert "scribeauth-credentials" in process_line()
    signed_in(stack)
    session = boto3.Session(profile_name=PROFILE)
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "custom-process"  # botocore's ProcessProvider ran our line
    identity = session.client("sts", endpoint_url=stack.endpoint_url).get_caller_identity()
    assert identity["Arn"].endswith(ROLE_ARN_TAIL)
    assert credentials.get_frozen_credentials().access_key == cached_key(stack)
    assert stack.recorder.count("GetCallerIdentity") == 1
    assert calls(stack) == []  # a cache hit upstream


def test_boto3_in_process(stack: LocalStack) -> None:
    signed_in(stack)
    session = boto3_session(PROFILE)
    identity = session.client("sts", endpoint_url=stack.endpoint_url).get_caller_identity()
    assert identity["Arn"].endswith(ROLE_ARN_TAIL)
    assert session.get_credentials().get_frozen_credentials().access_key == cached_key(stack)
    assert stack.recorder.count("GetCallerIdentity") == 1
    assert calls(stack) == []


@pytest.fixture
def aws_cli() -> str:
    cli = shutil.which("aws", path=str(BIN))
    if cli is None:
        pytest.skip("the AWS CLI (awscli, in the test extra) is not installed in this venv")
    return cli


@pytest.mark.slow
@pytest.mark.parametrize("refresh", [False, True], ids=["hit", "refresh"])
def test_aws_cli(stack: LocalStack, aws_cli: str, refresh: bool) -> None:
    signed_in(stack)
    if refresh:
        expire_soon(stack)
    before = cached_key(stack)
    result = run(
        [aws_cli, "sts", "get-caller-identity", "--profile", PROFILE,
         "--endpoint-url", stack.endpoint_url, "--output", "json"],
        child_env(AWS_PAGER=""),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].endswith(ROLE_ARN_TAIL)
    assert stack.recorder.count("GetCallerIdentity") == 1
    if refresh:
        assert calls(stack) == ["GetCredentialsForIdentity"]
        assert cached_key(stack) != before
    else:
        assert calls(stack) == []


@pytest.fixture(scope="session")
def js_sdk() -> Iterator[Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the AWS SDK for JavaScript test")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "credential-providers").is_dir():
        install = subprocess.run(
            [npm, "install", "--prefix", str(JS_DIR), "--no-audit", "--no-fund",
             "--loglevel=error"],
            capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert install.returncode == 0, install.stderr
    return JS_DIR / "caller.mjs"


@pytest.mark.slow
def test_aws_sdk_for_javascript(stack: LocalStack, js_sdk: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    signed_in(stack)
    result = run([node, str(js_sdk), stack.endpoint_url, PROFILE, stack.seed.region], timeout=120)
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["Arn"].endswith(ROLE_ARN_TAIL)
    assert reply["AccessKeyId"] == cached_key(stack)
    assert stack.recorder.count("GetCallerIdentity") == 1
    assert calls(stack) == []


@pytest.mark.slow
def test_aws_sdk_for_javascript_sees_the_sign_in_message(stack: LocalStack, js_sdk: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    result = run([node, str(js_sdk), stack.endpoint_url, PROFILE, stack.seed.region], timeout=120)
    assert result.returncode == 1
    assert "run: scribeauth login --profile scribe" in result.stderr
    assert stack.recorder.count("GetCallerIdentity") == 0
