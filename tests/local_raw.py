"""Raw clients for the local-stack tests: boto3 (unsigned, like the library's) and plain HTTP.

Nothing of scribeauth's own client code: these are the "independent clients" the stack is tested
with (with ``local_srp_client`` for SRP and device SRP).
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from scribeauth.local.stack import LocalStack

REGION = "eu-west-2"


def client(stack: LocalStack, service: str = "cognito-idp", **config: Any) -> Any:
    """An unsigned boto3 client of ``stack`` (one attempt unless ``retries`` says otherwise)."""
    config.setdefault("retries", {"max_attempts": 1})
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=stack.endpoint_url,
        config=Config(signature_version=UNSIGNED, **config),
    )


def idp(stack: LocalStack, **config: Any) -> Any:
    """An unsigned cognito-idp client of ``stack``."""
    return client(stack, "cognito-idp", **config)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(code, message) of a botocore ClientError."""
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def raw_call(stack: LocalStack, operation: str, params: dict[str, Any]) -> tuple[int, Any]:
    """One cognito-idp call as raw JSON with ``X-Amz-Target`` (no botocore model involved)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/",
            body=json.dumps(params),
            headers={
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()
