"""Wire errors to scribeauth errors: the one translator both Cognito clients call through.

:func:`call` runs one botocore call and turns every way it can fail into an error of
:mod:`scribeauth.errors`, the same class for the same failure whichever pool was called:

=============================================  ================================================
on the wire                                    scribeauth raises
=============================================  ================================================
``ClientError``: a throttling code or 429      :class:`TooManyRequestsException` (exit 6)
``ClientError``: ``ResourceNotFoundException``  :class:`ResourceNotFoundException` (exit 7)
``ClientError``: 5xx, ``InternalError...``     :class:`ServiceUnavailableError` (exit 6)
``ClientError``: an ``*_AUTH`` flow "not       :class:`AuthFlowNotEnabledError` (exit 7)
enabled" (``InvalidParameterException``)
``ClientError``: anything else                 the calling client's own table (``explain``)
``ParamValidationError`` (nothing was sent)    :class:`ConfigError` (exit 3): a malformed id
connection refused / reset, timeouts,          :class:`ServiceUnavailableError` (exit 6),
truncated or unreadable replies                naming the endpoint
any other botocore failure                     :class:`ServiceError` (exit 7)
=============================================  ================================================

Every error is chained to botocore's, carries the Cognito code as ``.code`` (None when nothing
came back) and is one line. botocore's own text is never passed on (a ``ParamValidationError``
quotes parameter values: passwords, tokens); Cognito's message is kept only through
:func:`safe_message`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import (
    AuthFlowNotEnabledError,
    ConfigError,
    ResourceNotFoundException,
    ScribeAuthError,
    ServiceError,
    ServiceUnavailableError,
    TooManyRequestsException,
)

__all__ = ["Refusal", "call", "classify", "refuse_unreadable", "safe_message"]

THROTTLED = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "TooManyFailedAttemptsException",
    }
)
_UNAVAILABLE = frozenset({"InternalErrorException", "ServiceUnavailable", "InternalFailure"})
# Cognito's words when an app client does not allow the flow asked for, e.g. "USER_SRP_AUTH is
# not enabled for the client." and "USER_PASSWORD_AUTH flow not enabled for this client".
_FLOW_NOT_ENABLED = re.compile(r"^([A-Z_]+_AUTH)\b.*\bnot enabled\b")
# Runs of characters that look like a token, a session, a secret or a long code.
_SECRETISH = re.compile(r"[A-Za-z0-9_\-+/=.]{40,}")


@dataclass(frozen=True)
class Refusal:
    """A ``ClientError`` as data: what Cognito said, before it is worded for a person.

    Attributes:
        operation: the API operation (``InitiateAuth``).
        code: Cognito's error code, on one line ("" when none).
        message: Cognito's message, raw (screen it with :func:`safe_message` before showing).
        status: the HTTP status (0 when unknown).
    """

    operation: str
    code: str
    message: str
    status: int


def safe_message(message: object, secrets: Iterable[str] = ()) -> str:
    """Cognito's message on one line, or "" when it might carry something secret."""
    if not isinstance(message, str):
        return ""
    text = " ".join(message.split()).rstrip(".")
    if not text or len(text) > 200 or _SECRETISH.search(text):
        return ""
    if any(secret and secret in text for secret in secrets):
        return ""
    return text


def refusal_of(response: Mapping[str, Any], operation: str) -> Refusal:
    """A botocore error response (``ClientError.response``) as a :class:`Refusal`."""
    error = response.get("Error") or {}
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
    return Refusal(
        operation=operation,
        code=" ".join(str(error.get("Code") or "").split()),
        message=str(error.get("Message") or ""),
        status=status if isinstance(status, int) else 0,
    )


def classify(refusal: Refusal) -> type[ScribeAuthError] | None:
    """The class every Cognito client uses for this refusal, or None to word it itself."""
    if refusal.code in THROTTLED or refusal.status == 429:
        return TooManyRequestsException
    if refusal.code == "ResourceNotFoundException":
        return ResourceNotFoundException
    if refusal.code in _UNAVAILABLE or refusal.status >= 500:
        return ServiceUnavailableError
    return None


