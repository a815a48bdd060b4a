"""The legacy Workfront OAuth2 app: the authorize endpoint and the token endpoint.

These functions only translate between HTTP and :class:`~.state.GrantStore`; the store holds the
rules (code lifetime, redirect URI and PKCE binding, rotation, reuse detection). The login and
consent forms that follow the authorize page are ``consent.py``'s, shared with Adobe IMS.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import grant_types, pages
from .backend import Backend
from .codes import AuthorizationRequest
from .common import OAuthError
from .faults import TOKEN
from .messages import (
    FORM_TYPE,
    JSON_TYPE,
    NO_STORE,
    Request,
    Response,
    html_response,
    json_response,
    token_error,
)


def authorize(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``GET /integrations/oauth2/authorize``: validate, then show the login form."""
    value = request.query_value
    try:
        pending = backend.store.codes.begin_authorization(
            AuthorizationRequest(
                client_id=value("client_id") or "",
                redirect_uri=value("redirect_uri") or "",
                state=value("state"),
                code_challenge=value("code_challenge"),
                code_challenge_method=value("code_challenge_method"),
            )
        )
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    # Like every authorize error this one is shown, not redirected: a malformed request never
    # sends the user anywhere, even to a registered URI.
    if value("response_type") != "code":
        return html_response(400, pages.error_page("response_type must be code."))
    return html_response(200, pages.login_page(pending.id, pending.request.client_id))


def token(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``POST /integrations/oauth2/api/v1/token``: both documented request styles."""
    if request.method != "POST":
        return token_error(405, "METHOD_NOT_ALLOWED", "Use POST.")
    params, problem = token_params(request)
    grant_type = params.get("grant_type")
    backend.counters.token_request(grant_type)
    intercepted = backend.faults.intercept(TOKEN, grant_type)
    if intercepted is not None:
        kind, response = intercepted
        backend.counters.fault(TOKEN)
        if kind == "400" and grant_type == grant_types.REFRESH_TOKEN:
            backend.counters.add("rejected_refreshes")
        return response
    if problem:
        return token_error(400, "INVALID_REQUEST", problem)
    try:
        client = backend.store.directory.authenticate(request.header("authorization") or "", params)
        tokens = grant_types.issue(backend.store, client, params)
    except OAuthError as err:
        return token_error(err.status, err.kind, err.message)
    return json_response(200, tokens.as_legacy_response(), NO_STORE)


def token_params(request: Request) -> tuple[dict[str, str], str]:
    """The body's parameters (JSON object or form) and a problem description, if any."""
    if request.content_type == FORM_TYPE:
        try:
            return grant_types.single_values(request.form()), ""
        except OAuthError as err:
            return {}, err.message
    if request.content_type == JSON_TYPE:
        try:
            body: Any = json.loads(request.body or b"null")
        except ValueError:
            return {}, "The body is not valid JSON."
        if not isinstance(body, dict):
            return {}, "The JSON body must be an object."
        return {str(key): str(value) for key, value in body.items() if value is not None}, ""
    return {}, "Send application/json or application/x-www-form-urlencoded."
