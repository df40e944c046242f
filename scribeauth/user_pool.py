"""Cognito user-pool calls: one method per cognito-idp operation.

Every call goes through :func:`scribeauth.wire.call`, the one translator from botocore failures
to scribeauth errors; this module words the user-pool refusals (which fix fits which call) and is
the one place ``SECRET_HASH`` is added for confidential app clients. No password, token, session
or code ever reaches a message: Cognito's own message is kept only when it carries none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import srp, wire
from .clients import make_client
from .errors import (
    AuthFlowNotEnabledError,
    CodeMismatchError,
    ExpiredCodeError,
    PasswordPolicyError,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    ServiceUnavailableError,
    SignInRequired,
    TooManyRequestsException,
    UnauthorizedException,
    UserNotConfirmedError,
)
from .pool_devices import DeviceOperations

__all__ = ["UserPoolClient", "error_code", "operation_unknown", "srp_not_enabled"]

_SIGN_IN_AGAIN = "sign in again: scribeauth login"
_WAIT = "wait a minute, then try again"
_CHECK_IDS = "check scribe_client_id and scribe_user_pool_id (and the pool's region) in the profile"
_UNKNOWN_OPERATION = "UnknownOperationException"
# Cognito's message when a user is locked out after too many failed sign-ins.
_LOCKED_OUT = "password attempts exceeded"

# Cognito code -> (our class, the fix), for the codes wire.classify leaves to each client.
# Codes in neither become ServiceError.
_ERRORS: dict[str, tuple[type[ScribeAuthError], str]] = {
    "NotAuthorizedException": (UnauthorizedException, ""),  # fix depends on the call
    "UserNotFoundException": (UnauthorizedException, "check the username"),
    "PasswordResetRequiredException": (
        UnauthorizedException,
        "the password must be changed; reset it: scribeauth forgot-password",
    ),
    "UnauthorizedException": (UnauthorizedException, "check the app client settings"),
    # GetTokensFromRefreshToken with a token rotation already replaced (past the grace period).
    "RefreshTokenReuseException": (UnauthorizedException, _SIGN_IN_AGAIN),
    "CodeMismatchException": (CodeMismatchError, "check the code and enter it again"),
    "EnableSoftwareTokenMFAException": (
        CodeMismatchError,
        "check the authenticator app's code and enter it again",
    ),
    "ExpiredCodeException": (ExpiredCodeError, "ask for a new code (or sign in again)"),
    "InvalidPasswordException": (
        PasswordPolicyError,
        "choose a password that meets the user pool's policy",
    ),
    "UserNotConfirmedException": (
        UserNotConfirmedError,
        "confirm the account first (the code sent at sign-up) or ask an administrator",
    ),
    "InvalidParameterException": (ServiceError, "check the profile's settings"),
    "InvalidUserPoolConfigurationException": (
        ServiceError,
        "the user pool is misconfigured; ask its administrator",
    ),
}


def error_code(err: BaseException) -> str | None:
    """The Cognito error code a scribeauth error carries (None for transport failures)."""
    return err.code if isinstance(err, ScribeAuthError) else None


def operation_unknown(err: BaseException) -> bool:
    """Whether the call failed because the operation is unknown, to the endpoint (Cognito's
    ``UnknownOperationException``: an older or partial emulator) or to the installed botocore
    (its service model lacks the operation)."""
    return error_code(err) == _UNKNOWN_OPERATION


def srp_not_enabled(err: BaseException) -> bool:
    """Whether Cognito refused USER_SRP_AUTH because the app client does not allow that flow.

    Decided from Cognito's reply when the error was made (:func:`scribeauth.wire.flow_not_enabled`),
    never from our own message.
    """
    return isinstance(err, AuthFlowNotEnabledError) and err.flow == "USER_SRP_AUTH"


def _safe_message(message: object, secrets: Iterable[str]) -> str:
    return wire.safe_message(message, secrets)


class UserPoolClient(DeviceOperations):
    """The cognito-idp calls scribeauth makes, for one app client.

    Args:
        region: the user pool's region.
        client_id: the app client id.
        client_secret: the app client secret (confidential clients only).
        profile: the AWS config profile whose ``services`` section may set the endpoint.
    """

    def __init__(
        self,
        region: str,
        client_id: str,
        client_secret: str | None = None,
        profile: str | None = None,
    ) -> None:
        self.region = region
        self.client_id = client_id
        self._client_secret = client_secret
        self._profile = profile

    def __repr__(self) -> str:
        return f"UserPoolClient(region={self.region!r}, client_id={self.client_id!r})"

    @property
    def endpoint_url(self) -> str:
        """Where the calls go (the profile's endpoint settings applied)."""
        return str(make_client("cognito-idp", self.region, self._profile).meta.endpoint_url)

    @property
    def has_secret(self) -> bool:
        """Whether this is a confidential app client (calls carry SECRET_HASH)."""
        return bool(self._client_secret)

    def _secret_hash(self, username: str | None) -> dict[str, str]:
        if not self._client_secret:
            return {}
        if not username:
            raise SignInRequired(
                "this app client has a secret, so Cognito needs the username to check it; "
                + _SIGN_IN_AGAIN
            )
        return {"SECRET_HASH": srp.secret_hash(username, self.client_id, self._client_secret)}

    def _secret_hash_param(self, username: str) -> dict[str, str]:
        # The password-reset calls take it as a top-level `SecretHash`, not in AuthParameters.
        found = self._secret_hash(username)
        return {"SecretHash": found["SECRET_HASH"]} if found else {}

    # -- sign-in -------------------------------------------------------------------------------
    def initiate_auth(
        self,
        flow: str,
        params: Mapping[str, str],
        *,
        secret_hash_username: str | None = None,
    ) -> dict[str, Any]:
        """InitiateAuth.

        Args:
            flow: ``USER_SRP_AUTH``, ``USER_PASSWORD_AUTH`` or ``REFRESH_TOKEN_AUTH``.
            params: the AuthParameters, without SECRET_HASH.
            secret_hash_username: the name SECRET_HASH is computed over; defaults to
                ``params["USERNAME"]``. For REFRESH_TOKEN_AUTH pass the internal username.
        """
        auth = dict(params)
        if self._client_secret:
            auth.update(self._secret_hash(secret_hash_username or params.get("USERNAME")))
        context = "refresh" if flow == "REFRESH_TOKEN_AUTH" else "sign-in"
        return self._call(
            "initiate_auth",
            context,
            auth.values(),
            ClientId=self.client_id,
            AuthFlow=flow,
            AuthParameters=auth,
        )

    def respond_to_auth_challenge(
        self, name: str, session: str | None, responses: Mapping[str, str]
    ) -> dict[str, Any]:
        """RespondToAuthChallenge; SECRET_HASH is computed over ``responses["USERNAME"]``."""
        answers = dict(responses)
        if self._client_secret:
            answers.update(self._secret_hash(responses.get("USERNAME")))
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "ChallengeName": name,
            "ChallengeResponses": answers,
        }
        if session:
            params["Session"] = session
        # The SRP proof (or the password itself, in USER_AUTH) answers for the password: a
        # refusal there means a wrong password. A device's proof is the device's, not the user's.
        if name.startswith("DEVICE_"):
            context = "device"
        elif name in _PASSWORD_CHALLENGES or "PASSWORD" in answers or "SRP_A" in answers:
            context = "sign-in"
        else:
            context = "challenge"
        return self._call(
            "respond_to_auth_challenge", context, [*answers.values(), session or ""], **params
        )

    def associate_software_token(
        self, session: str | None = None, access_token: str | None = None
    ) -> dict[str, Any]:
        """AssociateSoftwareToken: a new TOTP secret, for a sign-in session or a signed-in user."""
        params = _one_of(session=session, access_token=access_token)
        return self._call("associate_software_token", "challenge", params.values(), **params)

    def verify_software_token(
        self,
        code: str,
        session: str | None = None,
        access_token: str | None = None,
        friendly_name: str | None = None,
    ) -> dict[str, Any]:
        """VerifySoftwareToken: proves the authenticator app holds the new TOTP secret."""
        params: dict[str, Any] = {
            **_one_of(session=session, access_token=access_token),
            "UserCode": code,
        }
        if friendly_name:
            params["FriendlyDeviceName"] = friendly_name
        return self._call(
            "verify_software_token",
            "challenge",
            [code, session or "", access_token or ""],
            **params,
        )

    # -- tokens ----------------------------------------------------------------------------------
    def get_tokens_from_refresh_token(
        self, refresh_token: str, *, device_key: str | None = None
    ) -> dict[str, Any]:
        """GetTokensFromRefreshToken: new tokens, and a new refresh token when the app client
        rotates them (the old one then dies after the client's grace period).

        Confidential clients send the raw ``ClientSecret`` here, not a SECRET_HASH.

        Raises:
            ServiceError: with code ``UnknownOperationException`` (see :func:`operation_unknown`)
                when the endpoint or botocore does not know the operation.
        """
        params: dict[str, Any] = {"RefreshToken": refresh_token, "ClientId": self.client_id}
        if self._client_secret:
            params["ClientSecret"] = self._client_secret
        if device_key:
            params["DeviceKey"] = device_key
        return self._call("get_tokens_from_refresh_token", "refresh", [refresh_token], **params)

    def revoke_token(self, token: str) -> None:
        """RevokeToken: the refresh token and the tokens it issued stop working."""
        params: dict[str, Any] = {"Token": token, "ClientId": self.client_id}
        if self._client_secret:
            params["ClientSecret"] = self._client_secret
        self._call("revoke_token", "token", [token], **params)

    def global_sign_out(self, access_token: str) -> None:
        """GlobalSignOut: every refresh token of the user stops working."""
        self._call("global_sign_out", "token", [access_token], AccessToken=access_token)

    def get_user(self, access_token: str) -> dict[str, Any]:
        """GetUser: the user's name, attributes and MFA settings."""
        return self._call("get_user", "token", [access_token], AccessToken=access_token)

    # -- passwords -------------------------------------------------------------------------------
    def change_password(self, access_token: str, old: str, new: str) -> None:
        """ChangePassword for the signed-in user."""
        self._call(
            "change_password",
            "password",
            [access_token, old, new],
            AccessToken=access_token,
            PreviousPassword=old,
            ProposedPassword=new,
        )

    def forgot_password(self, username: str) -> dict[str, Any]:
        """ForgotPassword: Cognito sends a confirmation code; returns CodeDeliveryDetails."""
        params: dict[str, Any] = {"ClientId": self.client_id, "Username": username}
        params.update(self._secret_hash_param(username))
        reply = self._call("forgot_password", "reset", params.values(), **params)
        details = reply.get("CodeDeliveryDetails")
        return dict(details) if isinstance(details, Mapping) else {}

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        """ConfirmForgotPassword: sets the new password with the code from ForgotPassword."""
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "Username": username,
            "ConfirmationCode": code,
            "Password": new_password,
        }
        params.update(self._secret_hash_param(username))
        self._call("confirm_forgot_password", "reset", params.values(), **params)

    # -- every call -------------------------------------------------------------------------------
    def _call(
        self, method: str, context: str, secrets: Iterable[Any], **params: Any
    ) -> dict[str, Any]:
        client = make_client("cognito-idp", self.region, self._profile)
        if not hasattr(client, method):
            # An older botocore whose model lacks the operation: the caller may fall back.
            operation = "".join(part.title() for part in method.split("_"))
            raise ServiceError(
                f"this botocore does not know Cognito {operation}; upgrade botocore",
                code=_UNKNOWN_OPERATION,
            )
        # unique_id keeps this to one registration on the process-wide shared client.
        client.meta.events.register(
            "before-parse.cognito-identity-provider",
            wire.refuse_unreadable,
            unique_id="scribeauth-user-pool-unreadable",
        )
        hidden = [s for s in secrets if isinstance(s, str)]
        if self._client_secret:
            hidden.append(self._client_secret)
        return wire.call(
            client,
            method,
            params,
            service="Cognito",
            settings="scribe_client_id and scribe_user_pool_id",
            explain=lambda refusal: _word(refusal, context, hidden),
        )


