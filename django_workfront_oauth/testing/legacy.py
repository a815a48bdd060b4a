"""The legacy Workfront OAuth2 app: authorize, login and consent pages, and the token endpoint.

These functions only translate between HTTP and :class:`~.state.GrantStore`; the store holds the
rules (code lifetime, rotation, reuse detection), so another authorization server can reuse it.
The login and consent pages serve Adobe IMS's authorize requests (``ims.py``) too: the pending
request says which server it belongs to, and so where and how the user is sent back.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from . import pages
from .faults import TOKEN
from .messages import (
    FORM_TYPE,
    JSON_TYPE,
    Request,
    Response,
    html_response,
    json_response,
    redirect,
    token_error,
)
from .state import LEGACY, ClientApp, OAuthError, add_query, client_credentials

if TYPE_CHECKING:
    from .emulator import WorkfrontEmulator

AUTHORIZE_PATH = "/integrations/oauth2/authorize"
TOKEN_PATH = "/integrations/oauth2/api/v1/token"  # noqa: S105 - a path


def authorize(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``GET /integrations/oauth2/authorize``: validate, then show the login form."""
    value = request.query_value
    try:
        pending = emulator.store.begin_authorization(
            client_id=value("client_id") or "",
            redirect_uri=value("redirect_uri") or "",
            state=value("state"),
            code_challenge=value("code_challenge"),
            code_challenge_method=value("code_challenge_method"),
        )
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    # Like every authorize error this one is shown, not redirected: a malformed request never
    # sends the user anywhere, even to a registered URI.
    if value("response_type") != "code":
        return html_response(400, pages.error_page("response_type must be code."))
    return html_response(200, pages.login_page(pending.id, pending.client_id))


def login(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``POST`` of the login form: the consent page, or the form again with an error."""
    form = request.form()
    request_id = _first(form, "request_id")
    username = _first(form, "username")
    try:
        pending = emulator.store.pending(request_id)
        user = emulator.store.log_in(request_id, username, _first(form, "password"))
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    if user is None:
        page = pages.login_page(
            request_id,
            pending.client_id,
            username,
            "Invalid username or password.",
            ims=pending.provider != LEGACY,
        )
        return html_response(200, page)
    page = pages.consent_page(
        request_id, pending.client_id, pending.redirect_uri, user.name, pending.scopes
    )
    return html_response(200, page)


def consent(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``POST`` of the consent form: back to the client with a code or ``access_denied``."""
    form = request.form()
    decision = _first(form, "decision")
    if decision not in ("allow", "deny"):
        return html_response(400, pages.error_page("Choose Allow or Deny."))
    try:
        pending, code = emulator.store.decide(_first(form, "request_id"), allow=decision == "allow")
    except OAuthError as err:
        return html_response(err.status, pages.error_page(err.message))
    # The redirect URI comes from the server-side record, never from the form.
    params = {"error": "access_denied"} if code is None else {"code": code}
    if pending.state is not None:
        params["state"] = pending.state
    # Only the legacy app says which Workfront answered; IMS sends code and state alone.
    if code is not None and pending.provider == LEGACY:
        params.update(domain=emulator.domain, lane=emulator.lane)
    return redirect(add_query(pending.redirect_uri, params))


def token(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``POST /integrations/oauth2/api/v1/token``: both documented request styles."""
    if request.method != "POST":
        return token_error(405, "METHOD_NOT_ALLOWED", "Use POST.")
    params, problem = _token_params(request)
    grant_type = params.get("grant_type")
    emulator.counters.token_request(grant_type)
    intercepted = emulator.faults.intercept(TOKEN, grant_type)
    if intercepted is not None:
        kind, response = intercepted
        emulator.counters.fault(TOKEN)
        if kind == "400" and grant_type == "refresh_token":
            emulator.counters.add("rejected_refreshes")
        return response
    if problem:
        return token_error(400, "INVALID_REQUEST", problem)
    try:
        client = _client(emulator, request, params)
        if grant_type == "authorization_code":
            tokens = emulator.store.exchange_code(
                client,
                code=params.get("code"),
                redirect_uri=params.get("redirect_uri"),
                code_verifier=params.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            # The form style also sends redirect_uri on refresh; Workfront's use of it is
            # undocumented, so the emulator accepts any value rather than invent a rule.
            tokens = emulator.store.refresh(client, params.get("refresh_token"))
        else:
            raise OAuthError(400, "UNSUPPORTED_GRANT_TYPE", "Unsupported grant_type.")
    except OAuthError as err:
        return token_error(err.status, err.error_type, err.message)
    return json_response(
        200, tokens.as_legacy_response(), {"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _token_params(request: Request) -> tuple[dict[str, str], str]:
    """The body's parameters (JSON object or form) and a problem description, if any."""
    if request.content_type == FORM_TYPE:
        return {key: values[0] for key, values in request.form().items()}, ""
    if request.content_type == JSON_TYPE:
        try:
            body: Any = json.loads(request.body or b"null")
        except ValueError:
            return {}, "The body is not valid JSON."
        if not isinstance(body, dict):
            return {}, "The JSON body must be an object."
        return {str(key): str(value) for key, value in body.items() if value is not None}, ""
    return {}, "Send application/json or application/x-www-form-urlencoded."


def _client(emulator: WorkfrontEmulator, request: Request, params: dict[str, str]) -> ClientApp:
    """Authenticate the client by HTTP Basic (JSON style) or by body fields (form style)."""
    client_id, client_secret = client_credentials(request.header("authorization") or "", params)
    return emulator.store.authenticate_client(client_id, client_secret)
