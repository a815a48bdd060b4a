"""Checks of the instances in the database (``WorkfrontInstance`` rows), with ``--database``.

Rows are validated when saved, with the rules and messages of the settings' checks; these checks
catch what saving cannot: a settings instance added later under a row's name, a rule that a row
saved in code without ``full_clean()`` breaks, and a cache that cannot tell other processes that
a row changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, router

from ..conf import PREFIX, app_settings
from .common import ID
from .instances import check_instance

__all__ = ["check_database_instances"]


@register(Tags.database)
def check_database_instances(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Name clashes with the settings, each row's rules, and a cache every process shares."""
    from ..models import WorkfrontInstance
    from ..services.instances import cache_is_shared

    database = router.db_for_read(WorkfrontInstance)
    if database not in (kwargs.get("databases") or ()):
        return []
    try:
        rows = list(WorkfrontInstance.objects.using(database).order_by("name"))
    except DatabaseError:
        return []  # not migrated yet: nothing to say
    messages: list[CheckMessage] = []
    for row in rows:
        if app_settings.is_settings_instance(row.name):
            messages.append(
                Error(
                    f"The database instance {row.name!r} has the name of an instance of the "
                    "settings, which wins: the row is ignored.",
                    hint=f"Rename or delete the row, or remove {row.name!r} from "
                    f"{PREFIX}INSTANCES.",
                    id=ID("E018"),
                )
            )
            continue
        messages += check_instance(row.name, row.settings_values())
    if rows and not cache_is_shared():
        messages.append(
            Warning(
                f"{PREFIX}INSTANCE_CACHE ({app_settings.INSTANCE_CACHE!r}) is a cache of this "
                "process only, so every lookup of a database instance reads its row: a query per "
                "refresh, per new API client, per connect and per page that shows connections.",
                hint="Point it at a cache every process shares (Redis, Memcached, the database "
                "or files); the instances are then read once per change.",
                id=ID("W010"),
            )
        )
    return messages
