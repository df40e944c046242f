"""pytest fixtures for the local Scribe stack (registered as the ``scribeauth_local`` plugin).

``local_stack`` starts one stack per test session; ``scribe_stack`` hands the same stack to a test
after clearing its recorder and faults and putting its clock and lifetimes back to the defaults.
moto and werkzeug are imported only when a fixture is used, so installing scribeauth without the
``local`` extra never breaks anyone's test run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from scribeauth.local.stack import LocalStack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """One running local stack for the whole test session."""
    from scribeauth.local.stack import LocalStack

    with LocalStack() as stack:
        yield stack


@pytest.fixture
def scribe_stack(local_stack: LocalStack) -> LocalStack:
    """The session's local stack, reset for this test.

    Recorder and faults cleared, clock offset 0, lifetimes back to the defaults, and the seed
    users (passwords, MFA settings, TOTP secrets) as seeded.
    """
    local_stack.restore_defaults()
    return local_stack
