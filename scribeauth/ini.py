"""The AWS config file as text: reading its profiles as botocore does, editing one in place.

Reading follows botocore (``RawConfigParser`` defaults: full-line ``#``/``;`` comments only, no
inline comments, no interpolation; ``[profile NAME]`` sections and ``[default]``, the last
section naming a profile wins), so a profile means the same thing to scribeauth and to the AWS
tools. Writing follows the AWS CLI's config writer (``awscli.customizations.configure.writer``):
the profile's section is edited in the text, not round-tripped through configparser, so other
sections, comments, line endings and formatting survive byte for byte.

Standard library only: this module sits on the ``credential_process`` path.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .files import write_atomic

__all__ = ["parse_profiles", "section_header", "section_profile", "write_profile"]

_PROFILE_NAME_RE = re.compile(r"^[\w.@+-]+$")
_INI_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def section_header(name: str) -> str:
    """The section a profile lives in: ``[default]`` or ``[profile NAME]``."""
    return "[default]" if name == "default" else f"[profile {name}]"


def section_profile(header: str) -> str | None:
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


def parse_profiles(path: Path, text: str) -> dict[str, dict[str, str]]:
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
        name = section_profile(section)
        if name is not None:
            # Later sections win, as in botocore ([default] vs [profile default]).
            profiles[name] = values
    return profiles


# -- writing a profile ---------------------------------------------------------------------


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
    matching = [s for s in _sections(lines) if section_profile(s.header) == name]
    if not matching:
        added = [f"{key} = {value}{newline}" for key, value in settings.items() if value]
        if not added:
            return text
        header = section_header(name)
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
    written = parse_profiles(target, updated).get(name, {})
    for key, value in settings.items():
        if (written.get(key) or None) != (value or None):
            raise ConfigError(f"cannot set {key} in {target} without breaking it; edit it by hand")
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(target, updated.encode("utf-8"), mode)
    except OSError as err:
        raise ConfigError(f"cannot write {target}: {err.strerror}") from None
