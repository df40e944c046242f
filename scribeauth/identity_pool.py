"""The Cognito identity pool: GetId and GetCredentialsForIdentity.

The one place a cognito-identity ``ClientError`` (or a transport failure) becomes a scribeauth
error. botocore is imported only when a call is made.

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
a well-formed reply lacking what it must carry   :class:`UnknownException`
===============================================  ===========================================
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .errors import (
    ConfigError,
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

_THROTTLED = frozenset(
    {"TooManyRequestsException", "LimitExceededException", "ThrottlingException", "Throttling"}
)
# Set on a parsed reply whose 2xx body was not JSON (botocore would otherwise hand back an
# empty dict, indistinguishable from a well-formed reply that lacks a field).
_GARBLED = "ScribeauthGarbledBody"


def _mark_garbled(
    response_dict: Mapping[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    import json

    status = response_dict.get("status_code") or 0
    body = response_dict.get("body")
    if not 200 <= status < 300 or not isinstance(body, (bytes, bytearray)):
        return
    try:
        json.loads(body)
    except ValueError:
        customized_response_dict[_GARBLED] = True


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

    def _client(self) -> Any:
        from .clients import make_client

        client = make_client("cognito-identity", self.region, self.profile)
        # unique_id makes this idempotent on the process-wide shared client.
        client.meta.events.register(
            "before-parse.cognito-identity", _mark_garbled, unique_id="scribeauth-garbled-body"
        )
        return client

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        import botocore.exceptions

        client = self._client()
        method = getattr(
            client, "get_id" if operation == "GetId" else "get_credentials_for_identity"
        )
        log.debug("cognito-identity %s (identity pool %s)", operation, self.identity_pool_id)
        try:
            reply = method(**params)
        except botocore.exceptions.ClientError as err:
            raise self._client_error(operation, err) from err
        except botocore.exceptions.ParamValidationError as err:
            # The message may quote parameter values (the id token); never pass it on.
            raise ConfigError(
                f"the identity pool rejected the request shape for {operation}; check "
                f"scribe_identity_pool_id ({self.identity_pool_id!r}) and scribe_user_pool_id"
                f"{self._for_profile()}"
            ) from err
        except (botocore.exceptions.BotoCoreError, OSError) as err:
            raise ServiceUnavailableError(
                f"cannot reach the Cognito identity service for {operation} "
                f"({type(err).__name__}); check the network or AWS_ENDPOINT_URL and try again"
            ) from err
        except (AttributeError, TypeError, ValueError, OverflowError) as err:
            # How botocore's parser fails on a reply that is not UTF-8, or is JSON of another
            # shape than the API's (a proxy's page, the wrong endpoint).
            raise ServiceUnavailableError(
                f"the Cognito identity service sent an unreadable reply to {operation} "
                f"({type(err).__name__}); check AWS_ENDPOINT_URL and try again later"
            ) from err
        if not isinstance(reply, dict):  # pragma: no cover - botocore always returns a dict
            raise UnknownException(f"the Cognito identity service sent no reply to {operation}")
        return reply

    def _for_profile(self) -> str:
        return f" for profile '{self.profile}'" if self.profile else ""

    def _unusable(self, operation: str, reply: Mapping[str, Any], what: str) -> ScribeAuthError:
        if reply.get(_GARBLED):
            return ServiceUnavailableError(
                f"the Cognito identity service sent an unreadable reply to {operation}; "
                "try again later"
            )
        return UnknownException(
            f"the Cognito identity service's reply to {operation} lacks {what}; try again later"
        )

    def _client_error(self, operation: str, err: Any) -> ScribeAuthError:
        error = err.response.get("Error", {})
        code = " ".join(str(error.get("Code") or "").split())
        # Cognito's messages name the problem, never a token; keep them short all the same.
        message = " ".join(str(error.get("Message") or "").split())[:200]
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        detail = f"{code}: {message}" if message else code
        profile = self.profile or "NAME"
        if code == "NotAuthorizedException":
            return SignInRequired(
                f"the identity pool refused the session{self._for_profile()} at {operation} "
                f"({detail}); run: scribeauth login --profile {profile}"
            )
        if code == "ResourceNotFoundException":
            return ResourceNotFoundException(
                f"{operation}: not found in identity pool {self.identity_pool_id} ({detail}); "
                "check scribe_identity_pool_id"
            )
        if code in _THROTTLED or status == 429:
            return TooManyRequestsException(
                f"the Cognito identity service throttled {operation} even after retries; "
                "wait a minute and try again"
            )
        if status >= 500 or code in {"InternalErrorException", "ServiceUnavailable"}:
            return ServiceUnavailableError(
                f"the Cognito identity service failed {operation} ({code or status}); "
                "try again later"
            )
        return ServiceError(
            f"the Cognito identity service refused {operation} ({detail}); check "
            f"scribe_identity_pool_id and the identity pool's configuration{self._for_profile()}"
        )
