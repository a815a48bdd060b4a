"""Seeded Workfront objects and the search, count and get rules of the emulated REST API.

The data is deterministic (same IDs, names and dates on every run) and read-only, so one copy is
cached and shared by every emulator built with the same numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .clients import EmulatedUser
from .common import Refusal, workfront_id

Record = dict[str, Any]
Params = Mapping[str, Sequence[str]]

AUTHENTICATION_EXCEPTION = "com.attask.common.AuthenticationException"
INVALID_PARAMETER_EXCEPTION = "com.attask.common.InvalidParameterException"
NOT_FOUND_EXCEPTION = "com.attask.common.NotFoundException"
UNSUPPORTED_EXCEPTION = "com.attask.common.UnsupportedOperationException"
NOT_LOGGED_IN = "You are not currently logged in."

DEFAULT_LIMIT = 100
MAX_LIMIT = 2000

# Workfront names objects case-insensitively, with a short and a long spelling.
OBJCODES = {"proj": "PROJ", "project": "PROJ", "task": "TASK", "user": "USER"}

# Projects and tasks are both work items: the same default fields.
_WORK_ITEM_FIELDS = (
    "ID",
    "name",
    "objCode",
    "percentComplete",
    "plannedCompletionDate",
    "plannedStartDate",
    "priority",
    "projectedCompletionDate",
    "status",
)
# What a search returns without ``fields=``; ``fields`` adds to these, ``*`` asks for all.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "PROJ": _WORK_ITEM_FIELDS,
    "TASK": _WORK_ITEM_FIELDS,
    "USER": ("ID", "name", "objCode", "emailAddr"),
}
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "PROJ": ("description", "entryDate", "ownerID", "referenceNumber"),
    "TASK": ("assignedToID", "entryDate", "projectID", "taskNumber"),
    "USER": ("firstName", "isActive", "lastName", "title", "username"),
}
ALL_FIELDS = {code: DEFAULT_FIELDS[code] + EXTRA_FIELDS[code] for code in DEFAULT_FIELDS}

_PROJECT_STATUSES = ("CUR", "CUR", "PLN", "CUR", "CPL", "CUR", "ONH", "PLN", "CUR", "DED")
_TASK_STATUSES = ("NEW", "INP", "CPL", "INP")
_ADJECTIVES = ("Brand", "Spring", "Global", "Digital", "Retail", "Partner", "Product", "Q3")
_NOUNS = ("Campaign", "Launch", "Refresh", "Rollout", "Audit", "Catalog", "Website", "Event")
# Workfront shows dates in the customer's time zone; any fixed offset exercises the parser.
_ZONE = timezone(timedelta(hours=-6))
_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=_ZONE)


class APIError(Refusal):
    """An error the API returns as ``{"error": {"class": <kind>, "message": ...}}``."""


def format_workfront_date(value: datetime) -> str:
    """``2010-08-30T09:00:00:000-0600``: Workfront's format, a colon before the milliseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return f"{value:%Y-%m-%dT%H:%M:%S}:{value.microsecond // 1000:03d}{value:%z}"


def canonical_objcode(name: str) -> str | None:
    """``"PROJ"`` for ``proj``, ``PROJ`` or ``project``; ``None`` for an objCode not emulated."""
    return OBJCODES.get(name.lower())


def user_record(user: EmulatedUser) -> Record:
    """A user as the API shows it."""
    first, _, last = user.name.partition(" ")
    return {
        "ID": user.id,
        "name": user.name,
        "objCode": "USER",
        "emailAddr": user.email_addr,
        "firstName": first,
        "isActive": True,
        "lastName": last,
        "title": "",
        "username": user.username,
    }


@dataclass(frozen=True)
class Dataset:
    """The seeded projects and tasks (read-only: searches copy what they return)."""

    projects: tuple[Record, ...]
    tasks: tuple[Record, ...]
    by_id: Mapping[str, Record] = field(repr=False)


