"""The security review's findings, each reproduced and closed (issue "Hardening")."""

from __future__ import annotations

from collections import Counter
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from django_workfront_oauth import services
from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


# -- one bad connection does not stop the sweep ----------------------------------------------------


def test_a_sweep_over_ten_connections_where_the_third_raises_refreshes_the_other_nine(
    django_user_model: Any, make_connection: Any, workfront_http: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ids = []
    for number in range(10):
        user = django_user_model.objects.create_user(f"user{number}")
        expires = timezone.now() - timedelta(minutes=60 - number)  # refreshed in this order
        ids.append(make_connection(user=user, access_token_expires_at=expires).pk)
    for number in range(10):
        workfront_http.token(f"access-{number}", f"refresh-{number}")
    real = services.refresh.get_provider
    calls = Counter[str]()

    def third_raises(*args: Any, **kwargs: Any) -> Any:
        calls["provider"] += 1
        if calls["provider"] == 3:
            raise RuntimeError("a bug in one row")
        return real(*args, **kwargs)

    with mock.patch.object(services.refresh, "get_provider", side_effect=third_raises):
        counts = services.sweep()
    assert counts["due"] == 10
    assert counts["refreshed"] == 9 and counts["error"] == 1
    refreshed = WorkfrontConnection.objects.exclude(pk=ids[2]).filter(
        last_refreshed_at__isnull=False
    )
    assert refreshed.count() == 9
    assert WorkfrontConnection.objects.get(pk=ids[2]).last_refreshed_at is None


# -- a crafted next, CSRF and framing, caching -----------------------------------------------------


@pytest.mark.parametrize(
    "next_url", ["/" + "a" * 2000, "/" + "a" * 2047, "/after/\x00", "/after/\r\nSet-Cookie: x"]
)
def test_a_long_or_control_character_next_is_dropped_not_a_500(flow: Any, next_url: str) -> None:
    flow.start(next=next_url)
    assert PendingAuthorization.objects.get().next_url == ""


def test_authorize_and_disconnect_refuse_a_cross_site_post_without_csrf_middleware(
    settings: Any, user: Any, make_connection: Any
) -> None:
    """The views protect themselves: a host without CsrfViewMiddleware is still safe."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "CsrfViewMiddleware" not in m]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    connection = make_connection()
    assert client.post(reverse("workfront_oauth:authorize")).status_code == 403
    response = client.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))
    assert response.status_code == 403
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert PendingAuthorization.objects.count() == 0


def test_pages_deny_framing_and_account_pages_are_not_cached(
    settings: Any, user_client: Client
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "XFrameOptions" not in m]
    page = user_client.get(reverse("workfront_oauth:connections"))
    assert page["X-Frame-Options"] == "DENY"
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    callback = user_client.get(reverse("workfront_oauth:callback"), {"state": "x", "code": "y"})
    assert callback["X-Frame-Options"] == "DENY"
    assert "no-store" in callback["Cache-Control"]


# -- someone who learns a victim's state cannot cancel the flow ------------------------------------


def test_another_users_callback_with_the_victims_state_leaves_the_flow(
    flow: Any, other_client: Client, workfront_http: Any
) -> None:
    state = flow.start()
    for params in ({"state": state, "code": "stolen"}, {"state": state, "error": "access_denied"}):
        assert other_client.get(reverse("workfront_oauth:callback"), params).status_code == 400
    anonymous = Client().get(reverse("workfront_oauth:callback"), {"state": state, "error": "x"})
    assert anonymous.status_code == 400
    assert PendingAuthorization.objects.count() == 1  # the victim can still finish
    workfront_http.token("access-1", "refresh-1")
    workfront_http.user()
    assert flow.callback(state).status_code == 302


# -- admin lookups on token columns; a changed HOST ------------------------------------------------


def test_a_view_only_staff_user_cannot_filter_by_token_columns(
    django_user_model: Any, make_connection: Any
) -> None:
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("viewer", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_workfrontconnection", "view_refreshlog"])
    )
    client = Client()
    client.force_login(staff)
    make_connection()
    base = "/admin/django_workfront_oauth/"
    for url in (
        f"{base}workfrontconnection/?access_token__regex=^.{{100}}",
        f"{base}workfrontconnection/?refresh_token__startswith=g",
        f"{base}refreshlog/?connection__access_token__regex=x",
    ):
        response = client.get(url)
        # Django answers a disallowed lookup by ignoring it with an error flag (?e=1) or 400.
        assert response.status_code in (302, 400), url
        if response.status_code == 302:
            assert "e=1" in response["Location"]
    assert client.get(f"{base}workfrontconnection/?status=active").status_code == 200


@pytest.mark.legacy_only
def test_after_host_changes_a_legacy_refresh_sends_nothing_to_the_old_host(
    settings: Any, make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(host="https://old.my.workfront.com")
    with pytest.raises(services.refresh.WorkfrontUnavailable, match="Set HOST back"):
        services.refresh_connection(connection, force=True)
    assert workfront_http.requests == []
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert "now has HOST https://acme.my.workfront.com" in row.last_error
    assert row.status == WorkfrontConnection.Status.ACTIVE  # nothing lost: HOST can go back


# -- a safe export instead of dumpdata -------------------------------------------------------------


def test_workfront_export_writes_connections_without_their_tokens(
    make_connection: Any, tmp_path: Any
) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    make_connection(access_token="SENTINEL-A-1", refresh_token="SENTINEL-R-1")
    out = StringIO()
    call_command("workfront_export", "--history", stdout=out)
    text = out.getvalue()
    assert "SENTINEL" not in text
    (row,) = json.loads(text)
    assert row["model"] == "django_workfront_oauth.workfrontconnection"
    assert row["fields"]["workfront_user_id"] == "wf-user-1"
    assert "access_token" not in row["fields"] and "refresh_token" not in row["fields"]
    # dumpdata, for comparison, writes them decrypted: the reason this command exists.
    dumped = StringIO()
    call_command("dumpdata", "django_workfront_oauth.workfrontconnection", stdout=dumped)
    assert "SENTINEL-A-1" in dumped.getvalue()
    path = tmp_path / "export.json"
    call_command("workfront_export", "--output", str(path))
    assert "SENTINEL" not in path.read_text()
