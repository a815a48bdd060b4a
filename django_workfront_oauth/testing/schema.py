"""The emulated object types: their fields and types, references, collections, actions and named
queries, which fields a create needs and which a client may set.

Plain data, no behaviour: ``data.py`` reads it to search and project, ``writes.py`` to validate,
``metadata.py`` to describe it the way ``/<obj>/metadata`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STRING = "string"
INT = "int"
DOUBLE = "double"
DATE = "dateTime"
BOOLEAN = "boolean"
#: A nested object (``DOCU.currentVersion``), set and returned as a JSON object.
MAP = "map"

PROJECT_STATUSES = ("CUR", "PLN", "CPL", "ONH", "DED", "REQ", "APR", "REJ", "IDA")
TASK_STATUSES = ("NEW", "INP", "CPL")
ISSUE_STATUSES = ("NEW", "INP", "CLS")
#: The statuses that mean the work is finished (not "my work" any more).
DONE_STATUSES = frozenset({"CPL", "CLS"})
#: What a document may be attached to.
DOCUMENT_OWNERS = ("PROJ", "TASK", "OPTASK", "USER")


@dataclass(frozen=True)
class Field:
    """One field: its type, whether a client may set it (and only at creation), its values."""

    name: str
    type: str = STRING
    settable: bool = True
    create_only: bool = False
    #: The allowed values of an enumeration (``status``).
    values: tuple[str, ...] = ()
    #: The objCode an ``…ID`` field points at; a write must name an existing one.
    target: str | None = None

    @property
    def label(self) -> str:
        """``plannedStartDate`` → ``Planned Start Date``, as Workfront labels its fields."""
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.name)
        return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Operation:
    """An action (``PUT /<obj>/<id>/<name>``) or a named query (``GET /<obj>/<name>``)."""

    name: str
    #: ``(name, type)`` of each argument, as metadata lists them.
    arguments: tuple[tuple[str, str], ...] = ()
    result_type: str | None = None


@dataclass(frozen=True)
class ObjectType:
    """An objCode as the API knows it."""

    objcode: str
    name: str
    label: str
    aliases: tuple[str, ...]
    fields: tuple[Field, ...]
    default_fields: tuple[str, ...]
    #: What a create must carry.
    required: tuple[str, ...] = ()
    #: ``(reference name, the ID field holding it)``: ``("project", "projectID")``.
    references: tuple[tuple[str, str], ...] = ()
    #: ``(collection name, objCode of its members)``.
    collections: tuple[tuple[str, str], ...] = ()
    actions: tuple[Operation, ...] = ()
    queries: tuple[Operation, ...] = ()
    #: Records can be created, edited and removed over the API (USER is read-only here).
    writable: bool = False
    copyable: bool = False
    #: Only named queries: no search, count or get (WORK, CSTEM).
    queries_only: bool = False
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {item.name: item for item in self.fields})

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field, the defaults first (what ``fields=*`` returns)."""
        rest = tuple(name for name in self.by_name if name not in self.default_fields)
        return self.default_fields + rest

    def operations(self) -> list[str]:
        """What metadata lists under ``operations``."""
        if self.queries_only:
            return ["namedQuery"]
        names = ["count", "get", "report", "search"]
        if self.writable:
            names += ["add", "delete", "edit"]
        if self.copyable:
            names.append("copy")
        return sorted(names)


def _read_only(name: str, kind: str = STRING) -> Field:
    return Field(name, kind, settable=False)


_WORK_ITEM = (
    _read_only("ID"),
    Field("name"),
    _read_only("objCode"),
    Field("percentComplete", DOUBLE),
    Field("plannedCompletionDate", DATE),
    Field("plannedStartDate", DATE),
    Field("priority", INT),
    _read_only("projectedCompletionDate", DATE),
)
_WORK_ITEM_DEFAULTS = (*(item.name for item in _WORK_ITEM), "status")
_MARK_DONE = Operation("markDone", (("userID", STRING),))
_MARK_NOT_DONE = Operation("markNotDone", (("assignmentID", STRING),))
_ASSIGN = Operation("assignMultiple", (("userIDs", "string[]"),))
_MOVE = Operation("moveToProject", (("projectID", STRING),))

