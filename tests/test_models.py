"""Freshness lives on the data: AWS credentials and tokens say whether they are usable at a time."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from scribeauth.models import REFRESH_WINDOW, TOKEN_REFRESH_WINDOW, AwsCredentials, Tokens

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def credentials(left: timedelta) -> AwsCredentials:
    return AwsCredentials("ASIAEXAMPLE", "secret", "session", NOW + left)


def jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def tokens(left: timedelta | None, refresh: str | None = None) -> Tokens:
    claims: dict[str, object] = {"sub": "u-1"}
    if left is not None:
        claims["exp"] = int((NOW + left).timestamp())
    return Tokens(jwt(claims), jwt(claims), refresh)


def test_the_refresh_window_is_twenty_minutes_and_five_for_id_tokens() -> None:
    assert timedelta(minutes=20) == REFRESH_WINDOW
    assert timedelta(minutes=5) == TOKEN_REFRESH_WINDOW


def test_credentials_are_fresh_only_outside_the_refresh_window() -> None:
    assert credentials(REFRESH_WINDOW + timedelta(seconds=1)).fresh(NOW)
    assert not credentials(REFRESH_WINDOW).fresh(NOW)
    assert not credentials(timedelta(minutes=19)).fresh(NOW)


def test_credentials_expire_at_their_expiry() -> None:
    assert not credentials(timedelta(seconds=1)).expired(NOW)
    assert credentials(timedelta(0)).expired(NOW)
    assert credentials(timedelta(seconds=-1)).expired(NOW)
    assert not credentials(timedelta(minutes=19)).expired(NOW)  # stale, yet usable


def test_id_tokens_are_valid_outside_their_window_only() -> None:
    assert tokens(TOKEN_REFRESH_WINDOW + timedelta(seconds=1)).valid(NOW)
    assert not tokens(TOKEN_REFRESH_WINDOW).valid(NOW)
    assert not tokens(None).valid(NOW)  # no exp claim: never sent on trust
    assert not Tokens("not-a-jwt", "not-a-jwt").valid(NOW)


def test_a_session_is_signed_in_with_a_refresh_token_or_a_valid_id_token() -> None:
    assert tokens(timedelta(hours=-1), refresh="r").signed_in(NOW)
    assert tokens(timedelta(hours=1)).signed_in(NOW)
    assert not tokens(timedelta(hours=-1)).signed_in(NOW)
