"""The Celery tasks (called in-process here; a real worker runs them in tests/integration) and
the management commands that do the same work from cron."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone

from django_workfront_oauth import services, tasks
from django_workfront_oauth.checks import check_beat_schedule
from django_workfront_oauth.models import WorkfrontConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired(make_connection: Any) -> WorkfrontConnection:
    return make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))


def test_beat_task_hands_each_due_connection_to_the_refresh_task(
    make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    due = [
        make_connection(
            user=django_user_model.objects.create_user(f"due{i}"),
            access_token_expires_at=timezone.now() - timedelta(minutes=i),
        )
        for i in range(3)
    ]
    make_connection(user=django_user_model.objects.create_user("fresh"))
    with mock.patch.object(tasks.refresh_connection_task, "delay") as delay:
        counts = tasks.refresh_due_connections()
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(c.pk for c in due)
    assert counts["due"] == counts["dispatched"] == 3
    assert workfront_http.requests == []


def test_refresh_task_refreshes(expired: WorkfrontConnection, workfront_http: Any) -> None:
    workfront_http.token("from-task")
    assert tasks.refresh_connection_task.run(expired.pk) == "refreshed"
    assert WorkfrontConnection.objects.get(pk=expired.pk).access_token == "from-task"


def test_refresh_task_retries_a_transient_failure_with_backoff(
    expired: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token_response(status=503)
    with (
        mock.patch.object(tasks.refresh_connection_task, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.refresh_connection_task.run(expired.pk)
    countdown = retry.call_args.kwargs["countdown"]
    row = WorkfrontConnection.objects.get(pk=expired.pk)
    assert row.next_refresh_attempt_at is not None
    # Never before the service's own backoff ends.
    assert countdown >= (row.next_refresh_attempt_at - timezone.now()).total_seconds() - 1


def test_refresh_task_does_not_retry_a_revoked_grant(
    expired: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token_response(status=400)
    with mock.patch.object(tasks.refresh_connection_task, "retry") as retry:
        assert tasks.refresh_connection_task.run(expired.pk) == "reauth_required"
    retry.assert_not_called()


def test_refresh_task_options_survive_a_worker_crash() -> None:
    task = tasks.refresh_connection_task
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.time_limit and task.soft_time_limit


@pytest.mark.parametrize("retries", [0, 1, 3, 10])
def test_retry_countdown_follows_the_services_backoff_and_the_recorded_retry_time(
    retries: int,
) -> None:
    """The task and the refresh service share one retry policy (services.backoff)."""
    backoff = services.backoff
    ceiling = min(backoff.BACKOFF_BASE * 2**retries, backoff.BACKOFF_CAP).total_seconds()
    for _ in range(20):
        assert ceiling * (1 - backoff.BACKOFF_JITTER) <= tasks.retry_countdown(retries) <= ceiling
    later = timezone.now() + timedelta(hours=5)
    assert tasks.retry_countdown(retries, later) >= 5 * 3600 - 5


def test_beat_check_warns_when_celery_has_no_refresh_entry(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BEAT_SCHEDULE = {"other": {"task": "other.task", "schedule": 60}}
    (warning,) = check_beat_schedule()
    assert warning.id == "django_workfront_oauth.W003"
    assert "refresh_due_connections" in warning.hint
    settings.CELERY_BEAT_SCHEDULE["workfront"] = {
        "task": "django_workfront_oauth.tasks.refresh_due_connections",
        "schedule": 300,
    }
    assert check_beat_schedule() == []


def test_beat_check_is_silent_without_celery(settings: Any) -> None:
    for name in ("CELERY_BROKER_URL", "CELERY_BEAT_SCHEDULE"):
        if hasattr(settings, name):
            delattr(settings, name)
    assert check_beat_schedule() == []


# -- management commands ------------------------------------------------------------------------


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def test_workfront_refresh_refreshes_due_connections_and_summarises(
    expired: WorkfrontConnection, make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    make_connection(user=django_user_model.objects.create_user("fresh"))
    workfront_http.token()
    output = run("workfront_refresh")
    assert f"[1/1] connection {expired.pk}: refreshed" in output
    assert "1 connection(s) considered: 1 refreshed." in output
    assert len(workfront_http.requests) == 1


def test_workfront_refresh_all_with_force(
    expired: WorkfrontConnection, make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    make_connection(user=django_user_model.objects.create_user("fresh"))
    workfront_http.token()
    assert "1 connection(s) considered" in run("workfront_refresh")
    workfront_http.mock.calls.reset()
    output = run("workfront_refresh", "--all")
    assert "2 connection(s) considered: 2 not_due." in output
    output = run("workfront_refresh", "--all", "--force")
    assert "2 connection(s) considered: 2 refreshed." in output


def test_workfront_refresh_for_one_user(
    expired: WorkfrontConnection, make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    make_connection(
        user=django_user_model.objects.create_user("carol"),
        access_token_expires_at=timezone.now() - timedelta(minutes=1),
    )
    workfront_http.token()
    output = run("workfront_refresh", "--user", "carol")
    assert "1 connection(s) considered: 1 refreshed." in output
    assert WorkfrontConnection.objects.get(pk=expired.pk).access_token == "stored-access-token"


def test_workfront_refresh_reports_failures(
    expired: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token_response(status=400)
    output = run("workfront_refresh")
    assert "1 reauth_required" in output


def test_workfront_status_lists_counts_expiries_and_reconnections(
    make_connection: Any, django_user_model: Any
) -> None:
    soon = make_connection(access_token_expires_at=timezone.now() + timedelta(minutes=3))
    broken = make_connection(
        user=django_user_model.objects.create_user("dave"),
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="The token endpoint refused the refresh token: HTTP 400.",
    )
    output = run("workfront_status")
    assert "Active: 1" in output
    assert "Reconnection required: 1" in output
    assert "Due for refresh now: 1" in output
    assert f"#{soon.pk}" in output
    assert f"#{broken.pk}" in output and "HTTP 400" in output
    assert "workfront: 2" in output
    assert "stored-access-token" not in output and "stored-refresh-token" not in output


def test_workfront_status_with_no_connections() -> None:
    output = run("workfront_status")
    assert output.count("(none)") == 2


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (178.48, "2 min 58 s"),
        (3 * 3600 + 5 * 60 + 7, "3 h 5 min"),
        (2 * 86400 + 4 * 3600, "2 days 4 h"),
        (86400 + 30, "1 day 30 s"),
        (-90, "1 min 30 s"),
    ],
)
def test_commands_print_durations_as_people_read_them(seconds: float, text: str) -> None:
    from django_workfront_oauth.management.commands._durations import human_duration

    assert human_duration(timedelta(seconds=seconds)) == text


@pytest.mark.django_db
def test_workfront_status_says_when_in_plain_words(make_connection: Any) -> None:
    make_connection(access_token_expires_at=timezone.now() + timedelta(minutes=2, seconds=58.5))
    out = StringIO()
    call_command("workfront_status", stdout=out)
    assert "expires in 2 min 58 s" in out.getvalue() or "expires in 2 min 57 s" in out.getvalue()
    assert "." not in out.getvalue().split("expires in ")[1].split("\n")[0]
