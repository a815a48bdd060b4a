"""The REST API subset under ``/attask/api/<version>/``: search, count, get by ID, logout.

Two ways in: the legacy app's ``SessionID`` header, or an Adobe IMS access token as
``Authorization: Bearer`` with ``x-api-key`` and ``x-gw-ims-org-id``, checked the way Adobe's API
gateway in front of Workfront does, with its own error bodies (``{"error_code", "message"}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS

from . import data
from .backend import Backend
from .clients import EmulatedUser
from .data import APIError, Record
from .faults import API
from .messages import Request, Response, api_error, gateway_error, json_response

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
    method = request.method
    override = (params.get("method") or [""])[0].upper()
    # A long query may be POSTed with method=GET (URLs are capped at 8,892 bytes).
    if method == "POST" and override == "GET":
        method = "GET"
    segments = [segment for segment in match["rest"].split("/") if segment]
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
        return json_response(200, {"data": _read(backend, method, segments, params, user.id)})
    except APIError as err:
        return api_error(err.status, err.kind, err.message)


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


def _read(
    backend: Backend,
    method: str,
    segments: list[str],
    params: Mapping[str, Sequence[str]],
    user_id: str,
) -> Any:
    objcode = data.canonical_objcode(segments[0]) if segments else None
    if objcode is None:
        name = segments[0] if segments else ""
        raise APIError(400, data.INVALID_PARAMETER_EXCEPTION, f"Unknown objCode {name!r}.")
    if method != "GET":
        raise APIError(501, data.UNSUPPORTED_EXCEPTION, f"The emulator does not emulate {method}.")
    records, index = _records(backend, objcode)
    action = segments[1] if len(segments) == 2 else ""
    if action.lower() == "search":
        return data.search(records, objcode, params, user_id)
    if action.lower() == "count":
        return {"count": data.count(records, objcode, params, user_id)}
    if action:
        return data.get(index, objcode, action, params)
    ids = [value for key, values in params.items() if key.lower() == "id" for value in values]
    if len(segments) == 1 and len(ids) == 1:
        return data.get(index, objcode, ids[0], params)
    raise APIError(
        400, data.INVALID_PARAMETER_EXCEPTION, "Name an action: search, count or an object ID."
    )


def _records(backend: Backend, objcode: str) -> tuple[Sequence[Record], Mapping[str, Record]]:
    if objcode == "USER":
        users = [data.user_record(user) for user in backend.store.directory.users()]
        return users, {row["ID"]: row for row in users}
    dataset = backend.dataset
    return (dataset.projects if objcode == "PROJ" else dataset.tasks), dataset.by_id
