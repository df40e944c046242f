"""``scribeauth demo``: the whole flow against the local Scribe stack, step by step.

No account and no network: the strict local stack (user pool, identity pool, STS and an API
gateway that verifies SigV4) runs on loopback, and everything the demo writes lives in a
temporary folder that is removed at the end, whatever happens. The steps:

1. start the local stack;
2. write a throwaway AWS config whose ``demo`` profile runs ``credential_process``;
3. sign in as the seeded user bob with SRP and a TOTP MFA code (computed from his secret);
4. ``boto3.Session(profile_name="demo")`` runs the credential_process, which trades bob's id
   token at the identity pool for AWS credentials;
5. a SigV4-signed ``execute-api`` call the gateway verifies;
6. STS ``GetCallerIdentity`` with the same credentials;
7. a second credential_process run: a cache hit, no call to Cognito (the stack's counters show).

Output goes through the ``report`` callable the caller passes in (the command line passes its
stdout writer); no secret is ever reported. Needs the ``local`` extra.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import shlex
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .demo_environment import environment, isolated_environment, local_stack_class
from .errors import ConfigError

if TYPE_CHECKING:
    from .local.stack import LocalStack

__all__ = ["PROFILE", "run", "totp"]

#: The profile the demo writes into its throwaway AWS config.
PROFILE = "demo"
_USER = "bob"
_STEPS = 7
_COGNITO_OPERATIONS = (
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetId",
    "GetCredentialsForIdentity",
)


def totp(secret_b32: str, at: float, *, digits: int = 6, step: int = 30) -> str:
    """The RFC 6238 TOTP code (HMAC-SHA1) of a base32 secret at epoch time ``at``."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // step)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def _counts(stack: LocalStack) -> str:
    return ", ".join(f"{op} {stack.recorder.count(op)}" for op in _COGNITO_OPERATIONS)


class _Steps:
    def __init__(self, report: Callable[[str], None]) -> None:
        self._report = report
        self._number = 0
        self.started = time.perf_counter()

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[list[str]]:
        """Runs one step; reports ``[n/7] title (time)`` and the detail lines the block adds."""
        self._number += 1
        details: list[str] = []
        began = time.perf_counter()
        try:
            yield details
        except BaseException:
            self._report(f"[{self._number}/{_STEPS}] {title}: FAILED")
            raise
        self._report(f"[{self._number}/{_STEPS}] {title} ({time.perf_counter() - began:.2f} s)")
        for line in details:
            self._report(f"      {line}")


def run(report: Callable[[str], None], *, keep: bool = False) -> int:
    """Runs the demo, reporting each step through ``report``; cleans up whatever happens.

    Args:
        report: called with each line of output.
        keep: leave the temporary folder in place (for debugging the demo itself).

    Returns:
        0 when every step succeeded.

    Raises:
        ConfigError: the ``local`` extra is not installed (exit 3).
        ScribeAuthError: a step failed (after cleaning up).
    """
    stack_class = local_stack_class()

    steps = _Steps(report)
    report("scribeauth demo: sign-in to AWS call against a local Scribe stack (loopback only)")
    folder = Path(tempfile.mkdtemp(prefix="scribeauth-demo-"))
    stack: LocalStack | None = None
    try:
        # The stack too runs inside the isolation: moto reads AWS_PROFILE and friends.
        with environment(isolated_environment(folder)):
            with steps.step("Started the local Scribe stack") as out:
                stack = stack_class().start()
                out.append(f"{stack.endpoint_url}: user pool, identity pool, STS, API gateway")
                out.append(f"user pool {stack.seed.user_pool_id}")
            with environment(stack.env()):
                _flow(stack, folder, steps)
    finally:
        if stack is not None:
            stack.stop()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    where = f"kept {folder}" if keep else f"removed {folder}"
    report(f"Stopped the local stack and {where}.")
    report(f"Done in {time.perf_counter() - steps.started:.2f} s.")
    return 0


def _flow(stack: LocalStack, folder: Path, steps: _Steps) -> None:
    import boto3

    from .config import load_profile, write_profile
    from .credentials import Broker
    from .signing import send

    seed = stack.seed
    user = seed.users[_USER]
    command = f"{shlex.quote(sys.executable)} -m scribeauth.credential_process --profile {PROFILE}"

    with steps.step("Wrote a throwaway AWS config") as out:
        config = folder / "config"
        write_profile(
            config,
            PROFILE,
            {
                "region": seed.region,
                "credential_process": command,
                "scribe_client_id": seed.public_client_id,
                "scribe_user_pool_id": seed.user_pool_id,
                "scribe_identity_pool_id": seed.identity_pool_id,
                "scribe_username": user.username,
            },
        )
        out.append(f"{config}: [profile {PROFILE}]")
        out.append(f"credential_process = {command}")

    profile = load_profile(PROFILE)
    with steps.step(f"Signed in as {user.username} with SRP and a TOTP MFA code") as out:
        stack.recorder.reset()
        assert user.totp_secret is not None, "the seeded demo user has TOTP MFA"
        # Sign in to the user pool only (no identity pool), so the credential_process of the
        # next step is the one that fetches AWS credentials.
        broker = Broker(dataclasses.replace(profile, identity_pool_id=None))
        entry = broker.sign_in(password=user.password, mfa_code=totp(user.totp_secret, stack.now()))
        srp = stack.recorder.count("InitiateAuth", "USER_SRP_AUTH")
        challenges = stack.recorder.count("RespondToAuthChallenge")
        out.append(
            f"InitiateAuth USER_SRP_AUTH {srp}, RespondToAuthChallenge {challenges} "
            "(PASSWORD_VERIFIER, SOFTWARE_TOKEN_MFA)"
        )
        out.append("the password itself was never sent: SRP proves it")
        expires = entry.tokens.expires_at if entry.tokens is not None else None
        until = f"{expires:%H:%M:%S} UTC" if expires is not None else "?"
        out.append(f"tokens cached in {folder / 'cache'}; id token valid until {until}")

    with steps.step(f'boto3.Session(profile_name="{PROFILE}") ran credential_process') as out:
        stack.recorder.reset()
        session = boto3.Session(profile_name=PROFILE)
        credentials = session.get_credentials()
        if credentials is None:
            raise ConfigError("boto3 found no credentials for the demo profile")
        frozen = credentials.get_frozen_credentials()
        out.append(f"access key id {frozen.access_key} (method: {credentials.method})")
        out.append(f"its Cognito calls: {_counts(stack)}")

    with steps.step("Signed execute-api call, verified by the gateway") as out:
        url = f"{stack.endpoint_url}/prod/echo?demo=1"
        reply = send("POST", url, session=session, body=json.dumps({"hello": "scribe"}))
        if not reply.ok:
            raise ConfigError(f"the gateway refused the signed call: HTTP {reply.status}")
        echo: dict[str, Any] = reply.json()
        out.append(f"POST /prod/echo -> {reply.status}; the gateway saw body {echo['body']}")
        out.append(f"signed by identity {echo['identity_id']} (role {echo['role_arn']})")

    with steps.step("STS GetCallerIdentity with the same credentials") as out:
        identity = session.client("sts").get_caller_identity()
        out.append(f"{identity['Arn']}")

    with steps.step("Cache hit: a second credential_process run") as out:
        stack.recorder.reset()
        again = boto3.Session(profile_name=PROFILE).get_credentials()
        if again is None:
            raise ConfigError("boto3 found no credentials for the demo profile")
        same = again.get_frozen_credentials().access_key == frozen.access_key
        out.append(f"same access key id: {'yes' if same else 'no'}")
        out.append(f"its Cognito calls: {_counts(stack)}")
