"""The public surface of ``scribeauth``: pinned, importable, and lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import scribeauth

EXPECTED = {
    "AwsCredentials",
    "Broker",
    "CacheError",
    "Challenge",
    "CodeMismatchError",
    "ConfigError",
    "ExpiredCodeError",
    "IdentityPoolClient",
    "MissingIdException",
    "NoTerminalError",
    "PasswordPolicyError",
    "Profile",
    "ResourceNotFoundException",
    "ScribeAuth",
    "ScribeAuthError",
    "ScribeCredentialProvider",
    "ServiceError",
    "ServiceUnavailableError",
    "SignIn",
    "SignInRequired",
    "Status",
    "Tokens",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnknownException",
    "UserNotConfirmedError",
    "__version__",
    "boto3_session",
    "install",
    "load_profile",
}


def test_all_is_pinned() -> None:
    assert set(scribeauth.__all__) == EXPECTED
    assert scribeauth.__all__ == sorted(scribeauth.__all__)


def test_every_name_resolves() -> None:
    for name in scribeauth.__all__:
        assert getattr(scribeauth, name) is not None, name


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        scribeauth.NoSuchThing  # noqa: B018


def test_1x_names_are_importable_from_both_module_paths() -> None:
    from scribeauth import (
        MissingIdException,
        ResourceNotFoundException,
        ScribeAuth,
        ScribeAuthError,
        TooManyRequestsException,
        UnauthorizedException,
        UnknownException,
    )
    from scribeauth import scribeauth as old_module

    assert old_module.ScribeAuth is ScribeAuth
    for exc in (
        MissingIdException,
        ResourceNotFoundException,
        TooManyRequestsException,
        UnauthorizedException,
        UnknownException,
    ):
        assert issubclass(exc, ScribeAuthError)
        assert getattr(old_module, exc.__name__) is exc


def test_1x_tokens_type_keeps_its_dict_shape() -> None:
    tokens = scribeauth.Tokens(refresh_token="r", access_token="a", id_token="i")
    assert tokens["id_token"] == "i"


def test_import_is_lazy() -> None:
    code = (
        "import sys, scribeauth; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'botocore', 'boto3', 'yaml', 'typing'} or m.startswith('scribeauth.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
