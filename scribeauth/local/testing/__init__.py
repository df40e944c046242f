"""The one test set-up shared by scribeauth's tests and benchmarks (and usable in your own).

A process runs against a local stack in an *isolated environment*: ``HOME``, the AWS config and
credentials files and the XDG folders (so the cache) under one folder, every ``AWS_*`` and
``SCRIBEAUTH_*`` variable of the caller dropped. On top of that:

- profiles for a stack in ``$AWS_CONFIG_FILE`` (:func:`write_profile`, :func:`profile_section`);
- the executables as a user or botocore runs them: no stdin and no controlling terminal
  (:func:`run`, :func:`start_process`, :func:`process_command`);
- a :class:`~scribeauth.credentials.Broker` whose clock follows the stack's (:func:`broker`),
  signing in (:func:`signed_in`) and moving cached credentials near their expiry
  (:func:`expire_soon`);
- :mod:`.pty` drives programs on a pseudo-terminal, :mod:`.served` serves the identity pool and
  gateway stand-ins alone, :mod:`.fault_matrix` is every Cognito call x every injected fault,
  :mod:`.consumers` runs boto3, the AWS CLI and the JavaScript SDK under ``exec --server``.

``tests/conftest.py`` turns these into pytest fixtures; ``benchmarks/`` calls them directly.
Nothing here imports pytest, and moto only through :mod:`scribeauth.local.stack`.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scribeauth.clients import TEST_MAX_BACKOFF_ENV

if TYPE_CHECKING:
    from scribeauth.cache import CacheEntry
    from scribeauth.config import Profile
    from scribeauth.credentials import Broker
    from scribeauth.local.stack import LocalStack

__all__ = [
    "BIN",
    "IDENTITY_OPS",
    "PROFILE",
    "broker",
    "calls",
    "child_env",
    "command_line",
    "expire_soon",
    "isolated",
    "isolated_environ",
    "one_error_line",
    "process_command",
    "process_line",
    "profile_of",
    "profile_section",
    "run",
    "signed_in",
    "stack_clock",
    "start_process",
    "text_stdin",
    "totp_now",
    "write_profile",
    "write_srp_disabled_profile",
    "write_user_profile",
]

PROFILE = "scribe"
#: The folder of the running interpreter, where the console scripts are installed.
BIN = Path(sys.executable).parent
IDENTITY_OPS = ("GetId", "GetCredentialsForIdentity")
#: What the stack records that is not a Cognito operation.
_NOT_COGNITO = ("GetCallerIdentity", "execute-api", "jwks")


# -- the environment -----------------------------------------------------------------------------


def isolated_environ(
    root: Path,
    base: Mapping[str, str] | None = None,
    *,
    fast_retries: bool = True,
    keep_bytecode_setting: bool = True,
) -> dict[str, str]:
    """An environment whose HOME, AWS files, XDG folders and cache all live under ``root``.

    Args:
        root: the folder to hold ``home/`` (created).
        base: the environment to start from (default ``os.environ``); its ``AWS_*`` and
            ``SCRIBEAUTH_*`` variables are dropped.
        fast_retries: cap botocore's retry back-off at 0 (``SCRIBEAUTH_TEST_MAX_BACKOFF``):
            every attempt is still made, without sleeping between them.
        keep_bytecode_setting: keep ``PYTHONDONTWRITEBYTECODE``; benchmarks drop it so that
            every command runs from compiled bytecode, as an installed package does.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("AWS_", "SCRIBEAUTH_"))
        and (keep_bytecode_setting or k != "PYTHONDONTWRITEBYTECODE")
    }
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        # EC2 metadata lookups would wait on timeouts; nothing here runs on EC2.
        AWS_EC2_METADATA_DISABLED="true",
    )
    if fast_retries:
        env[TEST_MAX_BACKOFF_ENV] = "0"
    return env


@contextlib.contextmanager
def isolated(
    root: Path, *, fast_retries: bool = True, keep_bytecode_setting: bool = True
) -> Iterator[dict[str, str]]:
    """This process's ``os.environ`` as :func:`isolated_environ` of ``root``; put back after."""
    saved = dict(os.environ)
    env = isolated_environ(
        root, fast_retries=fast_retries, keep_bytecode_setting=keep_bytecode_setting
    )
    os.environ.clear()
    os.environ.update(env)
    try:
        yield env
    finally:
        os.environ.clear()
        os.environ.update(saved)


