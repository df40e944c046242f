"""The AWS side of the 1.x ``ScribeAuth`` API: identity-pool credentials as the 1.x dict, and
SigV4-signing an API Gateway request with that dict.

The 1.x error contract lives here too: an identity pool refusing the id token is an
:class:`~scribeauth.errors.UnauthorizedException`, missing pool ids a
:class:`~scribeauth.errors.MissingIdException`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .compat_types import Credentials
from .errors import ConfigError, MissingIdException, SignInRequired, UnauthorizedException
from .identity_pool import IdentityPoolClient

if TYPE_CHECKING:
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders

__all__ = ["IdentityPool", "sign_with_credentials_dict"]


class IdentityPool:
    """The identity pool as the 1.x API sees it: ids checked, refusals as 1.x exceptions.

    Args:
        user_pool_id: the user pool whose id tokens the identity pool trusts (None if unknown).
        identity_pool_id: the identity pool (None if not given).
        region: the user pool's region (the id-token provider name contains it).
        identity_region: the identity pool's region.
    """

    def __init__(
        self,
        *,
        user_pool_id: str | None,
        identity_pool_id: str | None,
        region: str,
        identity_region: str,
    ) -> None:
        self._user_pool_id = user_pool_id
        self._identity_pool_id = identity_pool_id
        self._region = region
        self._identity_region = identity_region

    def federated_id(self, id_token: str) -> str:
        """The identity id for ``id_token`` (see ``ScribeAuth.get_federated_id``)."""
        client, provider = self._client()
        try:
            return client.get_id(provider, id_token)
        except SignInRequired as err:
            raise UnauthorizedException(
                "Could not retrieve federated id: the identity pool refused the id token; "
                "get new tokens with get_tokens()"
            ) from err

    def federated_credentials(self, identity_id: str, id_token: str) -> Credentials:
        """The 1.x credentials dict (see ``ScribeAuth.get_federated_credentials``)."""
        client, provider = self._client()
        try:
            credentials = client.get_credentials(identity_id, provider, id_token)
        except SignInRequired as err:
            raise UnauthorizedException(
                "Could not retrieve federated credentials: the identity pool refused the id "
                "token for this identity; get new tokens with get_tokens()"
            ) from err
        return Credentials(
            AccessKeyId=credentials.access_key_id,
            SecretKey=credentials.secret_access_key,
            SessionToken=credentials.session_token,
            Expiration=credentials.expires_at,
        )

    def _client(self) -> tuple[IdentityPoolClient, str]:
        if not self._user_pool_id:
            raise MissingIdException(
                "Missing user pool ID: create ScribeAuth with 'user_pool_id' to use the "
                "identity pool"
            )
        if not self._identity_pool_id:
            raise MissingIdException(
                "Federated pool ID is not provided. Create a new ScribeAuth object using "
                "identity_pool_id"
            )
        provider = f"cognito-idp.{self._region}.amazonaws.com/{self._user_pool_id}"
        client = IdentityPoolClient(
            identity_pool_id=self._identity_pool_id, region=self._identity_region
        )
        return client, provider


def sign_with_credentials_dict(
    request: AWSRequest, credentials: Credentials | Mapping[str, Any], *, default_region: str
) -> HTTPHeaders:
    """Signs ``request`` in place for ``execute-api`` (``ScribeAuth.get_signature_for_request``).

    Args:
        request: the botocore ``AWSRequest`` to sign.
        credentials: the 1.x credentials dict (``SecretAccessKey`` accepted for ``SecretKey``).
        default_region: the region when the host does not name one.

    Returns:
        The signed request's headers.

    Raises:
        ConfigError: ``credentials`` lacks a key.
    """
    from botocore.credentials import ReadOnlyCredentials

    from .signing import region_and_service_from_host, sign_request

    given: Mapping[str, Any] = credentials
    try:
        # SecretAccessKey: the credential_process / boto3 spelling, accepted as well.
        secret_key = given.get("SecretKey") or given["SecretAccessKey"]
        frozen = ReadOnlyCredentials(given["AccessKeyId"], secret_key, given["SessionToken"])
    except KeyError as err:
        raise ConfigError(
            f"the credentials dict lacks {err.args[0]!r}; pass what "
            "get_federated_credentials() returned"
        ) from None
    from_host = region_and_service_from_host(urlsplit(str(request.url)).netloc)
    region = from_host[0] if from_host is not None else default_region
    sign_request(request, frozen, region=region)
    return request.prepare().headers
