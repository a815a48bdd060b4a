"""The admin as an audit trail: every action in Django's admin log, the refresh history kept after
a disconnect (bounded, no token), plain-language rows, times with seconds and zone, confirmations
that say everything, the health bar above the list.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection as db_connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import admin as wf_admin
from django_workfront_oauth import services
from django_workfront_oauth.admin.display import (
    HEALTH_DAYS,
    HealthDay,
    connection_health,
    format_timestamp,
)
from django_workfront_oauth.admin.history import entry_sentence
from django_workfront_oauth.admin.service_connections import ServiceConnectionAdmin
from django_workfront_oauth.models import RefreshLog, ServiceConnection, WorkfrontConnection
from tests.http_mock import WorkfrontMock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]

ACCESS = "SENTINEL-AUDIT-ACCESS-3f9c"
REFRESH = "SENTINEL-AUDIT-REFRESH-8e21"
NEW_ACCESS = "SENTINEL-AUDIT-NEW-ACCESS-11aa"
NEW_REFRESH = "SENTINEL-AUDIT-NEW-REFRESH-22bb"
SENTINELS = (ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH)

CHANGELIST = "admin:django_workfront_oauth_workfrontconnection_changelist"
CHANGE_PAGE = "admin:django_workfront_oauth_workfrontconnection_change"
HISTORY_PAGE = "admin:django_workfront_oauth_workfrontconnection_history"
DELETE_PAGE = "admin:django_workfront_oauth_workfrontconnection_delete"
LOG_CHANGELIST = "admin:django_workfront_oauth_refreshlog_changelist"
LOG_PAGE = "admin:django_workfront_oauth_refreshlog_change"

#: A time as the admin shows it: "2026-12-01 14:03:27 UTC".
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z][A-Za-z0-9+-]*")


@pytest.fixture
def connection(make_connection: Any) -> WorkfrontConnection:
    conn: WorkfrontConnection = make_connection(access_token=ACCESS, refresh_token=REFRESH)
    return conn


def page(client: Client, name: str, *args: Any, **params: str) -> str:
    """A page's HTML, after asserting it is there and shows no token."""
    response = client.get(reverse(name, args=args), params)
    assert response.status_code == 200
    content = response.content.decode()
    for sentinel in SENTINELS:
        assert sentinel not in content
    return content


def post_action(
    client: Client, action: str, pks: list[int], *, confirm: bool = False
) -> HttpResponse:
    data: dict[str, Any] = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(p) for p in pks]}
    if confirm:
        data["post"] = "yes"
    else:
        data["index"] = "0"
    response: HttpResponse = client.post(reverse(CHANGELIST), data, follow=True)
    assert response.status_code == 200
    for sentinel in SENTINELS:
        assert sentinel not in response.content.decode()
    return response


def log_entries(obj: Any) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    )


def assert_no_secret_in_log_entries() -> None:
    for entry in LogEntry.objects.all():
        for sentinel in SENTINELS:
            assert sentinel not in entry.change_message
            assert sentinel not in entry.object_repr


# -- every action in Django's admin log --------------------------------------------------------


def test_refresh_now_is_logged_with_who_did_it(
    admin_client: Client,
    admin_user: AbstractBaseUser,
    connection: WorkfrontConnection,
    workfront_http: WorkfrontMock,
) -> None:
    workfront_http.token(NEW_ACCESS, NEW_REFRESH)
    post_action(admin_client, "refresh_now_action", [connection.pk])
    (entry,) = log_entries(connection)
    assert entry.action_flag == CHANGE
    assert entry.user_id == admin_user.pk
    assert entry.get_change_message() == "Refresh now (admin action): renewed."
    assert_no_secret_in_log_entries()
    # On the row's History page and in the admin's Recent actions.
    assert "Refresh now (admin action): renewed." in page(admin_client, HISTORY_PAGE, connection.pk)
    index = page(admin_client, "admin:index")
    assert str(connection) in index
    # The history row names who asked.
    (row,) = RefreshLog.objects.all()
    assert row.actor == admin_user.get_username()
    assert entry_sentence(row) == f"Renewed at the request of {admin_user.get_username()}"


def test_refresh_now_refused_is_logged_and_reads_as_a_refusal(
    admin_client: Client, connection: WorkfrontConnection, workfront_http: WorkfrontMock
) -> None:
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    post_action(admin_client, "refresh_now_action", [connection.pk])
    (entry,) = log_entries(connection)
    assert "refused; the user must connect again" in entry.get_change_message()
    (row,) = RefreshLog.objects.all()
    assert row.event == RefreshLog.Event.RENEWAL_REFUSED
    assert entry_sentence(row) == "Workfront refused the renewal: reconnection required"


