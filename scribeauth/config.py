"""Profile resolution: which user pool, app client and user a profile means.

A profile's settings come from four layers, highest first, merged per setting:

1. command-line flags (``client_id``, ``user_pool_id``, ... ; None = not given),
2. ``SCRIBEAUTH_*`` environment variables,
3. the YAML file (``$SCRIBEAUTH_CONFIG``, else ``$XDG_CONFIG_HOME/scribeauth/config.yaml``),
4. the ``scribe_*`` keys of the AWS config profile (``$AWS_CONFIG_FILE``, else ``~/.aws/config``).

The AWS config file is read the way botocore reads it (``RawConfigParser`` defaults: full-line
``#``/``;`` comments only, no inline comments, no interpolation; ``[profile NAME]`` sections and
``[default]``), so a profile means the same thing to scribeauth and to the AWS tools. Standard
library only: this module sits on the credential_process cache-hit path. PyYAML is imported only
when the YAML file exists.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib
import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, MissingIdException

__all__ = [
    "AUTH_FLOWS",
    "DEFAULT_REGION",
    "LOGIN_METHODS",
    "SETTINGS",
    "Profile",
    "aws_config_path",
    "load_profile",
    "profile_name",
    "write_profile",
    "yaml_config_path",
]

#: The settings a profile has, by their short (flag / YAML) names.
SETTINGS = (
    "client_id",
    "user_pool_id",
    "identity_pool_id",
    "username",
    "client_secret",
    "auth_flow",
    "role_arn",
    "region",
    # Browser sign-in through managed login (scribeauth.browser_login).
    "domain",
    "identity_provider",
    "scopes",
    "redirect_port",
    "login",
)
#: The sign-in flows a profile may pin.
AUTH_FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH")
#: How ``scribeauth login`` signs in by default (``scribe_login``).
LOGIN_METHODS = ("password", "browser")
#: Where Cognito lives when no pool id says otherwise (the 1.x default).
DEFAULT_REGION = "eu-west-2"

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_REGION_RE = re.compile(rf"^{_REGION}$")
_USER_POOL_RE = re.compile(rf"^{_REGION}_[0-9A-Za-z]+$")
_IDENTITY_POOL_RE = re.compile(rf"^{_REGION}:[0-9a-f-]{{36}}$")
_CLIENT_ID_RE = re.compile(r"^[\w+]{1,128}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")
_DOMAIN_RE = re.compile(
    r"^(?:https?://)?[A-Za-z0-9.-]+(?::\d{1,5})?/?$|^http://\[::1\](?::\d+)?/?$"
)
_PORT_RE = re.compile(
    r"^(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$"
)
_PROVIDER_RE = re.compile(r"^[\w.@+-]{1,128}$")
_SCOPES_RE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+(?: +[\x21\x23-\x5b\x5d-\x7e]+)*$")
_PROFILE_NAME_RE = re.compile(r"^[\w.@+-]+$")
_INI_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_EXAMPLES = {
    "user_pool_id": "a user pool id like eu-west-2_AbCdEf123",
    "identity_pool_id": "an identity pool id like eu-west-2:00000000-0000-0000-0000-000000000000",
    "region": "a region like eu-west-2",
    "client_id": "an app client id (letters and digits, no spaces)",
    "role_arn": "an IAM role ARN like arn:aws:iam::123456789012:role/NAME",
    "auth_flow": " or ".join(AUTH_FLOWS),
    "domain": "a user pool domain like https://auth.example.com",
    "identity_provider": "an identity provider name like Google or MySAML",
    "scopes": "scopes separated by spaces, like 'openid email'",
    "redirect_port": "a port number like 8400",
    "login": " or ".join(LOGIN_METHODS),
}


def _aws_key(setting: str) -> str:
    return "region" if setting == "region" else f"scribe_{setting}"


def _env_key(setting: str) -> str:
    return f"SCRIBEAUTH_{setting.upper()}"


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
        role_arn: a role to ask the identity pool for (``CustomRoleArn``).
        region: the profile's own ``region`` (for signing the user's API calls).
        domain: the user pool domain for browser sign-in (``https://auth.example.com``).
        identity_provider: go straight to this identity provider in the browser.
        scopes: OAuth scopes for browser sign-in, space-separated (default ``openid``).
        redirect_port: the loopback callback port (``http://localhost:PORT/callback``).
        login: ``browser`` when the profile signs in through the browser only.
        sources: where the settings came from, highest precedence first.
    """

    name: str
    client_id: str
    user_pool_id: str | None = None
    identity_pool_id: str | None = None
    username: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    auth_flow: str | None = None
    role_arn: str | None = None
    region: str | None = None
    domain: str | None = None
    identity_provider: str | None = None
    scopes: str | None = None
    redirect_port: str | None = None
    login: str | None = None
    sources: tuple[str, ...] = ()

    @property
    def cognito_region(self) -> str:
        """The region of the pools (Cognito calls go there whatever ``region`` says)."""
        if self.user_pool_id:
            return self.user_pool_id.split("_", 1)[0]
        if self.identity_pool_id:
            return self.identity_pool_id.split(":", 1)[0]
        return DEFAULT_REGION

    @property
    def provider_name(self) -> str:
        """The identity-pool ``Logins`` key: ``cognito-idp.<region>.amazonaws.com/<pool id>``.

        Raises:
            MissingIdException: the profile has no user pool id.
        """
        if not self.user_pool_id:
            raise MissingIdException(
                f"profile {self.name!r} has no user pool id, which the identity pool needs; "
                f"set scribe_user_pool_id (run: scribeauth configure --profile {self.name})"
            )
        return f"cognito-idp.{self.cognito_region}.amazonaws.com/{self.user_pool_id}"

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
        return _sha256_hex(canonical.encode("utf-8"))


