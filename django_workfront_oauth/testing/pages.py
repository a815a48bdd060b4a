"""The emulator's HTML pages: error, login, consent and an index. Every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

LOGIN_PATH = "/integrations/oauth2/login"
CONSENT_PATH = "/integrations/oauth2/consent"


_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; }
input { width: 100%; padding: .45rem; box-sizing: border-box; }
button { margin: 1rem .5rem 0 0; padding: .5rem 1.2rem; }
.error { color: #b00020; }
.note { color: #666; font-size: .85rem; }
code { word-break: break-all; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - Workfront emulator</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}"
        '<p class="note">Local Workfront emulator for tests and demos.</p></main></body></html>\n'
    )


def error_page(message: str) -> str:
    """An authorization error shown to the user instead of a redirect."""
    return _page("Authorization error", f'<p class="error" role="alert">{escape(message)}</p>')


def login_page(
    request_id: str, client_id: str, username: str = "", error: str = "", *, ims: bool = False
) -> str:
    """The login form (fields ``username`` and ``password``), for either authorization server.

    One form serves both: the pending request it posts remembers which server it belongs to.
    """
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _page(
        "Sign in with your Adobe ID" if ims else "Log in to Workfront",
        f"<p>Application <code>{escape(client_id)}</code> asks you to log in.</p>{alert}"
        f'<form method="post" action="{LOGIN_PATH}">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<label for="username">Username</label>'
        f'<input id="username" name="username" autocomplete="username" value="{escape(username)}"'
        " required autofocus>"
        '<label for="password">Password</label>'
        '<input id="password" type="password" name="password" autocomplete="current-password"'
        " required>"
        '<button type="submit">Log in</button></form>',
    )


def consent_page(
    request_id: str,
    client_id: str,
    redirect_uri: str,
    user_name: str,
    scopes: tuple[str, ...] = (),
) -> str:
    """The consent screen: an Allow and a Deny button (``name="decision"``).

    ``scopes`` (Adobe IMS) are listed so a user sees what the application asks for.
    """
    asked = (
        "<p>Scopes: " + ", ".join(f"<code>{escape(scope)}</code>" for scope in scopes) + "</p>"
        if scopes
        else ""
    )
    return _page(
        "Allow access?",
        f"<p>Signed in as <strong>{escape(user_name)}</strong>.</p>"
        f"<p>Application <code>{escape(client_id)}</code> wants to access Workfront on your"
        f" behalf. You will be sent back to <code>{escape(redirect_uri)}</code>.</p>{asked}"
        f'<form method="post" action="{CONSENT_PATH}">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<button type="submit" name="decision" value="allow">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>',
    )


def index_page(domain: str, lane: str, username: str, endpoints: Iterable[str]) -> str:
    """What ``/`` shows: what this server is, how to log in and what it serves."""
    return _page(
        "Workfront emulator",
        f"<p>Emulating <code>{escape(domain)}.{escape(lane)}.workfront.com</code> and Adobe"
        " IMS.</p>"
        f"<p>Log in as <code>{escape(username)}</code>.</p>"
        "<ul>"
        + "".join(f"<li><code>{escape(endpoint)}</code></li>" for endpoint in endpoints)
        + "</ul>",
    )


def not_found_page() -> str:
    """Any other path."""
    return _page("Not found", "<p>The emulator has no page at this address.</p>")
