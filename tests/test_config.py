"""Profile resolution: four layers, botocore's reading of the AWS config, messages, writing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from botocore import configloader

from scribeauth.config import (
    Profile,
    aws_config_path,
    load_profile,
    profile_name,
    write_profile,
    yaml_config_path,
)
from scribeauth.errors import ConfigError, MissingIdException

EXAMPLES = Path(__file__).resolve().parent.parent / "config-examples"
SECRET = "TOPSECRET-do-not-show-7f3a"
POOL = "eu-west-2_AbCdEf123"
IDENTITY_POOL = "eu-west-2:00000000-0000-0000-0000-000000000000"


def aws_file() -> Path:
    return Path(os.environ["AWS_CONFIG_FILE"])


def yaml_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "scribeauth" / "config.yaml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_text(err: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(err.value)
    assert "\n" not in text, "messages are one line"
    assert SECRET not in text
    assert SECRET not in repr(err.value)
    return text


# -- precedence --------------------------------------------------------------------------------


def test_each_setting_comes_from_the_highest_layer_that_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(
        aws_file(),
        "[profile p]\n"
        "scribe_client_id = awsclient\n"
        "scribe_user_pool_id = eu-west-2_Aws\n"
        "scribe_identity_pool_id = eu-west-2:aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa\n"
        "scribe_username = aws-user\n"
        "scribe_client_secret = aws-secret\n"
        "scribe_auth_flow = USER_SRP_AUTH\n"
        "scribe_role_arn = arn:aws:iam::111111111111:role/Aws\n"
        "region = us-east-1\n",
    )
    write(
        yaml_file(),
        "profiles:\n"
        "  p:\n"
        "    user_pool_id: eu-west-2_Yaml\n"
        "    identity_pool_id: 'eu-west-2:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb'\n"
        "    username: yaml-user\n"
        "    client_secret: yaml-secret\n"
        "    auth_flow: USER_SRP_AUTH\n"
        "    role_arn: arn:aws:iam::222222222222:role/Yaml\n"
        "    region: us-east-2\n",
    )
    monkeypatch.setenv("SCRIBEAUTH_USERNAME", "env-user")
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("SCRIBEAUTH_AUTH_FLOW", "USER_PASSWORD_AUTH")
    monkeypatch.setenv("SCRIBEAUTH_ROLE_ARN", "arn:aws:iam::333333333333:role/Env")
    monkeypatch.setenv("SCRIBEAUTH_REGION", "us-west-1")
    flags = {"role_arn": "arn:aws:iam::444444444444:role/Flag", "region": "ap-south-1"}
    flags_none: dict[str, str | None] = {"client_id": None, **flags}

    profile = load_profile("p", flags=flags_none)

    assert profile == Profile(
        name="p",
        client_id="awsclient",
        user_pool_id="eu-west-2_Yaml",
        identity_pool_id="eu-west-2:bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb",
        username="env-user",
        client_secret="env-secret",
        auth_flow="USER_PASSWORD_AUTH",
        role_arn="arn:aws:iam::444444444444:role/Flag",
        region="ap-south-1",
        sources=("flags", "environment", str(yaml_file()), str(aws_file())),
    )


def test_sources_name_only_the_layers_that_gave_something(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(aws_file(), "[profile p]\nscribe_client_id = abc\n")
    write(yaml_file(), "profiles:\n  other:\n    client_id: x\n")
    monkeypatch.setenv("SCRIBEAUTH_USERNAME", "me")
    assert load_profile("p").sources == ("environment", str(aws_file()))


def test_empty_values_do_not_override_lower_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    write(aws_file(), "[profile p]\nscribe_client_id = abc\nscribe_username = aws-user\n")
    monkeypatch.setenv("SCRIBEAUTH_USERNAME", "  ")
    profile = load_profile("p", flags={"username": ""})
    assert profile.username == "aws-user"


def test_environment_and_flags_alone_make_a_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "envclient")
    profile = load_profile("anything", flags={"user_pool_id": POOL})
    assert (profile.name, profile.client_id, profile.user_pool_id) == (
        "anything",
        "envclient",
        POOL,
    )
    assert profile.sources == ("flags", "environment")


def test_an_explicit_environ_mapping_is_used_instead_of_os_environ(tmp_path: Path) -> None:
    config = write(tmp_path / "elsewhere" / "config", "[profile q]\nscribe_client_id = fromq\n")
    environ = {"AWS_CONFIG_FILE": str(config), "HOME": str(tmp_path / "nohome")}
    assert load_profile("q", environ=environ).client_id == "fromq"
    with pytest.raises(ConfigError):
        load_profile("q")  # not in the isolated os.environ files


def test_unknown_flag_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="client_idd"):
        load_profile("p", flags={"client_idd": "x"})


# -- which profile -----------------------------------------------------------------------------


def test_default_profile_is_the_default_section() -> None:
    write(aws_file(), "[default]\nscribe_client_id = dflt\n[profile other]\nscribe_client_id = o\n")
    profile = load_profile()
    assert (profile.name, profile.client_id) == ("default", "dflt")


def test_profile_default_section_is_accepted_too() -> None:
    write(aws_file(), "[profile default]\nscribe_client_id = pd\n")
    assert load_profile().client_id == "pd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[default]\nscribe_client_id = a\n[profile default]\nscribe_client_id = b\n", "b"),
        ("[profile default]\nscribe_client_id = b\n[default]\nscribe_client_id = a\n", "a"),
    ],
)
def test_default_and_profile_default_resolve_as_botocore_does(text: str, expected: str) -> None:
    write(aws_file(), text)
    botocore_view = configloader.load_config(str(aws_file()))["profiles"]["default"]
    assert botocore_view["scribe_client_id"] == expected
    assert load_profile().client_id == expected


def test_aws_profile_then_aws_default_profile_choose_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(
        aws_file(),
        "[profile a]\nscribe_client_id = fromA\n[profile b]\nscribe_client_id = fromB\n"
        "[profile c]\nscribe_client_id = fromC\n",
    )
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "b")
    assert load_profile().client_id == "fromB"
    monkeypatch.setenv("AWS_PROFILE", "a")
    assert load_profile().client_id == "fromA"
    assert load_profile("c").client_id == "fromC"
    assert profile_name(None, {}) == "default"
    assert profile_name(None, {"AWS_PROFILE": "x", "AWS_DEFAULT_PROFILE": "y"}) == "x"


@pytest.mark.parametrize(
    "text",
    [
        # [DEFAULT] values flow into every section (RawConfigParser defaults).
        "[DEFAULT]\nscribe_username = shared\n[profile p]\nscribe_client_id = c1\n",
        # A quoted profile name, colons as separators, upper-case keys, indented values.
        '[profile "p"]\nSCRIBE_CLIENT_ID: c2\nscribe_username =  spaced\n',
        # A later section with the same profile name wins.
        "[profile p]\nscribe_client_id = c3\n[profile  p]\nscribe_client_id = c4\n",
        # Full-line comments of both kinds; a nested block elsewhere.
        "# top\n; also\n[profile p]\n  # indented comment\nscribe_client_id = c5\n"
        "s3 =\n  addressing_style = path\n",
    ],
)
def test_aws_config_is_read_as_botocore_reads_it(text: str) -> None:
    write(aws_file(), text)
    expected = configloader.load_config(str(aws_file()))["profiles"]["p"]
    profile = load_profile("p")
    assert profile.client_id == expected["scribe_client_id"]
    assert profile.username == expected.get("scribe_username")


def test_inline_comments_are_part_of_the_value_and_the_message_says_so() -> None:
    write(aws_file(), "[profile p]\nscribe_client_id = abc\nscribe_auth_flow = USER_SRP_AUTH # x\n")
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    text = error_text(err)
    assert "scribe_auth_flow in [profile p] of " + str(aws_file()) in text
    assert "inline comments" in text


def test_auth_flow_is_case_insensitive() -> None:
    write(
        aws_file(), "[profile p]\nscribe_client_id = abc\nscribe_auth_flow = user_password_auth\n"
    )
    assert load_profile("p").auth_flow == "USER_PASSWORD_AUTH"


def test_yaml_is_not_imported_without_a_yaml_file() -> None:
    """The cache-hit path (config, cache, prompt) imports only the standard library."""
    code = (
        "import sys\n"
        "import scribeauth.config, scribeauth.cache, scribeauth.prompt\n"
        "p = scribeauth.config.load_profile('p')\n"
        "third = sorted(m for m in ('yaml', 'botocore', 'boto3') if m in sys.modules)\n"
        "print(p.client_id, third)\n"
    )
    write(aws_file(), "[profile p]\nscribe_client_id = abc\n")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["abc", "[]"]
    write(yaml_file(), "profiles: {}\n")
    code = code.replace("('yaml', 'botocore', 'boto3')", "('yaml',)")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["abc", "['yaml']"]


# -- messages ----------------------------------------------------------------------------------


def test_unknown_profile_names_both_files_and_the_fix() -> None:
    write(aws_file(), f"[profile other]\nscribe_client_id = abc\nscribe_client_secret = {SECRET}\n")
    with pytest.raises(ConfigError) as err:
        load_profile("x")
    assert error_text(err) == (
        f"profile 'x' not found in {aws_file()} or {yaml_file()}; "
        "run: scribeauth configure --profile x"
    )
    assert err.value.exit_code == 3


def test_missing_client_id_names_the_key_and_the_files() -> None:
    write(aws_file(), f"[profile p]\nregion = eu-west-2\nscribe_client_secret = {SECRET}\n")
    with pytest.raises(MissingIdException) as err:
        load_profile("p")
    text = error_text(err)
    assert "scribe_client_id" in text
    assert str(aws_file()) in text
    assert str(yaml_file()) in text
    assert "scribeauth configure --profile p" in text
    assert isinstance(err.value, ConfigError)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("scribe_user_pool_id", "eu-west-2-AbC", "scribe_user_pool_id"),
        ("scribe_user_pool_id", "EU-WEST-2_AbC", "scribe_user_pool_id"),
        ("scribe_identity_pool_id", "eu-west-2_not-an-identity-pool", "scribe_identity_pool_id"),
        ("scribe_identity_pool_id", "eu-west-2:1234", "scribe_identity_pool_id"),
        ("scribe_auth_flow", "CUSTOM_AUTH", "scribe_auth_flow"),
        ("region", "europe", "region"),
        ("scribe_role_arn", "ScribeRole", "scribe_role_arn"),
        ("scribe_client_id", "has space", "scribe_client_id"),
    ],
)
def test_malformed_aws_setting_names_the_key_file_and_value(
    key: str, value: str, named: str
) -> None:
    settings = {"scribe_client_id": "abc", "scribe_client_secret": SECRET, key: value}
    write(aws_file(), "[profile p]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    text = error_text(err)
    assert f"{named} in [profile p] of {aws_file()}" in text
    assert repr(value) in text


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("user_pool_id", "nope"),
        ("identity_pool_id", "nope"),
        ("auth_flow", "SRP"),
        ("region", "eu_west_2"),
    ],
)
def test_malformed_settings_elsewhere_name_their_source(
    setting: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "abc")
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_SECRET", SECRET)
    monkeypatch.setenv(f"SCRIBEAUTH_{setting.upper()}", value)
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    assert f"SCRIBEAUTH_{setting.upper()}" in error_text(err)

    monkeypatch.delenv(f"SCRIBEAUTH_{setting.upper()}")
    with pytest.raises(ConfigError) as err:
        load_profile("p", flags={setting: value})
    assert f"--{setting.replace('_', '-')}" in error_text(err)

    monkeypatch.delenv("SCRIBEAUTH_CLIENT_ID")
    write(yaml_file(), f"profiles:\n  p:\n    client_id: abc\n    {setting}: '{value}'\n")
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    assert f"profiles.p.{setting} in {yaml_file()}" in error_text(err)


def test_pools_in_different_regions_are_refused() -> None:
    write(
        aws_file(),
        "[profile p]\nscribe_client_id = abc\nscribe_user_pool_id = eu-west-2_Abc\n"
        "scribe_identity_pool_id = us-east-1:00000000-0000-0000-0000-000000000000\n",
    )
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    text = error_text(err)
    assert "us-east-1" in text
    assert "eu-west-2" in text
    assert "scribe_identity_pool_id" in text
    assert "scribe_user_pool_id" in text


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (f"scribe_client_secret = {SECRET}\n[profile p]\n", 1, "before any [section]"),
        (f"[profile p]\nscribe_client_id = a\nscribe_client_id = {SECRET}\n", 3, "appears twice"),
        ("[profile p]\n[other]\n[profile p]\n", 3, "appears twice"),
        (f"[profile p]\nscribe_client_id = a\n{SECRET}\n", 3, "not a [section]"),
    ],
)
def test_unparseable_aws_config_names_file_and_line(text: str, line: int, what: str) -> None:
    write(aws_file(), text)
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    message = error_text(err)
    assert f"{aws_file()}, line {line}" in message
    assert what in message


def test_bad_nested_block_is_refused_as_botocore_refuses_it() -> None:
    write(aws_file(), "[profile p]\nscribe_client_id = a\ns3 =\n  not a pair\n")
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    assert "'s3'" in error_text(err)
    assert str(aws_file()) in str(err.value)


def test_non_utf8_aws_config_is_a_config_error() -> None:
    aws_file().parent.mkdir(parents=True)
    aws_file().write_bytes(b"[profile p]\nscribe_client_id = \xff\xfe\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_profile("p")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("profiles: [p]\n", "'profiles'"),
        ("profiles:\n  p: just-a-string\n", "profiles.p in"),
        (
            f"profiles:\n  p:\n    client_id: abc\n    clientsecret: {SECRET}\n",
            "profiles.p.clientsecret",
        ),
        ("profiles:\n  p:\n    client_id: 12345\n", "profiles.p.client_id"),
        ("profiles:\n  p:\n    client_id: abc\n    client_secret: 98765432\n", "client_secret"),
        (f"profiles:\n  p:\n    client_id: abc\n    client_secret: [{SECRET}]\n", "client_secret"),
    ],
)
def test_malformed_yaml_names_file_and_key(text: str, needle: str) -> None:
    write(yaml_file(), text)
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    message = error_text(err)
    assert needle in message
    assert str(yaml_file()) in message
    assert "98765432" not in message


def test_invalid_yaml_names_the_line_but_not_its_text() -> None:
    write(yaml_file(), f"profiles:\n  p:\n    client_secret: {SECRET}\n  bad: : :\n")
    with pytest.raises(ConfigError) as err:
        load_profile("p")
    assert f"{yaml_file()}, line 4" in error_text(err)


def test_empty_yaml_profile_exists_but_has_no_client_id() -> None:
    write(yaml_file(), "profiles:\n  p:\n")
    with pytest.raises(MissingIdException):
        load_profile("p")
    write(yaml_file(), "")
    with pytest.raises(ConfigError, match="not found"):
        load_profile("p")


def test_repr_and_str_never_show_the_client_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_ID", "abc")
    monkeypatch.setenv("SCRIBEAUTH_CLIENT_SECRET", SECRET)
    profile = load_profile("p")
    assert profile.client_secret == SECRET
    assert SECRET not in repr(profile)
    assert SECRET not in str(profile)


# -- derived values ----------------------------------------------------------------------------


def test_regions_come_from_the_pools_unless_none_is_known() -> None:
    both = Profile("p", "c", user_pool_id="us-east-1_Abc", identity_pool_id=f"us-east-1:{'0' * 36}")
    assert both.cognito_region == "us-east-1"
    assert both.signing_region == "us-east-1"
    assert both.provider_name == "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc"
    signing = Profile("p", "c", user_pool_id="ap-southeast-2_X", region="eu-central-1")
    assert (signing.cognito_region, signing.signing_region) == ("ap-southeast-2", "eu-central-1")
    identity_only = Profile("p", "c", identity_pool_id=f"ca-central-1:{'0' * 36}")
    assert identity_only.cognito_region == "ca-central-1"
    bare = Profile("p", "c")
    assert (bare.cognito_region, bare.signing_region) == ("eu-west-2", "eu-west-2")
    with pytest.raises(MissingIdException, match="user pool id"):
        _ = bare.provider_name


def test_fingerprint_follows_pool_client_and_username_only() -> None:
    base = Profile("p", "client", user_pool_id=POOL, username="me")
    same_identity = [
        Profile("other-name", "client", user_pool_id=POOL, username="me"),
        Profile(
            "p",
            "client",
            user_pool_id=POOL,
            username="me",
            identity_pool_id=IDENTITY_POOL,
            client_secret=SECRET,
            auth_flow="USER_PASSWORD_AUTH",
            role_arn="arn:aws:iam::123456789012:role/R",
            region="us-east-1",
            sources=("flags",),
        ),
    ]
    other_identity = [
        Profile("p", "client2", user_pool_id=POOL, username="me"),
        Profile("p", "client", user_pool_id="eu-west-2_Other", username="me"),
        Profile("p", "client", user_pool_id=POOL, username="Me"),
        Profile("p", "client", user_pool_id=POOL, username=None),
        Profile("p", "client", user_pool_id=None, username="me"),
    ]
    assert {p.fingerprint() for p in same_identity} == {base.fingerprint()}
    fingerprints = {p.fingerprint() for p in other_identity}
    assert base.fingerprint() not in fingerprints
    assert len(fingerprints) == len(other_identity)
    # Pinned: changing the canonical form would silently throw away every user's cache.
    canonical = '{"client_id":"client","user_pool_id":"eu-west-2_AbCdEf123","username":"me"}'
    assert base.fingerprint() == hashlib.sha256(canonical.encode()).hexdigest()


# -- paths -------------------------------------------------------------------------------------


def test_config_paths_follow_the_environment(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    assert aws_config_path({"HOME": home}) == Path(home, ".aws", "config")
    assert aws_config_path({"HOME": home, "AWS_CONFIG_FILE": "~/cfg"}) == Path(home, "cfg")
    assert aws_config_path({"HOME": home, "AWS_CONFIG_FILE": "$HOME/c2"}) == Path(home, "c2")
    assert yaml_config_path({"HOME": home}) == Path(home, ".config/scribeauth/config.yaml")
    assert yaml_config_path({"HOME": home, "XDG_CONFIG_HOME": "/x"}) == Path(
        "/x/scribeauth/config.yaml"
    )
    # XDG says a relative XDG_CONFIG_HOME is ignored.
    assert yaml_config_path({"HOME": home, "XDG_CONFIG_HOME": "rel"}) == Path(
        home, ".config/scribeauth/config.yaml"
    )
    assert yaml_config_path(
        {"HOME": home, "XDG_CONFIG_HOME": "/x", "SCRIBEAUTH_CONFIG": "~/s.yaml"}
    ) == Path(home, "s.yaml")


def test_scribeauth_config_points_at_the_yaml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = write(tmp_path / "custom.yaml", "profiles:\n  p:\n    client_id: custom\n")
    monkeypatch.setenv("SCRIBEAUTH_CONFIG", str(custom))
    assert load_profile("p").client_id == "custom"


# -- the examples ------------------------------------------------------------------------------


def test_aws_config_example_loads() -> None:
    aws_file().parent.mkdir(parents=True)
    shutil.copy(EXAMPLES / "aws-config", aws_file())
    profile = load_profile("scribe")
    assert profile == Profile(
        name="scribe",
        client_id="1example23456789",
        user_pool_id=POOL,
        identity_pool_id=IDENTITY_POOL,
        username="me@example.com",
        region="eu-west-2",
        sources=(str(aws_file()),),
    )
    botocore_view = configloader.load_config(str(aws_file()))["profiles"]
    assert botocore_view["scribe"]["credential_process"] == (
        "scribeauth-credentials --profile scribe"
    )
    assert "sso_session" in botocore_view["work"]
    with pytest.raises(MissingIdException):
        load_profile("work")


def test_aws_config_example_local_section_works_when_uncommented() -> None:
    text = (EXAMPLES / "aws-config").read_text(encoding="utf-8")
    head, tail = text.split("# [profile scribe-local]")
    tail = "# [profile scribe-local]" + tail
    lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in tail.split("\n")]
    write(aws_file(), head + "\n".join(lines))
    profile = load_profile("scribe-local")
    assert (profile.client_id, profile.username) == ("1example23456789", "alice")

    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config

    session = botocore.session.Session(profile="scribe-local")
    for service in ("cognito-idp", "cognito-identity"):
        client = session.create_client(service, config=Config(signature_version=UNSIGNED))
        assert client.meta.endpoint_url == "http://127.0.0.1:4566"


def test_yaml_example_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    shutil.copy(EXAMPLES / "config.yaml", target)
    monkeypatch.setenv("SCRIBEAUTH_CONFIG", str(target))
    assert load_profile("scribe") == Profile(
        name="scribe",
        client_id="1example23456789",
        user_pool_id=POOL,
        identity_pool_id=IDENTITY_POOL,
        username="me@example.com",
        region="eu-west-2",
        sources=(str(target),),
    )
    assert load_profile("scribe-local").username == "alice"


# -- write_profile -----------------------------------------------------------------------------

ORIGINAL = """\
# My AWS config; keep this comment.
[default]
region = us-east-1
output=json

