"""The exception tree of scribeauth.

Every error the library raises derives from :class:`ScribeAuthError`. Each subclass says what
the person or program can do about it, and carries the exit code the command-line tools use
for it (the README has the table)::

    ScribeAuthError                          exit 1   (unexpected; report it)
    ├── ConfigError                          exit 3   fix the profile / flags / config file
    │   ├── MissingIdException (1.x)                  a client, pool or identity id is missing
    │   └── SrpNotAllowedError                        SRP refused: choose to send the password
    ├── SignInRequired                       exit 4   run `scribeauth login --profile NAME`
    │   └── NoTerminalError                           sign-in needs a terminal and none is attached
    ├── UnauthorizedException (1.x)          exit 5   wrong password / MFA code / token refused
    │   ├── CodeMismatchError                         the MFA or confirmation code is wrong
    │   ├── ExpiredCodeError                          the code has expired; ask for a new one
    │   ├── PasswordPolicyError                       the new password breaks the pool's policy
    │   └── UserNotConfirmedError                     the account is not confirmed yet
    ├── ServiceUnavailableError              exit 6   Cognito unreachable / 5xx / timed out: retry
    │   └── TooManyRequestsException (1.x)            throttled even after retries: wait, retry
    ├── ServiceError                         exit 7   Cognito answered in a way we cannot use
    │   ├── AuthFlowNotEnabledError                   the app client does not allow this flow
    │   ├── ResourceNotFoundException (1.x)           a pool, client or identity does not exist
    │   └── UnknownException (1.x)                    a reply lacked what it must carry
    ├── CacheError                           exit 8   the cache folder cannot be written
    └── RefreshBusyError                     exit 9   another process was refreshing the profile
                                                      and failed or did not finish: try again

`KeyboardInterrupt` is not wrapped; the command-line tools exit 130 on it.

Messages never contain a password, a token or a secret key: they name the setting, the profile
or the operation, and the fix. An error made from a Cognito reply carries Cognito's error code
as :attr:`ScribeAuthError.code` (see :mod:`scribeauth.wire`, the one place that translates).
"""

from __future__ import annotations

__all__ = [
    "AuthFlowNotEnabledError",
    "CacheError",
    "CodeMismatchError",
    "ConfigError",
    "ExpiredCodeError",
    "MissingIdException",
    "NoTerminalError",
    "PasswordPolicyError",
    "RefreshBusyError",
    "ResourceNotFoundException",
    "ScribeAuthError",
    "ServiceError",
    "ServiceUnavailableError",
    "SignInRequired",
    "SrpNotAllowedError",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnknownException",
    "UserNotConfirmedError",
]


class ScribeAuthError(Exception):
    """Base class of every scribeauth error.

    Args:
        message: one line saying what went wrong and what to do; never a secret.
        code: Cognito's error code when the error is Cognito's answer
            (``NotAuthorizedException``), else None.

    Attributes:
        exit_code: the exit status the command-line tools use for this class of error.
        code: Cognito's error code, or None (a transport failure, or not from Cognito).
    """

    exit_code: int = 1
    code: str | None

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ConfigError(ScribeAuthError):
    """A setting is missing or invalid (profile, config file, flag, environment variable)."""

    exit_code = 3


class MissingIdException(ConfigError):
    """A required id (client, user pool or identity pool) was not given. 1.x name."""


class SrpNotAllowedError(ConfigError):
    """The app client does not allow SRP and no flow is pinned: signing in would send the password.

    Nothing was sent. The person (or the profile, ``scribe_auth_flow = USER_PASSWORD_AUTH``)
    must choose to send the password to Cognito (over TLS) first.
    """


class SignInRequired(ScribeAuthError):
    """There is no usable session: the user must sign in again (`scribeauth login`)."""

    exit_code = 4


class NoTerminalError(SignInRequired):
    """Signing in needs a person at a terminal, and none is attached."""


class UnauthorizedException(ScribeAuthError):
    """Cognito refused the credentials: wrong password, code or token. 1.x name."""

    exit_code = 5


class CodeMismatchError(UnauthorizedException):
    """The MFA or confirmation code is wrong."""


class ExpiredCodeError(UnauthorizedException):
    """The MFA or confirmation code (or the challenge session) has expired."""


class PasswordPolicyError(UnauthorizedException):
    """The proposed password does not meet the user pool's password policy."""


class UserNotConfirmedError(UnauthorizedException):
    """The account exists but is not confirmed."""


class ServiceUnavailableError(ScribeAuthError):
    """Cognito could not be reached or kept failing after retries; try again later."""

    exit_code = 6


class TooManyRequestsException(ServiceUnavailableError):
    """Cognito throttled the request even after retries; wait and try again. 1.x name."""


class ServiceError(ScribeAuthError):
    """Cognito answered, but not in a way scribeauth can use."""

    exit_code = 7


class AuthFlowNotEnabledError(ServiceError):
    """The app client does not allow the sign-in flow asked for (``USER_SRP_AUTH``, ...).

    Attributes:
        flow: the flow Cognito refused.
    """

    flow: str

    def __init__(self, message: str = "", *, code: str | None = None, flow: str = "") -> None:
        super().__init__(message, code=code)
        self.flow = flow


class ResourceNotFoundException(ServiceError):
    """The user pool, app client or identity does not exist. 1.x name."""


class UnknownException(ServiceError):
    """A reply lacked something it must carry. 1.x name."""


class CacheError(ScribeAuthError):
    """The cache folder or a cache file cannot be written."""

    exit_code = 8


class RefreshBusyError(ScribeAuthError):
    """Another process was refreshing the profile and it failed, or did not finish in time.

    Raised to the processes that waited for it, instead of a doomed attempt of their own; the
    message carries the other process's error when it failed.
    """

    exit_code = 9
