"""``python -m scribeauth``: the 1.x command, printing a user's tokens as JSON.

    python -m scribeauth --client_id ID --user_pool_id POOL --username NAME [--password PW]
    python -m scribeauth --client_id ID --user_pool_id POOL --refresh_token TOKEN

The password is asked for on the terminal when ``--password`` is left out, and so is an MFA
code. With ``--identity_pool_id`` the output also carries the identity id and AWS credentials.
Errors are one line on stderr and the exit code of their class (see :mod:`scribeauth.errors`).
The ``scribeauth`` command (``scribeauth login``, ``scribeauth-credentials``) is the 2.x way.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .compat import ScribeAuth
from .dialogue import Dialogue
from .errors import ScribeAuthError
from .models import format_expiration

# The MFA steps respond_to_auth_challenge_mfa answers, and the code each asks for (the 1.x API
# answers SELECT_MFA_TYPE by choosing the authenticator app).
_CODE_STEPS = {
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA",
    "SELECT_MFA_TYPE": "SOFTWARE_TOKEN_MFA",
    "SMS_MFA": "SMS_MFA",
    "EMAIL_OTP": "EMAIL_OTP",
}
_COMMAND_LINE_WARNING = (
    "scribeauth: warning: a password on the command line is visible to other users of this "
    "machine (and kept in shell history); leave out --password to be asked for it"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        "python -m scribeauth", description="Print a Scribe user's tokens as JSON (1.x command)."
    )
    parser.add_argument("--client_id", help="Client ID provided by Scribe")
    parser.add_argument("--user_pool_id", help="User pool ID provided by Scribe")
    parser.add_argument(
        "--identity_pool_id",
        help="Identity pool ID provided by Scribe: also print identity_id and credentials",
    )
    parser.add_argument("--username", help="Username")
    parser.add_argument("--password", help="Password (asked for when left out)")
    parser.add_argument("--refresh_token", help="Refresh Token")
    return parser


def _tokens(auth: ScribeAuth, args: argparse.Namespace) -> dict[str, Any]:
    if args.refresh_token:
        return dict(auth.get_tokens(refresh_token=args.refresh_token))
    dialogue = Dialogue(
        fixes={
            "password": "pass --password (or run it on a terminal)",
            "MFA code": "run it on a terminal, or sign in with: scribeauth login --mfa-code CODE",
        }
    )
    password = args.password
    if password is None:
        password = dialogue.password(args.username)
    result: dict[str, Any] = dict(auth.get_tokens(username=args.username, password=password))
    if result.get("challenge_name") in _CODE_STEPS:
        code = dialogue.code(_CODE_STEPS[result["challenge_name"]])
        return dict(auth.respond_to_auth_challenge_mfa(args.username, result["session"], code))
    return result


def main(argv: list[str] | None = None) -> int:
    """Runs the command with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    if argv is None:  # run as the program: it prints tokens; keep them out of core files
        from .coredump import disable

        disable()
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error("--client_id is required")
    if not args.refresh_token and not args.username:
        parser.error("give --username (and --password, or be asked for it) or --refresh_token")
    if args.password is not None:
        print(_COMMAND_LINE_WARNING, file=sys.stderr, flush=True)
    try:
        auth = ScribeAuth(
            {
                "client_id": args.client_id,
                "user_pool_id": args.user_pool_id,
                "identity_pool_id": args.identity_pool_id,
            }
        )
        result = _tokens(auth, args)
        if "challenge_name" in result:
            # 1.x printed the challenge; still do, and say why there are no tokens.
            print(json.dumps(result), flush=True)
            print(
                f"scribeauth: sign-in needs the {result['challenge_name']} step, which this "
                "command cannot answer; run: scribeauth login",
                file=sys.stderr,
            )
            return 4
        if args.identity_pool_id:
            identity_id = auth.get_federated_id(result["id_token"])
            credentials = auth.get_federated_credentials(identity_id, result["id_token"])
            result["identity_id"] = identity_id
            result["credentials"] = {
                **credentials,
                "Expiration": format_expiration(credentials["Expiration"]),
            }
        print(json.dumps(result), flush=True)
    except KeyboardInterrupt:
        print("scribeauth: interrupted", file=sys.stderr)
        return 130
    except ScribeAuthError as err:
        print(f"scribeauth: {err or type(err).__name__}", file=sys.stderr)
        return err.exit_code
    except Exception as err:  # noqa: BLE001 - one line, no traceback; str(err) may hold a secret
        print(f"scribeauth: unexpected error ({type(err).__name__})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