@functools.lru_cache(maxsize=1024)
def _day(offset: int) -> str:
    # Every seeded date is a whole number of days from one epoch; formatting is the slow part.
    return format_workfront_date(_EPOCH + timedelta(days=offset))


@functools.lru_cache(maxsize=8)
def build_dataset(projects: int, tasks_per_project: int, owner_ids: tuple[str, ...]) -> Dataset:
    """``projects`` projects with ``tasks_per_project`` tasks each, owned round-robin."""
    owners = owner_ids or ("",)
    project_rows: list[Record] = []
    task_rows: list[Record] = []
    for number in range(projects):
        start = (number * 3) % 700
        end = start + 20 + number % 90
        project_id = workfront_id("PROJ", number)
        owner = owners[number % len(owners)]
        project_rows.append(
            {
                "ID": project_id,
                "name": f"{_ADJECTIVES[number % 8]} {_NOUNS[number // 8 % 8]} {number + 1:04d}",
                "objCode": "PROJ",
                "percentComplete": (number * 7) % 101,
                "plannedCompletionDate": _day(end),
                "plannedStartDate": _day(start),
                "priority": number % 5,
                "projectedCompletionDate": _day(end + number % 4),
                "status": _PROJECT_STATUSES[number % len(_PROJECT_STATUSES)],
                "description": f"Seeded project number {number + 1}.",
                "entryDate": _day(start - 14),
                "ownerID": owner,
                "referenceNumber": 1000 + number,
            }
        )
        for task_number in range(1, tasks_per_project + 1):
            task_start = start + (task_number - 1) * 5
            task_rows.append(
                {
                    "ID": workfront_id("TASK", number, task_number),
                    "name": f"Task {task_number} of project {number + 1:04d}",
                    "objCode": "TASK",
                    "percentComplete": (number + task_number * 30) % 101,
                    "plannedCompletionDate": _day(task_start + 5),
                    "plannedStartDate": _day(task_start),
                    "priority": task_number % 5,
                    "projectedCompletionDate": _day(task_start + 5),
                    "status": _TASK_STATUSES[(number + task_number) % len(_TASK_STATUSES)],
                    "assignedToID": owner,
                    "entryDate": _day(start - 7),
                    "projectID": project_id,
                    "taskNumber": task_number,
                }
            )
    by_id = {row["ID"]: row for row in (*project_rows, *task_rows)}
    return Dataset(projects=tuple(project_rows), tasks=tuple(task_rows), by_id=by_id)


# Query parameters -----------------------------------------------------------------------

_SORT = re.compile(r"^(?P<field>.+?)(?:_(?P<order>\d+))?_Sort$")
# The API ignores these as filters; a ``sessionID`` parameter never authenticates either.
_NOT_FILTERS = frozenset({"fields", "$$first", "$$limit", "method", "sessionid", "apikey"})
_MODIFIERS = frozenset({"eq", "ne", "cieq", "in", "notin", "contains", "cicontains"})


def _bad(message: str) -> APIError:
    return APIError(400, INVALID_PARAMETER_EXCEPTION, message)


def _field_name(objcode: str, name: str) -> str:
    # Field names are matched case-insensitively so ``id=`` works like ``ID=``.
    for known in ALL_FIELDS[objcode]:
        if known.lower() == name.lower():
            return known
    raise _bad(f"{name!r} is not a valid field of {objcode}.")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(value: Any, wanted: list[str], modifier: str) -> bool:
    text = _text(value)
    if modifier == "eq":
        return text == wanted[0]
    if modifier == "ne":
        return text != wanted[0]
    if modifier == "cieq":
        return text.lower() == wanted[0].lower()
    if modifier == "in":
        return text in wanted
    if modifier == "notin":
        return text not in wanted
    if modifier == "contains":
        return wanted[0] in text
    return wanted[0].lower() in text.lower()  # cicontains


