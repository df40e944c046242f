"""scribeauth: Cognito-federated AWS credentials for Scribe, in the standard AWS credential chain.

Names are loaded on first use (PEP 562) so that ``scribeauth-credentials`` on a cache hit imports
only the standard library.
"""

from __future__ import annotations

import importlib

# Not `from typing import ...`: importing typing costs ~2 ms on the cache-hit path.
# Type checkers treat any constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "2.0.0"

_LAZY = {
    "CacheError": "errors",
    "CodeMismatchError": "errors",
    "ConfigError": "errors",
    "ExpiredCodeError": "errors",
    "MissingIdException": "errors",
    "NoTerminalError": "errors",
    "PasswordPolicyError": "errors",
    "ResourceNotFoundException": "errors",
    "ScribeAuthError": "errors",
    "ServiceError": "errors",
    "ServiceUnavailableError": "errors",
    "SignInRequired": "errors",
    "TooManyRequestsException": "errors",
    "UnauthorizedException": "errors",
    "UnknownException": "errors",
    "UserNotConfirmedError": "errors",
    "AwsCredentials": "models",
    "Broker": "credentials",
    "IdentityPoolClient": "identity_pool",
    "Profile": "config",
    "ScribeAuth": "compat",
    "ScribeCredentialProvider": "provider",
    "SignIn": "login",
    "Status": "status",
    "boto3_session": "provider",
    "install": "provider",
    "load_profile": "config",
    "Challenge": "models",
    # 1.x exported its token dict type under this name; the dataclass is scribeauth.models.Tokens.
    "Tokens": "compat",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scribeauth' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
