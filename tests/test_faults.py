"""The fault matrix: every Cognito call on the credential path x every fault the stack injects.

The cells are those of ``scribeauth.local.testing.fault_matrix`` (``benchmarks/fault_matrix.py``
prints them as the README's table), without the persistent delays (five 10-second read timeouts
each; the script runs them). They run once per module, in parallel on a pool of local stacks, each
through the real executable with no terminal and botocore's back-off capped at 0 (every attempt
still made); every cell is then its own test case asserting what it showed.
"""

from __future__ import annotations

from typing import Any

import pytest

from scribeauth.local.testing import fault_matrix

CASES = fault_matrix.cases(quick=True)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ran = fault_matrix.run_isolated(CASES, tmp_path_factory.mktemp("fault-matrix"))
    return {outcome.case.id: outcome for outcome in ran}


def test_the_matrix_covers_every_call_and_fault() -> None:
    operations = {(case.operation.stack_op, case.operation.flow) for case in CASES}
    assert operations == {
        ("InitiateAuth", "USER_SRP_AUTH"),
        ("RespondToAuthChallenge", None),
        ("GetTokensFromRefreshToken", None),
        ("GetId", None),
        ("GetCredentialsForIdentity", None),
        ("RevokeToken", None),
    }
    kinds = {case.kind for case in CASES}
    assert kinds == {"throttle", "500", "delay", "reset", "truncate", "garble"}
    # Every (operation, kind) both transient and, except the slow delay, persistent.
    assert len(CASES) == 6 * 6 * 2 - 6
    assert len(fault_matrix.cases()) == 6 * 6 * 2


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_fault(case: Any, outcomes: dict[str, Any]) -> None:
    outcome = outcomes[case.id]
    assert outcome.harness_error is None
    context = f"exit {outcome.exit_code}; stderr: {outcome.stderr!r}"
    # Retried to success while the fault lasts less than botocore's attempts, else exit 6.
    assert outcome.exit_code == case.expected_exit, context
    assert outcome.attempts == case.expected_attempts, context
    if outcome.exit_code == 0:
        assert outcome.stderr == ""
    else:
        assert outcome.stdout == ""
        (line,) = outcome.stderr.splitlines()
        if case.operation.command == "logout":
            assert "could not revoke" in line
            assert "the local cache is deleted" in line
        else:
            assert "try again" in line
        assert "Traceback" not in outcome.stderr
    if case.operation.command == "credentials" and outcome.exit_code == 0:
        assert fault_matrix.version_1_problem(outcome.stdout) is None
    # The cache still loads (logout deletes it even when revoking fails), files stay private.
    assert outcome.cache_before
    assert outcome.cache_after is (case.operation.command != "logout")
    if outcome.cache_after:
        assert outcome.file_mode == 0o600
    assert outcome.dir_mode == 0o700
    assert outcome.temp_files == 0
    assert fault_matrix.leaked(outcome) == []
    # Everything the script's summary checks, too.
    assert fault_matrix.check(outcome) == []


def test_the_checks_catch_what_they_look_for() -> None:
    case = next(c for c in CASES if c.id == "GetId-500-persistent")
    good = fault_matrix.Outcome(
        case,
        exit_code=6,
        stderr="scribeauth-credentials: Cognito is unavailable; try again later\n",
        attempts=5,
        cache_before=True,
        cache_after=True,
        file_mode=0o600,
        dir_mode=0o700,
        secrets=["s3cret-password"],
    )
    assert fault_matrix.check(good) == []
    bad = fault_matrix.Outcome(
        case,
        exit_code=1,
        stdout='{"Version": 1',
        stderr="Traceback (most recent call last):\n  s3cret-password\n",
        attempts=1,
        cache_before=True,
        cache_after=False,
        file_mode=0o644,
        dir_mode=0o755,
        temp_files=2,
        secrets=["s3cret-password"],
    )
    problems = " | ".join(fault_matrix.check(bad))
    for expected in (
        "exit 1, expected 6",
        "traceback",
        "stdout not empty",
        "2 stderr lines",
        "no error line",
        "not JSON",
        "1 attempts, expected 5",
        "no longer loads",
        "mode 644",
        "mode 755",
        "2 temp files",
    ):
        assert expected in problems
    assert fault_matrix.leaked(bad) == ["s3cret... in stderr"]


@pytest.mark.slow
def test_table_has_a_row_per_operation(outcomes: dict[str, Any]) -> None:
    shown = fault_matrix.table(list(outcomes.values()))
    rows = shown.splitlines()
    assert len(rows) == 2 + 6
    assert rows[0].startswith("| operation | command | throttle | 500 | delay |")
    refresh = next(row for row in rows if row.startswith("| GetTokensFromRefreshToken "))
    # throttle: retried to success, then exit 6 after all five attempts.
    assert "| ok (2) / exit 6 (5) |" in refresh
    assert "**!**" not in shown
