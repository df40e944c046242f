"""The sign-in dialogue: what to ask a person for each step Cognito wants, and in which words.

The one home of the challenge -> prompt mapping and of the new-password loop, shared by the
broker (``scribeauth login``, ``scribeauth-credentials`` on a terminal), the ``scribeauth``
command's password commands and ``python -m scribeauth``. :class:`Dialogue` talks to a
:class:`~scribeauth.prompt.Terminal` (``/dev/tty`` unless given one) and opens it only when it
has something to ask, so a dialogue that needs nothing never touches the terminal.

Standard library and our bottom modules only; :mod:`scribeauth.login` is only a type here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence

from .errors import ConfigError, NoTerminalError, ServiceError, UnauthorizedException
from .models import Challenge, Tokens

# Not `from typing import TYPE_CHECKING`: the broker imports this module on the cache-hit path
# of the in-process provider; keep it as light as the rest.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .login import SignIn
    from .prompt import Terminal

__all__ = ["CODE_PROMPTS", "MAX_STEPS", "NO_TERMINAL_FIXES", "Dialogue"]

#: What to show when asking for the code of each MFA challenge.
CODE_PROMPTS = {
    "SOFTWARE_TOKEN_MFA": "MFA code from your authenticator app: ",
    "SMS_MFA": "Code sent to your phone: ",
    "EMAIL_OTP": "Code sent to your e-mail: ",
    "SMS_OTP": "Code sent to your phone: ",
}
_FACTORS = {
    "PASSWORD_SRP": "password",
    "PASSWORD": "password (sent to Cognito)",
    "EMAIL_OTP": "a code sent to your e-mail",
    "SMS_OTP": "a code sent to your phone",
}
#: What to do instead of answering, when there is no terminal to ask on: ``scribeauth login``'s
#: flags by default; ``python -m scribeauth`` passes its own.
NO_TERMINAL_FIXES = {
    "username": "set scribe_username in the profile, or pass --username",
    "password": "pass it on stdin: --password-stdin",
    "MFA code": "pass it: --mfa-code CODE",
    "new password": "run scribeauth login on a terminal once to set it",
    "MFA method": "run scribeauth login on a terminal once to choose it",
    "confirmation code": "pass it: --code CODE",
    "sign-in method": "set scribe_preferred_challenge (EMAIL_OTP, SMS_OTP or PASSWORD_SRP)",
}
#: Sign-in steps one person may need at most (password, MFA choice, MFA set-up, new password...).
MAX_STEPS = 8
_NEW_PASSWORD_TRIES = 3


class Dialogue:
    """Asks a person what signing in (or changing a password) needs.

    Args:
        terminal: where to ask (default ``/dev/tty``, opened on the first question).
        fixes: what a person without a terminal should do instead, per question
            (default :data:`NO_TERMINAL_FIXES`); named in the :class:`NoTerminalError`.
    """

    def __init__(
        self, terminal: Terminal | None = None, *, fixes: Mapping[str, str] | None = None
    ) -> None:
        self._terminal = terminal
        self._fixes = NO_TERMINAL_FIXES if fixes is None else {**NO_TERMINAL_FIXES, **fixes}

    def __repr__(self) -> str:
        return f"Dialogue(terminal={self._terminal!r})"

    @property
    def terminal(self) -> Terminal:
        """The terminal questions go to.

        Raises nothing: without a terminal, the first question raises
        :class:`~scribeauth.errors.NoTerminalError`.
        """
        if self._terminal is None:
            from .prompt import Terminal

            self._terminal = Terminal()
        return self._terminal

    @contextlib.contextmanager
    def _asking(self, what: str) -> Iterator[None]:
        """Turns "no terminal" into a line naming what was asked for and what to do instead."""
        try:
            yield
        except NoTerminalError as err:
            raise NoTerminalError(
                f"no terminal to ask for the {what} on; {self._fixes[what]}"
            ) from err

    # -- single questions -------------------------------------------------------------------------

    def say(self, text: str) -> None:
        """Shows one line."""
        self.terminal.say(text)

    def username(self) -> str:
        """Asks who is signing in."""
        with self._asking("username"):
            return self.terminal.ask("Username: ").strip()

    def password(self, username: str) -> str:
        """Asks for ``username``'s password, without echo."""
        with self._asking("password"):
            return self.terminal.ask_secret(f"Password for {username}: ")

    def current_password(self) -> str:
        """Asks for the password in use, without echo (to change it)."""
        return self.terminal.ask_secret("Current password: ")

    def code(self, challenge_name: str) -> str:
        """Asks for the code an MFA challenge (``SOFTWARE_TOKEN_MFA``, ``SMS_MFA``,
        ``EMAIL_OTP``) wants."""
        with self._asking("MFA code"):
            return self.terminal.ask(CODE_PROMPTS[challenge_name]).strip()

    def confirmation_code(self) -> str:
        """Asks for the code Cognito sent to reset a forgotten password."""
        with self._asking("confirmation code"):
            return self.terminal.ask("Confirmation code: ").strip()

    def new_password(self) -> str:
        """Asks for a new password twice, until both match (three tries).

        Raises:
            UnauthorizedException: three times the two did not match (or were empty).
        """
        with self._asking("new password"):
            for _ in range(_NEW_PASSWORD_TRIES):
                first = self.terminal.ask_secret("New password: ")
                if first and self.terminal.ask_secret("New password again: ") == first:
                    return first
                self.say("The passwords differ (or are empty); try again.")
        raise UnauthorizedException("the new password was not typed the same way twice")

    def choose_mfa(self, options: Sequence[str]) -> str:
        """Asks which MFA method to use."""
        with self._asking("MFA method"):
            return self.terminal.choose("Which MFA method?", options)

    def can_ask(self) -> bool:
        """Whether a person can be asked (a terminal is attached)."""
        return self.terminal.has_terminal()

    def remember_device(self) -> bool:
        """Asks whether to remember this device (Cognito may then skip the MFA code on it)."""
        answer = self.terminal.ask(
            "Remember this device? Cognito may then skip the MFA code here [y/N]: "
        )
        return answer.strip().lower() in ("y", "yes")

    # -- a whole sign-in --------------------------------------------------------------------------

    def sign_in(
        self,
        client: SignIn,
        username: str,
        password: str | None = None,
        *,
        mfa_code: str | None = None,
        profile_name: str,
    ) -> Tokens:
        """Signs ``username`` in, asking for whatever Cognito wants that was not given.

        Args:
            client: the user pool's sign-in flows.
            username: who signs in.
            password: the password; asked for when None and needed (USER_AUTH may need a
                code instead, or the password only once Cognito asks for it).
            mfa_code: the code for the first code challenge (MFA, or a passwordless
                sign-in's e-mail or SMS code); asked for when None.
            profile_name: named in errors.

        Returns:
            The tokens.

        Raises:
            NoTerminalError: something must be asked and no terminal is attached.
            UnauthorizedException: wrong password or code, or new passwords that never matched.
            ServiceError: Cognito asked for a step scribeauth does not answer, or too many.
        """
        if password is None and client.password_first:
            password = self.password(username)
        step: Tokens | Challenge = client.start(username, password)
        for _ in range(MAX_STEPS):
            if isinstance(step, Tokens):
                return step
            if step.name in ("PASSWORD_VERIFIER", "SELECT_CHALLENGE"):
                step, password = self._choose(client, step, username, password)
                continue
            step, mfa_code = self._answer(client, step, mfa_code)
        if isinstance(step, Tokens):
            return step
        raise ServiceError(
            f"signing in to profile '{profile_name}' took more than {MAX_STEPS} steps; "
            "Cognito keeps asking, check the user pool's settings"
        )

    def _choose(
        self, client: SignIn, challenge: Challenge, username: str, password: str | None
    ) -> tuple[Tokens | Challenge, str | None]:
        """USER_AUTH's own steps: the password Cognito now asks for, or the factor to use."""
        from .choice import PASSKEY_HINT, available_challenges

        if challenge.name == "PASSWORD_VERIFIER":
            password = password if password is not None else self.password(username)
            return client.answer(challenge, password=password), password
        offered = [c for c in available_challenges(challenge) if c in _FACTORS]
        if not offered:
            raise ConfigError(PASSKEY_HINT)
        if client.preferred_challenge in offered:
            choice = client.preferred_challenge
        elif len(offered) == 1:
            choice = offered[0]
        else:
            labels = [_FACTORS[c] for c in offered]
            with self._asking("sign-in method"):
                picked = self.terminal.choose("Sign in with?", labels)
            choice = offered[labels.index(picked)]
        if choice in ("PASSWORD", "PASSWORD_SRP") and password is None:
            password = self.password(username)
        return client.answer(challenge, choice, password=password), password

    def _answer(
        self, client: SignIn, challenge: Challenge, mfa_code: str | None
    ) -> tuple[Tokens | Challenge, str | None]:
        """One sign-in step; returns the next step and the MFA code not yet used."""
        name = challenge.name
        if name in CODE_PROMPTS:
            code = mfa_code if mfa_code is not None else self.code(name)
            return client.answer(challenge, code), None
        if name == "NEW_PASSWORD_REQUIRED":
            with self._asking("new password"):
                self.say("A new password is required for this account.")
            return client.answer(challenge, new_password=self.new_password()), mfa_code
        if name == "SELECT_MFA_TYPE":
            choice = self.choose_mfa(_mfa_options(challenge))
            return client.answer(challenge, mfa_type=choice), mfa_code
        if name == "MFA_SETUP":
            setup = client.setup_totp(challenge)
            with self._asking("MFA code"):
                self.say("Set up an authenticator app: add this account to it (scan or paste):")
                self.say(setup.uri)
                if mfa_code is None:
                    mfa_code = self.terminal.ask("Code from the app: ").strip()
            return client.finish_totp_setup(challenge, setup, mfa_code), None
        raise ServiceError(
            f"Cognito asked for a sign-in step scribeauth does not support ({name}); "
            "ask Scribe to check the user pool's settings"
        )


def _mfa_options(challenge: Challenge) -> list[str]:
    raw = challenge.parameters.get("MFAS_CAN_CHOOSE", "[]")
    try:
        options = json.loads(raw)
    except ValueError:
        options = []
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options) or not options:
        raise ServiceError("Cognito asked to choose an MFA method but offered none")
    return options
