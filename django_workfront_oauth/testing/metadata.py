"""``GET /metadata`` (the objects the API knows) and ``GET /<obj>/metadata`` (one object's
fields with their types, references, collections, actions, named queries and operations), in
the shape Workfront answers them (its SDK's fixtures show one).

``fields=`` picks sections of ``/<obj>/metadata``: ``fields=fields,actions`` answers
``objCode``, ``name``, ``label`` and those two.
"""

from __future__ import annotations

from typing import Any

from .data import Params, Record, bad
from .schema import BY_CODE, TYPES, Field, ObjectType, Operation

SECTIONS = ("fields", "references", "collections", "search", "actions", "queries", "operations")
_ALWAYS = ("objCode", "name", "label", "url")


def _url(api_url: str, objcode: str | None) -> str | None:
    return f"{api_url}/{objcode.lower()}/metadata" if objcode else None


def _field(item: Field) -> Record:
    entry: Record = {
        "label": item.label,
        "typeObjCode": None,
        "targetTypeObjCode": None,
        "fieldType": item.type,
        "enumTargetObjCode": None,
        "enumType": None,
        "url": None,
    }
    flags = [
        flag
        for flag, on in (("READ_ONLY", not item.settable), ("CREATE_ONLY", item.create_only))
        if on
    ]
    if flags:
        entry["flags"] = flags
    if item.values:
        entry["possibleValues"] = [{"label": value, "value": value} for value in item.values]
    return entry


def _link(label: str, objcode: str, api_url: str) -> Record:
    return {
        "label": label,
        "typeObjCode": objcode,
        "targetTypeObjCode": None,
        "fieldType": BY_CODE[objcode].name,
        "enumTargetObjCode": None,
        "enumType": None,
        "url": _url(api_url, objcode),
    }


def _operation(item: Operation) -> Record:
    entry: Record = {"label": item.name}
    if item.arguments:
        entry["arguments"] = [{"name": name, "type": kind} for name, kind in item.arguments]
    if item.result_type:
        entry["resultType"] = item.result_type
    return entry


def _sections(kind: ObjectType, api_url: str) -> dict[str, Any]:
    references = {}
    for name, id_field in kind.references:
        target = kind.by_name[id_field].target or "USER"
        references[name] = _link(name[:1].upper() + name[1:], target, api_url)
    return {
        "fields": {name: _field(kind.by_name[name]) for name in kind.field_names},
        "references": references,
        "collections": {name: _link(name, code, api_url) for name, code in kind.collections},
        "search": {},
        "actions": {item.name: _operation(item) for item in kind.actions},
        "queries": {item.name: _operation(item) for item in kind.queries},
        "operations": kind.operations(),
    }


def describe(objcode: str, params: Params, api_url: str) -> Record:
    """``/<obj>/metadata``."""
    kind = BY_CODE[objcode]
    sections = _sections(kind, api_url)
    wanted = [
        name.strip()
        for value in params.get("fields", ())
        for name in value.split(",")
        if name.strip()
    ]
    for name in wanted:
        if name not in SECTIONS and name not in _ALWAYS:
            raise bad(f"{name!r} is not a section of metadata; one of {', '.join(SECTIONS)}.")
    head: Record = {
        "objCode": kind.objcode,
        "name": kind.name,
        "label": kind.label,
        "url": _url(api_url, objcode),
    }
    chosen = [name for name in SECTIONS if not wanted or name in wanted]
    return {**head, **{name: sections[name] for name in chosen}}


def everything(api_url: str) -> Record:
    """``/metadata``: ``{"objects": {<objCode>: {"objCode", "name", "label", "url"}}}``."""
    return {
        "objects": {
            kind.objcode: {
                "objCode": kind.objcode,
                "name": kind.name,
                "label": kind.label,
                "url": _url(api_url, kind.objcode),
            }
            for kind in TYPES
        }
    }
