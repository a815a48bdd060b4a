"""Refreshing many connections: the due ones for beat and cron, a chosen set for the admin.

:func:`refresh_many` is the one loop that refreshes a set of connections and counts what came
of each; the sweep, the admin's "Refresh now" and ``manage.py workfront_refresh`` all use it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..conf import DEFAULT_INSTANCE, InstanceSettings, app_settings
from ..exceptions import UNREADABLE_MARK
from ..models import RefreshLog, WorkfrontConnection
from .refresh import HOST_CHANGED_MARK, RefreshOutcome, paused_reason, refresh_connection_by_id
from .server_to_server import renew_due_service_tokens

__all__ = [
    "due_connections",
    "mark_paused_connections",
    "paused_instances",
    "refresh_many",
    "sweep",
    "trim_refresh_log",
]

logger = logging.getLogger("django_workfront_oauth")


def due_connections(
    now: datetime | None = None, *, instances: list[InstanceSettings] | None = None
) -> QuerySet[WorkfrontConnection]:
    """Active connections whose token expires within their instance's margin (or has).

    ``instances`` is :meth:`~.conf.AppSettings.all_instances` when the caller has it already.
    """
    now = now or timezone.now()
    instances = app_settings.all_instances() if instances is None else instances
    names = [instance.name for instance in instances]
    due = Q(access_token_expires_at__isnull=True)
    for instance in instances:
        due |= Q(instance=instance.name, access_token_expires_at__lte=now + instance.refresh_margin)
    default_margin = app_settings.get_instance(DEFAULT_INSTANCE).refresh_margin
    due |= ~Q(instance__in=names) & Q(access_token_expires_at__lte=now + default_margin)
    not_backing_off = Q(next_refresh_attempt_at__isnull=True) | Q(next_refresh_attempt_at__lte=now)
    return (
        WorkfrontConnection.objects.active()
        .filter(due & not_backing_off)
        .exclude(instance__in=paused_instances(instances))
    )


def paused_instances(instances: list[InstanceSettings] | None = None) -> list[str]:
    """The instances a site admin deactivated: their connections are kept but not refreshed."""
    instances = app_settings.all_instances() if instances is None else instances
    return [instance.name for instance in instances if not instance.is_active]


def mark_paused_connections(instances: list[InstanceSettings] | None = None) -> int:
    """Say on each connection of a deactivated instance that it is paused; returns how many.

    A connection whose ``last_error`` says something that pausing does not change (its tokens
    cannot be read, its host changed) keeps saying it.
    """
    marked = 0
    for name in paused_instances(instances):
        reason = paused_reason(name)
        # Only those the pause holds up: one that needs its user keeps saying why.
        marked += (
            WorkfrontConnection.objects.active()
            .filter(instance=name)
            .exclude(last_error=reason)
            .exclude(last_error__contains=UNREADABLE_MARK)
            .exclude(last_error__contains=HOST_CHANGED_MARK)
            .update(last_error=reason, updated_at=timezone.now())
        )
    return marked


def refresh_many(
    ids: Iterable[int],
    *,
    force: bool = False,
    progress: Callable[[int, RefreshOutcome], object] | None = None,
) -> Counter[str]:
    """Refresh each connection in ``ids`` on its own; count the outcomes by their value.

    One connection's failure, even an unexpected exception, is logged and counted as
    ``"error"``, and the rest are still refreshed: no row can stop the others. ``progress`` is
    called after each one.
    """
    counts: Counter[str] = Counter()
    for pk in ids:
        try:
            outcome = refresh_connection_by_id(pk, force=force)
        except Exception:
            # Deliberately broad: this loop is the cron job's and the admin's; one row's bug
            # must not leave every later connection to expire.
            logger.exception("Refreshing Workfront connection %s raised unexpectedly.", pk)
            outcome = RefreshOutcome.ERROR
        counts[outcome.value] += 1
        if progress is not None:
            progress(pk, outcome)
    return counts


def sweep(
    *, dispatch: Callable[[int], object] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Refresh every due connection once: the beat task's and the cron command's body.

    With ``dispatch`` (a Celery task's ``delay``), each connection is handed to it and the sweep
    only counts; without, each is refreshed here. IDs are streamed, not loaded at once, and a
    row locked by someone else is skipped, so two sweeps at once are harmless.
    """
    # One read of every instance for the whole sweep, not one lookup per instance and step.
    instances = app_settings.all_instances()
    ids = (
        due_connections(now, instances=instances)
        .order_by("access_token_expires_at")
        .values_list("pk", flat=True)
    )
    streamed = ids.iterator(chunk_size=500)
    counts: dict[str, int]
    if dispatch is None:
        counts = dict(refresh_many(streamed))
    else:
        dispatched = 0
        for pk in streamed:
            dispatch(pk)
            dispatched += 1
        counts = {"dispatched": dispatched} if dispatched else {}
    counts = {"due": sum(counts.values()), **counts}
    paused = mark_paused_connections(instances)
    if paused:
        counts["paused"] = paused
    # The site's own Server-to-Server tokens, renewed before they are due for the callers.
    counts.update(renew_due_service_tokens())
    counts["history_trimmed"] = trim_refresh_log()
    return counts


def trim_refresh_log(keep: int = RefreshLog.HISTORY_PER_CONNECTION) -> int:
    """Keep the newest ``keep`` attempts of each connection, and the audit of gone connections
    for its retention; returns how many rows were deleted."""
    crowded = (
        RefreshLog.objects.filter(connection__isnull=False)
        .values("connection_id")
        .annotate(attempts=Count("id"))
        .filter(attempts__gt=keep)
        .values_list("connection_id", flat=True)
    )
    deleted = 0
    for connection_id in crowded.iterator():
        newest = RefreshLog.objects.filter(connection_id=connection_id).values_list(
            "pk", flat=True
        )[:keep]
        deleted += (
            RefreshLog.objects.filter(connection_id=connection_id)
            .exclude(pk__in=list(newest))
            .delete()[0]
        )
    return deleted + RefreshLog.objects.prune_retired()
