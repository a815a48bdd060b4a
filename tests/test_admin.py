"""The Django admin: metadata only, never a token; actions go through the services."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import connection as db_connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import admin as wf_admin
from django_workfront_oauth.models import RefreshLog, WorkfrontConnection
from django_workfront_oauth.services import RefreshOutcome
from django_workfront_oauth.signals import connection_disconnected, reauthorization_required
from tests.http_mock import WorkfrontMock

# Every test here runs for the legacy provider and for Adobe IMS.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


ACCESS = "SENTINEL-ACCESS-5c1e9b7a"
REFRESH = "SENTINEL-REFRESH-0d42f6e3"
NEW_ACCESS = "SENTINEL-ACCESS-NEW-77aa"
NEW_REFRESH = "SENTINEL-REFRESH-NEW-88bb"
SENTINELS = (ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH)

CHANGELIST = "admin:django_workfront_oauth_workfrontconnection_changelist"
CHANGE = "admin:django_workfront_oauth_workfrontconnection_change"
LOG_CHANGELIST = "admin:django_workfront_oauth_refreshlog_changelist"
LOG_CHANGE = "admin:django_workfront_oauth_refreshlog_change"
TABLE = WorkfrontConnection._meta.db_table


@pytest.fixture
def connection(make_connection: Any) -> WorkfrontConnection:
    """Alice's connection, holding sentinel tokens."""
    conn: WorkfrontConnection = make_connection(access_token=ACCESS, refresh_token=REFRESH)
    return conn


@pytest.fixture
def make_user(django_user_model: Any) -> Any:
    """``make_user(name)``: another user, with an email derived from the name."""

    def make(name: str) -> AbstractBaseUser:
        user: AbstractBaseUser = django_user_model.objects.create_user(
            name, f"{name}@example.com", "pw"
        )
        return user

    return make


def raw_columns(pk: int) -> tuple[str, str]:
    """The stored (encrypted) token columns, read without the field's decryption."""
    with db_connection.cursor() as cursor:
        sql = f"SELECT access_token, refresh_token FROM {TABLE} WHERE id = %s"  # noqa: S608 - our table
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def write_garbage_tokens(pk: int) -> None:
    """Store token columns that no configured key can decrypt (a dropped key, say)."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET access_token = %s, refresh_token = %s WHERE id = %s",  # noqa: S608
            ["gAAAAABgarbage-not-fernet", "also-garbage", pk],
        )


def html(response: HttpResponse, *, echoed: str = "") -> str:
    """The response body, after asserting that no token (plain or encrypted) is in it.

    ``echoed`` is what the admin typed (a search), which the page may repeat back.
    """
    content = response.content.decode("utf-8")
    checked = content.replace(echoed, "") if echoed else content
    for sentinel in SENTINELS:
        assert sentinel not in checked
    for conn in WorkfrontConnection.objects.only("pk"):
        for stored in raw_columns(conn.pk):
            if stored:
                assert stored not in checked
    return content


def changelist(client: Client, **params: str) -> HttpResponse:
    response: HttpResponse = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response


def listed(response: HttpResponse) -> set[int]:
    """The pks on the changelist's current page."""
    return {obj.pk for obj in response.context["cl"].result_list}


def post_action(
    client: Client, action: str, pks: list[int], *, confirm: bool = False
) -> HttpResponse:
    """Run an admin action from the changelist, following the redirect."""
    data: dict[str, Any] = {
        "action": action,
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks],
    }
    if confirm:
        data["post"] = "yes"
        del data["index"]  # as the confirmation page posts it
    response: HttpResponse = client.post(reverse(CHANGELIST), data, follow=True)
    assert response.status_code == 200
    return response


def messages_of(response: HttpResponse) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


