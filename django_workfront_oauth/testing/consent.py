"""The sign-in and consent forms' handlers, shared by both authorization servers.

An authorize request of either server (``legacy.py``, ``ims.py``) shows the login page; its
pending record says which server it belongs to, and so where and how the user is sent back.
"""

from __future__ import annotations

import re

from django_workfront_oauth.constants import PROVIDER_WORKFRONT

from . import pages
from .backend import Backend
from .common import OAuthError, add_query
from .messages import Query, Request, Response, html_response, redirect


def login(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``POST`` of the login form: the consent page, or the form again with an error."""
    form = request.form()
    request_id = first(form, "request_id")
    username = first(form, "username")
    codes = backend.store.codes
    try:
        pending = codes.pending(request_id)
        user = codes.log_in(request_id, username, first(form, "password"))
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    asked = pending.request
    if user is None:
        page = pages.login_page(
            request_id,
            asked.client_id,
            username,
            "Invalid username or password.",
            ims=asked.provider != PROVIDER_WORKFRONT,
        )
        return html_response(200, page)
    page = pages.consent_page(
        request_id, asked.client_id, asked.redirect_uri, user.name, asked.scopes
    )
    return html_response(200, page)


def consent(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``POST`` of the consent form: back to the client with a code or ``access_denied``."""
    form = request.form()
    decision = first(form, "decision")
    if decision not in ("allow", "deny"):
        return html_response(400, pages.error_page("Choose Allow or Deny."))
    try:
        pending, code = backend.store.codes.decide(
            first(form, "request_id"), allow=decision == "allow"
        )
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    # The redirect URI comes from the server-side record, never from the form.
    asked = pending.request
    params = {"error": "access_denied"} if code is None else {"code": code}
    if asked.state is not None:
        params["state"] = asked.state
    # Only the legacy app says which Workfront answered; IMS sends code and state alone.
    if code is not None and asked.provider == PROVIDER_WORKFRONT:
        params.update(domain=backend.domain, lane=backend.lane)
    return redirect(add_query(asked.redirect_uri, params))


def first(form: Query, name: str) -> str:
    """The first value of a form field, ``""`` when absent."""
    values = form.get(name)
    return values[0] if values else ""
