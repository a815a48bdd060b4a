"""The Celery tasks in a real worker (prefork, four processes) on Redis, against the emulator.

The worker runs for the whole module, once per provider (``celery_worker`` in ``conftest.py``:
the legacy Workfront OAuth2 app, then Adobe IMS); this process sends tasks through Redis and
watches the database, the emulator's counters and the worker's traces.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.models import RefreshLog, WorkfrontConnection
from tests.integration.conftest import grant_of, set_token_latency, token_stats
from tests.integration.helpers import parent_pid, wait_until

SWEEP = "django_workfront_oauth.tasks.refresh_due_connections"
REFRESH = "django_workfront_oauth.tasks.refresh_connection_task"
PROJECTS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
]


def refreshed(made) -> bool:
    return made.reload().last_refreshed_at is not None


def test_the_beat_task_refreshes_every_due_connection_once(
    worker_settings, provider, celery_worker, producer, make_emulated_connection
):
    emulator = worker_settings
    set_token_latency(emulator, provider, 0.2)
    due = [make_emulated_connection(emulator) for _ in range(12)]
    fresh = [make_emulated_connection(emulator, expires_in=3600) for _ in range(3)]
    needs_user = make_emulated_connection(
        emulator, status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )
    emulator.reset_stats()

    producer.send_task(SWEEP)
    wait_until(
        lambda: all(refreshed(made) for made in due),
        timeout=60,
        interval=0.1,
        what="every due connection to be refreshed",
    )
    wait_until(
        lambda: len(celery_worker.ends(REFRESH)) >= len(due) and celery_worker.ends(SWEEP),
        timeout=30,
        what="the tasks to end",
    )
    time.sleep(0.5)  # a duplicate delivery would show up here

    stats = token_stats(emulator, provider)
    assert stats["refresh_requests"] == len(due)
    assert stats["successful_refreshes"] == len(due)
    assert stats["reuse_detections"] == 0
    assert stats["other_token_requests"] == 0
    for made in due:
        connection = made.reload()
        grant = grant_of(emulator, made.grant_id)
        assert grant.refresh_count == 1
        assert connection.refresh_token == grant.refresh_token
        assert connection.access_token in grant.access_tokens
        assert [e["retval"] for e in celery_worker.ends(REFRESH, made.pk)] == ["refreshed"]
    for made in [*fresh, needs_user]:
        assert made.reload().last_refreshed_at is None
        assert grant_of(emulator, made.grant_id).refresh_count == 0
        assert celery_worker.starts(REFRESH, made.pk) == []
    (sweep_end,) = celery_worker.ends(SWEEP)
    assert sweep_end["retval"]["dispatched"] == len(due)

    # They work: an API call with each new token, no refresh on the way.
    for made in due[:3]:
        assert WorkfrontClient(made.connection).count("PROJ") == PROJECTS
    after = token_stats(emulator, provider)
    assert after["refresh_requests"] == len(due)
    assert after["unauthenticated_api_calls"] == 0


def run_and_kill(celery_worker, producer, emulator, provider, made) -> dict:
    """Send the refresh task, wait until the token endpoint has the request, kill that process."""
    set_token_latency(emulator, provider, 3.0)
    producer.send_task(REFRESH, args=[made.pk])
    (first,) = wait_until(
        lambda: celery_worker.starts(REFRESH, made.pk),
        timeout=30,
        what="the task to start in a pool process",
    )
    wait_until(
        lambda: token_stats(emulator, provider)["refresh_requests"] >= 1,
        timeout=10,
        interval=0.01,
        what="the token request to reach the emulator",
    )
    pid = first["pid"]
    # Only a pool process of the worker this module started, and only while the request is out.
    assert parent_pid(pid) == celery_worker.pid
    stats = token_stats(emulator, provider)
    assert stats["successful_refreshes"] + stats["token_faults"] == 0, "answered already"
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: parent_pid(pid) is None, timeout=10, what="the pool process to die")
    return first


def assert_row_sound(made) -> WorkfrontConnection:
    """Tokens decrypt and the status is one of ours."""
    connection = made.reload()
    assert connection.access_token and connection.refresh_token  # decrypting raises if corrupt
    assert connection.status in WorkfrontConnection.Status.values
    return connection


def test_a_worker_killed_before_workfront_answers_is_redelivered_and_completes(
    worker_settings, provider, celery_worker, producer, make_emulated_connection
):
    """SIGKILL while the token request is out, the token endpoint never completing it (a 503
    after 3 s).

    The dead process's row lock goes with its database connection; acks_late and
    reject_on_worker_lost put the message back; another pool process refreshes.
    """
    emulator = worker_settings
    made = make_emulated_connection(emulator)
    old_refresh = made.connection.refresh_token
    emulator.inject_token_fault("503", grant_type="refresh_token", provider=provider)
    emulator.reset_stats()

    first = run_and_kill(celery_worker, producer, emulator, provider, made)

    # Right after the kill: the row is as it was, and the emulator still honours it.
    connection = assert_row_sound(made)
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert (
        connection.refresh_token == old_refresh == grant_of(emulator, made.grant_id).refresh_token
    )

    wait_until(lambda: refreshed(made), timeout=30, what="the redelivered task to refresh")
    starts = celery_worker.starts(REFRESH, made.pk)
    assert len(starts) == 2
    assert starts[1]["task_id"] == first["task_id"]  # the same message, delivered again
    assert starts[1]["pid"] != first["pid"]
    wait_until(lambda: celery_worker.ends(REFRESH, made.pk), timeout=10, what="the task to end")
    assert [e["retval"] for e in celery_worker.ends(REFRESH, made.pk)] == ["refreshed"]
    assert "WorkerLostError" in celery_worker.log_text()

    stats = token_stats(emulator, provider)
    assert stats["refresh_requests"] == 2
    assert stats["token_faults"] == 1
    assert stats["successful_refreshes"] == 1
    assert stats["reuse_detections"] == 0
    connection = assert_row_sound(made)
    grant = grant_of(emulator, made.grant_id)
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.refresh_token == grant.refresh_token != old_refresh
    assert connection.access_token in grant.access_tokens
    set_token_latency(emulator, provider, 0)
    assert WorkfrontClient(connection).count("PROJ") == PROJECTS


def test_a_worker_killed_after_workfront_rotated_loses_the_grant_visibly(
    worker_settings, provider, celery_worker, producer, make_emulated_connection
):
    """SIGKILL while the token request is out, the token endpoint completing it for the dead
    process.

    The new refresh token existed only in the dead process, so the grant is lost: no client can
    avoid that. What must hold: the row is not corrupted, the redelivered task does not loop,
    and the connection says the user must reconnect instead of pretending to work.
    """
    emulator = worker_settings
    made = make_emulated_connection(emulator)
    old = made.connection
    old_access, old_refresh = old.access_token, old.refresh_token
    emulator.reset_stats()

    run_and_kill(celery_worker, producer, emulator, provider, made)
    connection = assert_row_sound(made)
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert (connection.access_token, connection.refresh_token) == (old_access, old_refresh)

    wait_until(
        lambda: celery_worker.ends(REFRESH, made.pk), timeout=30, what="the redelivered task"
    )
    wait_until(
        lambda: token_stats(emulator, provider)["successful_refreshes"] == 1,
        timeout=10,
        what="the emulator to complete the dead process's request",
    )
    starts = celery_worker.starts(REFRESH, made.pk)
    assert len(starts) == 2
    assert [e["retval"] for e in celery_worker.ends(REFRESH, made.pk)] == ["reauth_required"]
    stats = token_stats(emulator, provider)
    assert stats["refresh_requests"] == 2
    assert stats["reuse_detections"] == 1
    assert grant_of(emulator, made.grant_id) is None
    connection = assert_row_sound(made)
    assert connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert (connection.access_token, connection.refresh_token) == (old_access, old_refresh)
    assert RefreshLog.objects.filter(connection_id=made.pk, outcome="reauth_required").exists()
    assert connection.last_refreshed_at is None
    assert timezone.now() - connection.updated_at < timedelta(minutes=1)
