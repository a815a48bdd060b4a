"""One emulator's Workfront objects: the seeded projects and tasks, then every write made over the
API (creates, edits, removals, copies, uploads), with all-or-nothing transactions for
``atomic=true``.

The seeded rows are shared by every emulator built with the same numbers and are never changed:
a write puts a new dict in this store's own index (copy on write), so copying the index is all a
transaction has to save.
"""

from __future__ import annotations

import threading
from collections import ChainMap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .common import workfront_id
from .data import Dataset, Record
from .schema import STORED
from .stats import StatsRecorder


@dataclass(frozen=True)
class Upload:
    """A file received by ``POST /upload``, waiting for the ``DOCU`` that names its handle."""

    handle: str
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class CopyRecord:
    """A copy made by ``POST /<obj>?copySourceID=``: what was copied, into what, with which
    ``options`` (recorded, since the emulator gives them no meaning)."""

    objcode: str
    source_id: str
    copy_id: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """What one API call works with: the store, the users, who is calling, and when."""

    store: ObjectStore
    #: The API's USER records by ID (the emulator's users, read-only).
    users: Mapping[str, Record]
    user_id: str
    #: The emulator's clock as a Workfront date.
    now: str
    #: ``<base_url>/attask/api/<version>``, for metadata's ``url`` entries.
    api_url: str


class ObjectStore:
    """The objects of one emulator, by objCode and ID, in the order they were made.

    Every method expects the caller to hold :attr:`lock` (see :meth:`session`), except the
    read-only views (``projects``, ``tasks``, ``issues``, ``documents``, ``by_id``), which take
    it themselves.
    """

    def __init__(
        self, seeded: Dataset, lock: threading.RLock, stats: StatsRecorder, seed: str
    ) -> None:
        self.lock = lock
        self._stats = stats
        self._seed = seed
        self._rows: dict[str, dict[str, Record]] = {code: {} for code in STORED}
        self._rows["PROJ"] = {row["ID"]: row for row in seeded.projects}
        self._rows["TASK"] = {row["ID"]: row for row in seeded.tasks}
        self._uploads: dict[str, Upload] = {}
        self._created = 0
        self._uploaded = 0
        self._reference = max((row["referenceNumber"] for row in seeded.projects), default=999)
        self._copies: list[CopyRecord] = []
        # Writes not yet counted in stats: counted when the outermost session ends, dropped
        # with a transaction that rolls back.
        self._journal: list[str] = []
        self._depth = 0

    # Read-only views, for tests (``emu.dataset``) ------------------------------------------

    def _snapshot(self, objcode: str) -> tuple[Record, ...]:
        with self.lock:
            return tuple(self._rows[objcode].values())

    @property
    def projects(self) -> tuple[Record, ...]:
        """Every PROJ, seeded ones first, then those created, in order."""
        return self._snapshot("PROJ")

    @property
    def tasks(self) -> tuple[Record, ...]:
        """Every TASK."""
        return self._snapshot("TASK")

    @property
    def issues(self) -> tuple[Record, ...]:
        """Every OPTASK (none is seeded)."""
        return self._snapshot("OPTASK")

    @property
    def documents(self) -> tuple[Record, ...]:
        """Every DOCU."""
        return self._snapshot("DOCU")

    @property
    def copies(self) -> list[CopyRecord]:
        """The copies made so far, oldest first."""
        with self.lock:
            return list(self._copies)

    @property
    def by_id(self) -> Mapping[str, Record]:
        """Every stored object by ID (a snapshot)."""
        with self.lock:
            return dict(ChainMap(*self._rows.values()))

    # Reading and writing (under the lock) --------------------------------------------------

    def rows(self, objcode: str) -> Mapping[str, Record]:
        """The live index of one objCode: ID to record, in the order they were made."""
        return self._rows[objcode]

    def find(self, objcode: str, obj_id: str) -> Record | None:
        """One object, or ``None``."""
        return self._rows[objcode].get(obj_id)

    def new_id(self, objcode: str) -> str:
        """The ID of the next object made: derived from a counter, so the same on every run."""
        self._created += 1
        return workfront_id(self._seed, "created", objcode, self._created)

    def next_reference_number(self) -> int:
        """Workfront numbers projects and issues from one sequence."""
        self._reference += 1
        return self._reference

    def put(self, record: Record, kind: str | None = None) -> None:
        """Store a new object or a changed copy of one; ``kind`` counts it in ``api_writes``."""
        self._rows[record["objCode"]][record["ID"]] = record
        if kind:
            self._journal.append(kind)

    def delete(self, objcode: str, obj_id: str) -> None:
        """Forget one object."""
        del self._rows[objcode][obj_id]

    def count(self, kind: str) -> None:
        """Count a write that changed nothing stored itself (``executed``, ``deleted``)."""
        self._journal.append(kind)

    def record_copy(self, copy: CopyRecord) -> None:
        """Remember a copy and its options."""
        self._copies.append(copy)
        self._journal.append("copied")

    def add_upload(self, filename: str, content: bytes, content_type: str) -> str:
        """Keep an uploaded file; its handle."""
        self._uploaded += 1
        handle = workfront_id(self._seed, "upload", self._uploaded)
        self._uploads[handle] = Upload(handle, filename, content, content_type)
        return handle

    def upload(self, handle: str) -> Upload | None:
        """The file behind a handle not used yet."""
        return self._uploads.get(handle)

    def use_upload(self, handle: str) -> None:
        """A document was made of it: the handle is spent."""
        del self._uploads[handle]

    # Sessions and transactions -------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold the lock for one API call; count its writes in stats when it ends.

        What was applied stays applied when the call fails midway (a non-atomic bulk edit).
        """
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    journal, self._journal = self._journal, []
                    for kind in journal:
                        self._stats.api_write(kind)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: an exception undoes every write made inside, then propagates."""
        with self.session():
            saved = self._save()
            try:
                yield
            except BaseException:
                self._restore(saved)
                raise

    def _save(self) -> tuple[Any, ...]:
        rows = {code: dict(index) for code, index in self._rows.items()}
        counters = (self._created, self._uploaded, self._reference)
        return rows, dict(self._uploads), counters, len(self._copies), len(self._journal)

    def _restore(self, saved: tuple[Any, ...]) -> None:
        rows, uploads, counters, copies, journal = saved
        self._rows, self._uploads = rows, uploads
        self._created, self._uploaded, self._reference = counters
        del self._copies[copies:]
        del self._journal[journal:]
