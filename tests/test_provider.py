"""The in-process path: ScribeCredentialProvider at the head of a botocore session's chain,
refreshed through botocore's RefreshableCredentials windows and the shared Broker."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import botocore.credentials
import botocore.session
import pytest

from scribeauth.credentials import MIN_TTL
from scribeauth.errors import ConfigError, ServiceUnavailableError, SignInRequired
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import PROFILE, broker, calls, signed_in, stack_clock, write_profile
from scribeauth.provider import (
    METHOD,
    ScribeCredentialProvider,
    ScribeCredentials,
    boto3_session,
    install,
)

# If anything ran the profile's credential_process, a marker would appear beside HOME.
_LEAVE_A_MARKER = (
    f'{sys.executable} -c "import os; '
    "open(os.path.join(os.environ['HOME'], '..', 'credential_process-ran'), 'w').close()\""
)
pytestmark = pytest.mark.with_profile(credential_process=_LEAVE_A_MARKER)


def marker_of(tmp_path: Path) -> Path:
    return tmp_path / "credential_process-ran"


class Clock:
    """The stack's clock, read by botocore's refresh windows and the Broker alike."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack

    def __call__(self) -> datetime:
        return stack_clock(self.stack)


def test_names_follow_botocores_rule() -> None:
    assert METHOD == "custom-scribeauth"
    assert ScribeCredentialProvider.METHOD == METHOD
    assert ScribeCredentialProvider.CANONICAL_NAME.lower().startswith("custom")
    assert issubclass(ScribeCredentialProvider, botocore.credentials.CredentialProvider)
    assert issubclass(ScribeCredentials, botocore.credentials.RefreshableCredentials)


def test_boto3_session_signs_verified_calls(stack: LocalStack, tmp_path: Path) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    session = boto3_session(PROFILE)
    assert session.region_name == stack.seed.region
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == METHOD
    assert stack.recorder.requests == []  # nothing fetched before first use
    identity = session.client("sts", endpoint_url=stack.endpoint_url).get_caller_identity()
    assert identity["Arn"].endswith(
        "assumed-role/Cognito_ScribeAuth_Role/CognitoIdentityCredentials"
    )
    assert stack.recorder.count("GetCallerIdentity") == 1
    assert calls(stack) == []  # a cache hit: the gateway call was the only request
    assert credentials.get_frozen_credentials().access_key == entry.credentials.access_key_id
    assert not marker_of(tmp_path).exists()


def test_session_region_is_the_profiles(stack: LocalStack) -> None:
    write_profile(stack, extra={"region": "us-east-1"})
    assert boto3_session(PROFILE).region_name == "us-east-1"
    assert boto3_session(PROFILE, region_name="eu-west-1").region_name == "eu-west-1"


def test_refresh_through_the_broker_when_time_moves(stack: LocalStack) -> None:
    stack.token_lifetime = 7200
    entry = signed_in(stack)
    assert entry.credentials is not None
    clock = Clock(stack)
    credentials = boto3_session(PROFILE, now=clock).get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    assert first.access_key == entry.credentials.access_key_id
    assert calls(stack) == []
    stack.clock_offset = 30 * 60  # 30 minutes left: botocore does nothing yet
    assert credentials.get_frozen_credentials() is first
    assert calls(stack) == []
    stack.clock_offset = 45 * 60  # 15 minutes left: inside the 20-minute advisory window
    second = credentials.get_frozen_credentials()
    assert second.access_key != first.access_key
    assert calls(stack) == ["GetCredentialsForIdentity"]
    saved = broker(stack).cached()
    assert saved is not None
    assert saved.credentials is not None
    assert saved.credentials.access_key_id == second.access_key  # shared with the executable


def test_another_process_refresh_is_picked_up_without_a_call(stack: LocalStack) -> None:
    signed_in(stack)
    clock = Clock(stack)
    credentials = boto3_session(PROFILE, now=clock).get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    stack.clock_offset = 45 * 60
    refreshed = broker(stack).credentials()  # as scribeauth-credentials would
    stack.recorder.reset()
    assert credentials.get_frozen_credentials().access_key == refreshed.access_key_id
    assert first.access_key != refreshed.access_key_id
    assert calls(stack) == []


def test_short_lived_credentials_are_not_refreshed_on_every_call(stack: LocalStack) -> None:
    stack.credential_lifetime = 10 * 60
    signed_in(stack)
    credentials = boto3_session(PROFILE, now=Clock(stack)).get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    assert calls(stack) == []  # 10 minutes left of 10: fresh, from the cache
    for _ in range(5):
        assert credentials.get_frozen_credentials() is first
    stack.clock_offset = 6 * 60  # 4 minutes left: outside their 200 s window
    assert credentials.get_frozen_credentials() is first
    assert calls(stack) == []
    stack.clock_offset = 7 * 60  # 3 minutes left: inside it
    assert credentials.get_frozen_credentials() is not first
    assert calls(stack) == ["GetCredentialsForIdentity"]