def _one_of(*, session: str | None, access_token: str | None) -> dict[str, str]:
    if bool(session) == bool(access_token):
        raise ValueError("pass exactly one of session and access_token")
    return {"Session": session} if session else {"AccessToken": access_token or ""}


# Answers to these challenges stand for the password: a refusal means a wrong password.
_PASSWORD_CHALLENGES = frozenset({"PASSWORD_VERIFIER", "PASSWORD", "PASSWORD_SRP"})

_UNAUTHORIZED_FIX = {
    "sign-in": "check the username and password",
    "challenge": "check the code; if the sign-in has timed out, " + _SIGN_IN_AGAIN,
    "refresh": _SIGN_IN_AGAIN,
    "token": _SIGN_IN_AGAIN,
    "password": "check the current password; if the session has ended, " + _SIGN_IN_AGAIN,
    "reset": "check the username",
    "device": "this device is no longer remembered; sign in again: scribeauth login",
}


def _translate(
    response: Mapping[str, Any], operation: str, context: str, secrets: list[str]
) -> ScribeAuthError:
    """Words a botocore error response (``ClientError.response``) from the user pool."""
    return _word(wire.refusal_of(response, operation), context, secrets)


def _word(refusal: wire.Refusal, context: str, secrets: list[str]) -> ScribeAuthError:
    code = refusal.code
    said = _safe_message(refusal.message, secrets)
    detail = f" ({said})" if said else ""

    if code in _ERRORS:
        cls, fix = _ERRORS[code]
    elif (common := wire.classify(refusal)) is not None:
        cls, fix = common, _WAIT if common is TooManyRequestsException else "try again later"
        if common is ResourceNotFoundException:
            fix = _CHECK_IDS
    else:
        cls, fix = ServiceError, "report this if it persists"
    if code == "NotAuthorizedException":
        fix = _UNAUTHORIZED_FIX.get(context, _SIGN_IN_AGAIN)
        if context == "challenge" and "expired" in refusal.message.lower():
            # Cognito reports a timed-out sign-in session as NotAuthorized.
            cls, fix = ExpiredCodeError, _SIGN_IN_AGAIN
        if context == "sign-in" and not said:
            detail = " (incorrect username or password)"
        if _LOCKED_OUT in refusal.message.lower():
            # Cognito locks a user out after 5 failed sign-ins, for a while that grows.
            detail = " (too many failed sign-ins: the user is locked out for now)"
            fix = "wait a few minutes, then try again, or ask an administrator to reset it"
    if code == "ResourceNotFoundException" and context == "device":
        fix = "Cognito does not know this device; list them with: scribeauth devices"
    if code == "UserNotFoundException" and context == "sign-in":
        detail, fix = " (incorrect username or password)", "check the username and password"

    what = {
        UnauthorizedException: "Cognito refused the request",
        CodeMismatchError: "the code is wrong",
        ExpiredCodeError: "the code or sign-in session has expired",
        PasswordPolicyError: "the new password is not allowed",
        UserNotConfirmedError: "the account is not confirmed",
        TooManyRequestsException: "Cognito is throttling requests",
        ResourceNotFoundException: "Cognito does not know this app client or user pool",
        ServiceUnavailableError: "Cognito is unavailable",
    }.get(cls, "Cognito refused the request")
    label = f"{refusal.operation}: {what}" + (f" [{code}]" if code and cls is ServiceError else "")
    return wire.translated(cls, f"{label}{detail}; {fix}", refusal)
