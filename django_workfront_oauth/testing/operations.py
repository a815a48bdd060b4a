"""One authenticated API call: which operation its method (after ``method=``), path and
parameters ask for, and its answer's ``data``.

``api.py`` calls this for a request, ``batch.py`` for each ``uri`` of a batch. Paths are relative
to ``/attask/api/<version>/``:

==========  ==================================  ===========================================
method      path                                operation
==========  ==================================  ===========================================
GET         ``metadata``, ``<obj>/metadata``    metadata
GET         ``<obj>/search|count|report``       search, count, report
GET         ``<obj>/<ID>``, ``<obj>?ID=a,b``    get one (an object), get many (a list)
GET         ``<obj>/<query>``                   a named query
POST        ``<obj>`` with ``updates``          create (an object, or a list of up to 100)
POST        ``<obj>?copySourceID=<ID>``         copy
PUT         ``<obj>/<ID>`` with ``updates``     edit
PUT         ``<obj>`` with ``updates=[…]``      edit many (``atomic``)
PUT         ``<obj>/<ID>/<action>``             execute (also ``<obj>?action=<name>&ID=``)
DELETE      ``<obj>/<ID>``                      remove (``force``)
==========  ==================================  ===========================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import actions, metadata, reports, writes
from .data import Params, Record, bad, canonical_objcode, get, project, search
from .data import count as count_rows
from .objects import Context
from .schema import BY_CODE

METHODS = ("GET", "POST", "PUT", "DELETE")
NO_ACTION = "Name an action: search, count or an object ID."


@dataclass(frozen=True)
class Call:
    """A call as the operations see it."""

    method: str
    segments: Sequence[str]
    params: Params
    #: The decoded ``updates`` (a JSON body, or the ``updates`` parameter); ``None`` without.
    updates: Any = None


def method_of(method: str, params: Params) -> str:
    """The method a call means: ``method=`` overrides the HTTP verb (a long query POSTed as
    ``method=GET``, the SDK's ``execute`` as ``method=PUT``)."""
    values = params.get("method")
    if not values:
        return method
    wanted = values[-1].upper()
    if wanted not in METHODS:
        raise bad(f"method must be one of {', '.join(METHODS)}, not {values[-1]!r}.")
    return wanted


def updates_of(params: Params, body: Any = None) -> Any:
    """``updates``: the JSON body (the SDK's POST and PUT) or the ``updates`` parameter (a JSON
    text, our client's form field or a batch ``uri``'s query), never both."""
    values = params.get("updates")
    if values and body is not None:
        raise bad("updates was sent twice: as the JSON body and as a parameter.")
    if not values:
        return body
    try:
        return json.loads(values[-1])
    except ValueError:
        raise bad("updates must be JSON: an object, or a list of objects.") from None


def _ids(params: Params, user_id: str) -> list[str]:
    ids = [
        part.strip().replace("$$USER.ID", user_id)
        for key, values in params.items()
        if key.lower() == "id"
        for value in values
        for part in value.split(",")
    ]
    return [obj_id for obj_id in ids if obj_id]


def _records(ctx: Context, objcode: str) -> Mapping[str, Record]:
    return ctx.users if objcode == "USER" else ctx.store.rows(objcode)


def dispatch(ctx: Context, call: Call) -> Any:
    """The ``data`` of the call's answer, or an ``APIError``."""
    segments = list(call.segments)
    if segments == ["metadata"]:
        _no_updates(call)
        if call.method != "GET":
            raise bad("metadata is read with a GET.")
        return metadata.everything(ctx.api_url)
    objcode = canonical_objcode(segments[0]) if segments else None
    if objcode is None:
        raise bad(f"Unknown objCode {segments[0] if segments else ''!r}.")
    rest = segments[1:]
    if len(rest) == 2 and call.method in ("POST", "DELETE"):
        raise bad(f"{'/'.join(segments)}: an action is a PUT (or a POST with method=PUT).")
    if len(rest) > 2 or (len(rest) == 2 and call.method != "PUT"):
        raise bad(NO_ACTION)
    if call.method == "GET":
        _no_updates(call)
        return _read(ctx, objcode, rest, call.params)
    if call.method == "POST":
        return _post(ctx, objcode, rest, call)
    if call.method == "PUT":
        return _put(ctx, objcode, rest, call)
    _no_updates(call)
    if len(rest) != 1:
        raise bad(f"DELETE needs an object ID: DELETE /{objcode}/<ID>.")
    writes.remove(ctx, objcode, rest[0], writes.flag(call.params, "force"))
    return {"success": True}


def _no_updates(call: Call) -> None:
    if call.updates is not None:
        raise bad(f"updates has no meaning in a {call.method}: a write is a POST or a PUT.")


def _read(ctx: Context, objcode: str, rest: list[str], params: Params) -> Any:
    kind = BY_CODE[objcode]
    name = rest[0] if rest else ""
    if name.lower() == "metadata":
        return metadata.describe(objcode, params, ctx.api_url)
    if kind.queries_only:
        rows = actions.named_query(ctx, objcode, name, params) if name else None
        if rows is None:
            names = ", ".join(item.name for item in kind.queries)
            raise bad(f"{objcode} answers only its named queries: {names}.")
        return rows
    index = _records(ctx, objcode)
    if not name:
        ids = _ids(params, ctx.user_id)
        if not ids:
            raise bad(NO_ACTION)
        found = [get(index, objcode, obj_id, params) for obj_id in ids]
        return found[0] if len(ids) == 1 else found
    if name.lower() == "search":
        return search(index.values(), objcode, params, ctx.user_id)
    if name.lower() == "count":
        return {"count": count_rows(index.values(), objcode, params, ctx.user_id)}
    if name.lower() == "report":
        return reports.report(list(index.values()), objcode, params, ctx.user_id)
    if name not in index:
        rows = actions.named_query(ctx, objcode, name, params)
        if rows is not None:
            return rows
    return get(index, objcode, name, params)


def _post(ctx: Context, objcode: str, rest: list[str], call: Call) -> Any:
    params = call.params
    if rest:
        raise bad(f"POST /{objcode}/{rest[0]}: an action is a PUT (or a POST with method=PUT).")
    if "action" in params:
        raise bad("An action is a PUT (or a POST with method=PUT).")
    source = params.get("copySourceID")
    if source:
        options = writes.options_of(params.get("options"))
        return project(
            writes.copy(ctx, objcode, source[-1], call.updates, options), objcode, params
        )
    if call.updates is None:
        raise bad(f"updates is required to create a {objcode}.")
    if isinstance(call.updates, list):
        made = writes.create_many(ctx, objcode, call.updates, writes.flag(params, "atomic"))
        return [project(row, objcode, params) for row in made]
    return project(writes.create(ctx, objcode, call.updates), objcode, params)


def _put(ctx: Context, objcode: str, rest: list[str], call: Call) -> Any:
    params = call.params
    if len(rest) == 2 or "action" in params:
        _no_updates(call)
        if len(rest) == 2:
            return actions.execute(ctx, objcode, [rest[0]], rest[1], params)
        obj_ids = rest[:1] or _ids(params, ctx.user_id)
        return actions.execute(ctx, objcode, obj_ids, params["action"][-1], params)
    if call.updates is None:
        raise bad(f"updates is required to edit a {objcode}.")
    if rest:
        return project(writes.edit(ctx, objcode, rest[0], call.updates), objcode, params)
    edited = writes.edit_many(ctx, objcode, call.updates, writes.flag(params, "atomic"))
    return [project(row, objcode, params) for row in edited]
