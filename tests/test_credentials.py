"""The Broker against the strict local stack: what a cache hit, a credentials refresh and a
token refresh cost upstream, identity ids cached for good, sign-in when the session is gone."""

from __future__ import annotations

import json
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

from scribeauth.cache import CacheEntry
from scribeauth.credentials import MIN_TTL, Broker
from scribeauth.errors import (
    MissingIdException,
    NoTerminalError,
    SignInRequired,
    UnauthorizedException,
)
from scribeauth.identity_pool import IdentityPoolClient
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import PROFILE, broker, calls, signed_in, stack_clock, write_profile
from scribeauth.local.testing.pty import Pty
from scribeauth.login import SignIn
from scribeauth.models import AwsCredentials, Tokens
from scribeauth.prompt import Terminal

# Every test that asks for `stack` gets [profile scribe] for alice on it.
pytestmark = pytest.mark.with_profile

SIGN_IN_AGAIN = "no valid session for profile 'scribe'; run: scribeauth login --profile scribe"
NO_TERMINAL = Terminal("/nonexistent/tty")


def expiring(entry: CacheEntry, stack: LocalStack, seconds: float = 60) -> CacheEntry:
    """The entry with its AWS credentials moved to ``seconds`` before expiry."""
    assert entry.credentials is not None
    creds = entry.credentials
    near = stack_clock(stack) + timedelta(seconds=seconds)
    return entry.replace(
        credentials=AwsCredentials(
            creds.access_key_id, creds.secret_access_key, creds.session_token, near
        )
    )


def test_sign_in_caches_tokens_identity_and_credentials(stack: LocalStack) -> None:
    stack.recorder.reset()
    user = stack.seed.users["alice"]
    entry = broker(stack).sign_in(password=user.password)
    assert calls(stack) == [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetId",
        "GetCredentialsForIdentity",
    ]
    assert entry.tokens is not None
    assert entry.tokens.refresh_token
    assert entry.identity_id
    assert entry.identity_id.startswith("eu-west-2:")
    assert entry.credentials is not None
    assert entry.credentials.expires_at - stack_clock(stack) > MIN_TTL
    assert entry.username == user.username
    cache = broker(stack).cache
    assert cache.load() == entry
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert user.password.encode() not in cache.path.read_bytes()


def test_cache_hit_makes_no_call(stack: LocalStack) -> None:
    entry = signed_in(stack)
    for _ in range(3):
        assert broker(stack).credentials() == entry.credentials
    assert stack.recorder.requests == []


def test_valid_id_token_costs_one_call(stack: LocalStack) -> None:
    stack.token_lifetime = 7200
    entry = signed_in(stack)
    stack.clock_offset = 45 * 60  # credentials: 15 minutes left; id token: 75
    fresh = broker(stack).credentials()
    assert calls(stack) == ["GetCredentialsForIdentity"]
    assert fresh != entry.credentials
    assert fresh.expires_at - stack_clock(stack) > MIN_TTL
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.credentials == fresh
    assert saved.tokens == entry.tokens
    stack.recorder.reset()
    assert broker(stack).credentials() == fresh
    assert calls(stack) == []


def test_expiring_id_token_costs_two_calls(stack: LocalStack) -> None:
    entry = signed_in(stack)
    stack.clock_offset = 3600 - 4 * 60  # id token and credentials: 4 minutes left
    fresh = broker(stack).credentials()
    assert calls(stack) == ["GetTokensFromRefreshToken", "GetCredentialsForIdentity"]
    assert stack.recorder.count("GetTokensFromRefreshToken") == 1
    assert stack.recorder.count("GetId") == 0
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.tokens is not None
    assert entry.tokens is not None
    assert saved.credentials == fresh
    assert saved.tokens.id_token != entry.tokens.id_token
    assert saved.tokens.refresh_token == entry.tokens.refresh_token
    assert saved.identity_id == entry.identity_id


def test_confidential_client_refresh_after_an_alias_sign_in(stack: LocalStack) -> None:
    alice = stack.seed.users["alice"]
    assert alice.email
    assert alice.email != alice.username
    # Signed in by e-mail alias: the refresh sends the client secret itself, no name to hash.
    write_profile(stack, client="confidential", extra={"scribe_username": alice.email})
    signed_in(stack)
    stack.clock_offset = 3600 - 60
    broker(stack).credentials()
    assert calls(stack) == ["GetTokensFromRefreshToken", "GetCredentialsForIdentity"]


