"""Row locks for token writes: the one discipline that makes "exactly once" hold.

A refresh (or a Server-to-Server token request) locks its row with ``SELECT … FOR UPDATE`` for
the whole exchange, re-reads it inside the lock and decides again; of many processes, one talks
to the token endpoint and the others see its result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from django.db import OperationalError, connections, models, router

__all__ = ["copy_state", "is_lock_timeout", "lock_row"]

_M = TypeVar("_M", bound=models.Model)


def is_lock_timeout(err: OperationalError) -> bool:
    """True for PostgreSQL's lock_not_available, raised when ``lock_timeout`` runs out."""
    return getattr(getattr(err, "__cause__", None), "sqlstate", None) == "55P03" or (
        "lock timeout" in str(err).lower()
    )


def lock_row(model: type[_M], pk: int, *, skip_locked: bool, timeout: timedelta) -> _M | None:
    """Lock and re-read the row inside the caller's transaction; ``None`` if locked or gone."""
    db = router.db_for_write(model)
    if not skip_locked and connections[db].vendor == "postgresql":
        # Bound the wait: a holder stuck on a dead token endpoint must not pile workers up.
        with connections[db].cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(timeout.total_seconds())}s'")
    manager = model._default_manager
    return manager.using(db).select_for_update(skip_locked=skip_locked).filter(pk=pk).first()


def copy_state(source: models.Model, target: models.Model) -> None:
    """Bring the caller's instance up to date with the row as it is now."""
    if source is not target:
        for field in type(source)._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))
