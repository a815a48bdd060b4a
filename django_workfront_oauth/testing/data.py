"""Seeded Workfront objects and the search, count and get rules of the emulated REST API.

The seeded data is deterministic (same IDs, names and dates on every run) and never changed, so
one copy is cached and shared by every emulator built with the same numbers; each emulator
writes to its own ``objects.ObjectStore`` on top of it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .clients import EmulatedUser
from .common import Refusal, workfront_id
from .schema import ALIASES, BY_CODE, MAP

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
OBJCODES = ALIASES
# What a search returns without ``fields=``; ``fields`` adds to these, ``*`` asks for all.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    code: kind.default_fields for code, kind in BY_CODE.items()
}
ALL_FIELDS: dict[str, tuple[str, ...]] = {code: kind.field_names for code, kind in BY_CODE.items()}

_PROJECT_STATUSES = ("CUR", "CUR", "PLN", "CUR", "CPL", "CUR", "ONH", "PLN", "CUR", "DED")
_TASK_STATUSES = ("NEW", "INP", "CPL", "INP")
_ADJECTIVES = ("Brand", "Spring", "Global", "Digital", "Retail", "Partner", "Product", "Q3")
_NOUNS = ("Campaign", "Launch", "Refresh", "Rollout", "Audit", "Catalog", "Website", "Event")
# Workfront shows dates in the customer's time zone; any fixed offset exercises the parser.
ZONE = timezone(timedelta(hours=-6))
_EPOCH = datetime(2025, 1, 6, 9, 0, tzinfo=ZONE)
# What a write may send as a date: Workfront's own format, ISO 8601, or a bare day.
_DATE = re.compile(
    r"(?P<day>\d{4}-\d\d-\d\d)(?:T(?P<time>\d\d:\d\d(?::\d\d)?)(?:[:.](?P<ms>\d{1,6}))?)?"
    r"(?P<zone>Z|[+-]\d\d:?\d\d)?"
)


class APIError(Refusal):
    """An error the API returns as ``{"error": {"class": <kind>, "message": ...}}``."""


def format_workfront_date(value: datetime) -> str:
    """``2010-08-30T09:00:00:000-0600``: Workfront's format, a colon before the milliseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return f"{value:%Y-%m-%dT%H:%M:%S}:{value.microsecond // 1000:03d}{value:%z}"


def parse_workfront_date(value: str) -> datetime | None:
    """A date a client sent (Workfront's format, ISO 8601 or ``YYYY-MM-DD``), or ``None``.

    Without a zone the date is in the customer's time zone, as Workfront reads it.
    """
    match = _DATE.fullmatch(value.strip())
    if match is None:
        return None
    zone = match["zone"] or ""
    iso = f"{match['day']}T{match['time'] or '00:00'}.{(match['ms'] or '0').ljust(6, '0')}"
    if zone:
        iso += "+00:00" if zone == "Z" else f"{zone[:3]}:{zone[-2:]}"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZONE)


def workfront_now(seconds: float) -> str:
    """The emulator's clock (seconds since the epoch) as a Workfront date."""
    return format_workfront_date(datetime.fromtimestamp(seconds, ZONE))


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
                    # Minutes, as Workfront counts work.
                    "workRequired": 60 * (task_number * 4 + number % 5),
                }
            )
    by_id = {row["ID"]: row for row in (*project_rows, *task_rows)}
    return Dataset(projects=tuple(project_rows), tasks=tuple(task_rows), by_id=by_id)


# Query parameters -----------------------------------------------------------------------

_SORT = re.compile(r"^(?P<field>.+?)(?:_(?P<order>\d+))?_Sort$")
# The API ignores these as filters; a ``sessionID`` parameter never authenticates either.
_NOT_FILTERS = frozenset({"fields", "$$first", "$$limit", "method", "sessionid", "apikey"})
_MODIFIERS = frozenset({"eq", "ne", "cieq", "in", "notin", "contains", "cicontains"})


def bad(message: str) -> APIError:
    """A 400 ``InvalidParameterException``: a parameter the API does not accept."""
    return APIError(400, INVALID_PARAMETER_EXCEPTION, message)


def not_found(objcode: str, obj_id: str) -> APIError:
    """A 404 ``NotFoundException`` for an object that does not exist."""
    return APIError(404, NOT_FOUND_EXCEPTION, f"{objcode} with ID {obj_id} does not exist.")


