"""Helpers shared by the credential-chain tests (identity pool, Broker, credential_process,
provider, consumers): a real ``~/.aws/config`` profile for the local stack, a clock that follows
the stack's, and running our executables the way the AWS tools do."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scribeauth.cache import CacheEntry
from scribeauth.config import Profile, load_profile
from scribeauth.credentials import Broker
from scribeauth.local.stack import LocalStack
from scribeauth.models import AwsCredentials

PROFILE = "scribe"
VENV_BIN = Path(sys.executable).parent
IDENTITY_OPS = ("GetId", "GetCredentialsForIdentity")


def process_command(profile: str = PROFILE) -> list[str]:
    """The credential_process command: the installed script when there is one, else ``-m``."""
    script = shutil.which("scribeauth-credentials", path=str(VENV_BIN))
    if script:
        return [script, "--profile", profile]
    return [sys.executable, "-m", "scribeauth.credential_process", "--profile", profile]


def process_line(profile: str = PROFILE) -> str:
    return " ".join(process_command(profile))


def write_profile(
    stack: LocalStack,
    *,
    name: str = PROFILE,
    user: str = "alice",
    client: str = "public",
    extra: Mapping[str, str] | None = None,
    omit: tuple[str, ...] = (),
    credential_process: str | None = None,
    append: bool = False,
) -> Path:
    """Writes ``[profile NAME]`` for the stack into ``$AWS_CONFIG_FILE``; returns the file."""
    seed = stack.seed
    settings: dict[str, str] = {
        "region": seed.region,
        "credential_process": credential_process or process_line(name),
        "scribe_client_id": seed.public_client_id,
        "scribe_user_pool_id": seed.user_pool_id,
        "scribe_identity_pool_id": seed.identity_pool_id,
        "scribe_username": seed.users[user].username if user in seed.users else user,
    }
    if client == "confidential":
        settings["scribe_client_id"] = seed.confidential_client_id
        settings["scribe_client_secret"] = seed.confidential_client_secret
    settings.update(extra or {})
    for key in omit:
        settings.pop(key, None)
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "[default]" if name == "default" else f"[profile {name}]"
    body = "\n".join([header, *(f"{k} = {v}" for k, v in settings.items())]) + "\n"
    with path.open("a" if append else "w", encoding="utf-8") as handle:
        handle.write(("\n" if append else "") + body)
    return path


def stack_clock(stack: LocalStack) -> datetime:
    """The stack's time (wall clock plus its offset), as an aware UTC datetime."""
    return datetime.fromtimestamp(stack.now(), timezone.utc)


def broker(stack: LocalStack, name: str = PROFILE, **kwargs: Any) -> Broker:
    """A Broker for the profile whose clock follows the stack's (tests move ``clock_offset``)."""
    kwargs.setdefault("now", lambda: stack_clock(stack))
    return Broker(load_profile(name), **kwargs)


def signed_in(stack: LocalStack, name: str = PROFILE, user: str = "alice") -> CacheEntry:
    """Signs ``user`` in through the Broker (TOTP code for bob) and clears the recorder."""
    import pyotp

    seed_user = stack.seed.users[user]
    code = pyotp.TOTP(seed_user.totp_secret).at(stack.now()) if seed_user.totp_secret else None
    entry = broker(stack, name).sign_in(password=seed_user.password, mfa_code=code)
    stack.recorder.reset()
    return entry


def calls(stack: LocalStack) -> list[str]:
    """The Cognito operations the stack served (not the gateway's)."""
    return [
        op for op in stack.recorder.operations() if op not in ("GetCallerIdentity", "execute-api")
    ]


def child_env(**extra: str) -> dict[str, str]:
    """The isolated test environment (conftest) for a child process, plus ``extra``."""
    env = dict(os.environ)
    env.update(extra)
    return env


def run(
    args: list[str], env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs a command with no stdin and no controlling terminal (as botocore may)."""
    return subprocess.run(
        args,
        env=dict(env) if env is not None else child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


def profile_of(name: str = PROFILE) -> Profile:
    return load_profile(name)


def expire_soon(stack: LocalStack, seconds: float = 120) -> CacheEntry:
    """Moves the cached credentials to ``seconds`` before expiry (real time: children use it)."""
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    assert entry.credentials is not None
    creds = entry.credentials
    near = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    entry = entry.replace(
        credentials=AwsCredentials(
            creds.access_key_id, creds.secret_access_key, creds.session_token, near
        )
    )
    cache.save(entry)
    return entry


def start_process(**env: str) -> subprocess.Popen[str]:
    """Starts ``scribeauth-credentials`` as botocore would, with no terminal and no stdin."""
    return subprocess.Popen(
        process_command(),
        env=child_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
