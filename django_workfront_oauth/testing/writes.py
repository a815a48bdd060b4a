"""Creating, editing, removing and copying objects, as strictly as Workfront: the fields a create
needs, known and settable fields only, values of the field's type, references to objects that
exist, at most 100 objects a bulk call, and ``atomic=true`` all or nothing.

Every function takes the call's :class:`~.objects.Context` and returns stored records; the
caller projects them with ``fields``. A refused write changes nothing: each object is checked
in full before it is stored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from . import documents
from .data import (
    UNSUPPORTED_EXCEPTION,
    APIError,
    Params,
    Record,
    bad,
    format_workfront_date,
    not_found,
    parse_workfront_date,
)
from .objects import Context, CopyRecord
from .schema import BOOLEAN, BY_CODE, DATE, DOUBLE, INT, MAP, STRING, Field, ObjectType

#: Workfront's bulk limit: objects one create or edit call may carry.
MAX_BULK = 100
#: Whose objects a project's removal takes with it (``force=true``).
PROJECT_CHILDREN = ("TASK", "OPTASK")
_RANGES = {"priority": (0, 4), "percentComplete": (0, 100)}
_KINDS = {
    STRING: "a string",
    INT: "an integer",
    DOUBLE: "a number",
    DATE: "a date such as 2025-01-06T09:00:00:000-0600",
    BOOLEAN: "true or false",
    MAP: "a JSON object",
}


def writable(objcode: str) -> ObjectType:
    """The objCode's type, if the API may write it."""
    kind = BY_CODE[objcode]
    if objcode == "USER":
        raise APIError(501, UNSUPPORTED_EXCEPTION, "The emulator does not write USER objects.")
    if not kind.writable:
        raise bad(f"{objcode} objects cannot be created, edited or removed.")
    return kind


def flag(params: Params, name: str) -> bool:
    """A ``true``/``false`` parameter (``atomic``, ``force``, ``concurrent``); absent is false."""
    values = params.get(name)
    value = values[-1].lower() if values else "false"
    if value not in ("true", "false"):
        raise bad(f"{name} must be true or false, not {values[-1] if values else ''!r}.")
    return value == "true"


def _describe(value: Any) -> str:
    return json.dumps(value)[:80]


def check_reference(ctx: Context, target: str, obj_id: Any, name: str) -> None:
    """``obj_id`` must be the ID of an existing ``target`` (a USER, a PROJ…)."""
    known = ctx.users if target == "USER" else ctx.store.rows(target)
    if not isinstance(obj_id, str) or obj_id not in known:
        raise bad(f"{name}: there is no {target} with ID {_describe(obj_id)}.")


def _value(ctx: Context, objcode: str, field: Field, value: Any) -> Any:
    """The value as stored, or a refusal naming the field and what it takes."""
    name, kind = field.name, field.type
    if value is None:
        return None
    wrong = {
        STRING: not isinstance(value, str),
        INT: isinstance(value, bool) or not isinstance(value, int),
        DOUBLE: isinstance(value, bool) or not isinstance(value, (int, float)),
        DATE: not isinstance(value, str) or parse_workfront_date(value) is None,
        BOOLEAN: not isinstance(value, bool),
        MAP: not isinstance(value, dict),
    }[kind]
    if kind == DOUBLE and not wrong:
        wrong = not math.isfinite(value)
    if wrong:
        raise bad(f"{name} of {objcode} must be {_KINDS[kind]}, not {_describe(value)}.")
    if field.values and value not in field.values:
        allowed = ", ".join(field.values)
        raise bad(f"{_describe(value)} is not a valid {name} of {objcode}; one of {allowed}.")
    low, high = _RANGES.get(name, (None, None))
    if low is not None and high is not None and not low <= value <= high:
        raise bad(f"{name} of {objcode} must be between {low} and {high}, not {value}.")
    if field.target:
        check_reference(ctx, field.target, value, name)
    if kind == DATE:
        parsed = parse_workfront_date(value)
        assert parsed is not None  # checked above
        return format_workfront_date(parsed)
    return value