def flow_not_enabled(refusal: Refusal) -> str | None:
    """The auth flow Cognito says the app client does not allow, from its reply; else None."""
    if refusal.code != "InvalidParameterException":
        return None
    match = _FLOW_NOT_ENABLED.match(" ".join(refusal.message.split()))
    return match.group(1) if match else None


def refuse_unreadable(response_dict: Mapping[str, Any], **_: Any) -> None:
    """A ``before-parse`` handler: a 2xx whose body is not a JSON object is refused.

    botocore would read a proxy's page or a cut-off reply as an empty success.
    """
    status = response_dict.get("status_code") or 0
    if not 200 <= status < 300:
        return
    try:
        parsed = json.loads(response_dict.get("body") or b"")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        from botocore.parsers import ResponseParserError

        raise ResponseParserError("the reply is not a JSON object")


def _endpoint(client: Any) -> str:
    """Where the client sends its calls, for messages (without any user:password@)."""
    url = str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "")
    parts = urlsplit(url)
    if not parts.hostname:
        return "its endpoint"
    port = f":{parts.port}" if parts.port else ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"


def call(
    client: Any,
    method: str,
    params: Mapping[str, Any],
    *,
    service: str,
    settings: str,
    explain: Callable[[Refusal], ScribeAuthError],
) -> dict[str, Any]:
    """Runs ``client.<method>(**params)``; any failure becomes one scribeauth error.

    Args:
        client: a botocore client (:func:`scribeauth.clients.make_client`).
        method: the client method (``initiate_auth``).
        params: its parameters.
        service: how messages name the service ("Cognito", "the Cognito identity service").
        settings: the profile settings a malformed request points at, for the fix.
        explain: words a ``ClientError`` that :func:`classify` does not settle.

    Returns:
        The reply, without ``ResponseMetadata``.
    """
    import botocore.exceptions
    import botocore.parsers

    operation = client.meta.method_to_api_mapping.get(method, method)
    try:
        reply = getattr(client, method)(**params)
    except botocore.exceptions.ClientError as err:
        raise explain(refusal_of(err.response, operation)) from err
    except botocore.exceptions.ParamValidationError as err:
        # Nothing was sent: a setting (an id) has a shape the API refuses. str(err) quotes the
        # parameter values (the password, a token), so only its class is named.
        raise ConfigError(
            f"{operation}: botocore refused to send the request (ParamValidationError); "
            f"check {settings} in the profile"
        ) from err
    except (
        botocore.exceptions.ConnectionError,
        botocore.exceptions.HTTPClientError,
        OSError,
    ) as err:
        raise ServiceUnavailableError(
            f"cannot reach {service} at {_endpoint(client)} for {operation} "
            f"({type(err).__name__}); check the network and AWS_ENDPOINT_URL, then try again"
        ) from err
    except (
        botocore.exceptions.IncompleteReadError,
        botocore.parsers.ResponseParserError,
        AttributeError,
        TypeError,
        ValueError,
        OverflowError,
    ) as err:
        # How botocore's parser fails on a reply that is not UTF-8, or is JSON of another
        # shape than the API's (a proxy's page, the wrong endpoint).
        raise ServiceUnavailableError(
            f"{service} at {_endpoint(client)} sent an unreadable reply to {operation} "
            f"({type(err).__name__}); check AWS_ENDPOINT_URL, then try again"
        ) from err
    except botocore.exceptions.BotoCoreError as err:
        raise ServiceError(
            f"{service} {operation} could not be sent ({type(err).__name__}); report it"
        ) from err
    if not isinstance(reply, dict):  # pragma: no cover - botocore always returns a dict
        raise ServiceError(f"{service} sent no reply to {operation}; try again")
    reply = dict(reply)
    reply.pop("ResponseMetadata", None)
    return reply


def translated(cls: type[ScribeAuthError], message: str, refusal: Refusal) -> ScribeAuthError:
    """An error of ``cls`` carrying the refusal's code (and, when it says so, the flow)."""
    flow = flow_not_enabled(refusal)
    if flow is not None and cls is ServiceError:
        return AuthFlowNotEnabledError(message, code=refusal.code or None, flow=flow)
    return cls(message, code=refusal.code or None)
