"""A long-running child of ``scribeauth exec --server`` outliving several credential sets.

Usage::

    python benchmarks/long_child.py                  # 21 calls 10 s apart, 90 s credentials
    python benchmarks/long_child.py --calls 10 --every 2.5 --lifetime 15   # the test's form

Against a strict local stack it starts itself (no network, no account), issue 13's must-show at
full length: boto3, the AWS CLI and the AWS SDK for JavaScript v3 (``tests/js``) side by side as
the child, each making an STS GetCallerIdentity call every 10 s for 200 s with credentials from
the endpoint, against identity-pool credentials that live 90 s. It prints the calls made and
verified by the gateway per consumer, the credential sets each signed with, and the refreshes
that reached the identity pool. ``tests/test_container_server.py`` asserts the same with time
compressed (``scribeauth.local.testing.consumers`` is shared by both).

Exits 0 when every call was verified and 3 or more credential sets were issued, 1 otherwise, 2
when the AWS CLI (the ``test`` extra) or node and npm are missing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from scribeauth.local.testing import isolated, signed_in, write_profile
from scribeauth.local.testing.consumers import CONSUMERS, aws_cli, node_for, run_consumers

JS_DIR = Path(__file__).resolve().parent.parent / "tests" / "js"
NAMES = {"boto3": "boto3", "cli": "AWS CLI", "js": "JavaScript SDK"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=21, help="calls per consumer (21)")
    parser.add_argument("--every", type=float, default=10, help="seconds between calls (10)")
    parser.add_argument("--lifetime", type=int, default=90, help="credential lifetime, s (90)")
    args = parser.parse_args(argv)
    cli, node = aws_cli(), node_for(JS_DIR)
    if cli is None or node is None:
        print("long_child: needs the AWS CLI (pip install -e '.[test]') and node with npm")
        return 2
    try:
        from scribeauth.local.stack import LocalStack
    except ImportError as err:
        sys.exit(f"benchmarks need the local stack: pip install 'scribeauth[local]' ({err})")
    planned = (args.calls - 1) * args.every
    print(
        f"long_child: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n"
        f"scribeauth exec --server, child: boto3 + AWS CLI + JavaScript SDK side by side, "
        f"{args.calls} STS calls each, {args.every:g} s apart ({planned:g} s), "
        f"{args.lifetime} s credentials",
        flush=True,
    )
    # Real retry back-off, as a user has it.
    with (
        tempfile.TemporaryDirectory(prefix="scribeauth-long-child-") as tmp,
        isolated(Path(tmp), fast_retries=False),
        LocalStack(credential_lifetime=args.lifetime) as stack,
    ):
        os.environ["AWS_ENDPOINT_URL"] = stack.endpoint_url
        write_profile(stack)
        signed_in(stack)  # the first set; the recorder starts here
        result = run_consumers(
            stack, cli=cli, node=node, js_dir=JS_DIR, calls=args.calls, every=args.every,
            out=Path(tmp) / "out", timeout=planned * 2 + 120,
        )  # fmt: skip
        at_gateway = stack.recorder.count("GetCallerIdentity")
        refreshes = stack.recorder.count("GetCredentialsForIdentity")
    issued = 1 + refreshes
    print(f"\nexit {result.returncode} after {result.seconds:.0f} s")
    for consumer in CONSUMERS:
        sets = result.credential_sets(consumer)
        print(
            f"  {NAMES[consumer]:<15} {len(result.replies[consumer])} calls made, "
            f"{result.verified(consumer)} verified; credential sets signed with: "
            + (str(sets) if consumer != "cli" else "not shown by the CLI")
        )
    print(
        f"  gateway: {at_gateway} GetCallerIdentity requests for {3 * args.calls} calls\n"
        f"  identity pool: {refreshes} refreshes (GetCredentialsForIdentity) after sign-in, "
        f"{issued} credential sets issued in all"
    )
    problems = result.problems()
    if at_gateway != 3 * args.calls:
        problems.append(f"the gateway saw {at_gateway} requests, not {3 * args.calls}")
    if issued < 3:
        problems.append(f"{issued} credential sets issued, fewer than 3")
    for problem in problems:
        print(f"FAIL: {problem}")
    if problems:
        for name, text in result.stderr.items():
            if text.strip():
                print(f"--- {name} stderr (end) ---\n{text.rstrip()}")
        return 1
    print("PASS: every call verified by the gateway, 3 or more credential sets issued")
    return 0


if __name__ == "__main__":
    sys.exit(main())