def _sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex, without loading OpenSSL when CPython has its own SHA-256.

    ``hashlib`` loads libcrypto: about 2.5 ms and 3.5 MiB of a cache hit in
    ``scribeauth-credentials``. The digest only names files and tells settings apart.
    """
    for name in ("_sha2", "_sha256"):  # CPython 3.12+, 3.10-3.11
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        digest: str = module.sha256(data).hexdigest()
        return digest
    import hashlib

    return hashlib.sha256(data).hexdigest()


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
    ``default``."""
    env = _environ(environ)
    return name or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"


# -- the AWS config file -----------------------------------------------------------------------


def _section_profile(header: str) -> str | None:
    """The profile a section header names, by botocore's rules (``build_profile_map``)."""
    if header.startswith("profile"):
        try:
            parts = shlex.split(header)
        except ValueError:
            return None
        return parts[1] if len(parts) == 2 else None
    return "default" if header == "default" else None


def _parse_error(path: Path, err: Exception) -> ConfigError:
    """A one-line message for a configparser error, without the offending line's text.

    configparser quotes the line itself, which may hold the client secret.
    """
    lineno = getattr(err, "lineno", None)
    if lineno is None:
        errors = getattr(err, "errors", None)
        if errors:
            lineno = errors[0][0]
    if isinstance(err, configparser.MissingSectionHeaderError):
        what = "a setting before any [section] header"
    elif isinstance(err, configparser.DuplicateSectionError):
        what = f"section [{err.section}] appears twice"
    elif isinstance(err, configparser.DuplicateOptionError):
        what = f"'{err.option}' appears twice in [{err.section}]"
    else:
        what = "a line that is not a [section], a 'key = value' setting or a comment"
    where = f"{path}, line {lineno}" if lineno else str(path)
    return ConfigError(f"cannot parse {where}: {what}; fix that line")


