"""The process environment the demos run in: pointed into a throwaway folder, then put back.

Shared by :mod:`scribeauth.demo` and :mod:`scribeauth.demo_browser`, so both isolate the person's
own profiles, credentials and caches the same way (and both ask for the local stack the same way).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .local.stack import LocalStack

__all__ = ["environment", "isolated_environment", "local_stack_class"]


def local_stack_class() -> type[LocalStack]:
    """The local stack class a demo runs against.

    Raises:
        ConfigError: the ``local`` extra is not installed (exit 3).
    """
    try:
        from .local.stack import LocalStack
    except ImportError as err:
        raise ConfigError(
            "the demo needs the local stack: pip install 'scribeauth[local]'"
        ) from err
    return LocalStack


@contextlib.contextmanager
def environment(changes: Mapping[str, str | None]) -> Iterator[None]:
    """Sets (or, for None, removes) variables in ``os.environ``, restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def isolated_environment(folder: Path) -> dict[str, str | None]:
    """Everything the library, the stack and child processes read, pointed into ``folder``.

    The person's own profiles, credentials, caches and ``SCRIBEAUTH_*``/``AWS_*`` settings must
    neither change the demo nor be changed by it.
    """
    changes: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith(("AWS_", "SCRIBEAUTH_"))
    }
    changes.update(
        {
            "AWS_CONFIG_FILE": str(folder / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(folder / "credentials"),
            # No YAML file: SCRIBEAUTH_CONFIG must name one that exists, and this one is empty.
            "SCRIBEAUTH_CONFIG": os.devnull,
            "SCRIBEAUTH_CACHE_DIR": str(folder / "cache"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return changes
