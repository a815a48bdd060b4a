"""The REST API subset under ``/attask/api/<version>/``: search, count, get by ID, logout.

Two ways in: the legacy app's ``SessionID`` header, or an Adobe IMS access token as
``Authorization: Bearer`` with ``x-api-key`` and ``x-gw-ims-org-id``, checked the way Adobe's API
gateway in front of Workfront does, with its own error bodies (``{"error_code", "message"}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import data
from .data import APIError, Record
from .faults import API
from .messages import Request, Response, api_error, gateway_error, json_response
from .state import IMS, EmulatedUser

if TYPE_CHECKING:
    from .emulator import WorkfrontEmulator

API_PATH = r"/attask/api/(?P<version>v\d+(?:\.\d+)?)/(?P<rest>.*)"

#: The gateway's refusals: ``(HTTP status, error_code, message)``.
INVALID_API_KEY = (403, "403003", "Api Key is invalid")
INVALID_TOKEN = (401, "401013", "Oauth token is not valid")
# The org refusal's code and wording are the emulator's choice; Adobe documents none.
WRONG_ORG = (403, "403027", "User is not a member of the org")


def api(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
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

    emulator.counters.api_call(objcode)
    intercepted = emulator.faults.intercept(API)
    if intercepted is not None:
        emulator.counters.fault(API)
        return intercepted[1]
    authorization = request.header("authorization") or ""
    if authorization[:7].lower() == "bearer ":
        access_token = authorization[7:].strip()
        user, refusal = _gateway(emulator, request, access_token)
    else:
        # Otherwise only the SessionID header authenticates. Workfront also reads a sessionID
        # parameter, but its docs say never to put the session in a URL, so a client that
        # does should fail here.
        access_token = request.header("sessionid") or ""
        user = emulator.store.session_user(access_token)
        refusal = api_error(401, data.AUTHENTICATION_EXCEPTION, data.NOT_LOGGED_IN)
    if user is None:
        emulator.counters.add("unauthenticated_api_calls")
        return refusal
    try:
        if segments == ["logout"]:
            emulator.store.end_session(access_token)
            emulator.counters.add("logouts")
            return json_response(200, {"data": {"success": True}})
        return json_response(200, {"data": _read(emulator, method, segments, params, user.id)})
    except APIError as err:
        return api_error(err.status, err.error_class, err.message)


def _gateway(
    emulator: WorkfrontEmulator, request: Request, access_token: str
) -> tuple[EmulatedUser | None, Response]:
    """The user of an IMS Bearer token, or ``None`` and the gateway's refusal.

    The API key must be a registered IMS client id, the token a live IMS access token, and the
    org id header the org of that client, checked in that order.
    """
    client = emulator.store.client(request.header("x-api-key") or "", IMS)
    info = emulator.store.bearer(access_token) if client is not None else None
    if client is None:
        refused = INVALID_API_KEY
    elif info is None:
        refused = INVALID_TOKEN
    elif request.header("x-gw-ims-org-id") != client.org_id:
        refused = WRONG_ORG
    else:
        emulator.counters.add("ims_api_calls")
        return info.user, Response(200)
    status, code, message = refused
    emulator.counters.gateway_error(code)
    return None, gateway_error(status, code, message)


def _read(
    emulator: WorkfrontEmulator,
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
    records, index = _records(emulator, objcode)
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


def _records(
    emulator: WorkfrontEmulator, objcode: str
) -> tuple[Sequence[Record], Mapping[str, Record]]:
    if objcode == "USER":
        users = [data.user_record(user) for user in emulator.store.users()]
        return users, {row["ID"]: row for row in users}
    dataset = emulator.dataset
    return (dataset.projects if objcode == "PROJ" else dataset.tasks), dataset.by_id