def _parse_ini(path: Path, text: str) -> dict[str, dict[str, str]]:
    """Profiles of an AWS config text, as botocore maps them: ``{profile: {key: value}}``."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as err:
        raise _parse_error(path, err) from None
    profiles: dict[str, dict[str, str]] = {}
    for section in parser.sections():
        values: dict[str, str] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            # botocore reads an indented block as a nested mapping and fails on a bad one.
            if value.startswith("\n") and any(
                line.strip() and "=" not in line for line in value.splitlines()
            ):
                raise ConfigError(
                    f"cannot parse {path}: the indented lines under '{option}' in [{section}] "
                    "must each be 'key = value'; fix them"
                )
            values[option] = value
        name = _section_profile(section)
        if name is not None:
            # Later sections win, as in botocore ([default] vs [profile default]).
            profiles[name] = values
    return profiles


def _read_text(path: Path, what: str) -> str | None:
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {path}: it is not UTF-8 text; fix the {what}") from None
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}; fix the {what}") from None


def _read_aws_profile(path: Path, name: str) -> tuple[dict[str, str], bool]:
    text = _read_text(path, "AWS config file")
    if text is None:
        return {}, False
    profiles = _parse_ini(path, text)
    if name not in profiles:
        return {}, False
    section = profiles[name]
    values = {}
    for setting in SETTINGS:
        value = section.get(_aws_key(setting), "").strip()
        if value:
            values[setting] = value
    return values, True


# -- the YAML file -----------------------------------------------------------------------------


def _read_yaml_profile(path: Path, name: str) -> tuple[dict[str, str], bool]:
    text = _read_text(path, "YAML config file")
    if text is None:
        return {}, False
    import yaml  # only when the file exists: keeps PyYAML off the cache-hit path

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or "not valid YAML"
        raise ConfigError(f"cannot parse {where}: {problem}; fix the YAML") from None
    if document is None:
        return {}, False
    if not isinstance(document, dict):
        raise ConfigError(f"{path} must be a mapping with a 'profiles' key; fix the YAML")
    profiles = document.get("profiles")
    if profiles is None:
        return {}, False
    if not isinstance(profiles, dict):
        raise ConfigError(f"'profiles' in {path} must be a mapping of profile names; fix the YAML")
    found = [key for key in profiles if isinstance(key, (str, int)) and str(key) == name]
    if not found:
        return {}, False
    entry = profiles[found[0]]
    if entry is None:
        return {}, True
    if not isinstance(entry, dict):
        raise ConfigError(
            f"profiles.{name} in {path} must be a mapping of settings "
            f"({', '.join(SETTINGS)}); fix the YAML"
        )
    values: dict[str, str] = {}
    for key, value in entry.items():
        if key not in SETTINGS:
            raise ConfigError(
                f"profiles.{name}.{key} in {path} is not a setting "
                f"(known: {', '.join(SETTINGS)}); fix the YAML"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            # Never echo the value: it may be the client secret.
            raise ConfigError(
                f"profiles.{name}.{key} in {path} must be a string; put the value in quotes"
            )
        if value.strip():
            values[key] = value.strip()
    return values, True


# -- resolution --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    source: str  # what Profile.sources records
    label: str  # how the setting is named there, for messages


def _describe(setting: str, layer: str, name: str, aws: Path, yaml_path: Path) -> str:
    if layer == "flags":
        return f"--{setting.replace('_', '-')}"
    if layer == "environment":
        return _env_key(setting)
    if layer == "yaml":
        return f"profiles.{name}.{setting} in {yaml_path}"
    section = "[default]" if name == "default" else f"[profile {name}]"
    return f"{_aws_key(setting)} in {section} of {aws}"


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
        setting: env[_env_key(setting)].strip()
        for setting in SETTINGS
        if env.get(_env_key(setting), "").strip()
    }
    yaml_values, in_yaml = _read_yaml_profile(yaml_path, name)
    aws_values, in_aws = _read_aws_profile(aws, name)

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
    for setting in SETTINGS:
        for layer, source, values in layers:
            if setting in values:
                merged[setting] = values[setting]
                label = _describe(setting, layer, name, aws, yaml_path)
                origins[setting] = _Origin(source, label)
                break

    if "client_id" not in merged:
        section = "[default]" if name == "default" else f"[profile {name}]"
        raise MissingIdException(
            f"profile {name!r} has no client id: set scribe_client_id in {section} of {aws} "
            f"(or client_id under profiles.{name} in {yaml_path}); "
            f"run: scribeauth configure --profile {name}"
        )
    if "auth_flow" in merged:
        merged["auth_flow"] = merged["auth_flow"].upper()
    if "login" in merged:
        merged["login"] = merged["login"].lower()
    _validate(name, merged, origins)

    sources: list[str] = []
    for _, source, _ in layers:
        if any(origin.source == source for origin in origins.values()) and source not in sources:
            sources.append(source)
    return Profile(name=name, sources=tuple(sources), **merged)


def _validate(name: str, merged: Mapping[str, str], origins: Mapping[str, _Origin]) -> None:
    checks: dict[str, re.Pattern[str]] = {
        "client_id": _CLIENT_ID_RE,
        "user_pool_id": _USER_POOL_RE,
        "identity_pool_id": _IDENTITY_POOL_RE,
        "region": _REGION_RE,
        "role_arn": _ROLE_ARN_RE,
        "domain": _DOMAIN_RE,
        "redirect_port": _PORT_RE,
        "identity_provider": _PROVIDER_RE,
        "scopes": _SCOPES_RE,
    }
    for setting, pattern in checks.items():
        value = merged.get(setting)
        if value is not None and not pattern.match(value):
            raise ConfigError(_bad_value(name, setting, value, origins[setting]))
    flow = merged.get("auth_flow")
    if flow is not None and flow not in AUTH_FLOWS:
        raise ConfigError(_bad_value(name, "auth_flow", flow, origins["auth_flow"]))
    login = merged.get("login")
    if login is not None and login not in LOGIN_METHODS:
        raise ConfigError(_bad_value(name, "login", login, origins["login"]))
    user_pool = merged.get("user_pool_id")
    identity_pool = merged.get("identity_pool_id")
    if user_pool and identity_pool:
        user_region = user_pool.split("_", 1)[0]
        identity_region = identity_pool.split(":", 1)[0]
        if user_region != identity_region:
            raise ConfigError(
                f"profile {name!r}: the identity pool ({origins['identity_pool_id'].label}) is "
                f"in {identity_region} but the user pool ({origins['user_pool_id'].label}) is in "
                f"{user_region}; they must be in the same region, fix one of them"
            )


def _bad_value(name: str, setting: str, value: str, origin: _Origin) -> str:
    message = f"profile {name!r}: {origin.label} is {value!r}, not {_EXAMPLES[setting]}; fix it"
    in_aws_file = origin.label.startswith(("scribe_", "region in"))
    if in_aws_file and re.search(r"\s[#;]", value):
        message += " (the AWS config file has no inline comments: put them on their own line)"
    return message


# -- writing a profile into the AWS config file ------------------------------------------------


_SECTION_RE = re.compile(r"\[(?P<header>.+)\]")
_OPTION_RE = re.compile(r"(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$")


@dataclass
class _Option:
    key: str
    start: int  # index of the option line
    end: int  # one past its last continuation line
    value: str
    multiline: bool


@dataclass
class _Section:
    header: str
    start: int  # index of the header line
    end: int  # one past the section's last line
    options: list[_Option] = field(default_factory=list)


def _split_lines(text: str) -> list[str]:
    """Lines with their endings kept, split only where ``open()`` would split them."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def _sections(lines: list[str]) -> list[_Section]:
    """The sections and options of an INI text, found the way configparser reads them."""
    sections: list[_Section] = []
    current: _Section | None = None
    option: _Option | None = None
    indent_level = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        indent = len(line) - len(line.lstrip())
        if current is not None and option is not None and indent > indent_level:
            option.end = index + 1
            option.multiline = True
            continue
        indent_level = indent
        header = _SECTION_RE.match(stripped)
        if header:
            if current is not None:
                current.end = index
            current = _Section(header.group("header"), index, len(lines))
            sections.append(current)
            option = None
            continue
        match = _OPTION_RE.match(stripped)
        if current is not None and match:
            key = match.group("option").rstrip().lower()
            option = _Option(key, index, index + 1, match.group("value").strip(), False)
            current.options.append(option)
    return sections


