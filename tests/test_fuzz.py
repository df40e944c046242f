"""Bad input, fuzzed with hypothesis: only documented errors, no traceback, no hang.

- AWS config and YAML text -> ``load_profile`` succeeds or raises ``ConfigError`` (whose message
  never holds the client secret);
- cache file bytes -> ``ProfileCache.load()`` returns an entry or None, and what it returns can
  be used (status, freshness) without raising;
- JWT strings -> ``Jwt.parse`` raises only ``UnknownException``;
- argument lists -> ``scribeauth-credentials`` and ``scribeauth`` return a documented exit code,
  one stderr line on failure, no traceback, nothing read from a terminal;
- server replies (random statuses, headers and bodies from a small local server) ->
  ``SignIn``, ``UserPoolClient`` and ``IdentityPoolClient`` raise only ``ScribeAuthError``.

Example counts are bounded so the whole file runs in seconds (``FUZZ_EXAMPLES=1000 pytest
tests/test_fuzz.py`` for a longer hunt; 100 per test by default). Replies botocore would retry
(500, 502-504, 429, throttling codes) are left out: each would cost seconds of back-off; the
fault matrix (test_faults.py) covers them against the strict stack.
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scribeauth import cli, credential_process
from scribeauth.cache import ProfileCache, entry_to_dict
from scribeauth.config import load_profile
from scribeauth.credentials import Broker
from scribeauth.errors import ConfigError, ScribeAuthError, UnknownException
from scribeauth.identity_pool import IdentityPoolClient
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import signed_in
from scribeauth.login import SignIn
from scribeauth.models import Challenge, Jwt, Tokens
from scribeauth.prompt import Terminal

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
)
SECRET = "S3cr3t-client-secret-value"
PASSWORD = "Fuzz-Pa55word-xyz"
REFRESH_TOKEN = "rEfReSh-token-fuzz-0123456789"
CLI_EXITS = {0, 2, 3, 4, 5, 6, 7, 8, 22, 126, 127, 130}
PROCESS_EXITS = {0, 2, 3, 4, 5, 6, 7, 8, 130}


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing here may reach a terminal, even when pytest runs in one."""
    nowhere = str(tmp_path / "no-tty")
    monkeypatch.setattr("scribeauth.prompt._default", Terminal(nowhere))
    monkeypatch.setattr("scribeauth.cli.session.TTY_PATH", nowhere)


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


# -- configuration files -----------------------------------------------------------------------

_KEYS = [
    "region",
    "scribe_client_id",
    "scribe_user_pool_id",
    "scribe_identity_pool_id",
    "scribe_username",
    "scribe_client_secret",
    "scribe_auth_flow",
    "scribe_role_arn",
    "credential_process",
    "services",
]
_VALUES = st.one_of(
    st.sampled_from(
        [
            "eu-west-2",
            "abc123",
            "eu-west-2_AbCdEf123",
            "eu-west-2:00000000-0000-0000-0000-000000000000",
            "USER_SRP_AUTH",
            "user_password_auth",
            "arn:aws:iam::123456789012:role/x",
            SECRET,
            "",
            "\n  endpoint_url = http://x",
            "\n  nonsense",
        ]
    ),
    st.text(max_size=30),
)
_INI_LINES = st.one_of(
    st.sampled_from(
        [
            "[profile scribe]",
            "[default]",
            "[profile 'scribe']",
            '[profile "scribe" extra]',
            "[profile scribe",
            "[scribe]",
            "[]",
            "# comment",
            "; comment",
            "  indented",
            "=",
            "key",
        ]
    ),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(_KEYS), _VALUES),
    st.builds(lambda k, v: f"{k}={v}", st.text(max_size=12), st.text(max_size=12)),
    st.text(max_size=40),
)


