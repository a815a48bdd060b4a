"""The site's own Server-to-Server token, renewed by one process among many, on PostgreSQL and in
a real Celery worker, against the emulator over HTTP.

Children and the worker know the instance ``"service"`` on the emulator's Server-to-Server
credential (``helpers.install_s2s_instance``), beside the default instance. The emulator counts
``client_credentials`` token requests, so "exactly one" is what it saw, not what the app says.
Rows are committed (``transaction=True``) so the child processes and the worker see them.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_workfront_oauth.client import service_client
from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS
from django_workfront_oauth.models import ServiceConnection
from django_workfront_oauth.services import server_to_server
from django_workfront_oauth.services.server_to_server import forget_service_connections
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.integration.conftest import apply_s2s_settings
from tests.integration.helpers import (
    S2S_INSTANCE,
    Barrier,
    collect,
    spawn,
    stop_all,
    token_digest,
    wait_until,
)

SWEEP = "django_workfront_oauth.tasks.refresh_due_connections"
PROJECTS = 20
CHILDREN = 16

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def provider() -> str:
    """One user provider for the default instance: these tests are about the other instance.

    Overrides ``conftest.py``'s parametrised ``provider``, so this module runs once, not once per
    user provider, and starts one Celery worker, not two.
    """
    return PROVIDER_ADOBE_IMS


def tokens_issued(emulator: WorkfrontEmulator) -> int:
    """``client_credentials`` tokens the emulator issued over HTTP."""
    return int(emulator.stats["ims_client_credentials_tokens"])


def token_requests(emulator: WorkfrontEmulator) -> int:
    """``client_credentials`` requests that reached the emulator, served or refused."""
    return int(emulator.stats["ims_token_requests"]["client_credentials"])


def store_token(emulator: WorkfrontEmulator, *, expires_in: timedelta) -> ServiceConnection:
    """A stored row holding a real token of the emulator (made without HTTP: not counted), that
    the site believes expires ``expires_in`` from now."""
    tokens = emulator.s2s_issue_token()
    account = emulator.technical_account
    return ServiceConnection.objects.create(
        instance=S2S_INSTANCE,
        host=emulator.base_url,
        access_token=tokens["access_token"],
        token_type=tokens["token_type"],
        access_token_expires_at=timezone.now() + expires_in,
        workfront_user_id=account.id,
        workfront_user_name=account.name,
    )


@pytest.mark.workfront_emulator(ims_latency=0.3, projects=PROJECTS)
@pytest.mark.parametrize("stored", ["nothing", "expired"], ids=["no-token-stored", "expired"])
def test_sixteen_processes_ask_at_once_and_one_token_is_requested(
    emulator_settings: WorkfrontEmulator,
    workfront_s2s_settings: WorkfrontEmulator,
    child_env: dict[str, str],
    tmp_path: Any,
    stored: str,
) -> None:
    """No row at all (the site's first call ever: the row is created in the race too), or a row
    whose token has expired; the token endpoint answers after 300 ms, so all sixteen ask while
    the first request is out."""
    emulator = workfront_s2s_settings
    old_token = None
    if stored == "expired":
        old_token = store_token(emulator, expires_in=timedelta(minutes=-1)).access_token
    barrier = Barrier(tmp_path / "barrier")
    children = [
        spawn(
            ["s2s-api", S2S_INSTANCE, "--barrier", str(barrier.directory), "--name", str(i)],
            child_env,
        )
        for i in range(CHILDREN)
    ]
    try:
        barrier.release(CHILDREN, children, lead=0.3)
        results = [collect(child) for child in children]
    finally:
        stop_all(children)

    assert [r for r in results if "error" in r] == []
    assert tokens_issued(emulator) == 1
    assert token_requests(emulator) == 1
    assert sum(r["token_requests_here"] for r in results) == 1
    row = ServiceConnection.objects.get()  # one row, however many raced to create it
    assert row.instance == S2S_INSTANCE
    assert row.access_token != old_token
    assert not row.is_due()
    assert row.workfront_user_id == emulator.technical_account.id
    # All sixteen called with the one new token, and Workfront took it.
    assert {r["access_token"] for r in results} == {token_digest(row.access_token)}
    assert {r["row"] for r in results} == {row.pk}
    assert [r["count"] for r in results] == [PROJECTS] * CHILDREN
    stats = emulator.stats
    assert stats["unauthenticated_api_calls"] == 0
    identify = 1 if stored == "nothing" else 0  # who the technical account is, asked once
    assert stats["ims_api_calls"] == CHILDREN + identify
    # The fifteen that waited for the lock waited for one token request, not for LOCK_TIMEOUT.
    assert max(r["elapsed"] for r in results) < server_to_server.LOCK_TIMEOUT.total_seconds() / 2

    # This process, fresh too, takes the stored token.
    forget_service_connections()
    assert service_client(S2S_INSTANCE).count("PROJ") == PROJECTS
    assert tokens_issued(emulator) == 1


@pytest.mark.celery
def test_the_beat_task_on_the_worker_renews_a_due_stored_token(
    worker_settings: WorkfrontEmulator, celery_worker: Any, producer: Any, settings: Any
) -> None:
    emulator = worker_settings
    apply_s2s_settings(settings, emulator)
    # Ten minutes left: within REFRESH_MARGIN (15 minutes), so due, and still valid.
    due = store_token(emulator, expires_in=timedelta(minutes=10))
    old_token = due.access_token
    emulator.reset_stats()

    producer.send_task(SWEEP)

    def renewed() -> bool:
        due.refresh_from_db()
        return due.last_refreshed_at is not None

    wait_until(renewed, timeout=30, interval=0.1, what="the worker to renew the token")
    (sweep_end,) = wait_until(
        lambda: celery_worker.ends(SWEEP), timeout=30, what="the sweep task to end"
    )
    time.sleep(0.5)  # a second renewal would show up here
    assert sweep_end["state"] == "SUCCESS"
    assert sweep_end["retval"]["service_renewed"] == 1
    assert "service_failed" not in sweep_end["retval"]
    assert tokens_issued(emulator) == 1
    assert token_requests(emulator) == 1
    row = ServiceConnection.objects.get()
    assert row.access_token != old_token
    assert not row.is_due()
    assert (row.consecutive_failures, row.last_error) == (0, "")

    # The renewed token works from another process, with no request of its own.
    assert service_client(S2S_INSTANCE).count("PROJ") == PROJECTS
    assert tokens_issued(emulator) == 1
    assert emulator.stats["unauthenticated_api_calls"] == 0
    assert len(celery_worker.ends(SWEEP)) == 1