def child_env(**extra: str) -> dict[str, str]:
    """This (isolated) environment for a child process, plus ``extra``; the interpreter's
    ``bin`` first on ``PATH`` (the AWS CLI runs ``scribeauth-credentials`` from there)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


# -- profiles ------------------------------------------------------------------------------------


def process_command(profile: str = PROFILE) -> list[str]:
    """The credential_process command: the installed script when there is one, else ``-m``."""
    script = shutil.which("scribeauth-credentials", path=str(BIN))
    if script:
        return [script, "--profile", profile]
    return [sys.executable, "-m", "scribeauth.credential_process", "--profile", profile]


def process_line(profile: str = PROFILE) -> str:
    return " ".join(process_command(profile))


def command_line(command: str, profile: str, *, debug: bool = False) -> list[str]:
    """``login`` (password on stdin), ``credentials`` or ``logout`` as installed (else ``-m``)."""
    if command == "credentials":
        return process_command(profile)
    script = BIN / "scribeauth"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "scribeauth.cli"]
    args = ["login", "--password-stdin"] if command == "login" else [command]
    return [*head, *args, "--profile", profile, *(["--debug"] if debug else [])]


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


def profile_section(name: str, stack: LocalStack, user: str = "alice") -> str:
    """``[profile NAME]`` for ``stack``'s pools, reaching it through a ``services`` section
    (so several stacks serve one process without a shared ``AWS_ENDPOINT_URL``)."""
    seed = stack.seed
    return (
        f"[profile {name}]\n"
        f"region = {seed.region}\n"
        f"scribe_client_id = {seed.public_client_id}\n"
        f"scribe_user_pool_id = {seed.user_pool_id}\n"
        f"scribe_identity_pool_id = {seed.identity_pool_id}\n"
        f"scribe_username = {seed.users[user].username}\n"
        f"services = {name}-stack\n"
        "\n"
        f"[services {name}-stack]\n"
        "cognito_identity_provider =\n"
        f"  endpoint_url = {stack.endpoint_url}\n"
        "cognito_identity =\n"
        f"  endpoint_url = {stack.endpoint_url}\n"
        "\n"
    )


def write_user_profile(stack: LocalStack, user: str = "bob", name: str = PROFILE) -> None:
    """``[profile NAME]`` as ``scribeauth configure`` writes it for a seed user (in whichever
    pool the user lives; the identity pool only for the stack's main pool)."""
    from scribeauth.config import aws_config_path
    from scribeauth.config import write_profile as write_section

    seed_user = stack.seed.users[user]
    settings = {
        "region": stack.seed.region,
        "credential_process": f"scribeauth-credentials --profile {name}",
        "scribe_client_id": seed_user.client_id,
        "scribe_user_pool_id": seed_user.user_pool_id,
        "scribe_username": seed_user.username,
    }
    if seed_user.user_pool_id == stack.seed.user_pool_id:
        settings["scribe_identity_pool_id"] = stack.seed.identity_pool_id
    write_section(aws_config_path(), name, settings)


def write_srp_disabled_profile(stack: LocalStack, user: str = "alice", name: str = PROFILE) -> None:
    """``[profile NAME]`` for a seed user through the app client that does not allow SRP."""
    from scribeauth.config import aws_config_path
    from scribeauth.config import write_profile as write_section

    seed = stack.seed
    write_section(
        aws_config_path(),
        name,
        {
            "region": seed.region,
            "scribe_client_id": seed.srp_disabled_client_id,
            "scribe_user_pool_id": seed.user_pool_id,
            "scribe_identity_pool_id": seed.identity_pool_id,
            "scribe_username": seed.users[user].username,
        },
    )


def totp_now(stack: LocalStack, user: str = "bob") -> str:
    """The seed user's TOTP code at the stack's time (an independent TOTP, not the stack's)."""
    import pyotp

    secret = stack.seed.users[user].totp_secret
    assert secret is not None
    code: str = pyotp.TOTP(secret).at(stack.now())
    return code


def one_error_line(text: str, prefix: str = "scribeauth: ") -> str:
    """The one line a failed command printed (asserting there is one, no traceback)."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith(prefix)
    assert "Traceback" not in text
    return lines[0]


def text_stdin(data: str | bytes) -> io.TextIOWrapper:
    """A ``sys.stdin`` replacement holding ``data``."""
    raw = data.encode() if isinstance(data, str) else data
    return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")


def profile_of(name: str = PROFILE) -> Profile:
    from scribeauth.config import load_profile

    return load_profile(name)


# -- child processes -----------------------------------------------------------------------------


def run(
    args: list[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    *,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs a command with no controlling terminal (as botocore may): stdin closed, or ``stdin``
    as its whole input; ``env`` as given, else :func:`child_env`."""
    return subprocess.run(
        args,
        env=dict(env) if env is not None else child_env(),
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


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


# -- the credential chain against a stack ----------------------------------------------------------


def stack_clock(stack: LocalStack) -> datetime:
    """The stack's time (wall clock plus its offset), as an aware UTC datetime."""
    return datetime.fromtimestamp(stack.now(), timezone.utc)


def broker(stack: LocalStack, name: str = PROFILE, **kwargs: Any) -> Broker:
    """A Broker for the profile whose clock follows the stack's (tests move ``clock_offset``)."""
    from scribeauth.config import load_profile
    from scribeauth.credentials import Broker

    kwargs.setdefault("now", lambda: stack_clock(stack))
    return Broker(load_profile(name), **kwargs)


def signed_in(stack: LocalStack, name: str = PROFILE, user: str = "alice") -> CacheEntry:
    """Signs ``user`` in through the Broker (a TOTP code for bob) and clears the recorder."""
    seed_user = stack.seed.users[user]
    code = None
    if seed_user.totp_secret:
        import pyotp  # an independent TOTP, not the stack's own

        code = pyotp.TOTP(seed_user.totp_secret).at(stack.now())
    entry = broker(stack, name).sign_in(password=seed_user.password, mfa_code=code)
    stack.recorder.reset()
    return entry


def calls(stack: LocalStack) -> list[str]:
    """The Cognito operations the stack served (not the gateway's, nor JWKS downloads)."""
    return [op for op in stack.recorder.operations() if op not in _NOT_COGNITO]


def expire_soon(stack: LocalStack, seconds: float = 120, name: str = PROFILE) -> CacheEntry:
    """Moves the cached credentials to ``seconds`` before expiry (real time: children use it)."""
    from scribeauth.models import AwsCredentials

    cache = broker(stack, name).cache
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