def validate(
    ctx: Context, objcode: str, values: Any, *, creating: bool, obj_id: str | None = None
) -> Record:
    """The changes ``values`` asks for, checked field by field; refused as a whole."""
    kind = BY_CODE[objcode]
    if not isinstance(values, dict):
        raise bad(f"updates of {objcode} must be a JSON object, not {_describe(values)}.")
    changes: Record = {}
    for key, value in values.items():
        field = kind.by_name.get(key)
        if field is None:
            raise bad(f"{key!r} is not a valid field of {objcode}.")
        if key == "ID" and not creating and value == obj_id:
            continue
        if not field.settable:
            raise bad(f"{key} of {objcode} is read-only.")
        if field.create_only and not creating:
            raise bad(f"{key} of {objcode} can only be set when it is created.")
        changes[key] = _value(ctx, objcode, field, value)
    if creating:
        for name in kind.required:
            if name in kind.by_name and changes.get(name) in (None, ""):
                raise bad(f"{name} is required to create a {objcode}.")
    if changes.get("name", "x") in (None, ""):
        raise bad(f"name of {objcode} cannot be empty.")
    return changes


def _next_task_number(ctx: Context, project_id: str) -> int:
    numbers = [
        row.get("taskNumber") or 0
        for row in ctx.store.rows("TASK").values()
        if row.get("projectID") == project_id
    ]
    return max(numbers, default=0) + 1


def _later(date: str, days: int) -> str:
    parsed = parse_workfront_date(date)
    return date if parsed is None else format_workfront_date(parsed + timedelta(days=days))


def _defaults(ctx: Context, objcode: str, changes: Record) -> Record:
    """What a new object holds before its own values: Workfront's defaults, the emulator's dates."""
    now = ctx.now
    record: Record = {"ID": ctx.store.new_id(objcode), "objCode": objcode, "entryDate": now}
    if objcode == "DOCU":
        return {**record, "description": None, "enteredByID": ctx.user_id, "lastUpdateDate": now}
    start = now
    if objcode != "PROJ":
        project = ctx.store.find("PROJ", changes["projectID"]) or {}
        start = project.get("plannedStartDate") or now
    record.update(
        percentComplete=0,
        plannedStartDate=start,
        plannedCompletionDate=_later(start, 0 if objcode == "PROJ" else 1),
        priority=2,
        status={"PROJ": "PLN"}.get(objcode, "NEW"),
        description=None,
    )
    if objcode == "PROJ":
        record.update(ownerID=ctx.user_id, referenceNumber=ctx.store.next_reference_number())
    else:
        record.update(assignedToID=None, workRequired=0)
    if objcode == "TASK":
        record["taskNumber"] = _next_task_number(ctx, changes["projectID"])
    if objcode == "OPTASK":
        record.update(enteredByID=ctx.user_id, referenceNumber=ctx.store.next_reference_number())
    return record


def _settled(old: Record | None, new: Record, ctx: Context) -> Record:
    """Fields Workfront derives: the projection follows the plan, tasks renumber on a move."""
    planned = new.get("plannedCompletionDate")
    replanned = old is None or planned != old.get("plannedCompletionDate")
    if replanned and "projectedCompletionDate" in BY_CODE[new["objCode"]].by_name:
        new["projectedCompletionDate"] = planned
    moved = old is not None and new.get("projectID") != old.get("projectID")
    if moved and new["objCode"] == "TASK":
        new["taskNumber"] = _next_task_number(ctx, new["projectID"])
    return new


def create(ctx: Context, objcode: str, values: Any) -> Record:
    """``POST /<obj>`` with one object: the new record."""
    writable(objcode)
    handle = None
    if objcode == "DOCU" and isinstance(values, dict):
        values = dict(values)
        handle = values.pop("handle", None)
    changes = validate(ctx, objcode, values, creating=True)
    if objcode == "DOCU":
        changes.update(documents.document_fields(ctx, changes, handle))
    record = _settled(None, {**_defaults(ctx, objcode, changes), **changes}, ctx)
    ctx.store.put(record, "created")
    if isinstance(handle, str):
        ctx.store.use_upload(handle)
    return record


def edit(ctx: Context, objcode: str, obj_id: str, values: Any) -> Record:
    """``PUT /<obj>/<id>``: the changed record."""
    writable(objcode)
    old = ctx.store.find(objcode, obj_id)
    if old is None:
        raise not_found(objcode, obj_id)
    changes = validate(ctx, objcode, values, creating=False, obj_id=obj_id)
    if objcode == "DOCU":
        changes["lastUpdateDate"] = ctx.now
    record = _settled(old, {**old, **changes}, ctx)
    ctx.store.put(record, "edited")
    return record


