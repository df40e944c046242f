"""The HTML of the local stack's managed login: sign-in, MFA code, error, and the fake IdP.

Plain server-rendered pages (no JavaScript), so any browser (and a test driving one) can use
them. Every value placed in a page is escaped. Element ids are stable for tests:
``username``, ``password``, ``signin``, ``sso``, ``code``, ``verify``, ``email``, ``continue``,
``error``.
"""

from __future__ import annotations

from html import escape

__all__ = ["error_page", "idp_page", "mfa_page", "sign_in_page", "signed_out_page"]

_STYLE = """
body { font-family: system-ui, sans-serif; background: #eef1f5; margin: 0; }
main { max-width: 360px; margin: 48px auto; background: #fff; border-radius: 10px;
       padding: 28px 32px; box-shadow: 0 2px 10px rgba(0,0,0,.12); }
h1 { font-size: 20px; margin: 0 0 4px; } p.sub { color: #555; margin: 0 0 20px; }
label { display: block; font-size: 14px; margin: 12px 0 4px; color: #333; }
input { width: 100%; box-sizing: border-box; padding: 9px; font-size: 15px;
        border: 1px solid #aab; border-radius: 6px; }
button, a.button { display: block; width: 100%; box-sizing: border-box; margin-top: 18px;
        padding: 10px; font-size: 15px; border: 0; border-radius: 6px; cursor: pointer;
        text-align: center; text-decoration: none; }
button.primary { background: #1f6feb; color: #fff; }
a.button.sso { background: #fff; color: #222; border: 1px solid #889; }
.or { text-align: center; color: #777; margin: 18px 0 0; font-size: 13px; }
.error { background: #fde8e8; color: #9b1c1c; padding: 8px 10px; border-radius: 6px; }
.brand { font-weight: 600; color: #1f6feb; letter-spacing: .02em; margin-bottom: 14px; }
.idp main { border-top: 6px solid #7a3cff; } .idp .brand { color: #7a3cff; }
footer { text-align: center; color: #889; font-size: 12px; margin-top: 14px; }
"""


def _page(title: str, body: str, *, css_class: str = "") -> bytes:
    klass = f' class="{css_class}"' if css_class else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body{klass}><main>{body}</main>"
        "<footer>scribeauth local stack: managed login</footer></body></html>\n"
    ).encode()


def _error(message: str | None) -> str:
    return f'<p class="error" id="error">{escape(message)}</p>' if message else ""


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def sign_in_page(
    *, transaction: str, client_name: str, sso_url: str | None, error: str | None = None
) -> bytes:
    """The username-and-password page, with a "Sign in with Example SSO" button when offered."""
    sso = ""
    if sso_url is not None:
        sso = (
            '<p class="or">or</p>'
            f'<a class="button sso" id="sso" href="{escape(sso_url)}">Sign in with Example SSO</a>'
        )
    body = (
        '<div class="brand">Scribe</div><h1>Sign in</h1>'
        f'<p class="sub">to continue to {escape(client_name)}</p>{_error(error)}'
        '<form method="post" action="/login">'
        f"{_hidden('tx', transaction)}"
        '<label for="username">Username or e-mail</label>'
        '<input id="username" name="username" autocomplete="username" autofocus required>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button class="primary" id="signin" type="submit">Sign in</button>'
        f"</form>{sso}"
    )
    return _page("Sign in", body)


def mfa_page(*, transaction: str, username: str, error: str | None = None) -> bytes:
    """The authenticator-app (TOTP) code page."""
    body = (
        '<div class="brand">Scribe</div><h1>Multi-factor authentication</h1>'
        f'<p class="sub">Enter the code from the authenticator app of {escape(username)}.</p>'
        f"{_error(error)}"
        '<form method="post" action="/mfa">'
        f"{_hidden('tx', transaction)}"
        '<label for="code">Code</label>'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        'pattern="[0-9]{6}" maxlength="6" autofocus required>'
        '<button class="primary" id="verify" type="submit">Sign in</button></form>'
    )
    return _page("Multi-factor authentication", body)


def idp_page(*, state: str, email: str, error: str | None = None) -> bytes:
    """The fake corporate identity provider's page ("Example SSO")."""
    body = (
        '<div class="brand">Example SSO</div><h1>Corporate sign-in</h1>'
        '<p class="sub">Example Corp single sign-on (a stand-in identity provider).</p>'
        f"{_error(error)}"
        '<form method="post" action="/example-sso/authorize">'
        f"{_hidden('state', state)}"
        '<label for="email">Work e-mail</label>'
        f'<input id="email" name="email" type="email" value="{escape(email)}" required>'
        '<button class="primary" id="continue" type="submit">Continue</button></form>'
    )
    return _page("Example SSO", body, css_class="idp")


def error_page(error: str, description: str | None = None) -> bytes:
    """Cognito's "An error was encountered with the requested page." page."""
    detail = f"<p>{escape(description)}</p>" if description else ""
    body = (
        '<div class="brand">Scribe</div><h1>An error was encountered with the requested page.</h1>'
        f'<p class="error" id="error">{escape(error)}</p>{detail}'
    )
    return _page("Error", body)


def signed_out_page() -> bytes:
    """What ``/logout`` shows when it has nowhere to send the browser."""
    return _page("Signed out", '<div class="brand">Scribe</div><h1>You are signed out.</h1>')
