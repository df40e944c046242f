"""The settings a profile has: one row each, naming it in every place it can be given.

Modelled on botocore's config variable table (``botocore.configprovider``): each
:class:`Setting` names the ``scribe_*`` key of the AWS config profile, the ``SCRIBEAUTH_*``
environment variable, the YAML key and the command-line flag, says what a valid value looks
like (a pattern and an example) and whether the value is secret. :mod:`scribeauth.config` walks
this table to resolve a profile, validate it and word its messages; nothing else lists settings.

To add a setting: add a row to :data:`TABLE` and a field of the same name (default None) to
:class:`scribeauth.config.Profile`; ``tests/test_settings.py`` checks that the two agree. Values
stay strings here; a setting that is a number, a flag or a list says so in its ``pattern`` and
is converted where it is used.

Standard library only: this module sits on the ``credential_process`` path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .ids import AUTH_FLOWS, IDENTITY_POOL_ID, PREFERRED_CHALLENGES, REGION, USER_POOL_ID

__all__ = ["NAMES", "TABLE", "Setting", "by_name"]


@dataclass(frozen=True)
class Setting:
    """One profile setting and where it may be given.

    Attributes:
        name: the short name: the :class:`~scribeauth.config.Profile` field and the key
            ``load_profile(flags=...)`` takes.
        ini_key: the key in the AWS config profile (``scribe_client_id``).
        env_var: the environment variable (``SCRIBEAUTH_CLIENT_ID``).
        yaml_key: the key under ``profiles.NAME`` in the YAML file.
        example: what a valid value looks like, for messages ("a region like eu-west-2").
        pattern: a valid value matches it in full (after ``normalize``); None: any text.
        normalize: applied to the value before it is checked and kept (e.g. ``str.upper``).
        secret: the value is never shown (in a message, a ``repr`` or ``status``).
    """

    name: str
    ini_key: str
    env_var: str
    yaml_key: str
    example: str
    pattern: re.Pattern[str] | None = None
    normalize: Callable[[str], str] | None = None
    secret: bool = False

    @property
    def flag(self) -> str:
        """The command-line flag (``--client-id``)."""
        return "--" + self.name.replace("_", "-")

    def valid(self, value: str) -> bool:
        """Whether ``value`` (already normalized) is acceptable."""
        return self.pattern is None or bool(self.pattern.fullmatch(value))


def _setting(
    name: str,
    example: str,
    pattern: re.Pattern[str] | str | None = None,
    *,
    ini_key: str | None = None,
    normalize: Callable[[str], str] | None = None,
    secret: bool = False,
) -> Setting:
    """A row with the usual names: ``scribe_NAME``, ``SCRIBEAUTH_NAME``, YAML key ``NAME``."""
    return Setting(
        name=name,
        ini_key=ini_key or f"scribe_{name}",
        env_var=f"SCRIBEAUTH_{name.upper()}",
        yaml_key=name,
        example=example,
        pattern=re.compile(pattern) if isinstance(pattern, str) else pattern,
        normalize=normalize,
        secret=secret,
    )


#: Every setting, in the order messages and ``configure`` list them.
TABLE: tuple[Setting, ...] = (
    _setting("client_id", "an app client id (letters and digits, no spaces)", r"[\w+]{1,128}"),
    _setting("user_pool_id", "a user pool id like eu-west-2_AbCdEf123", USER_POOL_ID),
    _setting(
        "identity_pool_id",
        "an identity pool id like eu-west-2:00000000-0000-0000-0000-000000000000",
        IDENTITY_POOL_ID,
    ),
    _setting("username", "the name or e-mail address you sign in with"),
    _setting("client_secret", "the app client secret", secret=True),
    _setting(
        "auth_flow",
        " or ".join(AUTH_FLOWS),
        "|".join(AUTH_FLOWS),
        normalize=str.upper,
    ),
    _setting(
        "preferred_challenge",
        "for USER_AUTH, the first factor to try: " + ", ".join(PREFERRED_CHALLENGES),
        "|".join(PREFERRED_CHALLENGES),
        normalize=str.upper,
    ),
    _setting(
        "remember_device",
        "true or false (remember this device when the user pool asks)",
        r"true|false|yes|no|1|0|on|off",
        normalize=str.lower,
    ),
    _setting(
        "role_arn",
        "an IAM role ARN like arn:aws:iam::123456789012:role/NAME",
        r"arn:aws[a-z-]*:iam::\d{12}:role/\S+",
    ),
    # The profile's own region (for the user's API calls), the AWS CLI's key.
    _setting("region", "a region like eu-west-2", REGION, ini_key="region"),
    # Browser sign-in through managed login (scribeauth.browser_login).
    _setting(
        "domain",
        "a user pool domain like https://auth.example.com",
        r"(?:https?://)?[A-Za-z0-9.-]+(?::\d{1,5})?/?|http://\[::1\](?::\d{1,5})?/?",
    ),
    _setting(
        "identity_provider", "an identity provider name like Google or MySAML", r"[\w.@+-]{1,128}"
    ),
    _setting(
        "scopes",
        "scopes separated by spaces, like 'openid email'",
        r"[\w.:/+-]+(?: +[\w.:/+-]+)*",
    ),
    _setting(
        "redirect_port",
        "a port number like 8400",
        r"[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]",
    ),
    _setting("login", "password or browser", "password|browser", normalize=str.lower),
    # Custom API domains `scribeauth request` may sign for (scribeauth.endpoints).
    _setting(
        "api_hosts",
        "host names like api.example.com, *.example.com (comma-separated)",
        r"(?:\*\.)?[a-z0-9][a-z0-9.-]*(?:[,\s]+(?:\*\.)?[a-z0-9][a-z0-9.-]*)*",
        normalize=str.lower,
    ),
    # How long a refresh without a person may take, in seconds (scribeauth.deadline).
    _setting("refresh_deadline", "a number of seconds like 20", r"[1-9][0-9]{0,3}(?:\.[0-9]+)?"),
)

#: The short names, in table order.
NAMES: tuple[str, ...] = tuple(setting.name for setting in TABLE)
_BY_NAME = {setting.name: setting for setting in TABLE}


def by_name(name: str) -> Setting:
    """The row of a setting by its short name.

    Raises:
        KeyError: there is no such setting.
    """
    return _BY_NAME[name]