def create_many(ctx: Context, objcode: str, items: Any, atomic: bool) -> list[Record]:
    """``POST /<obj>`` with a list: up to 100 new records."""
    writable(objcode)
    return _run_bulk(ctx, items, atomic, lambda _, item: create(ctx, objcode, item))


def edit_many(ctx: Context, objcode: str, items: Any, atomic: bool) -> list[Record]:
    """``PUT /<obj>`` with a list of objects, each with its ``ID``: up to 100 changed records."""
    writable(objcode)

    def one(position: int, item: Any) -> Record:
        obj_id = item.get("ID") if isinstance(item, dict) else None
        if not isinstance(obj_id, str):
            raise bad(f"Item {position + 1} of updates has no ID.")
        return edit(ctx, objcode, obj_id, item)

    return _run_bulk(ctx, items, atomic, one)


def _run_bulk(
    ctx: Context, items: Any, atomic: bool, one: Callable[[int, Any], Record]
) -> list[Record]:
    if not isinstance(items, list):
        raise bad(f"updates must be a JSON list of objects here, not {_describe(items)}.")
    if len(items) > MAX_BULK:
        raise bad(f"At most {MAX_BULK} objects can be sent in one call, not {len(items)}.")
    if not atomic:
        # Applied in order: an invalid item stops the call, the earlier ones stay applied.
        return [one(position, item) for position, item in enumerate(items)]
    with ctx.store.transaction():
        return [one(position, item) for position, item in enumerate(items)]


def remove(ctx: Context, objcode: str, obj_id: str, force: bool) -> None:
    """``DELETE /<obj>/<id>``; a project with tasks or issues needs ``force=true``, which
    removes them with it. Documents go with the object they belong to."""
    writable(objcode)
    record = ctx.store.find(objcode, obj_id)
    if record is None:
        raise not_found(objcode, obj_id)
    doomed = [record]
    if objcode == "PROJ":
        doomed += [
            row
            for code in PROJECT_CHILDREN
            for row in ctx.store.rows(code).values()
            if row.get("projectID") == obj_id
        ]
        if len(doomed) > 1 and not force:
            raise bad(
                f"PROJ {obj_id} still has {len(doomed) - 1} tasks or issues: remove them "
                "first, or pass force=true to remove them with it."
            )
    gone = {row["ID"] for row in doomed}
    attached = [row for row in ctx.store.rows("DOCU").values() if row.get("objID") in gone]
    for row in (*doomed, *attached):
        ctx.store.delete(row["objCode"], row["ID"])
    ctx.store.count("deleted")


def options_of(text: Sequence[str] | None) -> tuple[str, ...]:
    """``options=["…", …]`` of a copy: a JSON list of strings."""
    if not text:
        return ()
    try:
        options = json.loads(text[-1])
    except ValueError:
        raise bad("options must be a JSON list of strings.") from None
    if not isinstance(options, list) or not all(isinstance(item, str) for item in options):
        raise bad("options must be a JSON list of strings.")
    return tuple(options)


def copy(
    ctx: Context, objcode: str, source_id: str, updates: Any, options: tuple[str, ...]
) -> Record:
    """``POST /<obj>?copySourceID=<id>``: the new record, ``updates`` applied to it; a project's
    copy has copies of its tasks."""
    writable(objcode)
    if not BY_CODE[objcode].copyable:
        raise bad(f"{objcode} objects cannot be copied.")
    source = ctx.store.find(objcode, source_id)
    if source is None:
        raise not_found(objcode, source_id)
    changes = validate(ctx, objcode, {} if updates is None else updates, creating=False)
    with ctx.store.transaction():
        new = {**source, **changes, "ID": ctx.store.new_id(objcode), "entryDate": ctx.now}
        if "referenceNumber" in new:
            new["referenceNumber"] = ctx.store.next_reference_number()
        if objcode == "TASK":
            new["taskNumber"] = _next_task_number(ctx, new["projectID"])
        ctx.store.put(_settled(source, new, ctx))
        if objcode == "PROJ":
            tasks = [
                row for row in ctx.store.rows("TASK").values() if row["projectID"] == source_id
            ]
            for task in tasks:
                ctx.store.put(
                    {
                        **task,
                        "ID": ctx.store.new_id("TASK"),
                        "projectID": new["ID"],
                        "entryDate": ctx.now,
                    }
                )
        ctx.store.record_copy(CopyRecord(objcode, source_id, new["ID"], options))
    return new
