"""``POST /batch``: several calls in one, each a repeated ``uri`` parameter holding a path and
query relative to ``/attask/api/<version>/`` (with or without a leading ``/``; the SDK's have
none, our client's have one), its method given as ``method=`` (GET without one).

``atomic=false`` (the default): the calls run in order and the answer lists each one's body,
``[{"data": …}, {"error": {…}}, …]``; a call that fails does not stop the others.
``atomic=true``: all or nothing; success is ``{"success": true}``, and the first failure undoes
every call and is the batch's answer. ``concurrent`` is accepted and changes nothing: the
emulator runs the calls one after the other either way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import operations, writes
from .data import APIError, Params, bad
from .objects import Context

#: What cannot be a call of a batch: another batch, an upload (multipart), a logout.
NOT_IN_A_BATCH = frozenset({"batch", "upload", "logout"})


def _call(uri: str) -> operations.Call:
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc:
        raise bad(f"A batch uri is a path relative to the API's version, not {uri!r}.")
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    params = parse_qs(parts.query, keep_blank_values=True)
    if segments and segments[0].lower() in NOT_IN_A_BATCH:
        raise bad(f"{segments[0]} cannot be part of a batch.")
    method = operations.method_of("GET", params)
    return operations.Call(method, segments, params, operations.updates_of(params))


def _error(err: APIError) -> dict[str, Any]:
    return {"error": {"class": err.kind, "message": err.message}}


def batch(ctx: Context, params: Params) -> Any:
    """The batch's ``data``: a list of bodies, or ``{"success": true}`` when atomic."""
    uris = params.get("uri") or []
    if not uris:
        raise bad("A batch needs at least one uri parameter.")
    atomic = writes.flag(params, "atomic")
    writes.flag(params, "concurrent")  # checked, then ignored
    if atomic:
        with ctx.store.transaction():
            for uri in uris:
                operations.dispatch(ctx, _call(uri))
        return {"success": True}
    answers: list[dict[str, Any]] = []
    for uri in uris:
        try:
            answers.append({"data": operations.dispatch(ctx, _call(uri))})
        except APIError as err:
            answers.append(_error(err))
    return answers