def test_get_id_runs_once_ever(stack: LocalStack) -> None:
    stack.recorder.reset()
    signed_in(stack)
    for offset in (45 * 60, 100 * 60, 160 * 60):
        stack.clock_offset = offset
        broker(stack).credentials()
    assert stack.recorder.count("GetId") == 0
    assert stack.recorder.count("GetCredentialsForIdentity") == 3


def test_identity_unknown_to_the_pool_is_asked_for_again(stack: LocalStack) -> None:
    entry = signed_in(stack)
    cache = broker(stack).cache
    stale = f"{stack.seed.region}:00000000-0000-4000-8000-000000000000"
    cache.save(expiring(entry, stack).replace(identity_id=stale))
    broker(stack).credentials()
    assert calls(stack) == ["GetCredentialsForIdentity", "GetId", "GetCredentialsForIdentity"]
    saved = cache.load()
    assert saved is not None
    assert saved.identity_id == entry.identity_id


def test_identity_of_another_user_is_asked_for_again(stack: LocalStack) -> None:
    entry = signed_in(stack)
    other = stack.create_user("ivy", "An0ther-Passw0rd!")
    tokens = SignIn(
        client_id=stack.seed.public_client_id, user_pool_id=stack.seed.user_pool_id
    ).start(other.username, other.password)
    assert isinstance(tokens, Tokens)
    pool = IdentityPoolClient(
        identity_pool_id=stack.seed.identity_pool_id, region=stack.seed.region
    )
    provider = f"cognito-idp.{stack.seed.region}.amazonaws.com/{stack.seed.user_pool_id}"
    ivys = pool.get_id(provider, tokens.id_token)
    cache = broker(stack).cache
    cache.save(expiring(entry, stack).replace(identity_id=ivys))
    stack.recorder.reset()
    broker(stack).credentials()
    assert calls(stack) == ["GetCredentialsForIdentity", "GetId", "GetCredentialsForIdentity"]
    saved = cache.load()
    assert saved is not None
    assert saved.identity_id == entry.identity_id