TYPES: tuple[ObjectType, ...] = (
    ObjectType(
        "PROJ",
        "Project",
        "Project",
        ("proj", "project"),
        (
            *_WORK_ITEM,
            Field("status", values=PROJECT_STATUSES),
            Field("description"),
            _read_only("entryDate", DATE),
            Field("ownerID", target="USER"),
            _read_only("referenceNumber", INT),
        ),
        _WORK_ITEM_DEFAULTS,
        required=("name",),
        references=(("owner", "ownerID"),),
        collections=(("tasks", "TASK"), ("issues", "OPTASK"), ("documents", "DOCU")),
        actions=(Operation("calculateTimeline"),),
        writable=True,
        copyable=True,
    ),
    ObjectType(
        "TASK",
        "Task",
        "Task",
        ("task",),
        (
            *_WORK_ITEM,
            Field("status", values=TASK_STATUSES),
            Field("assignedToID", target="USER"),
            Field("description"),
            _read_only("entryDate", DATE),
            Field("projectID", target="PROJ"),
            _read_only("taskNumber", INT),
            Field("workRequired", DOUBLE),
        ),
        _WORK_ITEM_DEFAULTS,
        required=("name", "projectID"),
        references=(("project", "projectID"), ("assignedTo", "assignedToID")),
        collections=(("documents", "DOCU"),),
        actions=(_MARK_DONE, _MARK_NOT_DONE, _ASSIGN, _MOVE),
        writable=True,
        copyable=True,
    ),
    ObjectType(
        "OPTASK",
        "Issue",
        "Issue",
        ("optask", "issue"),
        (
            *_WORK_ITEM,
            Field("status", values=ISSUE_STATUSES),
            Field("assignedToID", target="USER"),
            Field("description"),
            _read_only("enteredByID"),
            _read_only("entryDate", DATE),
            Field("projectID", target="PROJ"),
            _read_only("referenceNumber", INT),
            Field("workRequired", DOUBLE),
        ),
        _WORK_ITEM_DEFAULTS,
        required=("name", "projectID"),
        references=(("project", "projectID"), ("assignedTo", "assignedToID")),
        collections=(("documents", "DOCU"),),
        actions=(_MARK_DONE, _MARK_NOT_DONE, _ASSIGN),
        writable=True,
        copyable=True,
    ),
    ObjectType(
        "DOCU",
        "Document",
        "Document",
        ("docu", "document"),
        (
            _read_only("ID"),
            Field("name"),
            _read_only("objCode"),
            Field("description"),
            _read_only("lastUpdateDate", DATE),
            Field("currentVersion", MAP, create_only=True),
            Field("docObjCode", create_only=True, values=DOCUMENT_OWNERS),
            _read_only("enteredByID"),
            _read_only("entryDate", DATE),
            Field("objID", create_only=True),
        ),
        ("ID", "name", "objCode", "description", "lastUpdateDate"),
        required=("name", "docObjCode", "objID", "handle"),
        references=(("enteredBy", "enteredByID"),),
        writable=True,
    ),
    ObjectType(
        "USER",
        "User",
        "User",
        ("user",),
        (
            _read_only("ID"),
            Field("name"),
            _read_only("objCode"),
            Field("emailAddr"),
            Field("firstName"),
            Field("isActive", BOOLEAN),
            Field("lastName"),
            Field("title"),
            Field("username"),
        ),
        ("ID", "name", "objCode", "emailAddr"),
    ),
    ObjectType(
        "WORK",
        "Work",
        "Work Item",
        ("work",),
        (*_WORK_ITEM, Field("status"), Field("assignedToID"), Field("projectID")),
        _WORK_ITEM_DEFAULTS,
        queries=(Operation("myWork"),),
        queries_only=True,
    ),
    ObjectType(
        "CSTEM",
        "CustomEnum",
        "Custom Enum",
        ("cstem",),
        (
            Field("color"),
            Field("equatesWith"),
            Field("label"),
            _read_only("objCode"),
            Field("value"),
        ),
        ("color", "equatesWith", "label", "objCode", "value"),
        queries=(
            Operation("projectStatuses"),
            Operation("taskStatuses"),
            Operation("opTaskStatuses"),
        ),
        queries_only=True,
    ),
)

BY_CODE: dict[str, ObjectType] = {kind.objcode: kind for kind in TYPES}
#: Every spelling an objCode may take in a URL, lower case.
ALIASES: dict[str, str] = {alias: kind.objcode for kind in TYPES for alias in kind.aliases}
#: The objCodes whose records live in the emulator's store (USER lives in its directory).
STORED = tuple(kind.objcode for kind in TYPES if kind.writable)
