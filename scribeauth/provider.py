"""The in-process path: a botocore credential provider serving a scribeauth profile.

``boto3_session("scribe")`` (or ``install(botocore_session, profile_name="scribe")`` on a session
of your own) puts :class:`ScribeCredentialProvider` at the head of the session's credential chain.
It hands botocore ``DeferredRefreshableCredentials`` whose refresh goes through the same
:class:`~scribeauth.credentials.Broker` as ``scribeauth-credentials``: one cache, one lock, so a
process running boto3 in-process and an AWS CLI running the credential_process never refresh the
same profile twice.

botocore's refresh windows are set to scribeauth's rule: an advisory refresh (keep using the
current credentials if it fails) once the credentials' refresh window is reached (20 minutes
for hour-long credentials, a third of the lifetime for shorter ones:
:attr:`~scribeauth.models.AwsCredentials.refresh_window`), a mandatory one (wait for it, raise
if it fails) in the last half of that, 10 minutes at most.

The provider never runs the profile's own ``credential_process`` line: it answers first, and
scribeauth's Cognito calls are unsigned, so they never walk a credential chain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.credentials import CredentialProvider, DeferredRefreshableCredentials

from .credentials import Broker
from .errors import ConfigError
from .models import REFRESH_WINDOW, AwsCredentials, format_expiration
from .session import utcnow as _utcnow

if TYPE_CHECKING:
    import boto3
    import botocore.session

__all__ = ["METHOD", "ScribeCredentialProvider", "boto3_session", "install"]

#: botocore's name for this provider (botocore's rule: providers outside botocore say "custom").
METHOD = "custom-scribeauth"

_ADVISORY = int(REFRESH_WINDOW.total_seconds())
_MANDATORY = 10 * 60


class ScribeCredentials(DeferredRefreshableCredentials):
    """botocore refreshable credentials fetched from a :class:`Broker` on first use.

    ``get_frozen_credentials()`` is botocore's own: a time comparison while the credentials have
    more than the advisory window left, a refresh through the Broker otherwise.
    """

    _advisory_refresh_timeout = _ADVISORY
    _mandatory_refresh_timeout = _MANDATORY

    def __init__(
        self,
        fetch: Callable[[], AwsCredentials],
        *,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._fetch = fetch
        self._clock = now
        super().__init__(refresh_using=self._refresh_metadata, method=METHOD, time_fetcher=now)

    def _refresh_metadata(self) -> dict[str, Any]:
        credentials = self._fetch()
        # The broker's window for these credentials, so botocore asks exactly when the broker
        # would refresh (short-lived credentials: not on every call).
        window = int(credentials.refresh_window.total_seconds())
        self._advisory_refresh_timeout = max(window, 1)
        self._mandatory_refresh_timeout = min(_MANDATORY, window // 2)
        return {
            "access_key": credentials.access_key_id,
            "secret_key": credentials.secret_access_key,
            "token": credentials.session_token,
            "expiry_time": format_expiration(credentials.expires_at),
        }


class ScribeCredentialProvider(CredentialProvider):
    """A botocore ``CredentialProvider`` for one scribeauth profile.

    Args:
        profile_name: the scribeauth profile; None means the botocore session's profile, else
            ``$AWS_PROFILE``, else ``default`` (and then a profile without scribeauth settings
            lets the chain go on to the next provider).
        session: the botocore session (only to find its profile when ``profile_name`` is None).
        broker: a ready :class:`Broker` to use instead of resolving ``profile_name``.
        interactive: whether a refresh may sign in on the terminal (None: when one is attached;
            see :meth:`Broker.credentials`).
        now: the clock (aware UTC), shared by botocore's windows and the Broker.
    """

    METHOD = METHOD
    CANONICAL_NAME = METHOD

    def __init__(
        self,
        profile_name: str | None = None,
        *,
        session: botocore.session.Session | None = None,
        broker: Broker | None = None,
        interactive: bool | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        super().__init__(session)
        self.profile_name = profile_name
        self._broker = broker
        self._interactive = interactive
        self._now = now

    def __repr__(self) -> str:
        return f"ScribeCredentialProvider(profile_name={self.profile_name!r})"

    def broker(self) -> Broker | None:
        """The Broker for the profile, or None when it is not a scribeauth profile.

        Raises:
            ConfigError: the named profile is broken (or missing, when named explicitly).
        """
        if self._broker is not None:
            return self._broker
        from .config import load_profile

        name = self.profile_name
        explicit = name is not None
        if name is None and self.session is not None:
            name = self.session.get_config_variable("profile")
        try:
            profile = load_profile(name)
        except ConfigError:
            if explicit:
                raise
            return None  # not ours: let the next provider in the chain answer
        self._broker = Broker(profile, now=self._now)
        return self._broker

    def load(self) -> ScribeCredentials | None:
        """Credentials that fetch themselves on first use, or None when the profile is not ours.

        No network call happens here: the first signed request asks the Broker (a cache hit
        usually), and botocore asks again inside the refresh windows.
        """
        broker = self.broker()
        if broker is None:
            return None
        interactive = self._interactive

        def fetch() -> AwsCredentials:
            return broker.credentials(interactive=interactive)

        return ScribeCredentials(fetch, now=self._now)


def install(
    botocore_session: botocore.session.Session,
    profile_name: str | None = None,
    *,
    interactive: bool | None = None,
    now: Callable[[], datetime] = _utcnow,
) -> ScribeCredentialProvider:
    """Puts a :class:`ScribeCredentialProvider` at the head of a botocore session's chain.

    Call it before the session resolves credentials (before the first client). Installing
    again replaces the previous scribeauth provider.

    Args:
        botocore_session: the session.
        profile_name: the scribeauth profile (default: the session's profile).
        interactive: see :class:`ScribeCredentialProvider`.
        now: the clock (aware UTC).

    Returns:
        The installed provider.
    """
    provider = ScribeCredentialProvider(
        profile_name, session=botocore_session, interactive=interactive, now=now
    )
    return _put_first(botocore_session, provider)


def _put_first(
    botocore_session: botocore.session.Session, provider: ScribeCredentialProvider
) -> ScribeCredentialProvider:
    resolver = botocore_session.get_component("credential_provider")
    resolver.remove(METHOD)
    # The head of the chain, before "env" (which botocore leaves out when a profile is set).
    resolver.providers.insert(0, provider)
    return provider


def boto3_session(
    profile_name: str = "scribe",
    *,
    interactive: bool | None = None,
    now: Callable[[], datetime] = _utcnow,
    **kwargs: Any,
) -> boto3.Session:
    """A ``boto3.Session`` whose credentials come from a scribeauth profile, in-process.

    Its region is the profile's ``region`` (else the pools' region) unless ``region_name`` is
    given. The AWS config profile of the same name, when there is one, still provides the other
    settings (endpoints, retries); its ``credential_process`` line is never run.

    Args:
        profile_name: the scribeauth profile.
        interactive: see :class:`ScribeCredentialProvider`.
        now: the clock (aware UTC).
        **kwargs: passed on to ``boto3.Session`` (not ``profile_name`` or
            ``botocore_session``).

    Raises:
        ConfigError: the profile is missing or broken.
    """
    import boto3
    import botocore.session

    from .config import load_profile

    profile = load_profile(profile_name)
    session = botocore.session.Session()
    if profile.name in session.available_profiles:
        session.set_config_variable("profile", profile.name)
    else:
        # A YAML-only profile: botocore must not look for it (nor for $AWS_PROFILE, which may
        # name it) in the AWS config files, or it raises ProfileNotFound.
        session.get_component("config_store").set_config_variable("profile", None)
    broker = Broker(profile, now=now)
    _put_first(
        session,
        ScribeCredentialProvider(
            profile.name, session=session, broker=broker, interactive=interactive, now=now
        ),
    )
    kwargs.setdefault("region_name", profile.signing_region)
    return boto3.Session(botocore_session=session, **kwargs)
