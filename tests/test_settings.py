"""The settings table: one row per setting, agreeing with Profile and driving every layer."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from scribeauth import fasthit, ids, settings
from scribeauth.config import SETTINGS, Profile, load_profile
from scribeauth.errors import ConfigError


def test_table_and_profile_fields_agree() -> None:
    fields = [f.name for f in dataclasses.fields(Profile)]
    assert fields[0] == "name"
    assert fields[-1] == "sources"
    assert tuple(fields[1:-1]) == settings.NAMES == SETTINGS


def test_every_row_names_each_layer_once() -> None:
    for column in ("name", "ini_key", "env_var", "yaml_key"):
        values = [getattr(row, column) for row in settings.TABLE]
        assert len(set(values)) == len(values), column
    for row in settings.TABLE:
        assert row.env_var == "SCRIBEAUTH_" + row.name.upper()
        assert row.ini_key in (f"scribe_{row.name}", row.name)
        assert settings.by_name(row.name) is row


@pytest.mark.parametrize("row", settings.TABLE, ids=lambda row: row.name)
def test_each_setting_is_read_from_each_layer(row: settings.Setting) -> None:
    good = {
        "client_id": "abc123",
        "user_pool_id": "eu-west-2_AbC",
        "identity_pool_id": "eu-west-2:00000000-0000-0000-0000-000000000000",
        "username": "me@example.com",
        "client_secret": "s3cret",
        "auth_flow": "USER_PASSWORD_AUTH",
        "preferred_challenge": "EMAIL_OTP",
        "remember_device": "true",
        "role_arn": "arn:aws:iam::123456789012:role/R",
        "region": "eu-west-1",
        "domain": "https://auth.example.com",
        "identity_provider": "Google",
        "scopes": "openid email https://api.example.com/read",
        "redirect_port": "8400",
        "login": "browser",
        "api_hosts": "api.example.com, *.corp.test",
        "refresh_deadline": "45",
    }[row.name]
    base = {"client_id": "base"} if row.name != "client_id" else {}
    # The environment variable.
    env = {"SCRIBEAUTH_CLIENT_ID": "base", row.env_var: good, "HOME": "/nonexistent"}
    assert getattr(load_profile("p", environ=env), row.name) == good
    # The flag.
    assert getattr(load_profile("p", flags={**base, row.name: good}, environ={}), row.name) == good


@pytest.mark.parametrize("row", [r for r in settings.TABLE if r.pattern], ids=lambda r: r.name)
def test_a_bad_value_names_the_variable_and_the_example(row: settings.Setting) -> None:
    env = {"SCRIBEAUTH_CLIENT_ID": "base", row.env_var: "not valid at all!", "HOME": "/nonexistent"}
    with pytest.raises(ConfigError) as caught:
        load_profile("p", environ=env)
    assert row.env_var in str(caught.value)
    assert row.example in str(caught.value)


def test_a_secret_setting_is_never_echoed_even_when_invalid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = settings.Setting(
        name="client_secret",
        ini_key="scribe_client_secret",
        env_var="SCRIBEAUTH_CLIENT_SECRET",
        yaml_key="client_secret",
        example="a secret without spaces",
        pattern=ids.REGION,  # any pattern the value fails
        secret=True,
    )
    table = tuple(secret if row.name == "client_secret" else row for row in settings.TABLE)
    monkeypatch.setattr(settings, "TABLE", table)
    env = {"SCRIBEAUTH_CLIENT_ID": "c", "SCRIBEAUTH_CLIENT_SECRET": "hunter2 x", "HOME": "/none"}
    with pytest.raises(ConfigError) as caught:
        load_profile("p", environ=env)
    assert "hunter2" not in str(caught.value)
    assert "SCRIBEAUTH_CLIENT_SECRET" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"scribe", "prófíl".encode(), bytes(range(256))])
def test_one_hash_helper_and_its_checked_copy_in_fasthit(data: bytes) -> None:
    expected = hashlib.sha256(data).hexdigest()
    assert ids.sha256_hex(data) == expected
    assert fasthit._sha256_hex(data) == expected


def test_region_and_pool_ids_have_one_home() -> None:
    assert ids.region_of(None) == ids.DEFAULT_REGION == "eu-west-2"
    assert ids.region_of("ap-southeast-2_Xyz") == "ap-southeast-2"
    assert ids.user_pool_region("us-gov-west-1_Ab1") == "us-gov-west-1"
    with pytest.raises(ConfigError, match="scribe_user_pool_id"):
        ids.user_pool_region("eu-west-2:00000000-0000-0000-0000-000000000000")
    assert ids.identity_pool_region("eu-west-2:00000000-0000-0000-0000-000000000000") == "eu-west-2"
    from scribeauth import config, login

    assert config.DEFAULT_REGION is login.DEFAULT_REGION is ids.DEFAULT_REGION
    assert config.AUTH_FLOWS is login.AUTH_FLOWS is ids.AUTH_FLOWS
