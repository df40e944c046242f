"""Interactive ``scribeauth`` commands through a pseudo-terminal.

Each command runs in a new session whose controlling terminal is a pty, so ``/dev/tty`` is the
pty: the test reads the prompts from the master side and types the answers, each only after its
prompt is shown. stdout and stderr stay pipes (except where the spinner is under test).
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pyotp

from scribeauth.cli.console import Spinner
from scribeauth.config import aws_config_path, load_profile, write_profile
from scribeauth.local.stack import LocalStack
from scribeauth.local.testing import BIN, write_srp_disabled_profile
from scribeauth.local.testing.pty import PtyCommand
from scribeauth.local.testing.pty import pty_command as run_on_pty

PROFILE = "scribe"


@contextlib.contextmanager
def pty_command(argv: list[str], *, stderr_to_tty: bool = False) -> Iterator[PtyCommand]:
    """``scribeauth ARGV`` with a pty as its terminal."""
    with run_on_pty([str(BIN / "scribeauth"), *argv], stderr_to_tty=stderr_to_tty) as command:
        yield command


def configure(stack: LocalStack, user: str, *, identity_pool: bool = True) -> None:
    seed_user = stack.seed.users[user]
    settings = {
        "region": stack.seed.region,
        "scribe_client_id": seed_user.client_id,
        "scribe_user_pool_id": seed_user.user_pool_id,
        "scribe_username": seed_user.username,
    }
    if identity_pool:
        settings["scribe_identity_pool_id"] = stack.seed.identity_pool_id
    write_profile(aws_config_path(), PROFILE, settings)


def test_login_asks_for_password_and_mfa_code_on_the_terminal(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    assert bob.totp_secret is not None
    configure(stack, "bob")
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for bob: ")
        term.type(bob.password)
        term.expect("MFA code from your authenticator app: ")
        term.type(pyotp.TOTP(bob.totp_secret).at(stack.now()))
        code, out, err = term.finish()
    assert code == 0, err
    assert "Signed in to profile 'scribe' as bob" in out
    assert bob.password not in term.screen  # not echoed
    assert stack.recorder.count("RespondToAuthChallenge", "SOFTWARE_TOKEN_MFA") == 1


def test_login_new_password_required_asks_twice(stack: LocalStack) -> None:
    carol = stack.seed.users["carol"]
    configure(stack, "carol")
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for carol: ")
        term.type(carol.password)
        term.expect("A new password is required")
        term.expect("New password: ")
        term.type("Carol-New-Passw0rd!")
        term.expect("New password again: ")
        term.type("Carol-Typo-Passw0rd!")
        term.expect("differ")
        term.expect("New password: ")
        term.type("Carol-New-Passw0rd!")
        term.expect("New password again: ")
        term.type("Carol-New-Passw0rd!")
        code, out, err = term.finish()
    assert code == 0, err
    assert "as carol" in out
    assert "Carol-New-Passw0rd!" not in term.screen
    assert stack.recorder.count("RespondToAuthChallenge", "NEW_PASSWORD_REQUIRED") == 1


def test_login_select_mfa_type_asks_which(stack: LocalStack) -> None:
    frank = stack.seed.users["frank"]
    assert frank.totp_secret is not None
    configure(stack, "frank")
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for frank: ")
        term.type(frank.password)
        term.expect("Which MFA method?")
        menu = term.expect(re.compile(r"(?s).*Choose 1-2: "))
        assert "SOFTWARE_TOKEN_MFA" in menu
        assert "SMS_MFA" in menu
        term.type("SOFTWARE_TOKEN_MFA")
        term.expect("MFA code from your authenticator app: ")
        term.type(pyotp.TOTP(frank.totp_secret).at(stack.now()))
        code, out, err = term.finish()
    assert code == 0, err
    assert "as frank" in out
    assert stack.recorder.count("RespondToAuthChallenge", "SELECT_MFA_TYPE") == 1


def test_login_mfa_setup_shows_the_uri_and_a_qr_code(stack: LocalStack) -> None:
    gina = stack.seed.users["gina"]
    configure(stack, "gina", identity_pool=False)  # her pool is not the identity pool's
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for gina: ")
        term.type(gina.password)
        uri = term.expect(re.compile(r"otpauth://\S+"))
        qr = term.expect("Code from the app: ")
        assert "\u2588" in term.screen[term.screen.index(uri) :]  # segno's block characters
        assert qr
        secret = parse_qs(urlsplit(uri).query)["secret"][0]
        term.type(pyotp.TOTP(secret).at(stack.now()))
        code, out, err = term.finish()
    assert code == 0, err
    assert "as gina" in out
    assert secret not in out + err  # the secret went to the terminal only


def test_configure_asks_for_each_setting(stack: LocalStack) -> None:
    seed = stack.seed
    with pty_command(["configure", "--profile", PROFILE]) as term:
        term.expect("App client id: ")
        term.type(seed.public_client_id)
        term.expect("User pool id (like eu-west-2_AbCdEf123): ")
        term.type("not-a-pool-id")
        term.expect("not a user pool id like")  # told what is wrong, asked again
        term.expect("User pool id (like eu-west-2_AbCdEf123): ")
        term.type(seed.user_pool_id)
        term.expect("Identity pool id")
        term.type(seed.identity_pool_id)
        term.expect("Username")
        term.type("bob")
        term.expect("Region for your API calls [eu-west-2]: ")
        term.type("")  # Enter keeps the default
        code, out, err = term.finish()
    assert code == 0, err
    assert f"Wrote [profile {PROFILE}]" in out
    profile = load_profile(PROFILE)
    assert (profile.client_id, profile.user_pool_id) == (seed.public_client_id, seed.user_pool_id)
    assert (profile.username, profile.region) == ("bob", "eu-west-2")


def test_forgot_password_asks_for_the_code_and_new_password_twice(stack: LocalStack) -> None:
    configure(stack, "alice")
    with pty_command(["forgot-password", "--profile", PROFILE]) as term:
        term.expect("Confirmation code: ")
        code = stack.user_pool.last_code("alice")
        assert code
        term.type(code)
        term.expect("New password: ")
        term.type("Alice-Reset-Passw0rd!")
        term.expect("New password again: ")
        term.type("Alice-Reset-Passw0rd!")
        status, out, err = term.finish()
    assert status == 0, err
    assert "confirmation code was sent" in err
    assert "Password changed for alice" in out


def test_spinner_shows_on_a_terminal_while_waiting(stack: LocalStack) -> None:
    configure(stack, "alice")
    stack.faults.add("GetCredentialsForIdentity", "delay", times=1, delay=1.0)
    argv = ["login", "--profile", PROFILE, "--mfa-code", "000000"]
    with pty_command(argv, stderr_to_tty=True) as term:
        term.expect("Password for alice: ")
        term.type(stack.seed.users["alice"].password)
        term.expect("Signing in...")
        code, out, _ = term.finish()
    assert code == 0
    assert "as alice" in out
    assert "\r\x1b[K" in term.screen  # erased when done


def test_spinner_stays_silent_off_a_terminal_and_for_short_waits() -> None:
    import io

    stream = io.StringIO()
    spinner = Spinner(stream, "waiting", delay=0.0).start()
    time.sleep(0.15)
    spinner.stop()
    assert stream.getvalue() == ""

    master, slave = os.openpty()
    try:
        with os.fdopen(os.dup(slave), "w") as tty:
            quick = Spinner(tty, "quick", delay=5.0).start()
            quick.stop()
        assert not select.select([master], [], [], 0.1)[0]
    finally:
        os.close(master)
        os.close(slave)


# -- an app client without SRP: ask once before the password leaves (issue 11, item 2) ----------


def test_without_srp_a_yes_pins_the_password_flow_and_signs_in(stack: LocalStack) -> None:
    write_srp_disabled_profile(stack)
    password = stack.seed.users["alice"].password
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for alice: ")
        term.type(password)
        term.expect("Send the password to Cognito? [y/N] ")
        assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
        term.type("y")
        term.expect("Password for alice: ")
        term.type(password)
        code, out, err = term.finish()
    assert code == 0, err
    assert "Signed in" in out
    assert "scribe_auth_flow = USER_PASSWORD_AUTH" in err
    assert load_profile(PROFILE).auth_flow == "USER_PASSWORD_AUTH"
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 1
    assert "Send the password" not in term.screen[term.screen.index("[y/N]") + 5 :]


def test_without_srp_a_no_sends_nothing_and_pins_nothing(stack: LocalStack) -> None:
    write_srp_disabled_profile(stack)
    password = stack.seed.users["alice"].password
    with pty_command(["login", "--profile", PROFILE]) as term:
        term.expect("Password for alice: ")
        term.type(password)
        term.expect("Send the password to Cognito? [y/N] ")
        term.type("")
        code, _, err = term.finish()
    assert code == 3
    assert err.count("\n") == 1
    assert "--auth-flow USER_PASSWORD_AUTH" in err
    assert load_profile(PROFILE).auth_flow is None
    assert stack.recorder.count("InitiateAuth", "USER_PASSWORD_AUTH") == 0
    assert password.encode() not in b"\n".join(stack.recorder.raw_bodies)