def field_name(objcode: str, name: str) -> str:
    """The field's spelling; names match case-insensitively, so ``id=`` works like ``ID=``."""
    for known in ALL_FIELDS[objcode]:
        if known.lower() == name.lower():
            return known
    raise bad(f"{name!r} is not a valid field of {objcode}.")


def text(value: Any) -> str:
    """A value as a filter compares it (and a report names its group)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(value: Any, wanted: list[str], modifier: str) -> bool:
    found = text(value)
    if modifier == "eq":
        return found == wanted[0]
    if modifier == "ne":
        return found != wanted[0]
    if modifier == "cieq":
        return found.lower() == wanted[0].lower()
    if modifier == "in":
        return found in wanted
    if modifier == "notin":
        return found not in wanted
    if modifier == "contains":
        return wanted[0] in found
    return wanted[0].lower() in found.lower()  # cicontains


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
        name = field_name(objcode, key)
        modifier = modifiers.get(key.lower(), "eq")
        if modifier not in _MODIFIERS:
            raise bad(f"The emulator does not support the modifier {modifier!r}.")
        wanted = [value.replace("$$USER.ID", user_id) for value in values]
        result.append((name, wanted, modifier))
    return result


def filtered(records: Iterable[Record], objcode: str, params: Params, user_id: str) -> list[Record]:
    """The records every filter of ``params`` matches (paging, sorts and ``fields`` aside)."""
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
            raise bad(f"Sort direction must be asc or desc, not {values[-1]!r}.")
        rank = int(match["order"]) if match["order"] else 0
        keys.append((rank, position, field_name(objcode, match["field"]), direction))
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
        raise bad(f"{name} must be an integer.") from None


def page(rows: Sequence[Record], params: Params) -> Sequence[Record]:
    """``$$FIRST`` (offset) and ``$$LIMIT`` (default 100, at most 2000) applied to ``rows``."""
    first = _integer(params, "$$FIRST", 0)
    limit = _integer(params, "$$LIMIT", DEFAULT_LIMIT)
    if first < 0:
        raise bad("$$FIRST must not be negative.")
    if limit < 1 or limit > MAX_LIMIT:
        raise bad(f"$$LIMIT must be between 1 and {MAX_LIMIT}, not {limit}.")
    return rows[first : first + limit]


def project(row: Record, objcode: str, params: Params) -> Record:
    """The row as the API answers it: the default fields and those ``fields=`` asks for.

    ``fields=*`` is every field; a nested object (``currentVersion``) may be asked for whole,
    as ``currentVersion:*`` or by one of its fields, ``currentVersion:fileName``.
    """
    requested = [
        name.strip() for value in params.get("fields", ()) for name in value.split(",") if name
    ]
    if "*" in requested:
        return {name: row.get(name) for name in ALL_FIELDS[objcode]}
    answer = {name: row.get(name) for name in DEFAULT_FIELDS[objcode]}
    whole: set[str] = set()
    for name in requested:
        base, _, nested = name.partition(":")
        canonical = field_name(objcode, base)
        value = row.get(canonical)
        if nested and BY_CODE[objcode].by_name[canonical].type != MAP:
            raise bad(f"{canonical!r} of {objcode} has no fields of its own.")
        if not nested or nested == "*" or not isinstance(value, dict):
            answer[canonical] = dict(value) if isinstance(value, dict) else value
            whole.add(canonical)
        elif canonical not in whole:
            if nested not in value:
                raise bad(f"{nested!r} is not a valid field of {canonical}.")
            picked = answer.get(canonical)
            if not isinstance(picked, dict):
                picked = answer[canonical] = {}
            picked[nested] = value[nested]
    return answer


def search(records: Iterable[Record], objcode: str, params: Params, user_id: str) -> list[Record]:
    """``<obj>/search``: filter, sort, page (``$$FIRST``, ``$$LIMIT``), project ``fields``."""
    page(rows=(), params=params)  # bad paging values are refused before any work
    rows = _sorted(filtered(records, objcode, params, user_id), objcode, params)
    return [project(row, objcode, params) for row in page(rows, params)]


def count(records: Iterable[Record], objcode: str, params: Params, user_id: str) -> int:
    """``<obj>/count``: the number of rows the same filters would match."""
    return len(filtered(records, objcode, params, user_id))


def get(index: Mapping[str, Record], objcode: str, obj_id: str, params: Params) -> Record:
    """``<obj>/<ID>``: one object, or a ``NotFoundException``."""
    row = index.get(obj_id)
    if row is None or row["objCode"] != objcode:
        raise not_found(objcode, obj_id)
    return project(row, objcode, params)