def _edit_profile_text(text: str, name: str, settings: Mapping[str, str | None]) -> str:
    lines = _split_lines(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    matching = [s for s in _sections(lines) if _section_profile(s.header) == name]
    if not matching:
        added = [f"{key} = {value}{newline}" for key, value in settings.items() if value]
        if not added:
            return text
        header = "[default]" if name == "default" else f"[profile {name}]"
        prefix = text
        if prefix and not prefix.endswith(("\n", "\r")):
            prefix += newline
        if prefix.strip() and not prefix.endswith(("\n\n", "\r\n\r\n", "\r\r")):
            prefix += newline
        return prefix + header + newline + "".join(added)

    # botocore uses the last section naming the profile, so that is the one to edit.
    section = matching[-1]
    edits: list[tuple[int, int, list[str]]] = []
    missing: list[str] = []
    for key, value in settings.items():
        found = [option for option in section.options if option.key == key]
        for duplicate in found[1:]:
            edits.append((duplicate.start, duplicate.end, []))
        if not found:
            if value:
                missing.append(f"{key} = {value}{newline}")
            continue
        option = found[0]
        if not value:
            edits.append((option.start, option.end, []))
        elif option.multiline or option.value != value:
            first = lines[option.start]
            indent = first[: len(first) - len(first.lstrip())]
            ending = first[len(first.rstrip("\r\n")) :]
            edits.append((option.start, option.end, [f"{indent}{key} = {value}{ending}"]))
    if missing:
        after = max([option.end for option in section.options], default=section.start + 1)
        if not lines[after - 1].endswith(("\n", "\r")):
            lines[after - 1] += newline
        edits.append((after, after, missing))
    # Bottom-up, so earlier indices stay valid.
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        lines[start:end] = replacement
    return "".join(lines)


def write_profile(path: Path | str, name: str, settings: Mapping[str, str | None]) -> None:
    """Sets keys of a profile in the AWS config file, keeping everything else byte for byte.

    The ``[profile NAME]`` section (``[default]`` for ``default``) is edited in the text, not
    round-tripped through configparser, so other sections, comments and formatting survive.
    Keys already holding the value are left untouched, so writing twice changes nothing. A
    missing file (and folder) is created, the file 0600; the write is atomic (a temp file in
    the same folder, then ``os.replace``). A symlinked config file is written through.

    Args:
        path: the AWS config file (usually :func:`aws_config_path`).
        name: the profile name.
        settings: INI keys (``scribe_client_id``, ``region``, ...) and their values; an empty
            or None value removes the key.

    Raises:
        ConfigError: the name, a key or a value cannot be written, the existing file cannot
            be parsed, or the file cannot be written.
    """
    if not _PROFILE_NAME_RE.match(name):
        raise ConfigError(
            f"cannot write profile {name!r}: use letters, digits and . _ - @ + in profile names"
        )
    for key, value in settings.items():
        if not _INI_KEY_RE.match(key):
            raise ConfigError(f"cannot write {key!r}: not a config key")
        if value and ("\n" in value or "\r" in value or value != value.strip()):
            raise ConfigError(f"cannot write {key}: the value must be one line without edge spaces")
    target = Path(os.path.realpath(Path(path).expanduser()))
    try:
        original = target.read_bytes()
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        original, mode = None, 0o600
    except OSError as err:
        raise ConfigError(f"cannot read {target}: {err.strerror}") from None
    try:
        text = original.decode("utf-8") if original is not None else ""
    except UnicodeDecodeError:
        raise ConfigError(f"cannot edit {target}: it is not UTF-8 text") from None

    updated = _edit_profile_text(text, name, settings)
    if updated == text:
        return
    written = _parse_ini(target, updated).get(name, {})
    for key, value in settings.items():
        if (written.get(key) or None) != (value or None):
            raise ConfigError(f"cannot set {key} in {target} without breaking it; edit it by hand")
    _replace_file(target, updated.encode("utf-8"), mode)


def _replace_file(target: Path, data: bytes, mode: int) -> None:
    import tempfile  # here, not at the top: it costs ~3 ms on the cache-hit path

    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise ConfigError(f"cannot write {target}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ConfigError(f"cannot write {target}: {err.strerror}") from None
