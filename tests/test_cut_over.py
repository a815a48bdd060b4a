"""The cut-over from the legacy Workfront sign-in to Adobe IMS, as the user is told it: one
"Move to Adobe sign-in" action, a message that says what happened, a timeline that starts
afresh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from django_workfront_oauth.models import RefreshLog, WorkfrontConnection
from django_workfront_oauth.states import StateKey, describe, moved_to_adobe_message
from tests.conftest import ConnectFlow
from tests.http_mock import IMS_ORG_ID, WorkfrontMock

pytestmark = pytest.mark.django_db

CONNECTIONS = "/workfront/connections/"
ADOBE = {
    "PROVIDER": "adobe_ims",
    "CLIENT_ID": "ims-client-id",
    "CLIENT_SECRET": "ims-client-secret",
    "IMS_ORG_ID": IMS_ORG_ID,
}
MOVED = "Your Workfront connection now uses Adobe sign-in; the old Workfront sign-in was ended."


def finish_at_adobe(flow: ConnectFlow, http: WorkfrontMock, state: str) -> Any:
    """The legacy session ends, IMS issues tokens, Workfront names the user: the callback."""
    http.api("GET", "logout", json={"data": {"success": True}})  # the legacy grant's end
    http.provider = "adobe_ims"
    http.token(access_token="ims-access-1", refresh_token="ims-refresh-1", expires_in=86399)
    http.user()
    return flow.callback(state, domain=None, lane=None)


def test_connections_url_is_the_one_the_tests_use() -> None:
    assert reverse("workfront_oauth:connections") == CONNECTIONS


def test_moving_to_an_adobe_instance_says_what_happened_and_starts_afresh(
    user: Any,
    user_client: Client,
    make_connection: Any,
    workfront_http: WorkfrontMock,
    settings: Any,
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": {"HOST": workfront_http.host, **ADOBE}}
    legacy = make_connection(last_refreshed_at=timezone.now() - timedelta(hours=1))
    RefreshLog.objects.create(connection=legacy, outcome="refreshed")
    page = user_client.get(CONNECTIONS).content.decode()
    assert page.count("Move to Adobe sign-in</button>") == 1

    flow = ConnectFlow(user_client, workfront_http)
    state = flow.start(instance="adobe", next=CONNECTIONS)
    response = finish_at_adobe(flow, workfront_http, state)
    assert response.status_code == 302 and response["Location"] == CONNECTIONS

    page = user_client.get(CONNECTIONS).content.decode()
    assert f'<li class="success">{escape(MOVED)}</li>' in page
    assert 'data-state="moved_to_adobe"' in page
    assert "Move to Adobe sign-in</button>" not in page
    moved = WorkfrontConnection.objects.get(user=user)
    assert (moved.instance, moved.provider) == ("adobe", "adobe_ims")
    assert moved.last_refreshed_at is None
    assert not moved.refresh_log.exists()
    assert not WorkfrontConnection.objects.filter(pk=legacy.pk).exists()


def test_an_instance_switched_to_adobe_keeps_its_row_but_not_the_old_grants_timeline(
    user: Any,
    user_client: Client,
    make_connection: Any,
    workfront_http: WorkfrontMock,
    settings: Any,
) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    legacy = make_connection(last_refreshed_at=long_ago + timedelta(days=29))
    RefreshLog.objects.create(connection=legacy, outcome="refreshed")
    WorkfrontConnection.objects.filter(pk=legacy.pk).update(created_at=long_ago)
    RefreshLog.objects.filter(connection=legacy).update(created_at=long_ago + timedelta(days=29))
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    before = timezone.now()

    flow = ConnectFlow(user_client, workfront_http)
    response = finish_at_adobe(flow, workfront_http, flow.start())
    assert response.status_code == 302
    assert MOVED in [str(message) for message in get_messages(response.wsgi_request)]

    row = WorkfrontConnection.objects.get()
    assert (row.pk, row.provider) == (legacy.pk, "adobe_ims")
    # The new grant's timeline: no refresh yet, and it began now. The old grant's history
    # rows are not deleted here (the admin keeps them as an audit trail); they predate it.
    assert row.last_refreshed_at is None
    assert row.created_at >= before
    assert row.refresh_log.exists()
    assert not row.refresh_log.filter(created_at__gte=row.created_at).exists()
    assert describe(row).key == StateKey.MOVED_TO_ADOBE


def test_an_ordinary_connect_is_not_told_as_a_move(
    user_client: Client, workfront_http: WorkfrontMock
) -> None:
    flow = ConnectFlow(user_client, workfront_http)
    state = flow.start()
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(state)
    told = [str(message) for message in get_messages(response.wsgi_request)]
    assert told == ["Your Workfront account is connected."]
    assert moved_to_adobe_message() == MOVED


def test_an_instance_switched_in_place_asks_its_legacy_users_to_move(
    make_connection: Any, workfront_http: WorkfrontMock, settings: Any
) -> None:
    """The site switched "default" from the legacy app to Adobe IMS without a new instance: the
    configured credentials are IMS's now, so a legacy grant cannot be renewed with them. No
    request is sent (it would be refused as invalid_client and back off for ever): the user is
    asked to move, with the one button that does it."""
    from django_workfront_oauth import services
    from django_workfront_oauth.exceptions import ReauthorizationRequired
    from django_workfront_oauth.states import Action, Reason

    legacy = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    for key, value in ADOBE.items():
        setattr(settings, f"WORKFRONT_OAUTH_{key}", value)
    with pytest.raises(ReauthorizationRequired, match="now signs in through Adobe IMS"):
        services.refresh_connection(legacy)
    assert workfront_http.requests == []
    row = WorkfrontConnection.objects.get(pk=legacy.pk)
    assert row.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert row.refresh_token == legacy.refresh_token  # kept: nothing is lost
    state = describe(row)
    assert (state.key, state.reason) == (StateKey.NEEDS_RECONNECTING, Reason.LEGACY_ENDED)
    assert (state.action, state.action_instance) == (Action.MOVE_TO_ADOBE, "default")
    assert "Move it to Adobe sign-in" in state.sentence
