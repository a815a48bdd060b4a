"""Finding database instances fast, and never stale, in every process.

Each process keeps the ``WorkfrontInstance`` rows it has read in memory, so an API call with a
fresh token costs no SQL. What makes that safe with many processes is a *generation*: a random
token in the site's shared cache (``WORKFRONT_OAUTH_INSTANCE_CACHE``) that every saved or deleted
row replaces, after its transaction commits. A lookup reads the generation (one cache read) and
trusts its memory only if the generation is the one it read the rows under; otherwise it reads
the row again. The generation is read *before* the row, so a row read before a commit is always
tagged with a generation the commit then replaces.

A process-local cache (local memory, dummy) cannot tell one process of another's change, so with
one every lookup reads the row: correct, one query dearer. ``check --database`` warns (W010).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DatabaseError, router, transaction
from django.db.models.signals import post_delete, post_save

from ..conf import StoredInstance, app_settings
from ..exceptions import TokenDecryptionError
from ..models import WorkfrontConnection, WorkfrontInstance
from ..models.instance import instances_changed
from .refresh import paused_reason

__all__ = [
    "GENERATION_KEY",
    "MEMORY_MAX_AGE",
    "DatabaseInstances",
    "cache_is_shared",
    "database_instances",
    "forget_instances",
    "install",
]

logger = logging.getLogger("django_workfront_oauth")

GENERATION_KEY = "django_workfront_oauth:instances:generation"

#: Seconds after which a process reads a row again whatever the generation says: the safety net
#: for a writer that died between its commit and the generation's replacement.
MEMORY_MAX_AGE = 300.0

_ABSENT = object()
_UNREADABLE = object()


def _instance_cache() -> BaseCache | None:
    try:
        return caches[app_settings.INSTANCE_CACHE]
    except InvalidCacheBackendError:
        return None


def cache_is_shared(cache: BaseCache | None = None) -> bool:
    """True when ``cache`` (by default the instance cache) is seen by every process of the site."""
    cache = _instance_cache() if cache is None else cache
    return cache is not None and not isinstance(cache, (LocMemCache, DummyCache))


class DatabaseInstances:
    """The :class:`~django_workfront_oauth.conf.InstanceSource` of ``WorkfrontInstance`` rows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._read_at = 0.0
        self._rows: dict[str, Any] = {}
        self._names: list[str] | None = None

    # -- the generation ------------------------------------------------------------------------

    def current_generation(self) -> str | None:
        """The shared generation, created if missing; ``None`` when no shared cache can say."""
        cache = _instance_cache()
        if cache is None or not cache_is_shared(cache):
            return None
        try:
            generation = cache.get(GENERATION_KEY)
            if generation is None:
                # add(), not set(): a process that races us to create it must not be undone.
                cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
                generation = cache.get(GENERATION_KEY)
        except Exception as err:  # any backend's failure: read the database instead
            logger.warning("The instance cache cannot be read (%s); reading the database.", err)
            return None
        return str(generation) if generation is not None else None

    def _memory_for(self, generation: str | None) -> bool:
        """Whether the memory may be used now; starts it afresh under ``generation``."""
        now = time.monotonic()
        if generation is None:
            return False
        if generation != self._generation or now - self._read_at > MEMORY_MAX_AGE:
            self._generation = generation
            self._read_at = now
            self._rows = {}
            self._names = None
        return True

    def forget(self) -> None:
        """Drop this process's memory (the next lookup reads the database)."""
        with self._lock:
            self._generation = None
            self._rows = {}
            self._names = None

    # -- InstanceSource ------------------------------------------------------------------------

    def get(self, name: str) -> StoredInstance | None:
        """The row called ``name`` as settings values, or ``None``."""
        generation = self.current_generation()
        with self._lock:
            remembered = self._memory_for(generation)
            found = self._rows.get(name, _ABSENT) if remembered else _ABSENT
        if found is not _ABSENT:
            return found if isinstance(found, StoredInstance) else None
        stored = self._read(name)
        if stored is _UNREADABLE:
            return None  # not remembered: the next lookup tries the database again
        with self._lock:
            if remembered and self._generation == generation:
                self._rows[name] = stored
        return stored if isinstance(stored, StoredInstance) else None

    def all(self) -> dict[str, StoredInstance]:
        """Every row by name, from one query (or from memory): for pages and the sweep."""
        generation = self.current_generation()
        with self._lock:
            remembered = self._memory_for(generation)
            if (
                remembered
                and self._names is not None
                and all(name in self._rows for name in self._names)
            ):
                return {
                    name: self._rows[name]
                    for name in self._names
                    if isinstance(self._rows[name], StoredInstance)
                }
        try:
            rows = {row.name: row.as_stored() for row in WorkfrontInstance.objects.order_by("name")}
        except TokenDecryptionError:
            # One row's secret is unreadable: read them one by one, each as well as it can be.
            found = {name: self.get(name) for name in self.names()}
            return {name: stored for name, stored in found.items() if stored is not None}
        except DatabaseError:
            _reraise_inside_a_transaction()
            return {}
        with self._lock:
            if remembered and self._generation == generation:
                self._rows.update(rows)
                self._names = list(rows)
        return rows

    def names(self) -> list[str]:
        """Every row's name, sorted."""
        generation = self.current_generation()
        with self._lock:
            remembered = self._memory_for(generation)
            if remembered and self._names is not None:
                return list(self._names)
        try:
            names = list(WorkfrontInstance.objects.order_by("name").values_list("name", flat=True))
        except DatabaseError:
            # Before migrate (system checks, the first runserver): no table, no instances.
            _reraise_inside_a_transaction()
            return []
        with self._lock:
            if remembered and self._generation == generation:
                self._names = names
        return names

    @staticmethod
    def _read(name: str) -> object:
        """The row as settings values, ``None`` when there is none, ``_UNREADABLE`` when the
        database could not say (not migrated yet, or down: not to be remembered)."""
        try:
            row = WorkfrontInstance.objects.filter(name=name).first()
        except TokenDecryptionError:
            # One customer's unreadable secret must not take every page down with it: the
            # instance is found without it, its token requests fail naming the field to fix.
            logger.error(
                "The client secret of the Workfront instance %r cannot be decrypted with "
                "FIELD_ENCRYPTION_KEY; type it again in the admin (Workfront instances).",
                name,
            )
            row = WorkfrontInstance.objects.defer("client_secret").filter(name=name).first()
            return None if row is None else row.as_stored(client_secret="")
        except DatabaseError:
            _reraise_inside_a_transaction()
            return _UNREADABLE
        return None if row is None else row.as_stored()


