"""Reading a profile's settings out of the two config files, and nothing a file can do harm with.

The AWS config file (``scribe_*`` keys, read by :mod:`scribeauth.ini` as botocore reads it) and
the YAML file (``profiles: NAME: {setting: value}``) each give a mapping of short setting names
to strings, named by :data:`scribeauth.settings.TABLE`. A file over 1 MiB is refused before it
is parsed; YAML nested too deeply or holding a number too large to read is a
:class:`~scribeauth.errors.ConfigError` naming the file, never a crash. Standard library only
(PyYAML is imported only when the YAML file exists): this module sits on the
``credential_process`` path.
"""

from __future__ import annotations

from pathlib import Path

from . import settings as _settings
from .errors import ConfigError
from .ini import parse_profiles

__all__ = ["MAX_CONFIG_SIZE", "read_aws_profile", "read_yaml_profile"]

#: The largest config file read (a real one is a few kilobytes; 20 MB of YAML takes 30 s).
MAX_CONFIG_SIZE = 1 << 20


def _read_text(path: Path, what: str) -> str | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_SIZE + 1)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}; fix the {what}") from None
    if len(data) > MAX_CONFIG_SIZE:
        raise ConfigError(
            f"{path} is larger than 1 MiB, too large for a config file; fix the {what} "
            "(or point to the right file)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {path}: it is not UTF-8 text; fix the {what}") from None


def read_aws_profile(path: Path, name: str) -> tuple[dict[str, str], bool]:
    """The ``scribe_*`` settings of profile ``name`` in the AWS config file, and whether the
    file has that profile at all.

    Raises:
        ConfigError: the file cannot be read or parsed, or is larger than 1 MiB.
    """
    text = _read_text(path, "AWS config file")
    if text is None:
        return {}, False
    profiles = parse_profiles(path, text)
    if name not in profiles:
        return {}, False
    section = profiles[name]
    values = {}
    for setting in _settings.TABLE:
        value = section.get(setting.ini_key, "").strip()
        if value:
            values[setting.name] = value
    return values, True


def read_yaml_profile(path: Path, name: str) -> tuple[dict[str, str], bool]:
    """The settings of profile ``name`` in the YAML file, and whether the file has it at all.

    Raises:
        ConfigError: the file cannot be read or parsed, is larger than 1 MiB, is nested too
            deeply, holds a number too large to read, or is not shaped as documented.
    """
    text = _read_text(path, "YAML config file")
    if text is None:
        return {}, False
    import yaml  # only when the file exists: keeps PyYAML off the cache-hit path

    try:
        return _profile_in(yaml.safe_load(text), path, name)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or "not valid YAML"
        raise ConfigError(f"cannot parse {where}: {problem}; fix the YAML") from None
    except (RecursionError, ValueError, OverflowError):
        # PyYAML builds nested values recursively, and int() refuses over 4,300 digits.
        raise ConfigError(
            f"cannot parse {path}: it is nested too deeply or holds a number too large to "
            "read; fix the YAML"
        ) from None


_YAML_KEYS = {setting.yaml_key: setting.name for setting in _settings.TABLE}


def _profile_in(document: object, path: Path, name: str) -> tuple[dict[str, str], bool]:
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
            f"({', '.join(_YAML_KEYS)}); fix the YAML"
        )
    values: dict[str, str] = {}
    for key, value in entry.items():
        if key not in _YAML_KEYS:
            raise ConfigError(
                f"profiles.{name}.{key} in {path} is not a setting "
                f"(known: {', '.join(_YAML_KEYS)}); fix the YAML"
            )
        if value is None:
            continue
        if not isinstance(value, str):
            # Never echo the value: it may be the client secret.
            raise ConfigError(
                f"profiles.{name}.{key} in {path} must be a string; put the value in quotes"
            )
        if value.strip():
            values[_YAML_KEYS[key]] = value.strip()
    return values, True
