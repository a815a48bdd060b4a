"""The REST API under ``/attask/api/<version>/``: its door (authentication, faults, counters)
and the calls that are not an objCode's (``logout``, ``upload``, ``batch``); ``operations.py``
serves the rest.

Two ways in: the legacy app's ``SessionID`` header, or an Adobe IMS access token as
``Authorization: Bearer`` with ``x-api-key`` and ``x-gw-ims-org-id``, checked the way Adobe's API
gateway in front of Workfront does, with its own error bodies (``{"error_code", "message"}``).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS

from . import batch, data, documents, operations
from .backend import Backend
from .clients import EmulatedUser
from .data import APIError
from .faults import API
from .messages import JSON_TYPE, Request, Response, api_error, gateway_error, json_response
from .objects import Context

API_PATH = r"/attask/api/(?P<version>v\d+(?:\.\d+)?)/(?P<rest>.*)"

#: The gateway's refusals: ``(HTTP status, error_code, message)``.
INVALID_API_KEY = (403, "403003", "Api Key is invalid")
INVALID_TOKEN = (401, "401013", "Oauth token is not valid")
# The org refusal's code and wording are the emulator's choice; Adobe documents none.
WRONG_ORG = (403, "403027", "User is not a member of the org")


def api(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """Route one API request, after latency, faults and the session check."""
    params: dict[str, list[str]] = {key: list(values) for key, values in request.query.items()}
    for key, values in request.form().items():
        params.setdefault(key, []).extend(values)
    segments = [unquote(segment) for segment in match["rest"].split("/") if segment]
    objcode = data.canonical_objcode(segments[0]) if segments else None

    backend.counters.api_call(objcode)
    intercepted = backend.faults.intercept(API)
    if intercepted is not None:
        backend.counters.fault(API)
        return intercepted[1]
    authorization = request.header("authorization") or ""
    if authorization[:7].lower() == "bearer ":
        access_token = authorization[7:].strip()
        user, refusal = _gateway(backend, request, access_token)
    else:
        # Otherwise only the SessionID header authenticates. Workfront also reads a sessionID
        # parameter, but its docs say never to put the session in a URL, so a client that
        # does should fail here.
        access_token = request.header("sessionid") or ""
        user = backend.store.sessions.session_user(access_token)
        refusal = api_error(401, data.AUTHENTICATION_EXCEPTION, data.NOT_LOGGED_IN)
    if user is None:
        backend.counters.add("unauthenticated_api_calls")
        return refusal
    try:
        if segments == ["logout"]:
            backend.store.sessions.end(access_token)
            backend.counters.add("logouts")
            return json_response(200, {"data": {"success": True}})
        method = operations.method_of(request.method, params)
        with backend.dataset.session():
            ctx = _context(backend, user.id, match["version"])
            answer = _serve(backend, ctx, request, method, segments, params)
        return json_response(200, {"data": answer})
    except APIError as err:
        return api_error(err.status, err.kind, err.message)


def _context(backend: Backend, user_id: str, version: str) -> Context:
    users = [data.user_record(user) for user in backend.store.directory.users()]
    return Context(
        store=backend.dataset,
        users={row["ID"]: row for row in users},
        user_id=user_id,
        now=data.workfront_now(backend.clock.now()),
        api_url=f"{backend.base_url}/attask/api/{version}",
    )


def _serve(
    backend: Backend,
    ctx: Context,
    request: Request,
    method: str,
    segments: list[str],
    params: dict[str, list[str]],
) -> Any:
    if segments in (["batch"], ["upload"]):
        if method != "POST":
            raise data.bad(f"{segments[0]} is a POST.")
        if segments == ["upload"]:
            answer = documents.upload(ctx, request.header("content-type") or "", request.body)
            backend.counters.api_write("uploads")
            return answer
        backend.counters.api_write("batch_calls")
        return batch.batch(ctx, params)
    body = None
    if request.content_type == JSON_TYPE and request.body.strip():
        try:
            body = json.loads(request.body)
        except ValueError:
            raise data.bad("The request body is not valid JSON.") from None
    call = operations.Call(method, segments, params, operations.updates_of(params, body))
    return operations.dispatch(ctx, call)


def _gateway(
    backend: Backend, request: Request, access_token: str
) -> tuple[EmulatedUser | None, Response]:
    """The user of an IMS Bearer token, or ``None`` and the gateway's refusal.

    The API key must be a registered IMS client id, the token a live IMS access token issued to
    that client (the Web App's token with its id, the Server-to-Server credential's with its
    own), and the org id header the org of that client, checked in that order.
    """
    client = backend.store.directory.client(request.header("x-api-key") or "", PROVIDER_ADOBE_IMS)
    info = backend.store.sessions.bearer(access_token) if client is not None else None
    if client is None:
        refused = INVALID_API_KEY
    elif info is None:
        refused = INVALID_TOKEN
    elif info.client_id != client.client_id:
        # Another credential's key: the emulator's choice of refusal, Adobe documents none.
        refused = INVALID_API_KEY
    elif request.header("x-gw-ims-org-id") != client.org_id:
        refused = WRONG_ORG
    else:
        backend.counters.add("ims_api_calls")
        return info.user, Response(200)
    status, code, message = refused
    backend.counters.gateway_error(code)
    return None, gateway_error(status, code, message)