def _reraise_inside_a_transaction() -> None:
    # Inside an atomic block the failed query has broken the transaction (PostgreSQL): going on
    # as if there were no instance would only fail later, elsewhere, with another error.
    if transaction.get_connection(router.db_for_read(WorkfrontInstance)).in_atomic_block:
        raise


database_instances = DatabaseInstances()


def forget_instances() -> None:
    """Forget what this process remembers and tell every other process to (a new generation)."""
    database_instances.forget()
    cache = _instance_cache()
    if cache is not None and cache_is_shared(cache):
        try:
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception as err:  # logged: the safety net expires the memory
            logger.error(
                "The instance cache cannot be written (%s): other processes may use the old "
                "values of a Workfront instance for up to %d seconds.",
                err,
                MEMORY_MAX_AGE,
            )


def _row_changed(sender: Any, instance: WorkfrontInstance, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # loaddata: the instance changes once the fixture is in
    database_instances.forget()
    name = instance.name
    # After the commit: before it, another process could read the old row under the new
    # generation and keep it.
    transaction.on_commit(forget_instances, using=kwargs.get("using"))
    if kwargs.get("signal") is post_save and instance.is_active:
        active = WorkfrontConnection.objects.filter(
            instance=name, status=WorkfrontConnection.Status.ACTIVE
        )
        # A fixed secret or host is worth trying at once: the connections that backed off after
        # the old values failed try again at the next refresh instead of at the backoff's end.
        active.exclude(next_refresh_attempt_at=None).update(next_refresh_attempt_at=None)
        # Reactivated: "paused" is no longer true.
        active.filter(last_error=paused_reason(name)).update(last_error="")


def _rows_changed_in_bulk(sender: Any, **kwargs: Any) -> None:
    database_instances.forget()
    transaction.on_commit(forget_instances)


def install() -> None:
    """Find database instances through ``app_settings`` and keep every process up to date."""
    app_settings.use_instance_source(database_instances)
    post_save.connect(_row_changed, sender=WorkfrontInstance, dispatch_uid="wf_instance_saved")
    post_delete.connect(_row_changed, sender=WorkfrontInstance, dispatch_uid="wf_instance_gone")
    instances_changed.connect(_rows_changed_in_bulk, dispatch_uid="wf_instances_changed")
