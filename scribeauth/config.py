"""Profile resolution: which user pool, app client and user a profile means.

A profile's settings come from four layers, highest first, merged per setting:

1. command-line flags (``client_id``, ``user_pool_id``, ... ; None = not given),
2. ``SCRIBEAUTH_*`` environment variables,
3. the YAML file (``$SCRIBEAUTH_CONFIG``, else ``$XDG_CONFIG_HOME/scribeauth/config.yaml``),
4. the ``scribe_*`` keys of the AWS config profile (``$AWS_CONFIG_FILE``, else ``~/.aws/config``).

Which settings exist, and what each is called in each layer, is :data:`scribeauth.settings.TABLE`;
this module walks it. The AWS config file is read (and written) by :mod:`scribeauth.ini`, the way
botocore reads it, so a profile means the same thing to scribeauth and to the AWS tools. Standard
library only: this module sits on the ``credential_process`` path. PyYAML is imported only when
the YAML file exists.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import settings as _settings
from .config_files import read_aws_profile, read_yaml_profile
from .errors import ConfigError, MissingIdException
from .ids import AUTH_FLOWS, DEFAULT_REGION, identity_pool_region, sha256_hex, user_pool_region
from .ini import section_header, write_profile
from .settings import Setting

__all__ = [
    "AUTH_FLOWS",
    "DEFAULT_REGION",
    "SETTINGS",
    "Profile",
    "aws_config_path",
    "load_profile",
    "missing_setting",
    "profile_name",
    "write_profile",
    "yaml_config_path",
]

#: The settings a profile has, by their short (flag / YAML) names (:data:`settings.TABLE`).
SETTINGS = _settings.NAMES


@dataclass(frozen=True)
class Profile:
    """The resolved settings of one profile.

    Attributes:
        name: the profile name.
        client_id: the user pool app client id.
        user_pool_id: ``<region>_<id>``; None for a bare client id (1.x style).
        identity_pool_id: ``<region>:<uuid>``; None when no AWS credentials are wanted.
        username: the name the user signs in with, when configured.
        client_secret: the app client secret (confidential clients only). Never shown.
        auth_flow: a pinned sign-in flow, or None for the default (SRP, password fallback).
        preferred_challenge: for ``USER_AUTH``, the first factor to try (default PASSWORD_SRP).
        remember_device: ``scribe_remember_device``, as given (see :attr:`remember`).
        role_arn: a role to ask the identity pool for (``CustomRoleArn``).
        region: the profile's own ``region`` (for signing the user's API calls).
        domain: the user pool domain for browser sign-in (``https://auth.example.com``).
        identity_provider: go straight to this identity provider in the browser.
        scopes: OAuth scopes for browser sign-in, space-separated (default ``openid``).
        redirect_port: the loopback callback port (``http://localhost:PORT/callback``).
        login: ``browser`` when the profile signs in through the browser only.
        api_hosts: custom API domains ``scribeauth request`` may sign for (comma-separated;
            ``*.example.com`` allowed), besides execute-api hosts; see :mod:`scribeauth.endpoints`.
        refresh_deadline: how long a refresh without a person may take, in seconds (text;
            :attr:`refresh_deadline_seconds` reads it).
        sources: where the settings came from, highest precedence first.
    """

    name: str
    client_id: str
    user_pool_id: str | None = None
    identity_pool_id: str | None = None
    username: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    auth_flow: str | None = None
    preferred_challenge: str | None = None
    remember_device: str | None = None
    role_arn: str | None = None
    region: str | None = None
    domain: str | None = None
    identity_provider: str | None = None
    scopes: str | None = None
    redirect_port: str | None = None
    login: str | None = None
    api_hosts: str | None = None
    refresh_deadline: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def refresh_deadline_seconds(self) -> float:
        """``refresh_deadline`` in seconds; 20 when not set."""
        return float(self.refresh_deadline) if self.refresh_deadline else 20.0

    @property
    def cognito_region(self) -> str:
        """The region of the pools (Cognito calls go there whatever ``region`` says)."""
        if self.user_pool_id:
            return user_pool_region(self.user_pool_id)
        if self.identity_pool_id:
            return identity_pool_region(self.identity_pool_id)
        return DEFAULT_REGION

    @property
    def provider_name(self) -> str:
        """The identity-pool ``Logins`` key: ``cognito-idp.<region>.amazonaws.com/<pool id>``.

        Raises:
            MissingIdException: the profile has no user pool id.
        """
        if not self.user_pool_id:
            raise missing_setting(
                self.name, "user_pool_id", "(the identity pool needs it)", cls=MissingIdException
            )
        return f"cognito-idp.{self.cognito_region}.amazonaws.com/{self.user_pool_id}"

    @property
    def remember(self) -> bool | None:
        """Whether to remember this device when the user pool asks (``scribe_remember_device``);
        None when not set (then a terminal prompt decides)."""
        if self.remember_device is None:
            return None
        return self.remember_device.lower() in ("true", "yes", "1", "on")

    @property
    def signing_region(self) -> str:
        """The region for SigV4-signing the user's own calls: ``region``, else the pools'."""
        return self.region or self.cognito_region

    def fingerprint(self) -> str:
        """A stable hash of (user pool, app client, username): the identity of the cache.

        Changing any of the three gives a different value, so a fresh cache.
        """
        canonical = json.dumps(
            {
                "client_id": self.client_id,
                "user_pool_id": self.user_pool_id,
                "username": self.username,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return sha256_hex(canonical.encode("utf-8"))


# -- paths -------------------------------------------------------------------------------------


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _expand(text: str, env: Mapping[str, str]) -> Path:
    """``$VAR``, ``${VAR}`` and a leading ``~`` as botocore expands them, from ``env``."""

    def var(match: re.Match[str]) -> str:
        key = match.group(1) or match.group(2)
        return env.get(key, match.group(0))

    text = re.sub(r"\$(?:(\w+)|\{([^}]*)\})", var, text)
    if text == "~" or text.startswith(("~/", "~" + os.sep)):
        home = env.get("HOME")
        return Path(home + text[1:]) if home else Path(text).expanduser()
    return Path(text).expanduser()


def _home(env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    return Path(home) if home else Path.home()


def aws_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The AWS config file: ``$AWS_CONFIG_FILE``, else ``~/.aws/config``."""
    env = _environ(environ)
    configured = env.get("AWS_CONFIG_FILE")
    if configured:
        return _expand(configured, env)
    return _home(env) / ".aws" / "config"


def yaml_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The YAML file: ``$SCRIBEAUTH_CONFIG``, else ``$XDG_CONFIG_HOME/scribeauth/config.yaml``.

    ``XDG_CONFIG_HOME`` counts only when absolute (the XDG rule); the fallback is
    ``~/.config/scribeauth/config.yaml``.
    """
    env = _environ(environ)
    configured = env.get("SCRIBEAUTH_CONFIG")
    if configured:
        return _expand(configured, env)
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else _home(env) / ".config"
    return base / "scribeauth" / "config.yaml"


def profile_name(name: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The profile to use: ``name``, else ``$AWS_PROFILE``, else ``$AWS_DEFAULT_PROFILE``, else
    ``default``.

    Raises:
        ConfigError: ``name`` is given but empty, or the name is not UTF-8 text (it names files).
    """
    env = _environ(environ)
    if name is not None and not name.strip():
        raise ConfigError(
            "the profile name is empty; name a profile (or leave --profile out for "
            "$AWS_PROFILE, else 'default')"
        )
    chosen = name or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    try:
        chosen.encode("utf-8")
    except UnicodeEncodeError:
        # Not echoed: it cannot be printed as it is.
        source = "--profile" if name else "AWS_PROFILE / AWS_DEFAULT_PROFILE"
        raise ConfigError(
            f"the profile name ({source}) is not valid UTF-8 text; check the terminal's "
            "encoding (LANG/LC_ALL) and set it again"
        ) from None
    return chosen


# -- resolution --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    source: str  # what Profile.sources records
    label: str  # how the setting is named there, for messages


def _describe(setting: Setting, layer: str, name: str, aws: Path, yaml_path: Path) -> str:
    if layer == "flags":
        return setting.flag
    if layer == "environment":
        return setting.env_var
    if layer == "yaml":
        return f"profiles.{name}.{setting.yaml_key} in {yaml_path}"
    return f"{setting.ini_key} in {section_header(name)} of {aws}"


def load_profile(
    name: str | None = None,
    *,
    flags: Mapping[str, str | None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Profile:
    """Resolves a profile from flags, environment, the YAML file and the AWS config file.

    Args:
        name: the profile name; None means ``$AWS_PROFILE``, ``$AWS_DEFAULT_PROFILE`` or
            ``default``.
        flags: settings given on the command line, by short name (``client_id``, ...);
            None values are not given.
        environ: the environment to read (default ``os.environ``).

    Returns:
        The validated profile.

    Raises:
        ConfigError: the profile does not exist, a file cannot be parsed, or a setting is
            missing or malformed (``MissingIdException`` for a missing client id). The
            message names the setting, where it came from, and the fix; never the secret.
        ValueError: ``flags`` has a key that is not a setting (a programming error).
    """
    env = _environ(environ)
    name = profile_name(name, env)
    aws = aws_config_path(env)
    yaml_path = yaml_config_path(env)

    flag_values: dict[str, str] = {}
    for key, value in (flags or {}).items():
        if key not in SETTINGS:
            raise ValueError(f"unknown setting {key!r}; expected one of {', '.join(SETTINGS)}")
        if value is not None and value.strip():
            flag_values[key] = value.strip()
    env_values = {
        setting.name: env[setting.env_var].strip()
        for setting in _settings.TABLE
        if env.get(setting.env_var, "").strip()
    }
    if env.get("SCRIBEAUTH_CONFIG") and not yaml_path.exists():
        raise ConfigError(
            f"SCRIBEAUTH_CONFIG names {yaml_path}, which does not exist; "
            "fix SCRIBEAUTH_CONFIG or unset it"
        )
    yaml_values, in_yaml = read_yaml_profile(yaml_path, name)
    aws_values, in_aws = read_aws_profile(aws, name)

    if not (in_aws or in_yaml or env_values or flag_values):
        raise ConfigError(
            f"profile {name!r} not found in {aws} or {yaml_path}; "
            f"run: scribeauth configure --profile {name}"
        )

    layers = (
        ("flags", "flags", flag_values),
        ("environment", "environment", env_values),
        ("yaml", str(yaml_path), yaml_values),
        ("aws", str(aws), aws_values),
    )
    merged: dict[str, str] = {}
    origins: dict[str, _Origin] = {}
    for setting in _settings.TABLE:
        for layer, source, values in layers:
            if setting.name in values:
                value = values[setting.name]
                merged[setting.name] = setting.normalize(value) if setting.normalize else value
                label = _describe(setting, layer, name, aws, yaml_path)
                origins[setting.name] = _Origin(source, label)
                break

    if "client_id" not in merged:
        raise MissingIdException(
            f"profile {name!r} has no client id: set scribe_client_id in {section_header(name)} "
            f"of {aws} (or client_id under profiles.{name} in {yaml_path}); "
            f"run: scribeauth configure --profile {name}"
        )
    _validate(name, merged, origins)

    sources: list[str] = []
    for _, source, _ in layers:
        if any(origin.source == source for origin in origins.values()) and source not in sources:
            sources.append(source)
    return Profile(name=name, sources=tuple(sources), **merged)


def missing_setting(
    name: str,
    setting: str,
    why: str = "",
    *,
    environ: Mapping[str, str] | None = None,
    cls: type[ConfigError] = ConfigError,
) -> ConfigError:
    """The error for a profile that lacks a setting: names it in the AWS config file (section
    and path), in the YAML file, as a variable and as a flag.

    Args:
        name: the profile name.
        setting: the short name of the setting (``username``).
        why: what needs it, e.g. "to sign in without a terminal".
        environ: the environment the paths come from (default ``os.environ``).
        cls: the class to make (``MissingIdException`` for an id).
    """
    env = _environ(environ)
    row = _settings.by_name(setting)
    return cls(
        f"profile {name!r} has no {setting.replace('_', ' ')}{' ' + why if why else ''}: set "
        f"{row.ini_key} in {section_header(name)} of {aws_config_path(env)} (or "
        f"{row.yaml_key} under profiles.{name} in {yaml_config_path(env)}, or "
        f"{row.env_var}), or pass {row.flag}"
    )


def _validate(name: str, merged: Mapping[str, str], origins: Mapping[str, _Origin]) -> None:
    for setting in _settings.TABLE:
        value = merged.get(setting.name)
        if value is not None and not setting.valid(value):
            raise ConfigError(_bad_value(name, setting, value, origins[setting.name]))
    user_pool = merged.get("user_pool_id")
    identity_pool = merged.get("identity_pool_id")
    if user_pool and identity_pool:
        user_region = user_pool_region(user_pool)
        identity_region = identity_pool_region(identity_pool)
        if user_region != identity_region:
            raise ConfigError(
                f"profile {name!r}: the identity pool ({origins['identity_pool_id'].label}) is "
                f"in {identity_region} but the user pool ({origins['user_pool_id'].label}) is in "
                f"{user_region}; they must be in the same region, fix one of them"
            )


def _bad_value(name: str, setting: Setting, value: str, origin: _Origin) -> str:
    shown = "not shown" if setting.secret else repr(value)
    message = f"profile {name!r}: {origin.label} is {shown}, not {setting.example}; fix it"
    in_aws_file = origin.label.startswith((setting.ini_key + " in",))
    if in_aws_file and re.search(r"\s[#;]", value):
        message += " (the AWS config file has no inline comments: put them on their own line)"
    return message
