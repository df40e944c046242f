"""The local stack's managed login over HTTP: pages, the code grant with PKCE, and every refusal
Cognito makes (wrong verifier, reused or expired code, mismatched or unregistered redirect URI),
with tokens the stack's identity pool accepts."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from _managed_login import (
    Pages,
    authorization,
    callback,
    code_form,
    query_of,
    token_call,
    with_params,
)

from scribeauth import oauth
from scribeauth.local.stack import LocalStack
from scribeauth.models import Jwt
from scribeauth.tokens import issuer_url


def alice_code(stack: LocalStack, request: oauth.AuthorizationRequest) -> str:
    alice = stack.seed.users["alice"]
    reply = Pages(stack).sign_in(request.url, "alice", alice.password)
    assert reply.status == 302
    assert reply.location.startswith(request.redirect_uri + "?")
    return oauth.parse_redirect(reply.location, request)


def exchange(stack: LocalStack, request: oauth.AuthorizationRequest, code: str) -> dict[str, Any]:
    reply = token_call(stack, code_form(request, code))
    assert reply.status == 200, reply
    assert reply.headers["Cache-Control"] == "no-store"
    document: dict[str, Any] = reply.json()
    return document


def identity_credentials(stack: LocalStack, id_token: str) -> dict[str, Any]:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.client(
        "cognito-identity",
        region_name=stack.region,
        endpoint_url=stack.endpoint_url,
        config=Config(signature_version=UNSIGNED),
    )
    logins = {stack.seed.provider_name: id_token}
    identity = client.get_id(IdentityPoolId=stack.seed.identity_pool_id, Logins=logins)
    reply = client.get_credentials_for_identity(IdentityId=identity["IdentityId"], Logins=logins)
    credentials: dict[str, Any] = reply["Credentials"]
    return credentials


def test_openid_configuration_names_the_endpoints_and_the_real_issuer(stack: LocalStack) -> None:
    pool = stack.seed.user_pool_id
    for path in ("/.well-known/openid-configuration", f"/{pool}/.well-known/openid-configuration"):
        document = Pages(stack).request(path).json()
        assert document["issuer"] == issuer_url(pool)
        assert document["token_endpoint"] == f"{stack.endpoint_url}/oauth2/token"
        assert document["authorization_endpoint"] == f"{stack.endpoint_url}/oauth2/authorize"
        assert document["code_challenge_methods_supported"] == ["S256"]
        keys = Pages(stack).request(document["jwks_uri"]).json()
        assert keys["keys"][0]["kty"] == "RSA"
    assert Pages(stack).request("/eu-west-2_nope/.well-known/openid-configuration").status == 404


def test_alice_signs_in_and_the_identity_pool_takes_her_id_token(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack), scopes=["openid", "email"])
    code = alice_code(stack, request)
    document = exchange(stack, request, code)
    assert set(document) == {
        "id_token",
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
    }
    id_token = Jwt.parse(document["id_token"])
    assert id_token.claims["nonce"] == request.nonce
    assert id_token.claims["iss"] == issuer_url(stack.seed.user_pool_id)
    assert id_token.claims["cognito:username"] == "alice"
    assert Jwt.parse(document["access_token"]).claims["scope"] == "openid email"
    assert identity_credentials(stack, document["id_token"])["AccessKeyId"]


def test_the_sign_in_page_is_a_form_and_a_wrong_password_shows_an_error(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    pages = Pages(stack)
    reply = pages.sign_in(request.url, "alice", "not-her-password")
    assert reply.status == 200
    assert 'id="error"' in reply.text
    assert "Incorrect username or password." in reply.text
    assert "Sign in with Example SSO" in reply.text
    assert "code=" not in reply.headers.get("Location", "")


def test_bob_gets_the_totp_page_and_a_wrong_code_is_refused(stack: LocalStack) -> None:
    bob = stack.seed.users["bob"]
    request = authorization(stack, callback(stack))
    pages = Pages(stack)
    page = pages.request(pages.request(request.url).location)
    mfa = pages.request(
        "/login", {"tx": pages.transaction(page), "username": "bob", "password": bob.password}
    )
    assert 'id="code"' in mfa.text
    wrong = pages.request("/mfa", {"tx": pages.transaction(mfa), "code": "000000"})
    assert "Invalid code received for user" in wrong.text
    assert wrong.status == 200
    reply = Pages(stack).sign_in(request.url, "bob", bob.password, totp_secret=bob.totp_secret)
    code = oauth.parse_redirect(reply.location, request)
    claims = Jwt.parse(exchange(stack, request, code)["id_token"]).claims
    assert claims["cognito:username"] == "bob"


def test_the_federated_button_signs_in_a_federated_user(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    reply = Pages(stack).sign_in_federated(request.url)
    assert reply.status == 302
    code = oauth.parse_redirect(reply.location, request)
    document = exchange(stack, request, code)
    claims = Jwt.parse(document["id_token"]).claims
    assert claims["cognito:username"] == "ExampleSSO_0001"
    assert claims["identities"][0]["providerName"] == "ExampleSSO"
    assert claims["email"] == "sam@corp.example"
    assert identity_credentials(stack, document["id_token"])["AccessKeyId"]


def test_identity_provider_skips_the_chooser(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack), identity_provider="ExampleSSO")
    first = Pages(stack).request(request.url)
    assert first.location.startswith("/example-sso/authorize?")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unauthorized_client"),
        ({"response_type": "id_token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"identity_provider": "Google"}, "invalid_request"),
    ],
)
def test_authorize_refusals_go_back_to_the_app(
    stack: LocalStack, changes: dict[str, str], error: str
) -> None:
    request = authorization(stack, callback(stack))
    reply = Pages(stack).request(with_params(request.url, **changes))
    assert reply.status == 302
    assert reply.location.startswith(request.redirect_uri + "?")
    query = query_of(reply.location)
    assert query["error"] == error
    assert query["state"] == request.state
    assert "code" not in query


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:1/callback",  # unregistered port
        "https://evil.example/callback",  # foreign host
        None,  # the registered one with a trailing slash: Cognito matches exactly
    ],
)
def test_an_unregistered_callback_gets_the_error_page_and_no_code(
    stack: LocalStack, redirect_uri: str | None
) -> None:
    registered = callback(stack)
    request = authorization(stack, registered)
    reply = Pages(stack).request(
        with_params(request.url, redirect_uri=redirect_uri or registered + "/")
    )
    assert reply.status == 302
    assert reply.location.startswith("/error?")
    assert query_of(reply.location)["error"] == "redirect_mismatch"
    page = Pages(stack).request(reply.location)
    assert page.status == 400
    assert "An error was encountered with the requested page." in page.text


def test_an_unknown_client_gets_the_error_page(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    reply = Pages(stack).request(with_params(request.url, client_id="nope"))
    assert reply.location.startswith("/error?error=invalid_request")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"code_verifier": oauth.new_pkce().verifier}, "invalid_grant"),  # wrong verifier
        ({"code_verifier": None}, "invalid_grant"),  # PKCE sign-in, no verifier
        ({"code_verifier": "short"}, "invalid_grant"),
        ({"redirect_uri": "http://localhost:1/callback"}, "unauthorized_client"),
        ({"redirect_uri": None}, "unauthorized_client"),
        ({"code": "0000-not-a-code"}, "invalid_grant"),
        ({"code": None}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": None}, "invalid_request"),
        ({"client_id": "nope"}, "invalid_client"),
        ({"client_secret": "not-for-a-public-client"}, "invalid_client"),
    ],
)
def test_the_token_endpoint_refuses_as_cognito_does(
    stack: LocalStack, changes: dict[str, str | None], error: str
) -> None:
    request = authorization(stack, callback(stack))
    code = alice_code(stack, request)
    reply = token_call(stack, code_form(request, code, **changes))
    assert reply.status == 400
    assert reply.json() == {"error": error}


def test_a_code_works_once_and_a_failed_try_uses_it_up(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    code = alice_code(stack, request)
    exchange(stack, request, code)
    assert token_call(stack, code_form(request, code)).json() == {"error": "invalid_grant"}
    code = alice_code(stack, request)
    wrong = code_form(request, code, code_verifier=oauth.new_pkce().verifier)
    assert token_call(stack, wrong).json() == {"error": "invalid_grant"}
    assert token_call(stack, code_form(request, code)).json() == {"error": "invalid_grant"}


def test_a_code_expires_after_five_minutes(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    code = alice_code(stack, request)
    stack.clock_offset += 301
    assert token_call(stack, code_form(request, code)).json() == {"error": "invalid_grant"}


def test_another_clients_code_is_refused(stack: LocalStack) -> None:
    seed = stack.seed
    request = authorization(stack, callback(stack))
    code = alice_code(stack, request)
    basic = base64.b64encode(
        f"{seed.confidential_client_id}:{seed.confidential_client_secret}".encode()
    ).decode()
    form = code_form(request, code, client_id=None)
    reply = token_call(stack, form, Authorization=f"Basic {basic}")
    assert reply.json() == {"error": "invalid_grant"}


def test_a_confidential_client_authenticates_with_basic(stack: LocalStack) -> None:
    seed = stack.seed
    request = oauth.new_authorization_request(
        stack.endpoint_url, seed.confidential_client_id, callback(stack)
    )
    code = alice_code(stack, request)
    unauthenticated = token_call(stack, code_form(request, code))
    assert unauthenticated.json() == {"error": "invalid_client"}
    code = alice_code(stack, request)
    basic = base64.b64encode(
        f"{seed.confidential_client_id}:{seed.confidential_client_secret}".encode()
    ).decode()
    reply = token_call(
        stack, code_form(request, code, client_id=None), Authorization=f"Basic {basic}"
    )
    assert reply.status == 200
    assert Jwt.parse(reply.json()["id_token"]).claims["aud"] == seed.confidential_client_id


def test_a_client_without_managed_login_is_unauthorized(stack: LocalStack) -> None:
    request = oauth.new_authorization_request(
        stack.endpoint_url, stack.seed.srp_disabled_client_id, "http://localhost:1/callback"
    )
    reply = Pages(stack).request(request.url)
    assert query_of(reply.location)["error"] == "redirect_mismatch"


def test_refresh_grant_then_revoke(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack), scopes=["openid", "email"])
    document = exchange(stack, request, alice_code(stack, request))
    refresh = {
        "grant_type": "refresh_token",
        "client_id": request.client_id,
        "refresh_token": document["refresh_token"],
    }
    renewed = token_call(stack, refresh)
    assert renewed.status == 200
    assert "refresh_token" not in renewed.json()
    claims = Jwt.parse(renewed.json()["id_token"]).claims
    assert claims["sub"] == Jwt.parse(document["id_token"]).claims["sub"]
    assert Jwt.parse(renewed.json()["access_token"]).claims["scope"] == "openid email"

    access = {"client_id": request.client_id, "token": document["access_token"]}
    assert token_call(stack, access, path="/oauth2/revoke").json() == {
        "error": "unsupported_token_type"
    }
    assert token_call(stack, {"client_id": request.client_id}, path="/oauth2/revoke").json() == {
        "error": "invalid_request"
    }
    revoke = {"client_id": request.client_id, "token": document["refresh_token"]}
    reply = token_call(stack, revoke, path="/oauth2/revoke")
    assert (reply.status, reply.text) == (200, "")
    assert token_call(stack, refresh).json() == {"error": "invalid_grant"}
    bearer = Pages(stack).request(
        "/oauth2/userInfo", headers={"Authorization": f"Bearer {document['access_token']}"}
    )
    assert bearer.status == 401  # tokens minted from a revoked refresh token die with it


def test_user_info(stack: LocalStack) -> None:
    request = authorization(stack, callback(stack))
    document = exchange(stack, request, alice_code(stack, request))
    reply = Pages(stack).request(
        "/oauth2/userInfo", headers={"Authorization": f"Bearer {document['access_token']}"}
    )
    assert reply.status == 200
    info = reply.json()
    assert info["username"] == "alice"
    assert info["email"] == "alice@example.com"
    assert info["sub"] == Jwt.parse(document["id_token"]).claims["sub"]
    bad = Pages(stack).request("/oauth2/userInfo", headers={"Authorization": "Bearer nope"})
    assert bad.status == 401
    assert bad.json()["error"] == "invalid_token"
    assert bad.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')


def test_the_session_cookie_skips_the_page_until_logout(stack: LocalStack) -> None:
    registered = callback(stack)
    request = authorization(stack, registered)
    pages = Pages(stack)
    alice = stack.seed.users["alice"]
    first = pages.sign_in(request.url, "alice", alice.password)
    assert first.status == 302
    again = pages.request(request.url)  # same browser: signed in already
    assert again.location.startswith(registered + "?code=")
    forced = pages.request(with_params(request.url, prompt="login"))
    assert forced.location.startswith("/login?")
    foreign = pages.request(
        f"/logout?client_id={request.client_id}&logout_uri=https://evil.example/"
    )
    assert query_of(foreign.location)["error"] == "redirect_mismatch"
    out = pages.request(f"/logout?client_id={request.client_id}&logout_uri={registered}")
    assert (out.status, out.location) == (302, registered)
    assert pages.request(request.url).location.startswith("/login?")
