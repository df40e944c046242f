"""Secrets stay secret: with debug logging on, through every command and every failure.

No password, refresh/id/access token, AWS secret key, session token, client secret or TOTP
secret shows up in stdout (except where a command prints credentials by design: ``export``,
``exec``'s child and ``scribeauth-credentials``, which may print the AWS secret key and session
token, never a user-pool token), stderr, our log records (as emitted, before any masking) or
exception text (the whole chain); the cache stays 0600 in a 0700 folder after every operation,
even under a permissive umask; and under SRP no request body carries the password.
"""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import sys
import traceback
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyotp
import pytest

from scribeauth import cli, credential_process
from scribeauth.cache import cache_dir
from scribeauth.errors import ScribeAuthError
from scribeauth.identity_pool import IdentityPoolClient
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import broker, fault_matrix, signed_in, write_profile
from scribeauth.login import SignIn
from scribeauth.models import AwsCredentials, Challenge

PROFILE = "scribe"
CONFIDENTIAL = "conf"


# In-process runs never reach the developer's own terminal (pty tests use a pty).
pytestmark = pytest.mark.usefixtures("no_terminal")


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable: the cache must not rely on it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


class RawRecords(logging.Handler):
    """Our log records as emitted, before the command line's masking filter rewrites them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.texts.append(f"{record.name}: {text}")


@pytest.fixture
def raw_records() -> Iterator[RawRecords]:
    logger = logging.getLogger("scribeauth")
    handler = RawRecords()
    handlers, level = list(logger.handlers), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        # credential_process.main adds a stderr handler per debug run: put the logger back.
        logger.handlers[:] = handlers
        logger.setLevel(level)


class Watch:
    """The secrets seen so far, and where they must not be."""

    def __init__(self, stack: LocalStack, capfd: pytest.CaptureFixture[str], raw: RawRecords):
        self.stack = stack
        self.capfd = capfd
        self.raw = raw
        self.secrets: set[str] = set()
        self.user_pool_secrets: set[str] = set()  # never printed, not even by export
        self.checked = 0

    def add(self, *values: str | None, user_pool: bool = True) -> None:
        found = {value for value in values if value and len(value) >= 6}
        self.secrets |= found
        if user_pool:
            self.user_pool_secrets |= found

    def add_cache(self, name: str = PROFILE) -> None:
        for cache in Path(cache_dir()).glob("*.json"):
            entry = json.loads(cache.read_text())
            tokens = entry.get("tokens") or {}
            self.add(*(tokens.get(k) for k in ("id_token", "access_token", "refresh_token")))
            creds = entry.get("credentials") or {}
            self.add(creds.get("secret_access_key"), creds.get("session_token"), user_pool=False)

    def run(
        self,
        call: Callable[[], int],
        *,
        stdin: str = "",
        prints_credentials: bool = False,
    ) -> tuple[int, str, str]:
        """Runs a command in-process; checks its output, our records and the cache files."""
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        try:
            code = call()
        finally:
            sys.stdin = sys.__stdin__
        out, err = self.capfd.readouterr()
        self.add_cache()
        places = {"stderr": err, "records": "\n".join(self.raw.texts)}
        places["stdout"] = out
        for where, text in places.items():
            allowed = prints_credentials and where == "stdout"
            for secret in self.user_pool_secrets if allowed else self.secrets:
                assert secret not in text, f"a secret ({secret[:4]}...) in {where}"
        self.raw.texts.clear()
        check_permissions()
        self.checked += 1
        return code, out, err


def check_permissions() -> None:
    folder = Path(cache_dir())
    if not folder.exists():
        return
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat(follow_symlinks=False).st_mode) == 0o600, path.name


def totp(stack: LocalStack, user: str = "bob") -> str:
    secret = stack.seed.users[user].totp_secret
    assert secret is not None
    return pyotp.TOTP(secret).at(stack.now())


def expire_credentials(stack: LocalStack) -> None:
    cache = broker(stack).cache
    entry = cache.load()
    assert entry is not None
    assert entry.credentials is not None
    c = entry.credentials
    soon = datetime.now(timezone.utc) + timedelta(minutes=2)
    cache.save(
        entry.replace(
            credentials=AwsCredentials(c.access_key_id, c.secret_access_key, c.session_token, soon)
        )
    )


def test_every_command_with_debug_leaks_nothing(
    stack: LocalStack,
    capfd: pytest.CaptureFixture[str],
    raw_records: RawRecords,
    monkeypatch: pytest.MonkeyPatch,
    open_umask: None,
) -> None:
    bob = stack.seed.users["bob"]
    alice = stack.seed.users["alice"]
    write_profile(stack, user="bob")
    write_profile(stack, name=CONFIDENTIAL, user="alice", client="confidential", append=True)
    watch = Watch(stack, capfd, raw_records)
    new_password, reset_password = "Secr3t-New-Passw0rd!", "Secr3t-Reset-Passw0rd!"
    watch.add(bob.password, alice.password, new_password, reset_password, bob.totp_secret)
    watch.add(stack.seed.confidential_client_secret, "Wr0ng-Passw0rd-xyz")
    debug = ["--debug", "--profile", PROFILE]

    def scribeauth(*args: str) -> Callable[[], int]:
        return lambda: cli.main([*args])

    def credentials(*args: str) -> Callable[[], int]:
        return lambda: credential_process.main([*args])

    # Signing in, wrong and right.
    code, _, err = watch.run(
        scribeauth("login", *debug, "--password-stdin"), stdin="Wr0ng-Passw0rd-xyz\n"
    )
    assert code == 5, err
    code, _, err = watch.run(
        scribeauth("login", *debug, "--password-stdin", "--mfa-code", "000000"),
        stdin=bob.password + "\n",
    )
    assert code == 5, err
    code, out, err = watch.run(
        scribeauth("login", *debug, "--password-stdin", "--mfa-code", totp(stack)),
        stdin=bob.password + "\n",
    )
    assert code == 0, err
    assert "DEBUG" in err  # debug logging really was on
    assert len(watch.user_pool_secrets) > 6  # tokens from the cache joined the watch list

    # Looking at the session, and using it.
    for args in (["status"], ["status", "--json"]):
        code, out, err = watch.run(scribeauth(args[0], *debug, *args[1:]))
        assert code == 0, err
    for fmt in ("env", "json"):
        code, out, err = watch.run(
            scribeauth("export", *debug, "--format", fmt), prints_credentials=True
        )
        assert code == 0, err
        assert "AccessKeyId" in out or "AWS_ACCESS_KEY_ID" in out
    code, out, err = watch.run(
        scribeauth(
            "exec", *debug, "--", sys.executable, "-c",
            "import os; print(len(os.environ['AWS_SESSION_TOKEN']) > 0)",
        ),
        prints_credentials=True,
    )  # fmt: skip
    assert code == 0, err
    assert out.strip().endswith("True")
    code, out, err = watch.run(scribeauth("request", *debug, f"{stack.endpoint_url}/prod/echo"))
    assert code == 0, err
    assert json.loads(out)["path"] == "/prod/echo"

    # scribeauth-credentials: a hit, a refresh of the credentials, a refresh of the tokens.
    monkeypatch.setenv("SCRIBEAUTH_DEBUG", "1")
    code, out, err = watch.run(credentials("--profile", PROFILE), prints_credentials=True)
    assert code == 0, err
    expire_credentials(stack)
    code, out, err = watch.run(credentials("--profile", PROFILE), prints_credentials=True)
    assert code == 0, err
    assert "debug" in err
    # A sign-in whose id token has under 5 minutes left: the next refresh renews the tokens.
    stack.recorder.reset()
    stack.token_lifetime = 240
    code, _, err = watch.run(
        scribeauth("login", *debug, "--password-stdin", "--mfa-code", totp(stack)),
        stdin=bob.password + "\n",
    )
    assert code == 0, err
    stack.token_lifetime = 3600
    expire_credentials(stack)
    code, out, err = watch.run(credentials("--profile", PROFILE), prints_credentials=True)
    assert code == 0, err
    assert stack.recorder.count("GetTokensFromRefreshToken") == 1
    code, out, err = watch.run(credentials("--profile", "nobody"))
    assert code == 3
    monkeypatch.delenv("SCRIBEAUTH_DEBUG")

    # Passwords: change it, forget it.
    code, _, err = watch.run(
        scribeauth("change-password", *debug, "--password-stdin"),
        stdin=f"{bob.password}\n{new_password}\n",
    )
    assert code == 0, err
    code, _, err = watch.run(scribeauth("forgot-password", *debug))
    assert code == 0, err
    reset_code = stack.user_pool.last_code(bob.username)
    assert reset_code is not None
    code, _, err = watch.run(
        scribeauth("forgot-password", *debug, "--code", reset_code, "--password-stdin"),
        stdin=reset_password + "\n",
    )
    assert code == 0, err

    # Signing out, and what fails afterwards.
    code, out, err = watch.run(scribeauth("logout", *debug))
    assert code == 0, err
    monkeypatch.setenv("SCRIBEAUTH_DEBUG", "1")
    code, out, err = watch.run(credentials("--profile", PROFILE))
    assert code == 4
    monkeypatch.delenv("SCRIBEAUTH_DEBUG")
    code, out, err = watch.run(scribeauth("export", *debug))
    assert code == 4

    # A confidential app client: the client secret joins the list.
    conf = ["--debug", "--profile", CONFIDENTIAL]
    code, _, err = watch.run(
        scribeauth("login", *conf, "--password-stdin"), stdin=alice.password + "\n"
    )
    assert code == 0, err
    assert broker(stack, CONFIDENTIAL).cache.load() is not None
    code, _, err = watch.run(scribeauth("logout", *conf))
    assert code == 0, err
    assert watch.checked == 22


def test_library_failures_carry_no_secret_in_exception_text(
    stack: LocalStack, raw_records: RawRecords
) -> None:
    write_profile(stack)
    entry = signed_in(stack)
    assert entry.tokens is not None
    assert entry.credentials is not None
    alice = stack.seed.users["alice"]
    seed = stack.seed
    secrets = [
        alice.password,
        "Wr0ng-Passw0rd-xyz",
        entry.tokens.id_token,
        entry.tokens.access_token,
        entry.tokens.refresh_token or "",
        entry.credentials.secret_access_key,
        entry.credentials.session_token,
        seed.confidential_client_secret,
    ]
    public = SignIn(client_id=seed.public_client_id, user_pool_id=seed.user_pool_id)
    confidential = SignIn(
        client_id=seed.confidential_client_id,
        user_pool_id=seed.user_pool_id,
        client_secret=seed.confidential_client_secret,
        auth_flow="USER_PASSWORD_AUTH",
    )
    identity = IdentityPoolClient(identity_pool_id=seed.identity_pool_id, region=seed.region)
    provider = f"cognito-idp.{seed.region}.amazonaws.com/{seed.user_pool_id}"
    tokens = entry.tokens

    def faulty(operation: str, kind: str, call: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            stack.faults.add(operation, kind, times=1)
            try:
                return call()
            finally:
                stack.faults.clear()

        return run

    failures: list[Callable[[], object]] = [
        lambda: public.start("alice", "Wr0ng-Passw0rd-xyz"),
        lambda: confidential.start("alice", "Wr0ng-Passw0rd-xyz"),
        lambda: public.refresh(tokens.access_token),  # a token, but not a refresh token
        lambda: confidential.refresh(tokens.id_token, username="nobody"),
        lambda: public.answer(Challenge("SOFTWARE_TOKEN_MFA", tokens.id_token, {}, "alice"), "1"),
        lambda: identity.get_id(provider, tokens.access_token),
        lambda: identity.get_credentials("eu-west-2:nobody", provider, tokens.id_token),
        lambda: identity.get_credentials(entry.identity_id or "", provider, "not-a-jwt"),
        faulty("InitiateAuth", "garble", lambda: public.start("alice", alice.password)),
        faulty(
            "GetTokensFromRefreshToken",
            "truncate",
            lambda: public.refresh(tokens.refresh_token or ""),
        ),
        faulty(
            "GetCredentialsForIdentity",
            "garble",
            lambda: identity.get_credentials(entry.identity_id or "", provider, tokens.id_token),
        ),
        faulty("RevokeToken", "truncate", lambda: public.revoke(tokens.refresh_token or "")),
    ]
    raised, chained = 0, 0
    for failure in failures:
        error: BaseException | None = None
        try:
            failure()
        except ScribeAuthError as err:
            error = err
        assert error is not None, failure
        raised += 1
        text = chain_text(error)
        chained += "botocore" in text  # the cause was looked at too
        for secret in secrets:
            assert secret
            assert secret not in text, f"a secret ({secret[:4]}...) in: {text[-300:]}"
    assert raised == len(failures)
    assert chained >= len(failures) // 2
    for secret in secrets:
        assert secret not in "\n".join(raw_records.texts)


def chain_text(error: BaseException) -> str:
    """Every message of an exception and of its causes and contexts (what a log would show)."""
    texts: list[str] = []
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [repr(current), str(current), *map(repr, current.args)]
        texts += traceback.format_exception_only(current)
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return "\n".join(texts)


def test_cli_debug_records_reach_other_handlers_masked(
    stack: LocalStack, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    write_profile(stack)
    alice = stack.seed.users["alice"]
    sys.stdin = io.TextIOWrapper(io.BytesIO(f"{alice.password}\n".encode()), encoding="utf-8")
    try:
        assert cli.main(["login", "--debug", "--profile", PROFILE, "--password-stdin"]) == 0
    finally:
        sys.stdin = sys.__stdin__
    _, err = capfd.readouterr()
    entry = broker(stack).cache.load()
    assert entry is not None
    assert entry.tokens is not None
    assert entry.tokens.id_token not in err  # masked where the command line writes
    assert "AuthenticationResult" in caplog.text  # botocore's records did arrive here
    assert entry.tokens.id_token not in caplog.text


def _password_forms(password: str) -> list[bytes]:
    """The password as it could appear in a JSON request body."""
    return [password.encode(), json.dumps(password)[1:-1].encode()]


def test_srp_never_sends_the_password(stack: LocalStack) -> None:
    seed = stack.seed
    alice, bob, carol = (seed.users[name] for name in ("alice", "bob", "carol"))
    srp = SignIn(client_id=seed.public_client_id, user_pool_id=seed.user_pool_id)
    assert srp.flow == "USER_SRP_AUTH"
    assert not isinstance(srp.start(alice.username, alice.password), Challenge)
    challenge = srp.start(bob.username, bob.password)
    assert isinstance(challenge, Challenge)
    assert not isinstance(srp.answer(challenge, totp(stack)), Challenge)
    # Signed in by e-mail alias, and with a confidential client (SECRET_HASH, never the secret).
    assert not isinstance(srp.start(alice.email, alice.password), Challenge)
    confidential = SignIn(
        client_id=seed.confidential_client_id,
        user_pool_id=seed.user_pool_id,
        client_secret=seed.confidential_client_secret,
    )
    assert not isinstance(confidential.start(alice.username, alice.password), Challenge)
    challenge = srp.start(carol.username, carol.password)
    assert isinstance(challenge, Challenge)
    assert challenge.name == "NEW_PASSWORD_REQUIRED"
    assert not isinstance(srp.answer(challenge, new_password="Carols-N3w-Passw0rd!"), Challenge)

    assert stack.recorder.count("InitiateAuth", "USER_SRP_AUTH") == 5
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
    bodies = b"\n".join(stack.recorder.raw_bodies)
    for user in (alice, bob, carol):
        for form in _password_forms(user.password):
            assert form not in bodies
    assert seed.confidential_client_secret.encode() not in bodies
    assert b"SRP_A" in bodies  # the bodies were recorded at all


def test_password_flow_does_send_it(stack: LocalStack) -> None:
    """The positive control: without SRP the password is in the body, and the check sees it."""
    seed = stack.seed
    alice = seed.users["alice"]
    fallback = SignIn(
        client_id=seed.srp_disabled_client_id,
        user_pool_id=seed.user_pool_id,
        auth_flow="USER_PASSWORD_AUTH",
    )
    assert not isinstance(fallback.start(alice.username, alice.password), Challenge)
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1
    bodies = b"\n".join(stack.recorder.raw_bodies)
    assert any(form in bodies for form in _password_forms(alice.password))


# -- every failure of the fault matrix, with debug logging ----------------------------------


# Transient faults without delays: retried successes and, for truncated or garbled replies,
# failures, on every operation (a persistent fault fails with the same line, only later).
DEBUG_CASES = [
    case for case in fault_matrix.cases(quick=True) if case.kind != "delay" and not case.persistent
]


@pytest.fixture(scope="module")
def debug_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("debug-faults")
    ran = fault_matrix.run_isolated(DEBUG_CASES, root, debug=True)
    return {outcome.case.id: outcome for outcome in ran}


@pytest.mark.slow
@pytest.mark.parametrize("case", DEBUG_CASES, ids=lambda case: case.id)
def test_fault_with_debug_leaks_nothing(case: Any, debug_outcomes: dict[str, Any]) -> None:
    outcome = debug_outcomes[case.id]
    assert outcome.harness_error is None
    assert outcome.debug
    assert outcome.exit_code == case.expected_exit, outcome.stderr[-500:]
    assert "debug" in outcome.stderr.lower()  # the logs really were on
    assert len(outcome.secrets) >= 4  # password, tokens and keys were watched for
    assert fault_matrix.leaked(outcome) == []
    assert fault_matrix.check(outcome) == []
