"""``scribeauth exec`` gives the child fresh AWS variables only (issue 11, item 4): no
``SCRIBEAUTH_*`` secrets, none of the parent's own (stale) credentials, and the profile's
``endpoint_url`` / ``services`` endpoints as ``AWS_ENDPOINT_URL*``, so the real AWS CLI in the
child reaches the same (local) endpoints the profile does.

The executables run as a person runs them: ``scribeauth`` from the venv, no terminal.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import BIN, PROFILE, broker, child_env, run, signed_in, write_profile

SCRIBEAUTH = shutil.which("scribeauth", path=str(BIN)) or "scribeauth"
SHOW_ENV = "import json, os; print(json.dumps(dict(os.environ)))"


@pytest.fixture
def aws_cli() -> str:
    cli = shutil.which("aws", path=str(BIN))
    if cli is None:
        pytest.skip("the AWS CLI (awscli, in the test extra) is not installed in this venv")
    return cli


def scribeauth_env(**extra: str) -> dict[str, str]:
    env = child_env(**extra)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("AWS_ENDPOINT_URL", None)  # the profile alone says where the stack is
    return env


def services_config(stack: LocalStack, path: Path) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n[services local]\nsts =\n  endpoint_url = {stack.endpoint_url}\n"
            f"cognito_identity_provider =\n  endpoint_url = {stack.endpoint_url}\n"
            f"cognito_identity =\n  endpoint_url = {stack.endpoint_url}\n"
        )


def test_the_child_gets_fresh_variables_only(scribe_stack: LocalStack) -> None:
    stack = scribe_stack
    # A confidential client whose secret comes from the environment, as a CI job would set it.
    write_profile(
        stack,
        client="confidential",
        omit=("scribe_client_secret",),
        extra={"endpoint_url": stack.endpoint_url},
    )
    secret = stack.seed.confidential_client_secret
    os.environ["SCRIBEAUTH_CLIENT_SECRET"] = secret  # for signed_in (the Broker reads it)
    try:
        signed_in(stack)
    finally:
        del os.environ["SCRIBEAUTH_CLIENT_SECRET"]
    fresh = broker(stack).cached()
    assert fresh is not None
    assert fresh.credentials is not None
    env = scribeauth_env(
        SCRIBEAUTH_CLIENT_SECRET=secret,
        SCRIBEAUTH_CACHE_DIR=str(Path(os.environ["HOME"]) / ".cache" / "scribeauth"),
        AWS_SECURITY_TOKEN="stale-security-token",
        AWS_SESSION_TOKEN="stale-session-token",
        AWS_ACCESS_KEY_ID="AKIASTALE",
        AWS_SECRET_ACCESS_KEY="stale-secret",
        AWS_CREDENTIAL_EXPIRATION="2001-01-01T00:00:00Z",
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/v2/credentials/stale",
        AWS_CONTAINER_AUTHORIZATION_TOKEN="stale-container-token",
        AWS_PROFILE=PROFILE,
    )
    result = run([SCRIBEAUTH, "exec", "--", sys.executable, "-c", SHOW_ENV], env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert not any(secret in value for value in seen.values())
    assert "SCRIBEAUTH_CLIENT_SECRET" not in seen
    assert seen["SCRIBEAUTH_CACHE_DIR"] == env["SCRIBEAUTH_CACHE_DIR"]  # not a secret: kept
    for name in (
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_PROFILE",
    ):
        assert name not in seen, name
    assert seen["AWS_ACCESS_KEY_ID"] == fresh.credentials.access_key_id
    assert seen["AWS_SESSION_TOKEN"] == fresh.credentials.session_token
    assert seen["AWS_CREDENTIAL_EXPIRATION"] != "2001-01-01T00:00:00Z"
    assert "stale" not in json.dumps(seen)
    assert seen["AWS_ENDPOINT_URL"] == stack.endpoint_url  # the profile's endpoint_url


@pytest.mark.slow
@pytest.mark.parametrize("where", ["endpoint_url", "services"])
def test_the_aws_cli_in_the_child_reaches_the_profiles_endpoint(
    scribe_stack: LocalStack, aws_cli: str, where: str
) -> None:
    stack = scribe_stack
    extra = {"endpoint_url": stack.endpoint_url} if where == "endpoint_url" else {}
    if where == "services":
        extra["services"] = "local"
    config = write_profile(stack, extra=extra)
    if where == "services":
        services_config(stack, config)
    signed_in(stack)
    env = scribeauth_env(AWS_PAGER="")
    argv = [SCRIBEAUTH, "exec", "--profile", PROFILE, "--", aws_cli, "sts",
            "get-caller-identity", "--output", "json"]  # fmt: skip
    result = run(argv, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].endswith("/CognitoIdentityCredentials")
    assert stack.recorder.count("GetCallerIdentity") == 1  # it went to the stack, not AWS


def test_a_parent_endpoint_variable_wins(scribe_stack: LocalStack) -> None:
    stack = scribe_stack
    write_profile(stack, extra={"endpoint_url": stack.endpoint_url})
    signed_in(stack)
    env = scribeauth_env(AWS_ENDPOINT_URL_STS="http://127.0.0.1:9/parent")
    result = run([SCRIBEAUTH, "exec", "--profile", PROFILE, "--", sys.executable, "-c",
                  SHOW_ENV], env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["AWS_ENDPOINT_URL_STS"] == "http://127.0.0.1:9/parent"
    assert seen["AWS_ENDPOINT_URL"] == stack.endpoint_url