def test_require_reconnection_is_logged_only_for_the_rows_it_changed(
    admin_client: Client,
    admin_user: AbstractBaseUser,
    make_connection: Any,
    django_user_model: Any,
) -> None:
    active = make_connection()
    broken = make_connection(
        user=django_user_model.objects.create_user("bob"),
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
    )
    post_action(admin_client, "require_reconnection_action", [active.pk, broken.pk], confirm=True)
    (entry,) = log_entries(active)
    assert entry.action_flag == CHANGE
    assert entry.user_id == admin_user.pk
    assert "the user must connect again" in entry.get_change_message()
    assert log_entries(broken) == []
    (row,) = RefreshLog.objects.all()
    assert row.event == RefreshLog.Event.RECONNECTION_REQUIRED
    assert entry_sentence(row) == f"Reconnection required by {admin_user.get_username()}"


def test_disconnect_action_and_delete_page_are_logged_as_deletions(
    admin_client: Client,
    admin_user: AbstractBaseUser,
    make_connection: Any,
    django_user_model: Any,
    workfront_http: WorkfrontMock,
) -> None:
    first = make_connection(access_token=ACCESS, refresh_token=REFRESH)
    second = make_connection(user=django_user_model.objects.create_user("bob"))
    workfront_http.logout()
    workfront_http.logout()
    post_action(admin_client, "disconnect_action", [first.pk], confirm=True)
    response = admin_client.post(reverse(DELETE_PAGE, args=[second.pk]), {"post": "yes"})
    assert response.status_code == 302
    for gone in (first, second):
        (entry,) = log_entries(gone)
        assert entry.action_flag == DELETION
        assert entry.user_id == admin_user.pk
    assert_no_secret_in_log_entries()
    # Both in the audit trail, saying who and how.
    rows = {row.connection_ref: row for row in RefreshLog.objects.filter(outcome="disconnected")}
    assert set(rows) == {first.pk, second.pk}
    assert rows[first.pk].actor == admin_user.get_username()
    assert rows[first.pk].error.startswith("Admin action Disconnect.")
    assert rows[second.pk].error.startswith("Deleted in the admin.")
    assert entry_sentence(rows[first.pk]) == f"Disconnected by {admin_user.get_username()}"