def _resolve(name: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    """load_profile gives a profile or a ConfigError; scribeauth-credentials one stderr line."""
    failure: ConfigError | None = None
    try:
        profile = load_profile(name)
    except ConfigError as err:
        failure = err
    else:
        assert profile.client_id
        assert SECRET not in repr(profile)
    if failure is not None:
        assert SECRET not in str(failure)
        assert SECRET not in repr(failure)
    capsys.readouterr()
    code = credential_process.main([] if name is None else ["--profile", name])
    out, err = capsys.readouterr()
    assert code in {3, 4}  # a configuration error, or no session (nothing is signed in)
    assert out == ""
    line = one_line(err)
    assert line.startswith("scribeauth-credentials: ")
    assert SECRET not in line


@FUZZ
@given(lines=st.lists(_INI_LINES, max_size=14), raw=st.none() | st.binary(max_size=200))
def test_aws_config_text(
    lines: list[str], raw: bytes | None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(os.environ["AWS_CONFIG_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    for name in ("scribe", None):
        _resolve(name, capsys)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_SETTING_VALUES = st.one_of(_VALUES, _JSON)
_YAML_DOCS = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {
            "profiles": st.one_of(
                _JSON,
                st.dictionaries(
                    st.sampled_from(["scribe", "other", 1, None]),
                    st.one_of(
                        _JSON,
                        st.dictionaries(
                            st.sampled_from(
                                [
                                    "client_id",
                                    "user_pool_id",
                                    "identity_pool_id",
                                    "username",
                                    "client_secret",
                                    "auth_flow",
                                    "role_arn",
                                    "region",
                                    "unknown",
                                ]
                            ),
                            _SETTING_VALUES,
                            max_size=6,
                        ),
                    ),
                    max_size=3,
                ),
            )
        }
    ),
)


@FUZZ
@given(document=_YAML_DOCS, text=st.none() | st.text(max_size=200))
def test_yaml_config_text(
    document: Any, text: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "scribeauth" / "config.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = text if text is not None else yaml.safe_dump(document, allow_unicode=True)
    path.write_text(body, encoding="utf-8", errors="surrogatepass")
    _resolve("scribe", capsys)


# -- JWTs ------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_JWT_PARTS = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(_b64),
    _JSON.map(lambda value: _b64(json.dumps(value).encode())),
    st.dictionaries(
        st.sampled_from(["exp", "cognito:username", "sub", "origin_jti"]), _JSON, max_size=4
    ).map(lambda value: _b64(json.dumps(value).encode())),
)
_JWTS = st.one_of(
    st.text(max_size=80),
    st.lists(_JWT_PARTS, min_size=1, max_size=5).map(".".join),
)


@FUZZ
@given(raw=_JWTS)
def test_jwt_parse_raises_only_unknown_exception(raw: str) -> None:
    try:
        token = Jwt.parse(raw)
    except UnknownException as err:
        one_line(str(err))
        return
    expires = token.expires_at
    assert expires is None or expires.tzinfo is not None
    tokens = Tokens(raw, raw, None)
    assert tokens.username is None or isinstance(tokens.username, str)
    assert str(token) == "<jwt>"
    assert raw not in repr(token) or len(raw) < 3


# -- cache files -----------------------------------------------------------------------------


def _valid_document() -> dict[str, Any]:
    exp = 4_000_000_000
    token = ".".join([_b64(b'{"alg":"none"}'), _b64(json.dumps({"exp": exp}).encode()), "c2ln"])
    return {
        "version": 1,
        "fingerprint": "fp",
        "username": "alice",
        "tokens": {"id_token": token, "access_token": token, "refresh_token": "r"},
        "identity_pool_id": "eu-west-2:00000000-0000-0000-0000-000000000000",
        "identity_id": "eu-west-2:id",
        "role_arn": None,
        "credentials": {
            "access_key_id": "ASIA",
            "secret_access_key": "s",
            "session_token": "t",
            "expiration": "2096-01-01T00:00:00Z",
        },
    }


def _mutate(document: dict[str, Any], path: list[str], value: Any) -> bytes:
    target: Any = document
    for key in path[:-1]:
        if not isinstance(target, dict) or not isinstance(target.get(key), dict):
            break
        target = target[key]
    if isinstance(target, dict):
        target[path[-1]] = value
    return json.dumps(document).encode()


_FIELDS = st.sampled_from(
    [
        ["version"],
        ["fingerprint"],
        ["username"],
        ["tokens"],
        ["tokens", "id_token"],
        ["tokens", "access_token"],
        ["tokens", "refresh_token"],
        ["identity_id"],
        ["identity_pool_id"],
        ["credentials"],
        ["credentials", "access_key_id"],
        ["credentials", "expiration"],
        ["credentials", "secret_access_key"],
    ]
)
_CACHE_BYTES = st.one_of(
    st.binary(max_size=300),
    _JSON.map(lambda value: json.dumps(value).encode()),
    st.builds(_mutate, st.builds(_valid_document), _FIELDS, st.one_of(_JSON, _JWTS)),
    st.builds(
        lambda doc, n: json.dumps(doc).encode()[:n], st.builds(_valid_document), st.integers(0, 900)
    ),
)


@FUZZ
@given(data=_CACHE_BYTES)
def test_cache_bytes_load_as_an_entry_or_none(data: bytes, tmp_path: Path) -> None:
    cache = ProfileCache("scribe", "fp", directory=tmp_path / "cache")
    cache.directory.mkdir(exist_ok=True)
    cache.path.write_bytes(data)
    entry = cache.load()
    if entry is None:
        return
    # What loads is usable: serialisable again, and a status needs no network.
    assert entry_to_dict(entry)["fingerprint"] == "fp"
    broker = Broker(_FakeProfile(), cache=cache)  # type: ignore[arg-type]
    status = broker.status()
    assert status.username == entry.username
    if entry.credentials is not None:
        assert entry.credentials.expires_at.tzinfo is not None


class _FakeProfile:
    """Just what Broker.status() reads of a profile (no files, no network)."""

    name = "scribe"
    user_pool_id = "eu-west-2_AbCdEf123"
    identity_pool_id = "eu-west-2:00000000-0000-0000-0000-000000000000"
    role_arn = None
    signing_region = "eu-west-2"


def test_a_valid_document_loads() -> None:
    # The positive control for the cache strategy: unmutated, it is an entry.
    document = _valid_document()
    cache_dir = Path(os.environ["XDG_CACHE_HOME"]) / "control"
    cache = ProfileCache("scribe", "fp", directory=cache_dir)
    cache_dir.mkdir(parents=True)
    cache.path.write_bytes(json.dumps(document).encode())
    entry = cache.load()
    assert entry is not None
    assert entry.credentials is not None
    assert entry.credentials.expires_at == datetime(2096, 1, 1, tzinfo=timezone.utc)


# -- command lines -----------------------------------------------------------------------------


_PROCESS_WORDS = st.one_of(
    st.sampled_from(
        ["--profile", "--profile=scribe", "--profile=", "scribe", "--version", "--help", "-h"]
    ),
    st.sampled_from(["--debug", "-", "--", "-p", "--profile=nobody", "default"]),
    st.text(max_size=12),
)
_PROCESS_ARGS = st.one_of(
    st.lists(_PROCESS_WORDS, max_size=5),
    st.builds(
        lambda head, tail: head + tail,
        st.sampled_from([["--profile", "scribe"], ["--profile=scribe"], ["--profile", "nobody"]]),
        st.lists(_PROCESS_WORDS, max_size=2),
    ),
)


@FUZZ
@given(argv=_PROCESS_ARGS)
def test_credential_process_argv(
    argv: list[str], stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code = credential_process.main(argv)
    out, err = capsys.readouterr()
    assert code in PROCESS_EXITS
    assert "Traceback" not in err
    if code == 0:
        assert err == ""
        if out.startswith("{"):
            assert json.loads(out)["Version"] == 1
        else:
            assert out.startswith(("usage:", "scribeauth-credentials "))
    else:
        assert out == ""
        assert one_line(err).startswith("scribeauth-credentials: ")


def test_credential_process_argv_reaches_the_cache(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # The positive control: the fuzzed --profile scribe finds a session once there is one.
    assert credential_process.main(["--profile", "scribe"]) == 4
    signed_in(stack)
    capsys.readouterr()
    assert credential_process.main(["--profile=scribe"]) == 0
    assert json.loads(capsys.readouterr().out)["Version"] == 1


def _cli_options() -> list[str]:
    parser = cli.build_parser()
    found = {"--debug", "--profile", "--help", "--version"}
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for sub in commands.values():
        for action in sub._actions:
            found.update(action.option_strings)
    return sorted(found)


# demo and local-stack start servers; exec runs a command: none belongs in a fuzzer.
_UNSAFE = {"demo", "local-stack", "exec"}
_COMMANDS = st.sampled_from(
    ["login", "logout", "status", "export", "request", "configure", "forgot-password",
     "change-password"]
)  # fmt: skip
_CLI_WORDS = st.one_of(
    _COMMANDS,
    st.sampled_from(_cli_options()),
    st.sampled_from(["scribe", "nobody", "json", "env", "http://127.0.0.1:9/x", "123456"]),
    st.text(max_size=12),
)
_CLI_ARGS = st.one_of(
    st.lists(_CLI_WORDS, max_size=6),
    # A command on the configured profile, then options (each maybe with a value).
    st.builds(
        lambda command, options: [command, "--profile", "scribe", *options],
        _COMMANDS,
        st.lists(
            st.one_of(
                st.sampled_from(_cli_options()),
                st.tuples(st.sampled_from(_cli_options()), _CLI_WORDS).map(list),
            ),
            max_size=3,
        ).map(
            lambda items: [w for item in items for w in ([item] if isinstance(item, str) else item)]
        ),
    ),
)


@FUZZ
@given(argv=_CLI_ARGS, stdin=st.text(max_size=30))
def test_cli_argv(
    argv: list[str],
    stdin: str,
    stack: LocalStack,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assume(not _UNSAFE & set(argv))
    assume(PASSWORD not in stdin)
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass")))
    )
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code in CLI_EXITS, err
    if "--debug" not in argv:
        assert "Traceback" not in err
    if code == 4 and err == "":
        assert "status" in argv  # `status` says "not signed in" on stdout, and exits 4
        assert "not signed in" in out or '"signed_in": false' in out
    elif code != 0 and "--debug" not in argv:
        assert out == ""
        # argparse's usage errors quote the argument as given, so a CR or LF in it breaks the
        # line (reported); everything else is one line.
        assert err.startswith(("scribeauth: ", "usage: ")), err
    assert stack.seed.users["alice"].password not in out + err


# -- server replies ----------------------------------------------------------------------------


class _Replies:
    """What the fuzz server answers, set by each example."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: list[tuple[int, list[tuple[str, str]], bytes]] = []

    def set(self, replies: list[tuple[int, list[tuple[str, str]], bytes]]) -> None:
        with self.lock:
            self.queue = list(replies)

    def next(self) -> tuple[int, list[tuple[str, str]], bytes]:
        with self.lock:
            if len(self.queue) > 1:
                return self.queue.pop(0)
            return self.queue[0] if self.queue else (200, [], b"{}")


class _Handler(BaseHTTPRequestHandler):
    replies: _Replies

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, headers, body = self.replies.next()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[str, _Replies]]:
    replies = _Replies()
    handler = type("Handler", (_Handler,), {"replies": replies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", replies
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Not retried by botocore's standard mode (which would sleep between attempts).
_STATUSES = st.sampled_from([200, 200, 200, 201, 301, 400, 400, 401, 403, 404, 409, 413, 418, 501])
_ERROR_CODES = st.one_of(
    st.sampled_from(
        [
            "NotAuthorizedException",
            "UserNotFoundException",
            "ResourceNotFoundException",
            "InvalidParameterException",
            "CodeMismatchException",
            "ExpiredCodeException",
            "InternalErrorException",
            "LimitExceededException",
            "TooManyFailedAttemptsException",
            "PasswordResetRequiredException",
            "ExternalServiceException",
            "com.amazon#NotAuthorizedException:",
            "",
        ]
    ),
    st.text(max_size=20),
).filter(lambda code: code not in ("ThrottlingException", "Throttling", "RequestTimeout"))
_HEX = st.one_of(st.text("0123456789abcdefABCDEF", max_size=40), st.text(max_size=10))
_REPLY_JSON = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {
            "AuthenticationResult": st.one_of(
                _JSON,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "IdToken": st.one_of(_JWTS, _JSON),
                        "AccessToken": st.one_of(_JWTS, _JSON),
                        "RefreshToken": _JSON,
                        "ExpiresIn": _JSON,
                    },
                ),
            )
        }
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "ChallengeName": st.one_of(
                st.sampled_from(
                    ["PASSWORD_VERIFIER", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
                     "NEW_PASSWORD_REQUIRED", "CUSTOM_CHALLENGE", "DEVICE_SRP_AUTH"]
                ),
                _JSON,
            ),
            "ChallengeParameters": st.one_of(
                _JSON,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "SRP_B": _HEX,
                        "SALT": _HEX,
                        "SECRET_BLOCK": st.one_of(st.binary(max_size=30).map(_b64), _JSON),
                        "USER_ID_FOR_SRP": _JSON,
                        "MFAS_CAN_CHOOSE": st.one_of(st.text(max_size=30), _JSON),
                    },
                ),
            ),
            "Session": _JSON,
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "IdentityId": _JSON,
            "Credentials": st.one_of(
                _JSON,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "AccessKeyId": _JSON,
                        "SecretKey": _JSON,
                        "SessionToken": _JSON,
                        "Expiration": st.one_of(
                            _JSON, st.floats(allow_nan=True), st.integers(-(10**20), 10**20)
                        ),
                    },
                ),
            ),
        },
    ),
    st.fixed_dictionaries({"__type": _ERROR_CODES, "message": st.text(max_size=60)}),
)  # fmt: skip
_BODIES = st.one_of(
    st.binary(max_size=120),
    _REPLY_JSON.map(lambda value: json.dumps(value, allow_nan=True).encode()),
)
_HEADERS = st.lists(
    st.one_of(
        st.just(("Content-Type", "application/x-amz-json-1.1")),
        st.just(("Content-Type", "text/html")),
        st.builds(
            lambda code: ("x-amzn-ErrorType", code),
            _ERROR_CODES.filter(lambda code: code.isascii() and code.isprintable()),
        ),
    ),
    max_size=2,
)
_REPLY = st.tuples(_STATUSES, _HEADERS, _BODIES)


def _calls(endpoint: str) -> list[Any]:
    sign_in = SignIn(
        client_id="fuzzclient",
        user_pool_id="eu-west-2_Fuzz1",
        random_bytes=lambda n: b"\x07" * n,
        now=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    identity = IdentityPoolClient(
        identity_pool_id="eu-west-2:00000000-0000-0000-0000-000000000000", region="eu-west-2"
    )
    provider = "cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Fuzz1"
    challenge = Challenge("SOFTWARE_TOKEN_MFA", "session", {}, "alice")
    return [
        lambda: sign_in.start("alice", PASSWORD),
        lambda: sign_in.refresh(REFRESH_TOKEN, username="alice"),
        lambda: sign_in.answer(challenge, "123456"),
        lambda: sign_in.revoke(REFRESH_TOKEN),
        lambda: identity.get_id(provider, REFRESH_TOKEN),
        lambda: identity.get_credentials("eu-west-2:id", provider, REFRESH_TOKEN),
    ]


@FUZZ
@given(call=st.integers(0, 5), replies=st.lists(_REPLY, min_size=1, max_size=3))
def test_server_replies_raise_only_scribeauth_errors(
    call: int,
    replies: list[tuple[int, list[tuple[str, str]], bytes]],
    fuzz_server: tuple[str, _Replies],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, served = fuzz_server
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    served.set(replies)
    failure: ScribeAuthError | None = None
    try:
        _calls(endpoint)[call]()
    except ScribeAuthError as err:
        failure = err
    if failure is not None:
        one_line(str(failure))
        for secret in (PASSWORD, REFRESH_TOKEN):
            assert secret not in str(failure)
            assert secret not in repr(failure)


def test_fuzz_server_reaches_the_clients(
    fuzz_server: tuple[str, _Replies], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The positive control: a well-formed reply from the fuzz server is read as such.
    endpoint, served = fuzz_server
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    served.set([(200, [], json.dumps({"IdentityId": "eu-west-2:fuzzed"}).encode())])
    assert _calls(endpoint)[4]() == "eu-west-2:fuzzed"
