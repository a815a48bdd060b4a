"""Actions (``PUT /<obj>/<id>/<action>``, or ``PUT /<obj>?action=<name>&ID=…``) and named queries
(``GET /<obj>/<query>``): a handful that real Workfront has, each documented in
``docs/emulator.rst``.

Action arguments arrive as parameters; an argument the action does not take is refused, as is
an action or a query the objCode does not have.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from . import writes
from .data import Params, Record, bad, not_found, page, project
from .objects import Context
from .schema import (
    BY_CODE,
    DONE_STATUSES,
    ISSUE_STATUSES,
    PROJECT_STATUSES,
    TASK_STATUSES,
    Operation,
)

#: Parameters every call may carry: never an action's or a query's arguments.
CALL_PARAMETERS = frozenset({"method", "action", "fields", "id", "sessionid", "apikey"})
#: What a named query takes besides its own arguments.
PAGING = frozenset({"$$first", "$$limit"})
_DONE = {"TASK": "CPL", "OPTASK": "CLS"}
# Colours and labels of the status enumerations (CSTEM/…Statuses), as Workfront's defaults.
_LABELS = {
    "CUR": ("Current", "007100"),
    "PLN": ("Planning", "FF3939"),
    "CPL": ("Complete", "2222E3"),
    "ONH": ("On Hold", "BD39FF"),
    "DED": ("Dead", "C60000"),
    "REQ": ("Requested", "39FF39"),
    "APR": ("Approved", "FF7B39"),
    "REJ": ("Rejected", "FFFF39"),
    "IDA": ("Idea", "71FFD0"),
    "NEW": ("New", "39FF39"),
    "INP": ("In Progress", "007100"),
    "CLS": ("Closed", "2222E3"),
}
_ENUMS = {
    "projectStatuses": PROJECT_STATUSES,
    "taskStatuses": TASK_STATUSES,
    "opTaskStatuses": ISSUE_STATUSES,
}


def _find(operations: Sequence[Operation], name: str) -> Operation | None:
    return next((item for item in operations if item.name.lower() == name.lower()), None)


def _arguments(
    operation: Operation, params: Params, allowed: frozenset[str]
) -> dict[str, list[str]]:
    """The operation's arguments from ``params``; anything else it does not take is refused."""
    names = {name.lower(): name for name, _ in operation.arguments}
    found: dict[str, list[str]] = {}
    for key, values in params.items():
        if key.lower() in allowed:
            continue
        if key.lower() not in names:
            raise bad(f"{operation.name} takes no argument {key!r}.")
        found[names[key.lower()]] = list(values)
    return found


def _list(values: list[str]) -> list[Any]:
    """A list argument: repeated parameters (the SDK) or one JSON list (our client)."""
    if len(values) == 1 and values[0].startswith("["):
        try:
            parsed = json.loads(values[0])
        except ValueError:
            raise bad("A list argument must be a JSON list or repeated parameters.") from None
        return parsed if isinstance(parsed, list) else [parsed]
    return [value for value in values if value]


def _set(ctx: Context, record: Record, **changes: Any) -> None:
    ctx.store.put({**record, **changes})


def _mark_done(ctx: Context, record: Record, args: dict[str, list[str]]) -> None:
    for user_id in args.get("userID", []):
        writes.check_reference(ctx, "USER", user_id, "userID")
    _set(ctx, record, status=_DONE[record["objCode"]], percentComplete=100)


def _mark_not_done(ctx: Context, record: Record, args: dict[str, list[str]]) -> None:
    _set(ctx, record, status="INP", percentComplete=0)


def _assign(ctx: Context, record: Record, args: dict[str, list[str]]) -> None:
    users = _list(args.get("userIDs", []))
    if not users:
        raise bad("assignMultiple needs userIDs.")
    for user_id in users:
        writes.check_reference(ctx, "USER", user_id, "userIDs")
    _set(ctx, record, assignedToID=users[0])


def _move(ctx: Context, record: Record, args: dict[str, list[str]]) -> None:
    (project_id,) = args.get("projectID") or [""]
    writes.edit(ctx, record["objCode"], record["ID"], {"projectID": project_id})


def _calculate_timeline(ctx: Context, record: Record, args: dict[str, list[str]]) -> None:
    ends = [
        row["plannedCompletionDate"]
        for row in ctx.store.rows("TASK").values()
        if row["projectID"] == record["ID"] and row.get("plannedCompletionDate")
    ]
    # Every seeded and created date has the same zone, so text order is time order.
    _set(ctx, record, projectedCompletionDate=max(ends, default=record["plannedCompletionDate"]))


ACTIONS: dict[str, Callable[[Context, Record, dict[str, list[str]]], None]] = {
    "markDone": _mark_done,
    "markNotDone": _mark_not_done,
    "assignMultiple": _assign,
    "moveToProject": _move,
    "calculateTimeline": _calculate_timeline,
}


def execute(
    ctx: Context, objcode: str, obj_ids: Sequence[str], action: str, params: Params
) -> dict[str, Any]:
    """Run ``action`` on each object: ``{"result": null}`` (what these actions return)."""
    operation = _find(BY_CODE[objcode].actions, action)
    if operation is None:
        raise bad(f"{action!r} is not an action of {objcode}.")
    if not obj_ids:
        raise bad(f"{operation.name} of {objcode} needs the ID of an object.")
    args = _arguments(operation, params, CALL_PARAMETERS)
    records = []
    for obj_id in obj_ids:
        record = ctx.store.find(objcode, obj_id)
        if record is None:
            raise not_found(objcode, obj_id)
        records.append(record)
    with ctx.store.transaction():
        for record in records:
            ACTIONS[operation.name](ctx, record, args)
            ctx.store.count("executed")
    return {"result": None}


def _my_work(ctx: Context) -> list[Record]:
    return [
        row
        for code in ("TASK", "OPTASK")
        for row in ctx.store.rows(code).values()
        if row.get("assignedToID") == ctx.user_id and row.get("status") not in DONE_STATUSES
    ]


def _statuses(values: Sequence[str]) -> list[Record]:
    return [
        {
            "color": _LABELS[value][1],
            "equatesWith": value,
            "label": _LABELS[value][0],
            "objCode": "CSTEM",
            "value": value,
        }
        for value in values
    ]


def named_query(ctx: Context, objcode: str, name: str, params: Params) -> list[Record] | None:
    """The rows of a named query, or ``None`` when the objCode has no query of that name."""
    operation = _find(BY_CODE[objcode].queries, name)
    if operation is None:
        return None
    _arguments(operation, params, CALL_PARAMETERS | PAGING)
    if operation.name == "myWork":
        rows = page(_my_work(ctx), params)
        return [project(row, row["objCode"], params) for row in rows]
    return [project(row, "CSTEM", params) for row in _statuses(_ENUMS[operation.name])]
