"""The fault matrix: every Cognito call on the credential path x every fault the stack injects.

Usage::

    python benchmarks/fault_matrix.py            # the whole matrix, as a Markdown table
    python benchmarks/fault_matrix.py --quick    # without the slowest cells (persistent delay)
    python benchmarks/fault_matrix.py --debug    # the same, every command run with debug logs

The cells, the runner and the contract each cell keeps live in
``scribeauth.local.testing.fault_matrix`` (``tests/test_faults.py`` asserts them cell by cell);
this script prints the table the README quotes, with botocore's real back-off between retries.
It exits 0 unless the harness itself fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from scribeauth.local.testing.fault_matrix import (
    MAX_ATTEMPTS,
    READ_TIMEOUT,
    cases,
    estimated_seconds,
    leaked,
    run_isolated,
    table,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="leave out persistent delays")
    parser.add_argument("--debug", action="store_true", help="run every command with debug logs")
    parser.add_argument("--workers", type=int, default=12, help="cells run at once (default 12)")
    args = parser.parse_args(argv)
    selected = cases(quick=args.quick)
    with tempfile.TemporaryDirectory(prefix="scribeauth-faults-") as tmp:
        print(
            f"{len(selected)} cells, {args.workers} at a time "
            f"(about {estimated_seconds(selected, args.workers):.0f} s)...",
            file=sys.stderr,
            flush=True,
        )
        started = time.monotonic()
        outcomes = run_isolated(
            selected, Path(tmp), workers=args.workers, debug=args.debug, fast_retries=False
        )
        elapsed = time.monotonic() - started
    print(
        "Each cell: transient fault (fires once) / persistent fault (fires on all "
        f"{MAX_ATTEMPTS} attempts botocore makes).\n`ok (N)`: exit 0; `exit 6 (N)`: a one-line "
        "error and exit 6 (Cognito unavailable); N = requests of that operation the stack saw.\n"
        f"delay = {READ_TIMEOUT + 1} s, over the {READ_TIMEOUT} s read timeout.\n"
    )
    print(table(outcomes))
    bad = [o for o in outcomes if o.problems]
    leaks = [(o, leaked(o)) for o in outcomes if leaked(o)]
    print(
        f"\n{len(outcomes)} cells in {elapsed:.0f} s: {len(outcomes) - len(bad)} as expected "
        f"(exit code, attempts, one stderr line, empty or Version 1 stdout, cache readable, "
        f"0600/0700, no temp files), {len(bad)} not; secrets leaked in {len(leaks)}."
    )
    slowest = max(outcomes, key=lambda o: o.seconds)
    print(
        f"Slowest cell: {slowest.case.id}, {slowest.seconds:.0f} s until "
        f"{'success' if slowest.exit_code == 0 else f'exit {slowest.exit_code}'}."
    )
    for outcome in bad:
        print(
            f"  {outcome.case.id}: {'; '.join(outcome.problems)} | {outcome.stderr.strip()[:300]}"
        )
    for outcome, where in leaks:
        print(f"  {outcome.case.id}: LEAK {', '.join(where)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