def test_without_a_refresh_token_sign_in_is_required(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    cache = broker(stack).cache
    cache.save(entry.replace(tokens=Tokens(entry.tokens.id_token, entry.tokens.access_token)))
    stack.clock_offset = 3600 - 60
    with pytest.raises(SignInRequired) as caught:
        broker(stack, terminal=NO_TERMINAL).credentials()
    assert str(caught.value) == SIGN_IN_AGAIN
    assert calls(stack) == []


def test_revoked_refresh_token_means_sign_in(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    assert entry.tokens.refresh_token
    SignIn(client_id=stack.seed.public_client_id, user_pool_id=stack.seed.user_pool_id).revoke(
        entry.tokens.refresh_token
    )
    stack.recorder.reset()
    stack.clock_offset = 3600 - 60
    with pytest.raises(SignInRequired) as caught:
        broker(stack).credentials(interactive=False)
    assert str(caught.value) == SIGN_IN_AGAIN
    assert calls(stack) == ["GetTokensFromRefreshToken"]


def test_no_session_and_no_terminal(stack: LocalStack) -> None:
    with pytest.raises(SignInRequired) as caught:
        broker(stack, terminal=NO_TERMINAL).credentials()
    assert str(caught.value) == SIGN_IN_AGAIN
    with pytest.raises(NoTerminalError):
        broker(stack, terminal=NO_TERMINAL).credentials(interactive=True)
    assert stack.recorder.requests == []
    assert not broker(stack).cache.path.exists()


def test_sign_in_hints_name_a_dash_profile_so_it_parses(stack: LocalStack) -> None:
    # `--profile -x` would be taken for an option; both hints spell it `--profile=-x`.
    write_profile(stack, name="-x", append=True)
    with pytest.raises(SignInRequired) as required:
        broker(stack, "-x", terminal=NO_TERMINAL).credentials()
    assert str(required.value).endswith("; run: scribeauth login --profile=-x")
    with pytest.raises(NoTerminalError) as no_terminal:
        broker(stack, "-x", terminal=NO_TERMINAL).credentials(interactive=True)
    assert str(no_terminal.value).endswith("; run: scribeauth login --profile=-x in one")
    write_profile(stack, name="-b", extra={"scribe_login": "browser"}, append=True)
    with pytest.raises(SignInRequired) as browser:
        broker(stack, "-b", terminal=NO_TERMINAL).credentials()
    assert str(browser.value).endswith("; run: scribeauth login --browser --profile=-b")
    assert stack.recorder.requests == []


def test_shorter_lived_credentials_have_a_window_that_fits(stack: LocalStack) -> None:
    # 10-minute credentials: refreshed in their last third (200 s), served from the cache before.
    stack.credential_lifetime = 600
    entry = signed_in(stack)
    assert entry.credentials is not None
    assert entry.credentials.refresh_window == timedelta(seconds=200)
    assert broker(stack).credentials() == entry.credentials
    stack.clock_offset = 390  # 210 s left: still fresh
    assert broker(stack).credentials() == entry.credentials
    assert calls(stack) == []
    stack.clock_offset = 410  # 190 s left: refreshed, once
    fresh = broker(stack).credentials()
    assert fresh != entry.credentials
    assert broker(stack).credentials() == fresh
    assert calls(stack) == ["GetCredentialsForIdentity"]  # one refresh, no loop
    assert timedelta(0) < fresh.expires_at - stack_clock(stack) <= timedelta(seconds=600)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xffnot json",
        b'{"version": 2, "fingerprint": "x", "credentials": {}}',
        b'{"version": 1}',
        b"[]",
    ],
    ids=["garbage", "other-version", "incomplete", "not-an-object"],
)
def test_unusable_cache_counts_as_absent(stack: LocalStack, content: bytes) -> None:
    cache = broker(stack).cache
    cache.directory.mkdir(parents=True, exist_ok=True)
    cache.path.write_bytes(content)
    with pytest.raises(SignInRequired):
        broker(stack).credentials(interactive=False)
    assert cache.path.read_bytes() == content  # untouched
    assert stack.recorder.requests == []


def test_settings_of_another_user_start_afresh(stack: LocalStack) -> None:
    signed_in(stack)
    write_profile(stack, user="bob")
    assert broker(stack).cached() is None
    with pytest.raises(SignInRequired):
        broker(stack).credentials(interactive=False)


def test_missing_identity_pool_id(stack: LocalStack) -> None:
    write_profile(stack, omit=("scribe_identity_pool_id",))
    with pytest.raises(MissingIdException, match="scribe_identity_pool_id"):
        broker(stack).credentials()


def test_custom_role(stack: LocalStack) -> None:
    role = "arn:aws:iam::123456789012:role/Scribe_Custom"
    write_profile(stack, extra={"scribe_role_arn": role})
    entry = signed_in(stack)
    assert entry.credentials is not None
    assert entry.role_arn == role
    issued = stack.identity_pool.lookup(entry.credentials.access_key_id)
    assert issued is not None
    assert issued.role_arn == role


def test_mfa_sign_in_with_a_code(stack: LocalStack) -> None:
    write_profile(stack, user="bob")
    stack.recorder.reset()
    entry = signed_in(stack, user="bob")
    assert entry.credentials is not None
    assert broker(stack).credentials() == entry.credentials


def test_threads_at_expiry_refresh_once(stack: LocalStack) -> None:
    entry = signed_in(stack)
    broker(stack).cache.save(expiring(entry, stack))
    results: list[AwsCredentials] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            results.append(broker(stack).credentials())
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len({r.access_key_id for r in results}) == 1
    assert calls(stack) == ["GetCredentialsForIdentity"]


