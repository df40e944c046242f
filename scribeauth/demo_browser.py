"""``scribeauth demo --browser``: browser sign-in through managed login on the local stack.

The same isolation as :mod:`scribeauth.demo` (a throwaway AWS config and cache in a temporary
folder, removed at the end), then:

1. start the local stack (its managed login: sign-in page, TOTP page, a fake "Example SSO");
2. write a ``demo`` profile with ``scribe_domain``, ``scribe_redirect_port`` and
   ``scribe_login = browser``;
3. open the managed-login page in your browser and wait for you to sign in (the "Sign in with
   Example SSO" button needs no password); PKCE, ``state`` and the id token's ``nonce`` and
   signature are checked;
4. ``boto3.Session(profile_name="demo")`` runs ``credential_process`` from the cache and STS
   ``GetCallerIdentity`` goes to the stack's gateway;
5. sign out: the refresh token is revoked at ``/oauth2/revoke`` and refused afterwards.

No secret is reported. Needs the ``local`` extra.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .demo_environment import environment, isolated_environment, local_stack_class
from .errors import SignInRequired

if TYPE_CHECKING:
    from .local.stack import LocalStack

__all__ = ["PROFILE", "run"]

PROFILE = "demo"
_STEPS = 5


def run(
    report: Callable[[str], None],
    *,
    open_url: Callable[[str], bool] | None = None,
    timeout: float = 300.0,
) -> int:
    """Runs the browser demo, reporting each step; cleans up whatever happens.

    Args:
        report: called with each line of output.
        open_url: opens the sign-in URL (default: the standard library's :mod:`webbrowser`).
        timeout: seconds to wait for the person to sign in.

    Returns:
        0 when every step succeeded.

    Raises:
        ConfigError: the ``local`` extra is not installed.
        ScribeAuthError: a step failed (after cleaning up).
    """
    stack_class = local_stack_class()

    report("scribeauth demo --browser: managed login against a local Scribe stack (loopback only)")
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="scribeauth-demo-"))
    stack: LocalStack | None = None
    try:
        with environment(isolated_environment(folder)):
            stack = stack_class().start()
            report(f"[1/{_STEPS}] Started the local Scribe stack at {stack.endpoint_url}")
            report(f"      managed login: {stack.endpoint_url}/login (Example SSO, TOTP for bob)")
            with environment(stack.env()):
                _flow(stack, folder, report, open_url, timeout)
    finally:
        if stack is not None:
            stack.stop()
        shutil.rmtree(folder, ignore_errors=True)
    report(f"Stopped the local stack and removed {folder}.")
    report(f"Done in {time.perf_counter() - started:.2f} s.")
    return 0


def _flow(
    stack: LocalStack,
    folder: Path,
    report: Callable[[str], None],
    open_url: Callable[[str], bool] | None,
    timeout: float,
) -> None:
    import socket

    import boto3

    from . import browser_login
    from .config import load_profile, write_profile
    from .credentials import Broker

    seed = stack.seed
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    stack.managed_login.register_callback(
        seed.public_client_id, f"http://localhost:{port}/callback"
    )
    command = f"{shlex.quote(sys.executable)} -m scribeauth.credential_process --profile {PROFILE}"
    settings = {
        "region": seed.region,
        "credential_process": command,
        "scribe_client_id": seed.public_client_id,
        "scribe_user_pool_id": seed.user_pool_id,
        "scribe_identity_pool_id": seed.identity_pool_id,
        "scribe_domain": stack.endpoint_url,
        "scribe_redirect_port": str(port),
        "scribe_login": "browser",
    }
    write_profile(folder / "config", PROFILE, settings)
    report(f"[2/{_STEPS}] Wrote a throwaway AWS config: [profile {PROFILE}]")
    for key in ("scribe_domain", "scribe_redirect_port", "scribe_login"):
        report(f"      {key} = {settings[key]}")

    broker = Broker(load_profile(PROFILE))
    report(f"[3/{_STEPS}] Sign in in the browser: click 'Sign in with Example SSO', then Continue")
    report("      (or sign in as alice with the password `scribeauth local-stack` prints)")
    began = time.perf_counter()
    entry = browser_login.sign_in(
        broker,
        show=lambda line: report(f"      {line}"),
        open_url=open_url,
        timeout=timeout,
    )
    tokens = entry.tokens
    assert tokens is not None
    who = tokens.username or "?"
    report(f"      signed in as {who} ({time.perf_counter() - began:.2f} s)")
    report(
        f"      state and PKCE checked, id token signature and nonce verified; token calls: "
        f"{stack.recorder.count('oauth2/token')}"
    )

    stack.recorder.reset()
    session = boto3.Session(profile_name=PROFILE)
    identity = session.client("sts").get_caller_identity()
    report(f"[4/{_STEPS}] boto3 ran credential_process (from the cache) and called STS")
    report(f"      {identity['Arn']}")
    calls = stack.recorder.count("InitiateAuth") + stack.recorder.count("GetTokensFromRefreshToken")
    report(f"      user-pool calls for it: {calls}")

    refresh_token = tokens.refresh_token
    revoked = browser_login.sign_out(broker).revoked
    refused = False
    if refresh_token:
        try:
            browser_login.refresh(broker.profile, refresh_token)
        except SignInRequired:
            refused = True
    report(
        f"[5/{_STEPS}] Signed out: refresh token revoked at /oauth2/revoke: "
        f"{'yes' if revoked else 'no'}; refused afterwards: {'yes' if refused else 'no'}"
    )
