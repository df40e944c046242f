"""clients.make_client: endpoints from the standard settings, unsigned, no credential lookup."""

from __future__ import annotations

import stat
from pathlib import Path

import botocore.exceptions
import pytest

from scribeauth import clients
from scribeauth.errors import ConfigError
from scribeauth.local.stack import LocalStack

REGION = "eu-west-2"


def write_config(home: Path, text: str) -> Path:
    path = home / ".aws" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def poke_idp(profile: str | None = None) -> None:
    """One cognito-idp request the stack will record (and refuse)."""
    client = clients.make_client("cognito-idp", REGION, profile)
    with pytest.raises(botocore.exceptions.ClientError):
        client.get_user(AccessToken="not-a-token")


def poke_identity(profile: str | None = None) -> None:
    client = clients.make_client("cognito-identity", REGION, profile)
    with pytest.raises(botocore.exceptions.ClientError):
        client.get_id(IdentityPoolId=f"{REGION}:00000000-0000-0000-0000-000000000000")


def test_aws_endpoint_url_reaches_both_services(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    poke_idp()
    poke_identity()
    assert scribe_stack.recorder.count("GetUser") == 1
    assert scribe_stack.recorder.count("GetId") == 1


def test_service_specific_endpoint_for_user_pools(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", scribe_stack.endpoint_url)
    poke_idp()
    assert scribe_stack.recorder.count("GetUser") == 1
    identity = clients.make_client("cognito-identity", REGION)
    assert identity.meta.endpoint_url == f"https://cognito-identity.{REGION}.amazonaws.com"


def test_service_specific_endpoint_for_identity_pools(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", scribe_stack.endpoint_url)
    poke_identity()
    assert scribe_stack.recorder.count("GetId") == 1
    idp = clients.make_client("cognito-idp", REGION)
    assert idp.meta.endpoint_url == f"https://cognito-idp.{REGION}.amazonaws.com"


def test_service_specific_beats_global(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", scribe_stack.endpoint_url)
    poke_idp()
    assert scribe_stack.recorder.count("GetUser") == 1


def _services_config(endpoint: str, *, credential_process: str = "false") -> str:
    return (
        "[profile scribe]\n"
        "region = us-east-1\n"
        f"credential_process = {credential_process}\n"
        "services = local-scribe\n"
        "\n"
        "[services local-scribe]\n"
        "cognito_identity_provider =\n"
        f"  endpoint_url = {endpoint}\n"
        "cognito_identity =\n"
        f"  endpoint_url = {endpoint}\n"
    )


def test_services_section_of_the_profile(scribe_stack: LocalStack, isolated_env: Path) -> None:
    write_config(isolated_env, _services_config(scribe_stack.endpoint_url))
    poke_idp("scribe")
    poke_identity("scribe")
    assert scribe_stack.recorder.count("GetUser") == 1
    assert scribe_stack.recorder.count("GetId") == 1


def test_services_section_via_aws_profile(
    scribe_stack: LocalStack, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(isolated_env, _services_config(scribe_stack.endpoint_url))
    monkeypatch.setenv("AWS_PROFILE", "scribe")
    poke_idp()
    assert scribe_stack.recorder.count("GetUser") == 1


def test_profile_missing_from_the_files_is_not_an_error(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(isolated_env, "[profile other]\nregion = us-east-1\n")
    # A profile known only to scribeauth's YAML, and an AWS_PROFILE that names nothing.
    monkeypatch.setenv("AWS_PROFILE", "ghost")
    client = clients.make_client("cognito-idp", REGION, "yaml-only")
    assert client.meta.endpoint_url == f"https://cognito-idp.{REGION}.amazonaws.com"
    assert client.meta.region_name == REGION


def test_region_is_the_pools_not_the_profiles(scribe_stack: LocalStack, isolated_env: Path) -> None:
    write_config(isolated_env, _services_config(scribe_stack.endpoint_url))
    client = clients.make_client("cognito-idp", REGION, "scribe")
    assert client.meta.region_name == REGION


def test_no_credential_lookup(
    scribe_stack: LocalStack, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = isolated_env / "credential_process_ran"
    script = isolated_env / "creds.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    write_config(
        isolated_env, _services_config(scribe_stack.endpoint_url, credential_process=str(script))
    )
    monkeypatch.setenv("AWS_PROFILE", "scribe")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    poke_idp("scribe")
    poke_identity("scribe")
    assert scribe_stack.recorder.count("GetUser") == 1
    assert not marker.exists(), "the profile's credential_process was run"

    # Guard: a signed client of the same profile does run it, so the marker can appear.
    import botocore.session

    with pytest.raises(botocore.exceptions.CredentialRetrievalError):
        botocore.session.get_session().create_client("cognito-idp", region_name=REGION)
    assert marker.exists()


def test_requests_are_unsigned(scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials in the environment must not be used either.
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    client = clients.make_client("cognito-idp", REGION)
    seen: list[dict[str, str]] = []
    client.meta.events.register(
        "before-send.cognito-identity-provider.GetUser",
        lambda request, **_: seen.append(dict(request.headers)),
    )
    with pytest.raises(botocore.exceptions.ClientError):
        client.get_user(AccessToken="not-a-token")
    assert seen
    assert "Authorization" not in seen[0]
    assert "scribeauth/2.0.0" in str(seen[0]["User-Agent"])


def test_client_settings() -> None:
    config = clients.make_client("cognito-idp", REGION).meta.config
    assert config.connect_timeout == 5
    assert config.read_timeout == 10
    # botocore stores `max_attempts: 4` (retries) as five attempts in all.
    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert "scribeauth/2.0.0" in config.user_agent_extra


def test_clients_are_cached_per_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    first = clients.make_client("cognito-idp", REGION)
    assert clients.make_client("cognito-idp", REGION) is first
    assert clients.make_client("cognito-idp", "us-east-1") is not first
    assert clients.make_client("cognito-identity", REGION) is not first
    assert clients.make_client("cognito-idp", REGION, "other") is not first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    moved = clients.make_client("cognito-idp", REGION)
    assert moved is not first
    assert moved.meta.endpoint_url == "http://127.0.0.1:9"
    clients.clear_cache()
    assert clients.make_client("cognito-idp", REGION) is not moved


def test_config_file_edits_are_seen(scribe_stack: LocalStack, isolated_env: Path) -> None:
    write_config(isolated_env, "[profile scribe]\nregion = us-east-1\n")
    before = clients.make_client("cognito-idp", REGION, "scribe")
    assert before.meta.endpoint_url.startswith("https://")
    write_config(isolated_env, _services_config(scribe_stack.endpoint_url) + "\n# edited\n")
    after = clients.make_client("cognito-idp", REGION, "scribe")
    assert after.meta.endpoint_url == scribe_stack.endpoint_url


def test_broken_config_is_a_config_error(isolated_env: Path) -> None:
    write_config(isolated_env, "[profile scribe\nregion = x\n")
    with pytest.raises(ConfigError, match="AWS config file"):
        clients.make_client("cognito-idp", REGION, "scribe")


def test_missing_services_section_is_a_config_error(isolated_env: Path) -> None:
    write_config(isolated_env, "[profile scribe]\nservices = nowhere\n")
    with pytest.raises(ConfigError, match="endpoint settings"):
        clients.make_client("cognito-idp", REGION, "scribe")


def test_bad_endpoint_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not a url")
    with pytest.raises(ConfigError):
        clients.make_client("cognito-idp", REGION)


def _sleeps(caplog: pytest.LogCaptureFixture) -> list[float]:
    """The back-offs botocore's endpoint slept between attempts (it logs each one)."""
    prefix = "Response received to retry, sleeping for "
    return [
        float(record.getMessage()[len(prefix) :].split()[0])
        for record in caplog.records
        if record.getMessage().startswith(prefix)
    ]


@pytest.mark.parametrize("cap", ["0", "0.02"])
def test_the_test_backoff_knob_caps_every_sleep_but_keeps_every_attempt(
    scribe_stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    cap: str,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    monkeypatch.setenv(clients.TEST_MAX_BACKOFF_ENV, cap)
    caplog.set_level("DEBUG", logger="botocore.endpoint")
    scribe_stack.faults.add("GetUser", "throttle", times=5)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        clients.make_client("cognito-idp", REGION).get_user(AccessToken="not-a-token")
    # botocore's own retry handler still decides: five attempts, then the throttling error.
    assert info.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert scribe_stack.recorder.count("GetUser") == 5
    sleeps = _sleeps(caplog)
    assert len(sleeps) == 4
    assert all(0 <= sleep <= float(cap) for sleep in sleeps)


def test_without_the_knob_botocore_backs_off_as_it_always_does(
    scribe_stack: LocalStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", scribe_stack.endpoint_url)
    monkeypatch.delenv(clients.TEST_MAX_BACKOFF_ENV, raising=False)
    caplog.set_level("DEBUG", logger="botocore.endpoint")
    client = clients.make_client("cognito-idp", REGION)
    seen: list[float] = []
    for _ in range(3):
        scribe_stack.faults.add("GetUser", "throttle", times=1)
        caplog.clear()
        with pytest.raises(botocore.exceptions.ClientError):
            client.get_user(AccessToken="not-a-token")
        seen += _sleeps(caplog)
    # One retry per call, each a jittered share of botocore's 1-second first throttling back-off:
    # three draws all under the tests' cap would be a 1-in-125,000 chance.
    assert len(seen) == 3
    assert all(sleep <= 1.0 for sleep in seen)
    assert max(seen) > 0.02


def test_sessions_share_botocores_parsed_models(isolated_env: Path) -> None:
    # Each new config file means a new session; botocore's JSON models are parsed only once.
    first = clients._session(None).get_component("data_loader")
    write_config(isolated_env, "[profile scribe]\nregion = us-east-1\n")
    second = clients._session("scribe").get_component("data_loader")
    assert second is first
    assert second.load_service_model("cognito-idp", "service-2")["metadata"]["serviceId"] == (
        "Cognito Identity Provider"
    )
