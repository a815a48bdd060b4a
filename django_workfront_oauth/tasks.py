"""Celery tasks: thin wrappers over :mod:`services`, so a site without Celery can use cron.

Add the beat entry to your settings::

    CELERY_BEAT_SCHEDULE = {"workfront-oauth-refresh": {
        "task": "django_workfront_oauth.tasks.refresh_due_connections", "schedule": 300}}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from . import services
from .exceptions import WorkfrontUnavailable
from .models import WorkfrontConnection

__all__ = ["refresh_connection_task", "refresh_due_connections", "retry_countdown"]

#: Transient failures are retried this many times, waiting longer each time.
MAX_RETRIES = 5


def retry_countdown(retries: int, retry_at: datetime | None = None) -> float:
    """Seconds before retry ``retries + 1``: the services' one backoff policy, and never before
    the ``next_refresh_attempt_at`` that the failed attempt recorded."""
    countdown = services.backoff_delay(retries + 1).total_seconds()
    if retry_at is not None:
        countdown = max(countdown, (retry_at - timezone.now()).total_seconds())
    return countdown


@shared_task(name="django_workfront_oauth.tasks.refresh_due_connections", ignore_result=True)
def refresh_due_connections() -> dict[str, int]:
    """The beat entry: hand every due, active connection to :func:`refresh_connection_task`."""
    return services.sweep(dispatch=refresh_connection_task.delay)


@shared_task(
    name="django_workfront_oauth.tasks.refresh_connection_task",
    bind=True,
    # Acknowledged only when done: a worker killed mid-refresh leaves the message to be
    # delivered again, and the row lock (released with the dead connection) keeps it safe.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=120,
    time_limit=150,
    ignore_result=True,
)
def refresh_connection_task(self: Any, connection_id: int) -> str:
    """Refresh one connection when due; retries transient failures with backoff and jitter."""
    outcome = services.refresh_connection_by_id(connection_id)
    if outcome == services.RefreshOutcome.FAILED and self.request.retries < MAX_RETRIES:
        connection = (
            WorkfrontConnection.objects.without_tokens()
            .filter(pk=connection_id)
            .only("next_refresh_attempt_at")
            .first()
        )
        retry_at = connection.next_refresh_attempt_at if connection else None
        countdown = retry_countdown(self.request.retries, retry_at)
        raise self.retry(countdown=countdown, exc=WorkfrontUnavailable(outcome.value))
    return outcome.value