def test_logout_revokes_and_deletes(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    the_broker = broker(stack)
    assert the_broker.logout() is True
    assert stack.recorder.count("RevokeToken") == 1
    assert not the_broker.cache.path.exists()
    assert the_broker.cached() is None
    # The revoked refresh token no longer works anywhere.
    client = SignIn(client_id=stack.seed.public_client_id, user_pool_id=stack.seed.user_pool_id)
    with pytest.raises(UnauthorizedException):
        client.refresh(entry.tokens.refresh_token or "")


def test_logout_deletes_even_when_revoking_fails(stack: LocalStack) -> None:
    signed_in(stack)
    stack.faults.add("RevokeToken", "garble", times=1)
    the_broker = broker(stack)
    assert the_broker.logout() is False
    assert not the_broker.cache.path.exists()


def test_sign_out_says_what_happened(stack: LocalStack) -> None:
    signed_in(stack)
    result = broker(stack).sign_out()
    assert (result.was_signed_in, result.revocable, result.revoked) == (True, True, True)
    assert not result.revoke_failed
    again = broker(stack).sign_out()
    assert (again.was_signed_in, again.revoked, again.cache_deleted) == (False, False, True)


def test_sign_out_reports_a_failed_revoke(stack: LocalStack) -> None:
    signed_in(stack)
    stack.faults.add("RevokeToken", "garble", times=1)
    result = broker(stack).sign_out()
    assert result.revoke_failed
    assert not broker(stack).cache.path.exists()


def test_change_password_renews_an_expired_access_token_on_the_brokers_clock(
    stack: LocalStack,
) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    stack.clock_offset = 2 * 3600  # the access token has expired on the stack's clock too
    alice = stack.seed.users["alice"]
    broker(stack).change_password(alice.password, "Changed-Passw0rd!")
    assert calls(stack) == ["GetTokensFromRefreshToken", "ChangePassword"]
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.tokens is not None
    assert saved.tokens.access_token != entry.tokens.access_token  # the renewed tokens are kept
    assert saved.tokens.refresh_token == entry.tokens.refresh_token


def test_change_password_without_a_session_asks_to_sign_in(stack: LocalStack) -> None:
    with pytest.raises(SignInRequired, match="scribeauth login --profile scribe"):
        broker(stack).change_password("old", "New-Passw0rd!")
    assert calls(stack) == []


def test_status_carries_what_scribeauth_status_prints(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    status = broker(stack).status()
    assert status.refresh_token is True
    assert status.access_key_id == entry.credentials.access_key_id
    assert status.user_pool_id == stack.seed.user_pool_id
    assert status.identity_pool_id == stack.seed.identity_pool_id
    assert status.region == stack.seed.region
    assert calls(stack) == []


def test_status_names_no_secret(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.tokens is not None
    assert entry.credentials is not None
    status = broker(stack).status()
    assert status.signed_in
    assert status.username == "alice"
    assert status.identity_id == entry.identity_id
    assert status.credentials_expire_at == entry.credentials.expires_at
    assert status.token_expires_at == entry.tokens.expires_at
    shown = repr(status)
    for secret in (
        entry.tokens.id_token,
        entry.tokens.refresh_token or "",
        entry.credentials.secret_access_key,
        entry.credentials.session_token,
    ):
        assert secret not in shown
    assert broker(stack).status() == status


# -- signing in on a terminal ------------------------------------------------------------------


def in_background(the_broker: Broker) -> tuple[threading.Thread, dict[str, object]]:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["credentials"] = the_broker.credentials()
        except BaseException as err:
            outcome["error"] = err

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_gone_session_signs_in_on_the_terminal(stack: LocalStack, pty: Pty) -> None:
    write_profile(stack, user="bob")
    bob = stack.seed.users["bob"]
    assert bob.totp_secret
    thread, outcome = in_background(broker(stack, terminal=Terminal(pty.path)))
    pty.answer(f"Password for {bob.username}: ", bob.password)
    pty.answer("MFA code", pyotp.TOTP(bob.totp_secret).at(stack.now()))
    thread.join(30)
    assert "error" not in outcome, outcome
    assert isinstance(outcome["credentials"], AwsCredentials)
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.credentials == outcome["credentials"]
    assert bob.password.encode() not in bytes(pty.shown)


def test_cache_file_is_json_the_cache_module_reads(stack: LocalStack) -> None:
    entry = signed_in(stack)
    document = json.loads(Path(broker(stack).cache.path).read_text())
    assert document["identity_id"] == entry.identity_id
    assert PROFILE in str(broker(stack).cache.path.name)