def test_renew_now_of_a_service_connection_is_logged(
    rf: Any, admin_user: AbstractBaseUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = ServiceConnection.objects.create(instance="service", host="https://acme.example")
    failing = ServiceConnection.objects.create(instance="other", host="https://other.example")

    def renew(connection: ServiceConnection, force: bool) -> None:
        if connection.pk == failing.pk:
            raise ValueError("not an adobe_ims_s2s instance")

    monkeypatch.setattr(services, "renew_service_token", renew)
    model_admin = ServiceConnectionAdmin(ServiceConnection, admin.site)
    request = rf.post("/")
    request.user = admin_user
    monkeypatch.setattr(model_admin, "message_user", lambda *args, **kwargs: None)
    model_admin.renew_now_action(request, ServiceConnection.objects.order_by("pk"))
    (renewed,) = log_entries(row)
    assert renewed.user_id == admin_user.pk
    assert renewed.get_change_message() == "Renew now (admin action): a new token was stored."
    (failed,) = log_entries(failing)
    assert failed.get_change_message() == "Renew now (admin action): failed; see the last error."


# -- the history kept after a disconnect -------------------------------------------------------


def raw_history() -> list[tuple[Any, ...]]:
    """Every stored column of every history row, read without the ORM."""
    table = RefreshLog._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our table
        return [tuple(row) for row in cursor.fetchall()]


def test_history_survives_a_disconnect_in_audit_form_without_tokens(
    admin_client: Client, connection: WorkfrontConnection, workfront_http: WorkfrontMock
) -> None:
    RefreshLog.record(connection, "refreshed")
    RefreshLog.record(connection, "failed", reason="Workfront answered HTTP 503.")
    workfront_http.logout()
    services.disconnect(connection, by="alice", how="Disconnected on the connections page")
    rows = list(RefreshLog.objects.order_by("pk"))
    assert [row.outcome for row in rows] == ["refreshed", "failed", "disconnected"]
    for row in rows:
        assert row.connection_id is None
        assert row.connection_ref == connection.pk
        assert row.username == "alice"
        assert row.instance == "default"
        assert row.host == connection.host
        assert row.workfront_user_id == "wf-user-1"
        assert row.workfront_user_name == "Alice Anders"
        assert row.created_at is not None
    assert rows[-1].actor == "alice"
    assert "ended at its server" in rows[-1].error
    for stored in raw_history():
        for value in stored:
            for sentinel in SENTINELS:
                assert sentinel not in str(value)

    listing = page(admin_client, LOG_CHANGELIST, connection_state="gone")
    assert "alice @ " in listing
    assert "(disconnected)" in listing
    assert "Disconnected by alice" in listing
    detail = page(admin_client, LOG_PAGE, rows[0].pk)
    assert "Renewed automatically" in detail
    assert "wf-user-1" in detail


def test_history_survives_the_deletion_of_the_user(connection: WorkfrontConnection) -> None:
    RefreshLog.record(connection, "refreshed")
    connection.user.delete()
    (row,) = RefreshLog.objects.all()
    assert row.connection_id is None
    assert row.username == "alice"
    assert row.host == connection.host


def test_the_audit_trail_is_bounded(
    make_connection: Any, django_user_model: Any, workfront_http: WorkfrontMock
) -> None:
    keep = RefreshLog.HISTORY_PER_CONNECTION
    old = make_connection()
    for i in range(keep + 5):
        RefreshLog.record(old, "failed", reason=f"attempt-{i:02d}")
    services.disconnect(old)
    kept = list(RefreshLog.objects.retired().values_list("error", flat=True))
    assert len(kept) == keep + 1  # the newest attempts, and the row saying it was disconnected
    assert "attempt-00" not in kept and f"attempt-{keep + 4:02d}" in kept
    # A year on, the sweep's trim prunes the old audit rows (not each disconnect: a bulk one
    # would prune once per row).
    RefreshLog.objects.retired().update(
        created_at=timezone.now() - RefreshLog.AUDIT_RETENTION - timedelta(days=1)
    )
    services.disconnect(make_connection(user=django_user_model.objects.create_user("bob")))
    services.trim_refresh_log()
    assert list(RefreshLog.objects.values_list("outcome", flat=True)) == ["disconnected"]
    assert RefreshLog.objects.prune_retired() == 0


def test_the_audit_list_is_read_only_even_for_superusers(
    admin_client: Client, admin_user: AbstractBaseUser, connection: WorkfrontConnection, rf: Any
) -> None:
    services.disconnect(connection)
    row = RefreshLog.objects.get()
    model_admin = wf_admin.RefreshLogAdmin(RefreshLog, admin.site)
    request = rf.get("/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, row)
    assert not model_admin.has_delete_permission(request, row)
    delete_url = reverse("admin:django_workfront_oauth_refreshlog_delete", args=[row.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert RefreshLog.objects.filter(pk=row.pk).exists()


# -- plain-language rows -----------------------------------------------------------------------


def test_history_rows_say_what_happened_in_words(
    admin_client: Client, make_connection: Any, django_user_model: Any
) -> None:
    conn = make_connection()
    retry = datetime(2026, 12, 1, 14, 3, 27, tzinfo=dt_timezone.utc)
    conn.next_refresh_attempt_at = retry
    RefreshLog.record(conn, "failed", reason="Workfront answered HTTP 503.")
    RefreshLog.record(conn, "refreshed")
    without = make_connection(user=django_user_model.objects.create_user("bob"), refresh_token="")
    RefreshLog.record(without, "reauth_required", reason="The access token expired …")
    with timezone.override("UTC"):
        sentences = [entry_sentence(row) for row in RefreshLog.objects.order_by("pk")]
        content = page(admin_client, CHANGE_PAGE, conn.pk)
    assert sentences == [
        "Renewal failed, will retry at 2026-12-01 14:03:27 UTC",
        "Renewed automatically",
        "The sign-in ended and cannot be renewed (no refresh token): reconnection required",
    ]
    assert "Renewal failed, will retry at 2026-12-01 14:03:27 UTC" in content
    assert "Workfront answered HTTP 503." in content  # the detail, beside it
    assert "reauth_required at" not in content
    assert "failed at" not in content
    assert re.search(r"Renewal failed — \d{4}-", content)  # the line above each row, in words
    # Rows written before events were recorded read by their outcome.
    legacy = RefreshLog.objects.create(connection=conn, outcome="reauth_required")
    assert entry_sentence(legacy) == "Reconnection required"


# -- times with seconds and the time zone ------------------------------------------------------


def test_format_timestamp_has_seconds_and_the_zone(settings: Any) -> None:
    value = datetime(2026, 12, 1, 14, 3, 27, tzinfo=dt_timezone.utc)
    with timezone.override("UTC"):
        assert format_timestamp(value) == "2026-12-01 14:03:27 UTC"
    with timezone.override("Europe/Paris"):
        assert format_timestamp(value) == "2026-12-01 15:03:27 CET"
    assert format_timestamp(None) is None


def test_list_change_page_and_history_show_times_to_the_second(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    WorkfrontConnection.objects.filter(pk=connection.pk).update(last_refreshed_at=timezone.now())
    RefreshLog.record(connection, "refreshed")
    for content in (
        page(admin_client, CHANGELIST),
        page(admin_client, CHANGE_PAGE, connection.pk),
        page(admin_client, LOG_CHANGELIST),
        page(admin_client, LOG_PAGE, RefreshLog.objects.get().pk),
    ):
        assert TIMESTAMP.search(content), content[:200]
        assert " p.m." not in content and " a.m." not in content


def test_the_list_keeps_the_last_error_off_it(admin_client: Client, make_connection: Any) -> None:
    long_error = "The token endpoint https://ims.example/ims/token/v3 refused it: " + "x" * 300
    conn = make_connection(last_error=long_error[:500])
    assert long_error[:200] not in page(admin_client, CHANGELIST)
    assert long_error[:200] in page(admin_client, CHANGE_PAGE, conn.pk)


# -- confirmations that say everything ---------------------------------------------------------


def test_disconnect_confirmations_say_it_signs_out_and_keeps_the_history(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    confirm = post_action(admin_client, "disconnect_action", [connection.pk]).content.decode()
    delete = page(admin_client, DELETE_PAGE, connection.pk)
    for content in (confirm, delete):
        assert "signs the app out at the authorization server" in content
        assert "Workfront API session logged out" in content
        assert "refresh token revoked at Adobe IMS" in content
        assert "deleted anyway" in content
        assert (
            f"newest {RefreshLog.HISTORY_PER_CONNECTION} entries" in content
            and f"for {RefreshLog.AUDIT_RETENTION.days} days" in content
        )


def test_require_reconnection_confirmation_says_what_happens_to_the_tokens(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    content = post_action(
        admin_client, "require_reconnection_action", [connection.pk]
    ).content.decode()
    assert "must connect their Workfront account again" in content
    assert "stored tokens are not revoked" in content
    assert "next connection replaces both tokens" in content


def test_the_list_explains_every_action(admin_client: Client, connection: Any) -> None:
    content = page(admin_client, CHANGELIST)
    assert "What the actions do" in content
    assert "even when the current one is still valid" in content  # Refresh now
    assert "stored tokens are not revoked" in content  # Require reconnection
    assert "signs the app out at the authorization server" in content  # Disconnect


# -- the health bar ----------------------------------------------------------------------------


def test_health_counts_per_day_in_one_query(
    make_connection: Any, django_assert_num_queries: Any
) -> None:
    conn = make_connection()
    now = timezone.now()
    stamps = {
        "refreshed": [now, now, now - timedelta(days=1)],
        "failed": [now - timedelta(days=1)],
        "reauth_required": [now - timedelta(days=3)],
        "disconnected": [now],  # not a renewal: not counted
    }
    for outcome, times in stamps.items():
        for when in times:
            row = RefreshLog.record(conn, outcome)
            RefreshLog.objects.filter(pk=row.pk).update(created_at=when)
    old = RefreshLog.record(conn, "refreshed")
    RefreshLog.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=HEALTH_DAYS))
    with django_assert_num_queries(1):
        days = connection_health(now=now)
    assert len(days) == HEALTH_DAYS
    today = timezone.localdate(now)
    by_day = {day.day: day for day in days}
    assert by_day[today] == HealthDay(day=today, renewed=2)
    assert by_day[today - timedelta(days=1)] == HealthDay(
        day=today - timedelta(days=1), renewed=1, failed=1
    )
    assert by_day[today - timedelta(days=3)].reconnect == 1
    assert sum(day.total for day in days) == 5
    assert days[-1].day == today and days[0].day == today - timedelta(days=HEALTH_DAYS - 1)
    assert by_day[today].steps(2) == (20, 0, 0)
    assert by_day[today - timedelta(days=1)].steps(2) == (10, 10, 0)


def test_health_bar_on_the_list_is_a_table_with_its_numbers(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    RefreshLog.record(connection, "refreshed")
    RefreshLog.record(connection, "failed", reason="down")
    content = page(admin_client, CHANGELIST)
    assert f"Connection health, last {HEALTH_DAYS} days" in content
    assert "<caption" in content
    assert content.count('data-health="renewed"') == HEALTH_DAYS
    assert '<td data-health="renewed">1</td>' in content
    assert '<td data-health="failed">1</td>' in content
    assert "<script" not in content.split('id="workfront-oauth-health"')[1].split("</table>")[0]


def test_the_sweep_trim_keeps_the_audit_of_each_disconnected_connection(
    make_connection: Any, django_user_model: Any
) -> None:
    for name in ("first", "second"):
        conn = make_connection(user=django_user_model.objects.create_user(name))
        for i in range(15):
            RefreshLog.record(conn, "refreshed", reason=f"{name}-{i}")
        services.disconnect(conn)
    assert RefreshLog.objects.retired().count() == 32
    services.trim_refresh_log()
    assert RefreshLog.objects.retired().count() == 32