def test_advisory_refresh_failure_keeps_the_current_credentials(stack: LocalStack) -> None:
    signed_in(stack)
    credentials = boto3_session(PROFILE, now=Clock(stack)).get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials()
    stack.clock_offset = 45 * 60  # 15 minutes left: advisory, not mandatory
    stack.faults.add("GetCredentialsForIdentity", "garble", times=1)
    assert credentials.get_frozen_credentials() == first  # the broker served the cached ones
    stack.clock_offset = 55 * 60  # 5 minutes left: mandatory, failures propagate
    stack.faults.add("GetCredentialsForIdentity", "garble", times=1)
    with pytest.raises(ServiceUnavailableError):
        credentials.get_frozen_credentials()


def test_gone_session_raises_sign_in_required(stack: LocalStack) -> None:
    session = boto3_session(PROFILE, interactive=False)
    credentials = session.get_credentials()
    assert credentials is not None
    with pytest.raises(SignInRequired, match="run: scribeauth login --profile scribe"):
        credentials.get_frozen_credentials()
    assert stack.recorder.requests == []


def test_install_goes_first_with_or_without_a_profile(stack: LocalStack) -> None:
    plain = botocore.session.Session()
    install(plain, PROFILE)
    chain = plain.get_component("credential_provider").providers
    assert chain[0].METHOD == METHOD
    assert "env" in [p.METHOD for p in chain]
    # botocore drops "env" from the chain when a profile is set: still the head.
    with_profile = botocore.session.Session(profile=PROFILE)
    install(with_profile, PROFILE)
    install(with_profile, PROFILE)  # again: replaced, not doubled
    methods = [p.METHOD for p in with_profile.get_component("credential_provider").providers]
    assert methods[0] == METHOD
    assert methods.count(METHOD) == 1
    assert "env" not in methods


def test_install_beats_environment_credentials(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    session = botocore.session.Session()
    install(session, PROFILE)
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.get_frozen_credentials().access_key == entry.credentials.access_key_id


def test_session_profile_is_used_and_foreign_profiles_fall_through(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    ours = botocore.session.Session(profile=PROFILE)
    install(ours)
    creds = ours.get_credentials()
    assert creds is not None
    assert creds.method == METHOD
    assert creds.get_frozen_credentials().access_key == entry.credentials.access_key_id
    # A profile without scribeauth settings: the chain goes on (here: to static keys).
    config = Path(ours.get_config_variable("config_file")).expanduser()
    with config.open("a") as handle:
        handle.write(
            "\n[profile plain]\naws_access_key_id = AKIAPLAIN0000000000\n"
            f"aws_secret_access_key = {'y' * 40}\n"
        )
    plain = botocore.session.Session(profile="plain")
    install(plain)
    other = plain.get_credentials()
    assert other is not None
    assert other.access_key == "AKIAPLAIN0000000000"
    assert other.method != METHOD


def test_explicit_unknown_profile_is_a_config_error(stack: LocalStack) -> None:
    session = botocore.session.Session()
    install(session, "nobody")
    with pytest.raises(ConfigError, match="nobody"):
        session.get_credentials()
    with pytest.raises(ConfigError, match="nobody"):
        boto3_session("nobody")


def test_yaml_only_profile(
    stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "yamlonly")  # not in the AWS config: botocore must not look
    entry = signed_in(stack)
    assert entry.credentials is not None
    config_dir = Path(tmp_path / "home" / ".config" / "scribeauth")
    config_dir.mkdir(parents=True)
    seed = stack.seed
    (config_dir / "config.yaml").write_text(
        "profiles:\n"
        "  yamlonly:\n"
        f"    client_id: {seed.public_client_id}\n"
        f"    user_pool_id: {seed.user_pool_id}\n"
        f"    identity_pool_id: {seed.identity_pool_id}\n"
        "    username: alice\n"
    )
    session = boto3_session("yamlonly")
    assert session.region_name == seed.region  # from the pool id
    assert session.client("sts", endpoint_url=stack.endpoint_url).meta.region_name == seed.region
    with pytest.raises(SignInRequired, match="yamlonly"):
        session.get_credentials().get_frozen_credentials()


def test_frozen_credentials_windows_match_the_20_minute_rule(stack: LocalStack) -> None:
    signed_in(stack)
    credentials = boto3_session(PROFILE, now=Clock(stack)).get_credentials()
    assert credentials is not None
    credentials.get_frozen_credentials()
    assert credentials.refresh_needed(int(MIN_TTL.total_seconds())) is False
    stack.clock_offset = 3600 - MIN_TTL.total_seconds() + 5
    assert credentials.refresh_needed() is True


def test_expiry_is_utc(stack: LocalStack) -> None:
    entry = signed_in(stack)
    assert entry.credentials is not None
    credentials = boto3_session(PROFILE, now=Clock(stack)).get_credentials()
    assert credentials is not None
    credentials.get_frozen_credentials()
    expiry = credentials._expiry_time
    assert expiry.utcoffset() == timedelta(0)
    assert expiry.astimezone(timezone.utc) == entry.credentials.expires_at
