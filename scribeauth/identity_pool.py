"""The Cognito identity pool: GetId and GetCredentialsForIdentity.

Every call goes through :func:`scribeauth.wire.call`, the one translator from botocore failures
to scribeauth errors (the same class for the same failure as the user pool's); this module words
the identity pool's refusals. botocore is imported only when a call is made.

How identity-pool replies map onto the error tree:

===============================================  ===========================================
Cognito says                                     scribeauth raises
===============================================  ===========================================
``NotAuthorizedException``                       :class:`SignInRequired` (the id token or the
                                                 identity is refused: sign in again)
``ResourceNotFoundException``                    :class:`ResourceNotFoundException`
``TooManyRequestsException``, ``LimitExceeded``  :class:`TooManyRequestsException`
other 4xx (``InvalidParameter``,                 :class:`ServiceError`
``InvalidIdentityPoolConfiguration``,
``ExternalService``, ...)
5xx, connection refused/reset, timeouts,         :class:`ServiceUnavailableError`
truncated or non-JSON bodies
a request botocore will not send (a malformed id) :class:`ConfigError`
a well-formed reply lacking what it must carry   :class:`UnknownException`
===============================================  ===========================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from . import wire
from .errors import (
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    TooManyRequestsException,
    UnknownException,
)
from .models import AwsCredentials, parse_expiration

__all__ = ["IdentityPoolClient"]

log = logging.getLogger(__name__)


def _as_utc(value: Any) -> datetime:
    """Cognito's ``Expiration`` as an aware UTC time.

    botocore turns the epoch number into a datetime in the *local* zone (tzlocal); an aware value
    converts exactly. Other shapes are defensive (a client built with a raw timestamp parser).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        return parse_expiration(value)
    raise TypeError("not a time")


