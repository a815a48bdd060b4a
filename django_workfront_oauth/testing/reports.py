"""``GET /<obj>/report``: aggregates of the rows the usual filters match, grouped.

``<field>_GroupBy=true`` (``<field>_<n>_GroupBy`` orders several), ``<field>_AggFunc=<func>``
(``sum``, ``avg``, ``min``, ``max``, ``count``, ``dcount``) and ``$$ROLLUP=true``. The answer is
Workfront's shape, as its SDK's fixtures show it: a dict keyed by each group's value, holding
that value under the field's name and one ``<func>_<field>`` entry per aggregate
(``dcount_ID`` when none is asked for), a nested dict per value of the next grouping, and with
``$$ROLLUP`` a ``"$$ROLLUP"`` entry with the aggregates over every row. Without a grouping the
answer is the aggregates alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .data import Params, Record, bad, field_name, filtered, text
from .schema import BY_CODE, DOUBLE, INT

ROLLUP = "$$ROLLUP"
FUNCTIONS = ("sum", "avg", "min", "max", "count", "dcount")
#: Functions that need numbers.
NUMERIC = frozenset({"sum", "avg"})
_GROUP_BY = re.compile(r"^(?P<field>.+?)(?:_(?P<order>\d+))?_GroupBy$")
_AGG = re.compile(r"^(?P<field>.+)_AggFunc$")


def _true(values: Sequence[str], name: str) -> bool:
    value = values[-1].lower() if values else ""
    if value not in ("true", "false"):
        raise bad(f"{name} must be true or false.")
    return value == "true"


def _parse(objcode: str, params: Params) -> tuple[list[str], list[tuple[str, str]], bool, Params]:
    """Groupings, aggregates ``(func, field)``, the rollup flag, and the filters left."""
    groups: list[tuple[int, int, str]] = []
    aggregates: list[tuple[str, str]] = []
    rollup = False
    filters: dict[str, Sequence[str]] = {}
    for position, (key, values) in enumerate(params.items()):
        group, agg = _GROUP_BY.match(key), _AGG.match(key)
        if key == ROLLUP:
            rollup = _true(values, ROLLUP)
        elif group is not None:
            if _true(values, key):
                rank = int(group["order"]) if group["order"] else 0
                groups.append((rank, position, field_name(objcode, group["field"])))
        elif agg is not None:
            name = field_name(objcode, agg["field"])
            for value in values:
                function = value.lower()
                if function not in FUNCTIONS:
                    raise bad(f"{value!r} is not an aggregate function; one of {FUNCTIONS}.")
                if function in NUMERIC and BY_CODE[objcode].by_name[name].type not in (INT, DOUBLE):
                    raise bad(f"{function} needs a number field; {name} of {objcode} is not one.")
                aggregates.append((function, name))
        else:
            filters[key] = values
    return [name for _, _, name in sorted(groups)], aggregates, rollup, filters


def _aggregate(rows: Sequence[Record], aggregates: list[tuple[str, str]]) -> Record:
    result: Record = {}
    for function, name in aggregates:
        values: list[Any] = [row[name] for row in rows if row.get(name) is not None]
        value: Any
        if function == "count":
            value = len(values)
        elif function == "dcount":
            value = len({text(item) for item in values})
        elif not values:
            value = None if function != "sum" else 0
        elif function == "sum":
            value = sum(values)
        elif function == "avg":
            value = sum(values) / len(values)
        else:
            value = min(values) if function == "min" else max(values)
        result[f"{function}_{name}"] = value
    return result


def _grouped(
    rows: Sequence[Record], groups: list[str], aggregates: list[tuple[str, str]]
) -> Record:
    name, rest = groups[0], groups[1:]
    buckets: dict[str, list[Record]] = {}
    for row in rows:
        buckets.setdefault(text(row.get(name)), []).append(row)
    answer: Record = {}
    for key in sorted(buckets):
        members = buckets[key]
        entry: Record = {name: members[0].get(name), **_aggregate(members, aggregates)}
        if rest:
            entry.update(_grouped(members, rest, aggregates))
        answer[key] = entry
    return answer


def report(records: Sequence[Record], objcode: str, params: Params, user_id: str) -> Record:
    """The report of ``records`` as ``params`` asks for it."""
    groups, aggregates, rollup, filters = _parse(objcode, params)
    rows = filtered(records, objcode, filters, user_id)
    aggregates = aggregates or [("dcount", "ID")]
    if not groups:
        return _aggregate(rows, aggregates)
    answer = _grouped(rows, groups, aggregates)
    if rollup:
        answer[ROLLUP] = _aggregate(rows, aggregates)
    return answer