@pytest.fixture
def signals() -> Iterator[list[tuple[str, Any]]]:
    """Records ``reauthorization_required`` and ``connection_disconnected``."""
    received: list[tuple[str, Any]] = []

    def on_reauth(sender: Any, connection: WorkfrontConnection, reason: str, **kw: Any) -> None:
        received.append(("reauth", connection.pk))

    def on_disconnect(sender: Any, connection: WorkfrontConnection, **kw: Any) -> None:
        received.append(("disconnected", connection.pk))

    reauthorization_required.connect(on_reauth)
    connection_disconnected.connect(on_disconnect)
    yield received
    reauthorization_required.disconnect(on_reauth)
    connection_disconnected.disconnect(on_disconnect)


# -- never a token on screen ------------------------------------------------------------------


def test_changelist_shows_metadata_and_no_token(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    content = html(changelist(admin_client))
    for text in ("alice", "Alice Anders", connection.host, "default", "Active"):
        assert text in content


@pytest.mark.parametrize(
    "params",
    [
        {"q": "alice"},
        {"q": ACCESS},
        {"q": REFRESH},
        {"status__exact": "active"},
        {"status__exact": "reauth_required"},
        {"instance": "default"},
        {"provider__exact": "workfront"},
        {"expiry": "expired"},
        {"expiry": "due"},
        {"expiry": "1h"},
        {"expiry": "24h"},
        {"o": "-7"},
    ],
)
def test_searched_and_filtered_changelists_show_no_token(
    admin_client: Client, connection: WorkfrontConnection, params: dict[str, str]
) -> None:
    response = changelist(admin_client, **params)
    html(response, echoed=params.get("q", ""))


def test_change_history_and_delete_pages_show_no_token(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    change = admin_client.get(reverse(CHANGE, args=[connection.pk]))
    assert change.status_code == 200
    content = html(change)
    assert "alice@acme.example" in content
    assert "wf-user-1" in content

    history = admin_client.get(
        reverse("admin:django_workfront_oauth_workfrontconnection_history", args=[connection.pk])
    )
    assert history.status_code == 200
    html(history)

    delete = admin_client.get(
        reverse("admin:django_workfront_oauth_workfrontconnection_delete", args=[connection.pk])
    )
    assert delete.status_code == 200
    html(delete)


def test_refresh_log_admin_shows_no_token(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    RefreshLog.record(connection, RefreshOutcome.FAILED.value, reason="Workfront said no")
    log = RefreshLog.objects.get()
    listing = admin_client.get(reverse(LOG_CHANGELIST))
    assert listing.status_code == 200
    content = html(listing)
    assert "Workfront said no" in content
    assert "Failed" in content
    page = admin_client.get(reverse(LOG_CHANGE, args=[log.pk]))
    assert page.status_code == 200
    html(page)


def test_token_state_is_set_or_not_set(admin_client: Client, make_connection: Any) -> None:
    conn = make_connection(access_token=ACCESS, refresh_token="")
    content = html(admin_client.get(reverse(CHANGE, args=[conn.pk])))
    assert wf_admin.token_state(conn, "access_token") == "set"
    assert wf_admin.token_state(conn, "refresh_token") == "not set"
    assert "not set" in content


def test_token_fields_are_not_in_any_list_option() -> None:
    model_admin = wf_admin.WorkfrontConnectionAdmin(WorkfrontConnection, admin.site)
    options = (
        *model_admin.list_display,
        *[f for f in model_admin.list_filter if isinstance(f, str)],
        *model_admin.search_fields,
        *(model_admin.ordering or ()),
        *model_admin.readonly_fields,
    )
    for name in wf_admin.TOKEN_FIELDS:
        assert not any(option.split("__")[0] == name for option in options)


# -- read-only ---------------------------------------------------------------------------------


def test_no_add_permission(admin_client: Client) -> None:
    response = admin_client.get(reverse("admin:django_workfront_oauth_workfrontconnection_add"))
    assert response.status_code == 403
    assert 'href="/admin/django_workfront_oauth/workfrontconnection/add/"' not in html(
        changelist(admin_client)
    )


def test_change_page_is_view_only_and_post_changes_nothing(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    before = raw_columns(connection.pk)
    url = reverse(CHANGE, args=[connection.pk])
    page = admin_client.get(url)
    assert 'name="_save"' not in html(page)
    assert 'name="access_token"' not in page.content.decode()

    response = admin_client.post(
        url,
        {
            "access_token": "evil-access",
            "refresh_token": "evil-refresh",
            "status": "reauth_required",
            "host": "https://evil.example",
            "_save": "Save",
        },
    )
    assert response.status_code == 403
    connection.refresh_from_db()
    assert raw_columns(connection.pk) == before
    assert connection.access_token == ACCESS
    assert connection.refresh_token == REFRESH
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.host != "https://evil.example"


def test_refresh_log_admin_is_read_only(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    log = RefreshLog.objects.get()
    assert (
        admin_client.get(reverse("admin:django_workfront_oauth_refreshlog_add")).status_code == 403
    )
    response = admin_client.post(reverse(LOG_CHANGE, args=[log.pk]), {"outcome": "failed"})
    assert response.status_code == 403
    delete_url = reverse("admin:django_workfront_oauth_refreshlog_delete", args=[log.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    log.refresh_from_db()
    assert log.outcome == "refreshed"


def test_pending_authorizations_are_not_in_the_admin(admin_client: Client) -> None:
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "pendingauthorization" not in index.lower()


# -- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["alice", "alice@example.com", "wf-user-1", "Alice Anders", "alice@acme.example"],
)
def test_search_by_user_and_workfront_user(
    admin_client: Client,
    connection: WorkfrontConnection,
    make_user: Any,
    make_connection: Any,
    query: str,
) -> None:
    other = make_connection(
        user=make_user("bob"),
        workfront_user_id="wf-user-2",
        workfront_user_name="Bob Brown",
        workfront_user_email="bob@acme.example",
    )
    assert listed(changelist(admin_client, q=query)) == {connection.pk}
    assert other.pk in listed(changelist(admin_client, q="bob"))


def test_search_for_a_token_finds_nothing(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    for query in (ACCESS, REFRESH, raw_columns(connection.pk)[0][:30]):
        assert listed(changelist(admin_client, q=query)) == set()


# -- filters -----------------------------------------------------------------------------------


@pytest.fixture
def by_expiry(make_connection: Any, make_user: Any) -> dict[str, int]:
    """Connections whose access tokens expire at various times, by label."""
    now = timezone.now()
    expiries = {
        "unknown": None,
        "expired": now - timedelta(hours=1),
        "in_10_min": now + timedelta(minutes=10),  # within the default 15-minute margin
        "in_40_min": now + timedelta(minutes=40),
        "in_5_hours": now + timedelta(hours=5),
        "in_2_days": now + timedelta(days=2),
    }
    return {
        label: make_connection(user=make_user(label), access_token_expires_at=expires).pk
        for label, expires in expiries.items()
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("expired", {"unknown", "expired"}),
        ("due", {"unknown", "expired", "in_10_min"}),
        ("1h", {"in_10_min", "in_40_min"}),
        ("24h", {"in_10_min", "in_40_min", "in_5_hours"}),
    ],
)
def test_expiry_filter(
    admin_client: Client, by_expiry: dict[str, int], value: str, expected: set[str]
) -> None:
    assert listed(changelist(admin_client, expiry=value)) == {by_expiry[k] for k in expected}


def test_due_filter_leaves_out_connections_that_need_reconnection(
    admin_client: Client, by_expiry: dict[str, int]
) -> None:
    WorkfrontConnection.objects.filter(pk=by_expiry["expired"]).update(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )
    assert by_expiry["expired"] not in listed(changelist(admin_client, expiry="due"))
    assert by_expiry["expired"] in listed(changelist(admin_client, expiry="expired"))


@pytest.mark.legacy_only
def test_status_instance_and_provider_filters(
    admin_client: Client, make_connection: Any, make_user: Any
) -> None:
    active = make_connection()
    broken = make_connection(
        user=make_user("bob"), status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )
    sandbox = make_connection(user=make_user("carol"), instance="sandbox")
    assert listed(changelist(admin_client, status__exact="reauth_required")) == {broken.pk}
    assert listed(changelist(admin_client, status__exact="active")) == {active.pk, sandbox.pk}
    assert listed(changelist(admin_client, instance="sandbox")) == {sandbox.pk}
    assert listed(changelist(admin_client, provider__exact="workfront")) == {
        active.pk,
        broken.pk,
        sandbox.pk,
    }
    assert listed(changelist(admin_client, provider__exact="adobe_ims")) == set()


# -- summary -----------------------------------------------------------------------------------


def test_summary_counts_by_status_and_due(admin_client: Client, by_expiry: dict[str, int]) -> None:
    WorkfrontConnection.objects.filter(pk=by_expiry["in_2_days"]).update(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )
    response = changelist(admin_client)
    summary = response.context["workfront_summary"]
    assert summary.total == 6
    assert summary.by_status == [
        ("active", "Active", 5),
        ("reauth_required", "Reconnection required", 1),
    ]
    assert summary.due_now == 3
    content = html(response)
    assert '<strong data-status="active">5</strong>' in content
    assert '<strong data-status="reauth_required">1</strong>' in content
    assert '<strong data-summary="due">3</strong>' in content
    assert "6 connections in all" in content


def test_summary_with_no_connections(admin_client: Client) -> None:
    summary = changelist(admin_client).context["workfront_summary"]
    assert summary.total == 0
    assert summary.due_now == 0
    assert [count for _, _, count in summary.by_status] == [0, 0]


# -- actions -----------------------------------------------------------------------------------


def test_delete_selected_is_not_offered(admin_client: Client, connection: Any) -> None:
    actions = changelist(admin_client).context["action_form"].fields["action"].choices
    names = [name for name, _ in actions]
    assert "delete_selected" not in names
    assert {"refresh_now_action", "require_reconnection_action", "disconnect_action"} <= set(names)


def test_refresh_now_refreshes_through_the_services(
    admin_client: Client, connection: WorkfrontConnection, workfront_http: WorkfrontMock
) -> None:
    workfront_http.token(NEW_ACCESS, NEW_REFRESH)
    response = post_action(admin_client, "refresh_now_action", [connection.pk])
    html(response)
    assert messages_of(response) == [(messages.SUCCESS, "1 connection was refreshed.")]
    # Forced: the token was not due, yet one refresh request was sent with the stored token.
    (sent,) = workfront_http.token_requests()
    assert sent.fields()["refresh_token"] == REFRESH
    connection.refresh_from_db()
    assert connection.access_token == NEW_ACCESS
    assert connection.refresh_token == NEW_REFRESH
    assert connection.last_refreshed_at is not None
    assert RefreshLog.objects.get().outcome == "refreshed"


def test_refresh_now_reports_rejected_and_transient_failures(
    admin_client: Client,
    make_connection: Any,
    make_user: Any,
    workfront_http: WorkfrontMock,
) -> None:
    rejected = make_connection(access_token=ACCESS, refresh_token=REFRESH)
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    response = post_action(admin_client, "refresh_now_action", [rejected.pk])
    html(response)
    assert messages_of(response) == [
        (messages.WARNING, "1 connection needs its user to connect again.")
    ]
    rejected.refresh_from_db()
    assert rejected.status == WorkfrontConnection.Status.REAUTH_REQUIRED

    transient = make_connection(user=make_user("bob"), access_token=ACCESS, refresh_token=REFRESH)
    workfront_http.token_response(status=500)
    response = post_action(admin_client, "refresh_now_action", [transient.pk])
    html(response)
    ((level, text),) = messages_of(response)
    assert level == messages.WARNING
    assert text.startswith("1 connection could not be refreshed now")
    transient.refresh_from_db()
    assert transient.status == WorkfrontConnection.Status.ACTIVE
    assert transient.access_token == ACCESS
    assert "HTTP 500" in transient.last_error


def test_refresh_now_helper_counts_every_outcome(
    make_connection: Any, make_user: Any, workfront_http: WorkfrontMock
) -> None:
    good = make_connection(user=make_user("good"))
    make_connection(user=make_user("no_refresh_token"), refresh_token="")  # skipped
    make_connection(
        user=make_user("broken"), status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )  # reported as needing reconnection, no request sent
    unreadable = make_connection(user=make_user("unreadable"))
    write_garbage_tokens(unreadable.pk)
    workfront_http.token(NEW_ACCESS, NEW_REFRESH)

    counts = wf_admin.refresh_now(WorkfrontConnection.objects.without_tokens())
    assert counts == wf_admin.RefreshCounts(
        refreshed=1, failed=0, reauth_required=1, skipped=1, unreadable=1
    )
    assert len(workfront_http.token_requests()) == 1
    good.refresh_from_db()
    assert good.access_token == NEW_ACCESS


def test_refresh_now_action_reports_skipped_and_unreadable(
    admin_client: Client, make_connection: Any, make_user: Any
) -> None:
    skipped = make_connection(refresh_token="")
    unreadable = make_connection(user=make_user("bob"))
    write_garbage_tokens(unreadable.pk)
    response = post_action(admin_client, "refresh_now_action", [skipped.pk, unreadable.pk])
    levels, texts = zip(*messages_of(response), strict=True)
    assert set(levels) == {messages.WARNING}
    assert any(t.startswith("1 connection was skipped") for t in texts)
    assert any("cannot be decrypted" in t for t in texts)


def test_require_reconnection_confirms_then_acts(
    admin_client: Client,
    admin_user: Any,
    connection: WorkfrontConnection,
    signals: list[tuple[str, Any]],
) -> None:
    confirm = post_action(admin_client, "require_reconnection_action", [connection.pk])
    content = html(confirm)
    assert 'name="post" value="yes"' in content
    assert str(connection) in content
    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert signals == []

    response = post_action(
        admin_client, "require_reconnection_action", [connection.pk], confirm=True
    )
    html(response)
    assert messages_of(response) == [
        (messages.SUCCESS, "1 connection now requires its user to connect again.")
    ]
    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert admin_user.username in connection.last_error
    assert "Require reconnection" in connection.last_error
    log = RefreshLog.objects.get()
    assert log.outcome == "reauth_required"
    assert admin_user.username in log.error
    assert signals == [("reauth", connection.pk)]
    # Tokens are kept: only the user's reconnection replaces them.
    assert connection.access_token == ACCESS


def test_require_reconnection_leaves_those_that_already_need_it(
    admin_client: Client, make_connection: Any, make_user: Any, signals: list[tuple[str, Any]]
) -> None:
    active = make_connection()
    broken = make_connection(
        user=make_user("bob"), status=WorkfrontConnection.Status.REAUTH_REQUIRED
    )
    response = post_action(
        admin_client, "require_reconnection_action", [active.pk, broken.pk], confirm=True
    )
    assert messages_of(response) == [
        (messages.SUCCESS, "1 connection now requires its user to connect again."),
        (messages.WARNING, "1 connection already required reconnection; left as it was."),
    ]
    assert signals == [("reauth", active.pk)]
    counts = wf_admin.require_reconnection(WorkfrontConnection.objects.all(), "test")
    assert counts == wf_admin.ReconnectCounts(required=0, already=2)


def test_disconnect_confirms_then_logs_out_and_deletes(
    admin_client: Client,
    connection: WorkfrontConnection,
    workfront_http: WorkfrontMock,
    signals: list[tuple[str, Any]],
) -> None:
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    confirm = post_action(admin_client, "disconnect_action", [connection.pk])
    assert 'name="post" value="yes"' in html(confirm)
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert workfront_http.requests == []

    workfront_http.logout()
    response = post_action(admin_client, "disconnect_action", [connection.pk], confirm=True)
    html(response)
    assert messages_of(response) == [(messages.SUCCESS, "1 connection was disconnected.")]
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    # The history stays, detached, as the audit trail (tests/test_admin_audit.py).
    assert set(RefreshLog.objects.values_list("outcome", "connection_id")) == {
        ("refreshed", None),
        ("disconnected", None),
    }
    (logout,) = workfront_http.end_session_requests()
    if workfront_http.provider == "workfront":
        assert logout.access_token == ACCESS
    else:
        assert logout.form() == {"token": REFRESH, "token_type_hint": "refresh_token"}
    assert signals == [("disconnected", connection.pk)]
    entry = LogEntry.objects.get()
    assert entry.action_flag == DELETION
    assert entry.object_id == str(connection.pk)


def test_disconnect_goes_on_when_workfront_is_down(
    admin_client: Client, connection: WorkfrontConnection, workfront_http: WorkfrontMock
) -> None:
    workfront_http.logout(status=503)
    response = post_action(admin_client, "disconnect_action", [connection.pk], confirm=True)
    assert messages_of(response) == [(messages.SUCCESS, "1 connection was disconnected.")]
    assert not WorkfrontConnection.objects.exists()


def test_deleting_from_the_change_page_disconnects(
    admin_client: Client,
    connection: WorkfrontConnection,
    workfront_http: WorkfrontMock,
    signals: list[tuple[str, Any]],
) -> None:
    workfront_http.logout()
    url = reverse("admin:django_workfront_oauth_workfrontconnection_delete", args=[connection.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not WorkfrontConnection.objects.exists()
    assert len(workfront_http.end_session_requests()) == 1
    assert signals == [("disconnected", connection.pk)]


def test_delete_queryset_disconnects_each(
    make_connection: Any, make_user: Any, workfront_http: WorkfrontMock, rf: Any
) -> None:
    make_connection()
    make_connection(user=make_user("bob"))
    workfront_http.logout()
    workfront_http.logout()
    model_admin = wf_admin.WorkfrontConnectionAdmin(WorkfrontConnection, admin.site)
    model_admin.delete_queryset(rf.post("/"), WorkfrontConnection.objects.all())
    assert not WorkfrontConnection.objects.exists()
    assert len(workfront_http.end_session_requests()) == 2


def test_actions_need_the_model_permissions(
    connection: WorkfrontConnection, django_user_model: Any
) -> None:
    staff = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(Permission.objects.get(codename="view_workfrontconnection"))
    client = Client()
    client.force_login(staff)
    response = changelist(client)
    assert "action_form" not in response.context or response.context["action_form"] is None
    client.post(
        reverse(CHANGELIST),
        {
            "action": "require_reconnection_action",
            "post": "yes",
            helpers.ACTION_CHECKBOX_NAME: [str(connection.pk)],
        },
    )
    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.ACTIVE


# -- rows the key cannot decrypt ---------------------------------------------------------------


def test_a_row_that_cannot_be_decrypted_lists_and_opens(
    admin_client: Client, connection: WorkfrontConnection, workfront_http: WorkfrontMock
) -> None:
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    write_garbage_tokens(connection.pk)

    assert listed(changelist(admin_client)) == {connection.pk}
    assert listed(changelist(admin_client, q="alice", expiry="24h")) == {connection.pk}
    page = admin_client.get(reverse(CHANGE, args=[connection.pk]))
    assert page.status_code == 200
    assert "cannot be decrypted" in html(page)
    assert admin_client.get(reverse(LOG_CHANGELIST)).status_code == 200
    log = RefreshLog.objects.get()
    assert admin_client.get(reverse(LOG_CHANGE, args=[log.pk])).status_code == 200

    # Disconnecting still works: the logout is skipped, the row goes.
    response = post_action(admin_client, "disconnect_action", [connection.pk], confirm=True)
    assert messages_of(response) == [(messages.SUCCESS, "1 connection was disconnected.")]
    assert workfront_http.requests == []
    assert not WorkfrontConnection.objects.exists()


# -- refresh history ---------------------------------------------------------------------------


def test_inline_shows_the_newest_history_first_and_bounded(
    admin_client: Client, connection: WorkfrontConnection
) -> None:
    limit = RefreshLog.HISTORY_PER_CONNECTION
    total = limit + 5
    start = timezone.now() - timedelta(days=1)
    minute_of = {}
    for i in range(total):
        RefreshLog.record(connection, RefreshOutcome.FAILED.value, reason=f"attempt-{i:02d}")
        # Times that are not in insertion order (7 and 25 are coprime: a permutation), so
        # that only ordering by time puts them right.
        minute_of[f"attempt-{i:02d}"] = (i * 7) % total
    for log in RefreshLog.objects.all():
        RefreshLog.objects.filter(pk=log.pk).update(
            created_at=start + timedelta(minutes=minute_of[log.error])
        )
    newest_first = sorted(minute_of, key=minute_of.__getitem__, reverse=True)

    response = admin_client.get(reverse(CHANGE, args=[connection.pk]))
    content = html(response)
    (inline,) = response.context["inline_admin_formsets"]
    assert [form.original.error for form in inline] == newest_first[:limit]
    positions = [content.index(f"{text}<") for text in newest_first[:limit]]
    assert positions == sorted(positions)
    for text in newest_first[limit:]:
        assert f"{text}<" not in content
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


def test_refresh_log_outcome_filter(admin_client: Client, connection: WorkfrontConnection) -> None:
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    RefreshLog.record(connection, RefreshOutcome.FAILED.value, reason="down")
    response = admin_client.get(reverse(LOG_CHANGELIST), {"outcome": "failed"})
    assert [log.error for log in response.context["cl"].result_list] == ["down"]
    html(response)


# -- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client: Client,
    make_connection: Any,
    make_user: Any,
    django_assert_max_num_queries: Any,
    rows: int,
) -> None:
    for i in range(rows):
        conn = make_connection(user=make_user(f"user{i}"))
        RefreshLog.record(conn, RefreshOutcome.REFRESHED.value)
    admin_client.get(reverse(CHANGELIST))  # warm the session and content types
    # 14: the page, the summary's counts, the health bar (one query), the instances (the
    # settings' and the database's, looked up once for the page's state column).
    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse(CHANGELIST))
    assert len(listed(response)) == rows
    with django_assert_max_num_queries(10):
        response = admin_client.get(reverse(LOG_CHANGELIST))
    assert len(response.context["cl"].result_list) == rows


# -- the move to Adobe IMS ----------------------------------------------------------------------


@pytest.mark.legacy_only
def test_summary_counts_legacy_and_ims_connections_without_refresh_token(
    admin_client: Client, make_connection: Any, make_user: Any
) -> None:
    make_connection()
    make_connection(user=make_user("legacy2"))
    make_connection(user=make_user("ims-ok"), provider="adobe_ims", instance="adobe")
    make_connection(
        user=make_user("ims-24h"), provider="adobe_ims", instance="adobe", refresh_token=""
    )
    content = changelist(admin_client).content.decode()
    assert re.search(r'data-summary="legacy">2</strong> connections are still on', content)
    # and which path to take instead, and why
    assert "No new legacy app can be created since 2026-11-01" in content
    assert "OAuth Web App credential (PROVIDER adobe_ims)" in content
    assert re.search(r'data-summary="no-refresh-token">1</strong> Adobe IMS connection', content)


@pytest.mark.legacy_only
def test_change_page_says_what_will_happen_to_the_connection(
    admin_client: Client, make_connection: Any, make_user: Any
) -> None:
    cases = {
        "stops working on 2027-02-01": make_connection(),
        "reconnect within 24 hours": make_connection(
            user=make_user("ims-24h"), provider="adobe_ims", instance="adobe", refresh_token=""
        ),
        "Refreshed automatically": make_connection(
            user=make_user("ims-ok"), provider="adobe_ims", instance="adobe"
        ),
        "must connect again": make_connection(
            user=make_user("broken"),
            status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        ),
    }
    for expected, connection in cases.items():
        url = reverse(
            "admin:django_workfront_oauth_workfrontconnection_change", args=[connection.pk]
        )
        assert expected in admin_client.get(url).content.decode(), expected
