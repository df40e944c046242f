"""The 1.x ``ScribeAuth`` API, kept working on top of the 2.x modules.

Existing code keeps calling ``ScribeAuth`` with the same arguments and gets the same dicts back
and the same exception names; underneath, sign-in now uses SRP whenever the user pool id is known
(the password never leaves the machine), SECRET_HASH for confidential clients, unsigned clients,
botocore's standard retries, the region in the pool ids, and a signed payload hash on API calls.

What changed for callers, on purpose:

- ``ScribeAuth("client id")`` works (the 1.x README showed it; 1.x rejected it): password sign-in
  in eu-west-2, as no user pool id is known.
- Errors are no longer flattened: a throttled call raises :class:`TooManyRequestsException`, an
  unreachable service :class:`~scribeauth.errors.ServiceUnavailableError`, a wrong password
  :class:`UnauthorizedException` (the 1.x names now share the base class
  :class:`~scribeauth.errors.ScribeAuthError`).
- ``respond_to_auth_challenge_mfa`` answers whichever code challenge the sign-in returned
  (authenticator app, SMS or e-mail code), as the right user.

The dict shapes below (:class:`Tokens`, :class:`Challenge`, :class:`Credentials`) are the 1.x
ones. ``scribeauth.Tokens`` is the 2.x dataclass; these TypedDicts live here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, overload
from urllib.parse import urlsplit

from . import models
from .errors import (
    CodeMismatchError,
    ConfigError,
    MissingIdException,
    ResourceNotFoundException,
    SignInRequired,
    TooManyRequestsException,
    UnauthorizedException,
    UnknownException,
)
from .identity_pool import IdentityPoolClient
from .ids import region_of, sha256_hex
from .login import SignIn

if TYPE_CHECKING:
    from botocore.awsrequest import AWSRequest
    from botocore.compat import HTTPHeaders

__all__ = [
    "Challenge",
    "Credentials",
    "MissingIdException",
    "PoolConfiguration",
    "RefreshToken",
    "ResourceNotFoundException",
    "ScribeAuth",
    "Tokens",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnknownException",
    "UsernamePassword",
]


class Tokens(TypedDict):
    """The 1.x tokens dict."""

    refresh_token: str
    access_token: str
    id_token: str


class Challenge(TypedDict):
    """The 1.x challenge dict; answer it with its session (``respond_to_auth_challenge_mfa``)."""

    challenge_name: str
    session: str


class RefreshToken(TypedDict):
    """``get_tokens(refresh_token=...)``."""

    refresh_token: str


class UsernamePassword(TypedDict):
    """``get_tokens(username=..., password=...)``."""

    username: str
    password: str


class Credentials(TypedDict):
    """The 1.x identity-pool credentials dict; ``Expiration`` is an aware UTC datetime."""

    AccessKeyId: str
    SecretKey: str
    SessionToken: str
    Expiration: datetime


class _PoolIds(TypedDict):
    client_id: str
    user_pool_id: str


class PoolConfiguration(_PoolIds, total=False):
    """The 1.x constructor dict, plus the optional 2.x keys ``auth_flow`` and ``client_secret``."""

    identity_pool_id: str | None
    auth_flow: str | None
    client_secret: str | None


_CONFIG_KEYS = ("client_id", "user_pool_id", "identity_pool_id", "auth_flow", "client_secret")
_CODE_CHALLENGES = frozenset({"SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"})
# Challenges and usernames remembered per instance; a caller abandoning sign-ins must not make
# them grow without bound.
_REMEMBERED = 64


def _config(param: object) -> dict[str, str | None]:
    if isinstance(param, str):
        param = {"client_id": param}
    if not isinstance(param, Mapping):
        raise MissingIdException(
            "ScribeAuth takes the app client id (a str) or a dict with 'client_id', "
            f"'user_pool_id' and optionally 'identity_pool_id', not {type(param).__name__}"
        )
    config: dict[str, str | None] = {}
    for key in _CONFIG_KEYS:
        value = param.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"ScribeAuth: {key!r} must be a str, not {type(value).__name__}")
        config[key] = value or None
    return config


def _digest(token: str) -> str:
    return sha256_hex(token.encode("utf-8"))


def _remember(store: OrderedDict[str, Any], key: str, value: Any) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > _REMEMBERED:
        store.popitem(last=False)


class ScribeAuth:
    """An authorisation client for Scribe's user pool and identity pool (the 1.x API).

    Args:
        param: the app client id, or a dict: ``client_id``, ``user_pool_id`` and optionally
            ``identity_pool_id``; also ``client_secret`` (confidential app clients) and
            ``auth_flow`` (``USER_SRP_AUTH`` or ``USER_PASSWORD_AUTH``, to pin the flow).
            Sign-in uses SRP when the user pool id is known, the password flow otherwise. The
            region comes from the pool ids (eu-west-2 when there is none).

    Raises:
        MissingIdException: no client id (or ``param`` is neither a str nor a dict).
        ConfigError: a pool id or the auth flow is malformed.
    """

    def __init__(self, param: str | PoolConfiguration | Mapping[str, object]) -> None:
        config = _config(param)
        client_id = config["client_id"]
        if not client_id:
            raise MissingIdException("ScribeAuth needs the app client id ('client_id')")
        self.client_id: str = client_id
        self.user_pool_id: str | None = config["user_pool_id"]
        self.identity_pool_id: str | None = config["identity_pool_id"]
        self._sign_in = SignIn(
            client_id=client_id,
            user_pool_id=self.user_pool_id,
            client_secret=config["client_secret"],
            auth_flow=config["auth_flow"],
        )
        self._has_secret = bool(config["client_secret"])
        self.region: str = self._sign_in.region
        self._identity_region = (
            region_of(self.identity_pool_id) if self.identity_pool_id else self.region
        )
        self._challenges: OrderedDict[str, models.Challenge] = OrderedDict()
        self._usernames: OrderedDict[str, str] = OrderedDict()

    def __repr__(self) -> str:
        return (
            f"ScribeAuth(client_id={self.client_id!r}, user_pool_id={self.user_pool_id!r}, "
            f"identity_pool_id={self.identity_pool_id!r})"
        )

    # -- passwords -----------------------------------------------------------------------------
    def change_password(self, username: str, password: str, new_password: str) -> bool | Challenge:
        """Changes a user's password (signing in with the current one first).

        Args:
            username: the username (or e-mail alias).
            password: the current password (or the temporary one).
            new_password: the new password.

        Returns:
            True once changed (also when a temporary password was replaced by answering
            NEW_PASSWORD_REQUIRED); the challenge dict when the sign-in needs an MFA code first.

        Raises:
            UnauthorizedException: wrong username or password;
                :class:`~scribeauth.errors.PasswordPolicyError` when the pool refuses the new one.
            TooManyRequestsException: throttled even after retries.
        """
        if not username or not password:
            raise UnauthorizedException("Username and/or Password are missing")
        outcome = self._sign_in.start(username, password)
        if isinstance(outcome, models.Tokens):
            self._sign_in.change_password(outcome.access_token, password, new_password)
            return True
        if outcome.name == "NEW_PASSWORD_REQUIRED":
            self._sign_in.answer(outcome, new_password=new_password)
            return True
        return self._challenge_dict(outcome)

    def forgot_password(self, username: str, password: str, confirmation_code: str) -> bool:
        """Sets a new password with the confirmation code Cognito sent for a forgotten one.

        Args:
            username: the username (or e-mail alias).
            password: the new password.
            confirmation_code: the code sent to the user.

        Returns:
            True once the password is set.

        Raises:
            CodeMismatchError: the code is wrong (an :class:`UnauthorizedException`).
            ExpiredCodeError: the code has expired (an :class:`UnauthorizedException`).
        """
        if not confirmation_code or not confirmation_code.strip():
            raise CodeMismatchError("no confirmation code given; pass the code sent to the user")
        self._sign_in.confirm_forgot_password(username, confirmation_code, password)
        return True

    # -- tokens --------------------------------------------------------------------------------
    @overload
    def get_tokens(self, *, username: str, password: str) -> Tokens | Challenge: ...

    @overload
    def get_tokens(
        self, *, refresh_token: str, username: str | None = None
    ) -> Tokens | Challenge: ...

    def get_tokens(self, **param: Any) -> Tokens | Challenge:
        """Signs in, or refreshes, and returns the tokens.

        Call with ``username=`` and ``password=``, or with ``refresh_token=``. For an app client
        with a secret, a refresh needs the internal username too (``username=``), unless this
        instance issued the refresh token.

        Returns:
            ``{"refresh_token", "access_token", "id_token"}``, or
            ``{"challenge_name", "session"}`` when sign-in needs another step (answer an MFA
            code with :meth:`respond_to_auth_challenge_mfa`).

        Raises:
            UnauthorizedException: the arguments are missing, or the username, password or
                refresh token is refused.
            TooManyRequestsException: throttled even after retries.
        """
        refresh_token = param.get("refresh_token")
        username = param.get("username")
        password = param.get("password")
        if refresh_token is None:
            if isinstance(username, str) and isinstance(password, str) and username and password:
                return self._sign_in_with_password(username, password)
        elif isinstance(refresh_token, str) and refresh_token:
            return self._refresh(refresh_token, username if isinstance(username, str) else None)
        raise UnauthorizedException(
            "Username and/or Password are missing or refresh_token is missing"
        )

    def respond_to_auth_challenge_mfa(self, username: str, session: str, code: str) -> Tokens:
        """Answers the MFA challenge :meth:`get_tokens` returned with the user's code.

        The challenge this instance returned for ``session`` decides how to answer (authenticator
        app, SMS or e-mail code, as the user Cognito named); for a session from elsewhere it is
        answered as an authenticator-app code for ``username``.

        Args:
            username: the username the sign-in started with.
            session: the ``session`` of the challenge dict.
            code: the code from the authenticator app (or the SMS or e-mail).

        Returns:
            The tokens dict.

        Raises:
            UnauthorizedException: the code is wrong (:class:`~scribeauth.errors.CodeMismatchError`)
                or expired, or the session has ended
                (:class:`~scribeauth.errors.ExpiredCodeError`).
            SignInRequired: the session waits for something other than a code.
            TooManyRequestsException: throttled even after retries.
        """
        if not code or not code.strip():
            raise CodeMismatchError("no MFA code given; pass the code the user sees")
        challenge = self._challenges.get(session) or models.Challenge(
            name="SOFTWARE_TOKEN_MFA", session=session, username=username
        )
        if challenge.name == "SELECT_MFA_TYPE":
            challenge = self._choose_authenticator_app(challenge)
            # The caller retries a mistyped code with the session it has: answer it then.
            _remember(self._challenges, session, challenge)
        if challenge.name not in _CODE_CHALLENGES:
            raise SignInRequired(
                f"this sign-in waits for {challenge.name}, not an MFA code; answer it with "
                "change_password() for NEW_PASSWORD_REQUIRED, or run: scribeauth login"
            )
        outcome = self._sign_in.answer(challenge, code)
        self._challenges.pop(session, None)
        if isinstance(outcome, models.Challenge):
            self._challenge_dict(outcome)
            raise UnknownException(
                f"Cognito asked for {outcome.name} after the MFA code; run: scribeauth login"
            )
        return self._tokens_dict(outcome)

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """Revokes a refresh token and the tokens it issued.

        Returns:
            True once revoked (a token Cognito does not know counts as revoked).

        Raises:
            UnauthorizedException: the app client may not revoke this token.
            TooManyRequestsException: throttled even after retries.
        """
        self._sign_in.revoke(refresh_token)
        self._usernames.pop(_digest(refresh_token), None)
        return True

    # -- identity pool ---------------------------------------------------------------------------
    def get_federated_id(self, id_token: str) -> str:
        """The user's identity id in the identity pool.

        Args:
            id_token: the user's id token.

        Raises:
            MissingIdException: no user pool id or no identity pool id was given.
            UnauthorizedException: the identity pool refused the id token.
            TooManyRequestsException: throttled even after retries.
        """
        identity_pool, provider = self._identity_pool()
        try:
            return identity_pool.get_id(provider, id_token)
        except SignInRequired as err:
            raise UnauthorizedException(
                "Could not retrieve federated id: the identity pool refused the id token; "
                "get new tokens with get_tokens()"
            ) from err

    def get_federated_credentials(self, id: str, id_token: str) -> Credentials:  # noqa: A002
        """Temporary AWS credentials for the identity (argument name ``id`` kept from 1.x).

        Args:
            id: the identity id from :meth:`get_federated_id`.
            id_token: the user's id token.

        Returns:
            ``{"AccessKeyId", "SecretKey", "SessionToken", "Expiration"}``, the expiry an aware
            UTC datetime.

        Raises:
            MissingIdException: no user pool id or no identity pool id was given.
            ResourceNotFoundException: the identity does not exist in the identity pool.
            UnauthorizedException: the id token was refused or is not this identity's.
            TooManyRequestsException: throttled even after retries.
        """
        identity_pool, provider = self._identity_pool()
        try:
            credentials = identity_pool.get_credentials(id, provider, id_token)
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

    def get_signature_for_request(
        self, request: AWSRequest, credentials: Credentials | Mapping[str, Any]
    ) -> HTTPHeaders:
        """Signs an API Gateway (``execute-api``) request with SigV4, the body hash signed.

        The region comes from an ``<id>.execute-api.<region>.amazonaws.com`` host, else it is
        this client's region. The request is signed in place.

        Args:
            request: the botocore ``AWSRequest`` to sign.
            credentials: the dict :meth:`get_federated_credentials` returned.

        Returns:
            The signed request's headers (``Authorization``, ``X-Amz-Date``,
            ``X-Amz-Content-SHA256``, ``X-Amz-Security-Token`` and the request's own).

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
        region = from_host[0] if from_host is not None else self.region
        sign_request(request, frozen, region=region)
        return request.prepare().headers

    # -- plumbing --------------------------------------------------------------------------------
    def _sign_in_with_password(self, username: str, password: str) -> Tokens | Challenge:
        outcome = self._sign_in.start(username, password)
        if isinstance(outcome, models.Challenge):
            return self._challenge_dict(outcome)
        return self._tokens_dict(outcome)

    def _refresh(self, refresh_token: str, username: str | None) -> Tokens:
        internal = self._usernames.get(_digest(refresh_token)) or username
        if self._has_secret and not internal:
            raise UnauthorizedException(
                "this app client has a secret, so a refresh needs the username too: "
                "get_tokens(refresh_token=..., username=...)"
            )
        return self._tokens_dict(self._sign_in.refresh(refresh_token, username=internal))

    def _tokens_dict(self, tokens: models.Tokens) -> Tokens:
        if not tokens.refresh_token:
            raise UnknownException("Cognito's reply lacks the refresh token; sign in again")
        if self._has_secret and tokens.username:
            _remember(self._usernames, _digest(tokens.refresh_token), tokens.username)
        return Tokens(
            refresh_token=tokens.refresh_token,
            access_token=tokens.access_token,
            id_token=tokens.id_token,
        )

    def _challenge_dict(self, challenge: models.Challenge) -> Challenge:
        # 1.x hands back only the session: keep the rest (the USER_ID_FOR_SRP username Cognito
        # wants in the answer, the challenge's name and parameters) to answer it correctly.
        _remember(self._challenges, challenge.session, challenge)
        return Challenge(challenge_name=challenge.name, session=challenge.session)

    def _choose_authenticator_app(self, challenge: models.Challenge) -> models.Challenge:
        offered = challenge.parameters.get("MFAS_CAN_CHOOSE", "")
        if offered and "SOFTWARE_TOKEN_MFA" not in offered:
            raise SignInRequired(
                "this user must choose how to get an MFA code (SMS or e-mail), which this API "
                "cannot do; run: scribeauth login"
            )
        outcome = self._sign_in.answer(challenge, mfa_type="SOFTWARE_TOKEN_MFA")
        if isinstance(outcome, models.Tokens):
            raise UnknownException("Cognito skipped the MFA code it asked for; sign in again")
        return outcome

    def _identity_pool(self) -> tuple[IdentityPoolClient, str]:
        if not self.user_pool_id:
            raise MissingIdException(
                "Missing user pool ID: create ScribeAuth with 'user_pool_id' to use the "
                "identity pool"
            )
        if not self.identity_pool_id:
            raise MissingIdException(
                "Federated pool ID is not provided. Create a new ScribeAuth object using "
                "identity_pool_id"
            )
        provider = f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        client = IdentityPoolClient(
            identity_pool_id=self.identity_pool_id, region=self._identity_region
        )
        return client, provider