[profile scribe]
; a note about scribe
region = eu-west-2
scribe_client_id=old-client
s3 =
    addressing_style = path
scribe_username = old-user

# the work profile
[profile work]
sso_session = work
region = us-west-2
"""


def test_write_profile_edits_only_the_keys_it_sets() -> None:
    path = write(aws_file(), ORIGINAL)
    write_profile(
        path,
        "scribe",
        {
            "scribe_client_id": "newclient",
            "scribe_user_pool_id": POOL,
            "scribe_username": None,
            "region": "eu-west-2",
        },
    )
    assert path.read_text(encoding="utf-8") == ORIGINAL.replace(
        "scribe_client_id=old-client", "scribe_client_id = newclient"
    ).replace("scribe_username = old-user\n", f"scribe_user_pool_id = {POOL}\n")
    profile = load_profile("scribe")
    assert (profile.client_id, profile.user_pool_id, profile.username) == (
        "newclient",
        POOL,
        None,
    )
    assert load_profile("default", flags={"client_id": "x"}).region == "us-east-1"


def test_write_profile_is_idempotent_and_leaves_an_unchanged_file_alone() -> None:
    path = write(aws_file(), ORIGINAL)
    settings = {"scribe_client_id": "newclient", "scribe_identity_pool_id": IDENTITY_POOL}
    write_profile(path, "scribe", settings)
    once = path.read_bytes()
    inode = path.stat().st_ino
    write_profile(path, "scribe", settings)
    assert path.read_bytes() == once
    assert path.stat().st_ino == inode, "nothing to change, so no rewrite"


def test_write_profile_appends_new_profiles_and_creates_default() -> None:
    path = write(aws_file(), ORIGINAL.rstrip("\n"))  # no final newline
    write_profile(path, "new", {"scribe_client_id": "n1", "region": "eu-west-2"})
    write_profile(path, "default", {"scribe_client_id": "d1"})
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        ORIGINAL.replace("output=json\n", "output=json\nscribe_client_id = d1\n")
    )
    assert text.endswith(
        "region = us-west-2\n\n[profile new]\nscribe_client_id = n1\nregion = eu-west-2\n"
    )
    assert load_profile("new").client_id == "n1"
    assert load_profile().client_id == "d1"


def test_write_profile_creates_a_private_file_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / ".aws" / "config"
    write_profile(path, "scribe", {"scribe_client_id": "abc", "credential_process": "x --y z"})
    assert path.read_text(encoding="utf-8") == (
        "[profile scribe]\nscribe_client_id = abc\ncredential_process = x --y z\n"
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert os.listdir(path.parent) == ["config"], "no temp file left behind"


def test_write_profile_keeps_crlf_and_file_mode() -> None:
    path = write(aws_file(), "")
    path.write_bytes(
        b"[default]\r\nregion = us-east-1\r\n[profile scribe]\r\nregion = eu-west-2\r\n"
    )
    path.chmod(0o640)
    write_profile(path, "scribe", {"scribe_client_id": "abc"})
    assert path.read_bytes() == (
        b"[default]\r\nregion = us-east-1\r\n[profile scribe]\r\nregion = eu-west-2\r\n"
        b"scribe_client_id = abc\r\n"
    )
    assert path.stat().st_mode & 0o777 == 0o640


def test_write_profile_writes_through_a_symlinked_config(tmp_path: Path) -> None:
    real = write(tmp_path / "dotfiles" / "aws-config", "[profile scribe]\nregion = eu-west-2\n")
    aws_file().parent.mkdir(parents=True)
    aws_file().symlink_to(real)
    write_profile(aws_file(), "scribe", {"scribe_client_id": "abc"})
    assert aws_file().is_symlink()
    assert real.read_text(encoding="utf-8").endswith("scribe_client_id = abc\n")


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("bad]name", {"scribe_client_id": "a"}),
        ("has space", {"scribe_client_id": "a"}),
        ("p", {"scribe_client_id": "a\n[profile evil]"}),
        ("p", {"Bad Key": "a"}),
    ],
)
def test_write_profile_refuses_what_it_cannot_write_safely(
    name: str, settings: dict[str, str]
) -> None:
    path = write(aws_file(), ORIGINAL)
    with pytest.raises(ConfigError):
        write_profile(path, name, settings)
    assert path.read_text(encoding="utf-8") == ORIGINAL


def test_write_profile_refuses_to_edit_a_broken_file() -> None:
    broken = "region = nowhere\n" + ORIGINAL
    path = write(aws_file(), broken)
    with pytest.raises(ConfigError, match="line 1"):
        write_profile(path, "scribe", {"scribe_client_id": "abc"})
    assert path.read_text(encoding="utf-8") == broken


def test_write_profile_output_reads_the_same_in_botocore() -> None:
    path = write(aws_file(), ORIGINAL)
    write_profile(path, "scribe", {"scribe_client_id": "c9", "scribe_auth_flow": "USER_SRP_AUTH"})
    profiles = configloader.load_config(str(path))["profiles"]
    assert profiles["scribe"]["scribe_client_id"] == "c9"
    assert profiles["scribe"]["s3"] == {"addressing_style": "path"}
    assert profiles["work"] == {"sso_session": "work", "region": "us-west-2"}
    assert json.dumps(profiles["default"], sort_keys=True) == json.dumps(
        {"output": "json", "region": "us-east-1"}, sort_keys=True
    )
