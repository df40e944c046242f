"""The one place that builds botocore clients for Cognito.

Clients are unsigned (Cognito's sign-in and identity-pool calls need no AWS credentials), so the
library never walks the credential chain and cannot recurse into its own ``credential_process``.
Endpoints resolve the standard way, because botocore does it natively once the session sees the
right profile: ``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER``,
``AWS_ENDPOINT_URL_COGNITO_IDENTITY`` and the ``services`` sections of the AWS config file.

Creating a client costs tens of milliseconds, so clients are kept per process, keyed by everything
that changes what they talk to.

For tests only, ``SCRIBEAUTH_TEST_MAX_BACKOFF`` (seconds) caps botocore's back-off between retries,
so a test of a persistent failure still makes every attempt without sleeping through the real
back-off. Users never set it: unset, botocore's own back-off applies unchanged.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Literal

from .errors import ConfigError

__all__ = ["Service", "clear_cache", "make_client"]

Service = Literal["cognito-idp", "cognito-identity"]

USER_AGENT_EXTRA = "scribeauth/2.0.0"
#: botocore's ``max_attempts`` counts retries: a first try and up to 4 retries.
RETRIES = 4
#: For tests only: the longest back-off between retries, in seconds (see the module docstring).
TEST_MAX_BACKOFF_ENV = "SCRIBEAUTH_TEST_MAX_BACKOFF"

# Anything here changes which endpoint or profile a new client would use.
_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_CA_BUNDLE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "HOME",
    TEST_MAX_BACKOFF_ENV,
)

_lock = threading.Lock()
_clients: dict[tuple[Any, ...], Any] = {}
# botocore's service and endpoint data, parsed once per process (per AWS_DATA_PATH).
_loaders: dict[str | None, Any] = {}


def _file_stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(os.path.expanduser(path))
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _cache_key(service: str, region: str, profile: str | None) -> tuple[Any, ...]:
    env = tuple(os.environ.get(name) for name in _ENV_KEYS)
    # The config file's `services` sections can change under the same path (tests, `aws configure`).
    config_file = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    return (service, region, profile, env, _file_stamp(config_file))


def _session(profile: str | None) -> Any:
    import botocore.exceptions
    import botocore.loaders
    import botocore.session

    session = botocore.session.get_session()
    try:
        available = set(session.available_profiles)
    except botocore.exceptions.ConfigParseError as err:
        raise ConfigError("the AWS config file cannot be parsed; fix its syntax") from err
    if profile is not None and profile in available:
        session.set_config_variable("profile", profile)
    elif session.get_config_variable("profile") not in available | {None}:
        # AWS_PROFILE names a profile the files lack: botocore would raise ProfileNotFound while
        # building the client. Cognito needs no profile, so read the default one instead.
        session.get_component("config_store").set_config_variable("profile", None)
    # A new session would parse botocore's JSON models again (about 0.1 s); they never change
    # within a process, so sessions share one loader per data path (AWS_DATA_PATH, `data_path`).
    data_path = session.get_config_variable("data_path")
    with _lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _loaders[data_path] = botocore.loaders.create_loader(data_path)
    session.register_component("data_loader", loader)
    return session


def make_client(service: Service, region: str, profile: str | None = None) -> Any:
    """An unsigned botocore client for a Cognito service, shared within the process.

    Args:
        service: ``"cognito-idp"`` (user pools) or ``"cognito-identity"`` (identity pools).
        region: the region the pool lives in (from its id).
        profile: the AWS config profile whose ``services`` section may set the endpoint; used
            only when that profile exists in the config files.

    Returns:
        A botocore client with short timeouts and botocore's standard retries (a first try
        and up to 4 retries). Inside :func:`scribeauth.deadline.bounded`, its timeouts fit the
        deadline, and its hooks (:func:`scribeauth.deadline.install`) keep retries inside it.

    Raises:
        ConfigError: the AWS config file cannot be read, or the endpoint settings are invalid.
    """
    from . import deadline

    bound = deadline.current()
    connect_timeout, read_timeout = (
        bound.timeouts() if bound is not None else (deadline.CONNECT_TIMEOUT, deadline.READ_TIMEOUT)
    )
    key = (*_cache_key(service, region, profile), connect_timeout, read_timeout)
    with _lock:
        client = _clients.get(key)
    if client is not None:
        return client

    import botocore.exceptions
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(
        signature_version=UNSIGNED,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "max_attempts": RETRIES},
        user_agent_extra=USER_AGENT_EXTRA,
    )
    try:
        client = _session(profile).create_client(service, region_name=region, config=config)
    except (
        botocore.exceptions.ProfileNotFound,
        botocore.exceptions.ConfigParseError,
        botocore.exceptions.InvalidConfigError,
        botocore.exceptions.InvalidEndpointConfigurationError,
        botocore.exceptions.InvalidRegionError,
        ValueError,
    ) as err:
        raise ConfigError(
            f"cannot set up the {service} client for region {region!r}: {err}; "
            "check the region and the endpoint settings (AWS_ENDPOINT_URL*, `services`)"
        ) from err
    cap = _test_max_backoff()
    if cap is not None:
        _cap_backoff(client, cap)
    deadline.install(client, read_timeout)
    with _lock:
        client = _clients.setdefault(key, client)
    return client


def _test_max_backoff() -> float | None:
    value = os.environ.get(TEST_MAX_BACKOFF_ENV)
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _cap_backoff(client: Any, seconds: float) -> None:
    """Re-registers botocore's standard retry handler with its back-off capped at ``seconds``.

    botocore's ``Config`` has no back-off setting; ``register_retry_handler`` builds the same
    handler the client was given (attempts, quota, throttling detection), whose exponential
    back-off takes its cap as ``max_backoff``. Only the cap differs.
    """
    from botocore.retries import standard

    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.unregister(f"needs-retry.{service}", unique_id=f"retry-config-{service}")
    handler: Any = standard.register_retry_handler(client, max_attempts=RETRIES + 1)
    handler._retry_policy._retry_backoff._max_backoff = seconds


def clear_cache() -> None:
    """Forgets the clients built so far (tests; long-lived processes after config changes)."""
    with _lock:
        _clients.clear()