def _filters(objcode: str, params: Params, user_id: str) -> list[tuple[str, list[str], str]]:
    modifiers = {
        key[: -len("_Mod")].lower(): values[-1].lower()
        for key, values in params.items()
        if key.endswith("_Mod") and values
    }
    result = []
    for key, values in params.items():
        if key.lower() in _NOT_FILTERS or key.endswith(("_Mod", "_Sort")) or not values:
            continue
        name = _field_name(objcode, key)
        modifier = modifiers.get(key.lower(), "eq")
        if modifier not in _MODIFIERS:
            raise _bad(f"The emulator does not support the modifier {modifier!r}.")
        wanted = [value.replace("$$USER.ID", user_id) for value in values]
        result.append((name, wanted, modifier))
    return result


def _filtered(
    records: Sequence[Record], objcode: str, params: Params, user_id: str
) -> list[Record]:
    filters = _filters(objcode, params, user_id)
    return [
        row
        for row in records
        if all(_matches(row.get(name), wanted, mod) for name, wanted, mod in filters)
    ]


def _sorted(rows: list[Record], objcode: str, params: Params) -> list[Record]:
    keys = []
    for position, (key, values) in enumerate(params.items()):
        match = _SORT.match(key)
        if match is None or not values:
            continue
        direction = values[-1].lower()
        if direction not in ("asc", "desc", "ciasc", "cidesc"):
            raise _bad(f"Sort direction must be asc or desc, not {values[-1]!r}.")
        rank = int(match["order"]) if match["order"] else 0
        keys.append((rank, position, _field_name(objcode, match["field"]), direction))
    # Stable sorts, least significant key first, give a multi-key ordering.
    for _, _, name, direction in sorted(keys, reverse=True):
        folded = direction.startswith("ci")

        def sort_key(row: Record, name: str = name, folded: bool = folded) -> tuple[bool, Any]:
            value = row.get(name)
            if folded and isinstance(value, str):
                value = value.lower()
            return (value is None, value if value is not None else "")

        rows.sort(key=sort_key, reverse=direction.endswith("desc"))
    return rows


def _integer(params: Params, name: str, default: int) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        return int(values[-1])
    except ValueError:
        raise _bad(f"{name} must be an integer.") from None


def _projected(row: Record, objcode: str, params: Params) -> Record:
    requested = [
        name.strip() for value in params.get("fields", ()) for name in value.split(",") if name
    ]
    if "*" in requested:
        names: Sequence[str] = ALL_FIELDS[objcode]
    else:
        names = list(DEFAULT_FIELDS[objcode])
        for name in requested:
            canonical = _field_name(objcode, name)
            if canonical not in names:
                names.append(canonical)
    return {name: row.get(name) for name in names}


def search(records: Sequence[Record], objcode: str, params: Params, user_id: str) -> list[Record]:
    """``<obj>/search``: filter, sort, page (``$$FIRST``, ``$$LIMIT``), project ``fields``."""
    first = _integer(params, "$$FIRST", 0)
    limit = _integer(params, "$$LIMIT", DEFAULT_LIMIT)
    if first < 0:
        raise _bad("$$FIRST must not be negative.")
    if limit < 1 or limit > MAX_LIMIT:
        raise _bad(f"$$LIMIT must be between 1 and {MAX_LIMIT}, not {limit}.")
    rows = _sorted(_filtered(records, objcode, params, user_id), objcode, params)
    return [_projected(row, objcode, params) for row in rows[first : first + limit]]


def count(records: Sequence[Record], objcode: str, params: Params, user_id: str) -> int:
    """``<obj>/count``: the number of rows the same filters would match."""
    return len(_filtered(records, objcode, params, user_id))


def get(index: Mapping[str, Record], objcode: str, obj_id: str, params: Params) -> Record:
    """``<obj>/<ID>``: one object, or a ``NotFoundException``."""
    row = index.get(obj_id)
    if row is None or row["objCode"] != objcode:
        raise APIError(404, NOT_FOUND_EXCEPTION, f"{objcode} with ID {obj_id} does not exist.")
    return _projected(row, objcode, params)