class IdentityPoolClient:
    """GetId and GetCredentialsForIdentity against one Cognito identity pool.

    Calls are unsigned: the id token in ``Logins`` is the only credential sent.

    Args:
        identity_pool_id: ``<region>:<uuid>``.
        region: the region the identity pool lives in (from its id).
        profile: the scribeauth profile, named in error messages and used for the AWS config
            ``services`` section that may set the endpoint.
    """

    def __init__(self, *, identity_pool_id: str, region: str, profile: str | None = None) -> None:
        self.identity_pool_id = identity_pool_id
        self.region = region
        self.profile = profile

    def __repr__(self) -> str:
        return (
            f"IdentityPoolClient(identity_pool_id={self.identity_pool_id!r}, "
            f"region={self.region!r})"
        )

    def get_id(self, provider_name: str, id_token: str) -> str:
        """The IdentityId of the user behind ``id_token`` (created on first use).

        Args:
            provider_name: the canonical ``Logins`` key,
                ``cognito-idp.<region>.amazonaws.com/<user_pool_id>``.
            id_token: the user's current id token.

        Raises:
            SignInRequired: the identity pool refused the id token.
            ScribeAuthError: any other failure (see the module docstring).
        """
        reply = self._call(
            "GetId", IdentityPoolId=self.identity_pool_id, Logins={provider_name: id_token}
        )
        identity_id = reply.get("IdentityId")
        if not isinstance(identity_id, str) or not identity_id:
            raise self._unusable("GetId", reply, "an IdentityId")
        return identity_id

    def get_credentials(
        self, identity_id: str, provider_name: str, id_token: str, *, role_arn: str | None = None
    ) -> AwsCredentials:
        """Temporary AWS credentials for ``identity_id``, proven by ``id_token``.

        Args:
            identity_id: from :meth:`get_id` (usually cached).
            provider_name: the canonical ``Logins`` key.
            id_token: the user's current id token.
            role_arn: the ``CustomRoleArn`` to ask for, when the pool allows a choice.

        Raises:
            ResourceNotFoundException: the identity does not exist (any more) in this pool.
            SignInRequired: the id token was refused, or the identity is not this user's.
            ScribeAuthError: any other failure (see the module docstring).
        """
        params: dict[str, Any] = {"IdentityId": identity_id, "Logins": {provider_name: id_token}}
        if role_arn:
            params["CustomRoleArn"] = role_arn
        reply = self._call("GetCredentialsForIdentity", **params)
        creds = reply.get("Credentials")
        if not isinstance(creds, Mapping):
            raise self._unusable("GetCredentialsForIdentity", reply, "Credentials")
        access_key = creds.get("AccessKeyId")
        secret_key = creds.get("SecretKey")
        session_token = creds.get("SessionToken")
        if not all(isinstance(v, str) and v for v in (access_key, secret_key, session_token)):
            raise self._unusable("GetCredentialsForIdentity", reply, "complete Credentials")
        try:
            expires_at = _as_utc(creds.get("Expiration"))
        except (TypeError, ValueError, OverflowError, OSError) as err:
            raise self._unusable(
                "GetCredentialsForIdentity", reply, "a readable Expiration"
            ) from err
        assert isinstance(access_key, str)
        assert isinstance(secret_key, str)
        assert isinstance(session_token, str)
        log.debug(
            "identity pool issued credentials %s for %s, expiring %s",
            access_key,
            identity_id,
            expires_at.isoformat(),
        )
        return AwsCredentials(access_key, secret_key, session_token, expires_at)

    # -- plumbing ---------------------------------------------------------------------------------

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from .clients import make_client

        client = make_client("cognito-identity", self.region, self.profile)
        # unique_id makes this idempotent on the process-wide shared client.
        client.meta.events.register(
            "before-parse.cognito-identity",
            wire.refuse_unreadable,
            unique_id="scribeauth-identity-unreadable",
        )
        method = "get_id" if operation == "GetId" else "get_credentials_for_identity"
        log.debug("cognito-identity %s (identity pool %s)", operation, self.identity_pool_id)
        return wire.call(
            client,
            method,
            params,
            service="the Cognito identity service",
            settings=f"scribe_identity_pool_id ({self.identity_pool_id!r}) and "
            f"scribe_user_pool_id{self._for_profile()}",
            explain=self._explain,
        )

    def _for_profile(self) -> str:
        return f" for profile '{self.profile}'" if self.profile else ""

    def _unusable(self, operation: str, reply: Mapping[str, Any], what: str) -> ScribeAuthError:
        return UnknownException(
            f"the Cognito identity service's reply to {operation} lacks {what}; try again later"
        )

    def _client_error(self, operation: str, err: Any) -> ScribeAuthError:
        """Words a botocore ``ClientError`` from ``operation``."""
        return self._explain(wire.refusal_of(err.response, operation))

    def _explain(self, refusal: wire.Refusal) -> ScribeAuthError:
        operation, code = refusal.operation, refusal.code
        # Cognito's messages name the problem, never a token; keep them short all the same.
        message = " ".join(refusal.message.split())[:200]
        detail = f"{code}: {message}" if message else code
        profile = self.profile or "NAME"
        if code == "NotAuthorizedException":
            return SignInRequired(
                f"the identity pool refused the session{self._for_profile()} at {operation} "
                f"({detail}); run: scribeauth login --profile {profile}",
                code=code,
            )
        common = wire.classify(refusal)
        if common is ResourceNotFoundException:
            return common(
                f"{operation}: not found in identity pool {self.identity_pool_id} ({detail}); "
                "check scribe_identity_pool_id",
                code=code,
            )
        if common is TooManyRequestsException:
            return common(
                f"the Cognito identity service throttled {operation} even after retries; "
                "wait a minute and try again",
                code=code or None,
            )
        if common is ServiceUnavailableError:
            return common(
                f"the Cognito identity service failed {operation} ({code or refusal.status}); "
                "try again later",
                code=code or None,
            )
        return ServiceError(
            f"the Cognito identity service refused {operation} ({detail}); check "
            f"scribe_identity_pool_id and the identity pool's configuration{self._for_profile()}",
            code=code or None,
        )
