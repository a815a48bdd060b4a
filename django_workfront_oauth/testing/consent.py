"""The sign-in and consent forms' handlers, shared by both authorization servers.

An authorize request of either server (``legacy.py``, ``ims.py``) shows the login page; its
pending record says which server it belongs to, and so where and how the user is sent back.

A successful login redirects (303) to the consent page, a ``GET`` that the browser's Back asks
for again (no page here is cached). A login or consent page of a request that was answered
already, or lapsed, sends the user back to the client with ``error=access_denied`` and the
request's ``state`` (RFC 6749 4.1.2.1: the redirect URI was checked when the request began),
so Back after connecting ends on the client's own page, never on a dead end here.
"""

from __future__ import annotations

import re

from django_workfront_oauth.constants import PROVIDER_WORKFRONT

from . import pages
from .backend import Backend
from .codes import AuthorizationRequest, FinishedRequest
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
    except FinishedRequest as err:
        return back_to_client(backend, err)
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
    # Post/Redirect/Get: the consent page is a GET of its own, which Back asks for again.
    return redirect(add_query(pages.CONSENT_PATH, {"request_id": request_id}), 303)


def consent(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """The consent page (``GET``), and its form's answer (``POST``): back to the client with a
    code or ``access_denied``."""
    if request.method == "GET":
        return consent_form(backend, request)
    form = request.form()
    decision = first(form, "decision")
    if decision not in ("allow", "deny"):
        return html_response(400, pages.error_page("Choose Allow or Deny."))
    try:
        pending, code = backend.store.codes.decide(
            first(form, "request_id"), allow=decision == "allow"
        )
    except FinishedRequest as err:
        return back_to_client(backend, err)
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


def consent_form(backend: Backend, request: Request) -> Response:
    """``GET`` of the consent page: Allow and Deny, once the user has logged in."""
    request_id = request.query_value("request_id") or ""
    codes = backend.store.codes
    try:
        pending = codes.pending(request_id)
    except FinishedRequest as err:
        return back_to_client(backend, err)
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    asked = pending.request
    user = backend.store.directory.find_user(pending.username or "")
    if user is None:  # not logged in yet (or the user is gone): the login form first
        page = pages.login_page(
            request_id, asked.client_id, ims=asked.provider != PROVIDER_WORKFRONT
        )
        return html_response(200, page)
    page = pages.consent_page(
        request_id, asked.client_id, asked.redirect_uri, user.name, asked.scopes
    )
    return html_response(200, page)


def back_to_client(backend: Backend, err: FinishedRequest) -> Response:
    """Send the user of an answered (or lapsed) request back to its client, with its state.

    ``access_denied``: the authorization server refuses to answer one request twice. Only to a
    redirect URI the client still has registered; otherwise a page says to start again.
    """
    asked: AuthorizationRequest = err.request
    client = backend.store.directory.client(asked.client_id, asked.provider)
    if client is None or asked.redirect_uri not in client.redirect_uris:
        return html_response(err.status, pages.error_page(err.message))
    params = {
        "error": "access_denied",
        "error_description": "This sign-in request was already answered, or has expired.",
    }
    if asked.state is not None:
        params["state"] = asked.state
    return redirect(add_query(asked.redirect_uri, params))


def first(form: Query, name: str) -> str:
    """The first value of a form field, ``""`` when absent."""
    values = form.get(name)
    return values[0] if values else ""
