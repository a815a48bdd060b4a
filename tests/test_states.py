"""One vocabulary for a connection's state (``django_workfront_oauth.states``), and every place
that uses it: the connections page, the template tag, ``workfront_status``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from django_workfront_oauth import services, states
from django_workfront_oauth.conf import InstanceSettings, app_settings
from django_workfront_oauth.exceptions import ReauthorizationRequired, TokenDecryptionError
from django_workfront_oauth.models import ServiceConnection, WorkfrontConnection
from django_workfront_oauth.states import Action, Reason, StateKey, describe
from tests.conftest import HOST

pytestmark = pytest.mark.django_db

ADOBE = {
    "HOST": HOST,
    "PROVIDER": "adobe_ims",
    "CLIENT_ID": "ims-client-id",
    "CLIENT_SECRET": "ims-client-secret",
    "IMS_ORG_ID": "0123456789ABCDEF@AdobeOrg",
}

#: ``last_error`` as our own code writes it, by the reason it must be read as.
ERRORS = {
    Reason.ADMIN_REQUIRED: (
        "Required by site admin 'root' through the admin action 'Require reconnection'."
    ),
    Reason.RENEWAL_REFUSED: (
        "The token endpoint https://acme.my.workfront.com/integrations/oauth2/api/v1/token "
        "refused the refresh token: HTTP 400 (INVALID_GRANT)."
    ),
    Reason.SIGN_IN_EXPIRED: "The access token expired and there is no refresh token.",
    Reason.TOKEN_UNREADABLE: (
        "workfront_oauth.WorkfrontConnection.refresh_token cannot be decrypted with the "
        "configured FIELD_ENCRYPTION_KEY; add the key it was written with to the key list."
    ),
    Reason.ADDRESS_CHANGED: (
        "The instance 'default' now has HOST https://new.my.workfront.com, but this connection "
        "was made with https://acme.my.workfront.com; its refresh token is not sent there."
    ),
    Reason.OTHER: "The connection 7 needs the user to connect again.",
}

URL = re.compile(r"https?://|\w+\.\w+/")


def assert_plain(state: states.ConnectionState, connection: WorkfrontConnection) -> None:
    """What the user reads carries no error message, no URL, no admin's name."""
    for text in (state.title, state.sentence, state.notice):
        assert not URL.search(text), text
        if connection.last_error:
            assert connection.last_error not in text
        assert "root" not in text
        assert "HTTP" not in text


# -- each state --------------------------------------------------------------------------------


def test_an_active_connection_is_connected_and_says_when_it_renews(make_connection: Any) -> None:
    now = timezone.now()
    connection = make_connection(access_token_expires_at=now + timedelta(hours=8))
    state = describe(connection, now=now, successor="")
    assert state.key == StateKey.CONNECTED == "connected"
    assert state.title == "Connected"
    assert state.is_usable
    assert state.action == Action.NONE and state.action_instance == "" and not state.action_label
    assert state.renews_at == connection.access_token_expires_at - timedelta(minutes=15)
    assert "renews the connection by itself, next in 7" in state.sentence
    assert state.admin_sentence.startswith("Active; next refresh at ")
    assert state.css_class == "workfront-state-connected"
    assert_plain(state, connection)


def test_within_the_margin_it_is_renewing_soon(make_connection: Any) -> None:
    now = timezone.now()
    connection = make_connection(access_token_expires_at=now + timedelta(minutes=3))
    state = describe(connection, now=now, successor="")
    assert state.key == StateKey.RENEWING_SOON
    assert state.is_usable
    assert state.renews_at == now
    assert state.sentence == "The connection renews itself in a moment. Nothing to do."
    assert state.admin_sentence == "Due for refresh."


def test_transient_failures_are_renewing_soon_with_the_detail_for_admins(
    make_connection: Any,
) -> None:
    now = timezone.now()
    retry = now + timedelta(minutes=4)
    connection = make_connection(
        access_token_expires_at=now - timedelta(minutes=1),
        consecutive_failures=3,
        next_refresh_attempt_at=retry,
        last_error="The token endpoint https://acme.my.workfront.com/x is unavailable: HTTP 503.",
    )
    state = describe(connection, now=now, successor="")
    assert state.key == StateKey.RENEWING_SOON
    assert state.renews_at == retry
    assert "could not be reached to renew the connection" in state.sentence
    assert "3 times in a row" in state.admin_sentence
    assert "HTTP 503" in state.detail and "3 failed attempts" in state.detail
    assert_plain(state, connection)


@pytest.mark.parametrize("reason", list(ERRORS), ids=[reason.value for reason in ERRORS])
def test_each_reason_of_a_required_reconnection_is_said_plainly(
    make_connection: Any, reason: Reason
) -> None:
    connection = make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED, last_error=ERRORS[reason]
    )
    state = describe(connection, successor="")
    assert state.key == StateKey.NEEDS_RECONNECTING
    assert state.title == "Needs reconnecting"
    assert state.reason == reason
    assert not state.is_usable
    assert (state.action, state.action_instance, state.action_label) == (
        Action.RECONNECT,
        "default",
        "Reconnect",
    )
    assert state.renews_at is None
    # The admins get the technical detail, the user a sentence.
    assert state.detail == ERRORS[reason]
    assert state.admin_sentence and state.admin_sentence != state.sentence
    assert_plain(state, connection)


def test_the_sentences_say_why_in_the_users_words(make_connection: Any) -> None:
    def sentence(error: str, **fields: Any) -> str:
        connection = make_connection(
            status=WorkfrontConnection.Status.REAUTH_REQUIRED, last_error=error, **fields
        )
        text = describe(connection, successor="").sentence
        connection.delete()
        return text

    assert "An administrator of this site asked you" in sentence(ERRORS[Reason.ADMIN_REQUIRED])
    assert sentence(ERRORS[Reason.RENEWAL_REFUSED]).startswith("Workfront refused to renew")
    ims = sentence(ERRORS[Reason.RENEWAL_REFUSED], provider="adobe_ims", domain="", lane="")
    assert ims.startswith("Adobe refused to renew")
    assert "cannot be renewed by itself" in sentence(ERRORS[Reason.SIGN_IN_EXPIRED])
    assert "can no longer read" in sentence(ERRORS[Reason.TOKEN_UNREADABLE])


def test_an_active_connection_whose_token_cannot_be_read_needs_reconnecting(
    make_connection: Any,
) -> None:
    """The refresh leaves the status alone (an admin may put the key back), but the user can
    only wait or reconnect: reconnecting repairs the row."""
    connection = make_connection(last_error=ERRORS[Reason.TOKEN_UNREADABLE])
    state = describe(connection, successor="")
    assert (state.key, state.reason) == (StateKey.NEEDS_RECONNECTING, Reason.TOKEN_UNREADABLE)
    assert "FIELD_ENCRYPTION_KEY" in state.admin_sentence


def test_a_failure_the_caller_just_met_is_said_too(make_connection: Any) -> None:
    connection = make_connection()
    unreadable = describe(connection, successor="", failure=TokenDecryptionError("x"))
    assert unreadable.reason == Reason.TOKEN_UNREADABLE
    refused = describe(
        connection, successor="", failure=ReauthorizationRequired(ERRORS[Reason.RENEWAL_REFUSED])
    )
    assert (refused.key, refused.reason) == (StateKey.NEEDS_RECONNECTING, Reason.RENEWAL_REFUSED)
    assert refused.detail == ERRORS[Reason.RENEWAL_REFUSED]


def test_an_expired_connection_without_refresh_token_needs_reconnecting_before_the_sweep(
    make_connection: Any,
) -> None:
    connection = make_connection(
        provider="adobe_ims",
        refresh_token="",
        access_token_expires_at=timezone.now() - timedelta(minutes=1),
    )
    state = describe(WorkfrontConnection.objects.without_tokens().get(pk=connection.pk))
    assert (state.key, state.reason) == (StateKey.NEEDS_RECONNECTING, Reason.SIGN_IN_EXPIRED)


def test_a_connection_without_refresh_token_says_it_will_not_renew(make_connection: Any) -> None:
    now = timezone.now()
    connection = make_connection(
        provider="adobe_ims", refresh_token="", access_token_expires_at=now + timedelta(hours=20)
    )
    state = describe(connection, now=now)
    assert state.key == StateKey.CONNECTED
    assert state.renews_at is None
    assert "for 20\xa0hours" in state.sentence and "connect again" in state.sentence
    assert "offline_access" in state.admin_sentence and "offline_access" not in state.sentence


def test_the_refresh_services_last_error_is_read_as_its_reason(
    make_connection: Any, workfront_http: Any
) -> None:
    """Not only the strings of this test file: what the refresh really writes."""
    connection = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(connection)
    state = describe(WorkfrontConnection.objects.get(pk=connection.pk), successor="")
    assert state.reason == Reason.RENEWAL_REFUSED
    assert "HTTP 400" in state.detail
    assert_plain(state, connection)


def test_the_recorded_reason_is_read_not_the_words_of_last_error(
    make_connection: Any, workfront_http: Any
) -> None:
    """Each path that needs the user records why (``reauth_reason``): rewording an error
    message cannot change what users are told; a new connection clears it."""
    refused = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(refused)
    row = WorkfrontConnection.objects.get(pk=refused.pk)
    assert row.reauth_reason == WorkfrontConnection.ReauthReason.RENEWAL_REFUSED
    row.last_error = "Some reworded message."
    assert describe(row, successor="").reason == Reason.RENEWAL_REFUSED

    services.require_reauthorization(row, "Whatever the admin action says.")
    row = WorkfrontConnection.objects.get(pk=refused.pk)
    assert row.reauth_reason == WorkfrontConnection.ReauthReason.ADMIN_REQUIRED
    assert describe(row, successor="").reason == Reason.ADMIN_REQUIRED

    WorkfrontConnection.objects.filter(pk=refused.pk).update(
        status=WorkfrontConnection.Status.ACTIVE, reauth_reason="", refresh_token=""
    )
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(WorkfrontConnection.objects.get(pk=refused.pk))
    row = WorkfrontConnection.objects.get(pk=refused.pk)
    assert row.reauth_reason == WorkfrontConnection.ReauthReason.NO_REFRESH_TOKEN


def test_the_admin_action_is_read_as_the_admins_decision(make_connection: Any) -> None:
    from django_workfront_oauth.admin.actions import admin_reason

    request = RequestFactory().get("/")
    request.user = mock.Mock(is_authenticated=True, get_username=lambda: "root")
    connection = make_connection()
    services.require_reauthorization(connection, admin_reason(request, "Require reconnection"))
    state = describe(WorkfrontConnection.objects.get(pk=connection.pk), successor="")
    assert state.reason == Reason.ADMIN_REQUIRED
    assert "root" in state.detail and "root" not in state.sentence


def test_an_instance_no_longer_configured_is_paused(make_connection: Any) -> None:
    connection = make_connection(instance="retired")
    state = describe(connection)
    assert (state.key, state.reason) == (StateKey.PAUSED, Reason.NOT_CONFIGURED)
    assert state.title == "Paused" and state.action == Action.NONE
    assert not state.is_usable and state.renews_at is None
    assert "retired" in state.admin_sentence


def test_a_deactivated_instance_is_paused_even_when_reconnection_is_required(
    make_connection: Any,
) -> None:
    connection = make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error=ERRORS[Reason.ADMIN_REQUIRED],
    )
    inactive = app_settings.get_instance()
    inactive = InstanceSettings(**{**inactive.__dict__, "is_active": False})
    with mock.patch.object(app_settings, "find_instance", return_value=inactive):
        state = describe(connection)
    assert (state.key, state.reason) == (StateKey.PAUSED, Reason.INSTANCE_INACTIVE)
    # Connecting to a deactivated instance is refused: no button that leads to an error.
    assert state.action == Action.NONE
    assert "nothing is needed from you" in state.sentence
    assert "deactivated" in state.admin_sentence


# -- the legacy sign-in and the move to Adobe ---------------------------------------------------


def test_a_legacy_connection_where_adobe_is_configured_gets_one_move_action(
    make_connection: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": dict(ADOBE)}
    connection = make_connection()
    assert states.adobe_successor(connection) == "adobe"
    state = describe(connection)
    assert state.key == StateKey.CONNECTED
    assert (state.action, state.action_instance) == (Action.MOVE_TO_ADOBE, "adobe")
    assert state.action_label == "Move to Adobe sign-in"
    assert "Move it to Adobe sign-in" in state.notice and "1 February 2027" in state.notice
    # Needing a reconnection, it still has that one action: not back to the legacy sign-in.
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    assert describe(connection).action == Action.MOVE_TO_ADOBE


def test_a_deactivated_adobe_instance_is_no_successor(make_connection: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": dict(ADOBE)}
    connection = make_connection()
    instances = [
        InstanceSettings(**{**app_settings.get_instance(name).__dict__, "is_active": False})
        for name in app_settings.instance_names()
    ]
    assert states.adobe_successor(connection, instances) == ""


def test_a_legacy_only_site_says_who_acts_and_when(make_connection: Any) -> None:
    state = describe(make_connection())
    assert state.action == Action.NONE
    assert "this site's administrator will set up Adobe sign-in before then" in state.notice
    assert "1 February 2027" in state.notice


def test_after_the_shutdown_a_legacy_connection_needs_an_adobe_instance(
    make_connection: Any, settings: Any
) -> None:
    after = timezone.make_aware(datetime(2027, 2, 2, 12))
    connection = make_connection(access_token_expires_at=after + timedelta(hours=2))
    alone = describe(connection, now=after)
    assert (alone.key, alone.reason) == (StateKey.NEEDS_RECONNECTING, Reason.LEGACY_ENDED)
    assert alone.action == Action.NONE  # nothing to reconnect to: the admin must act
    assert "administrator has to set up Adobe sign-in" in alone.sentence
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": dict(ADOBE)}
    moving = describe(connection, now=after)
    assert (moving.action, moving.action_instance) == (Action.MOVE_TO_ADOBE, "adobe")


def test_a_moved_connection_says_so_until_its_first_renewal(make_connection: Any) -> None:
    connection = make_connection(provider="adobe_ims", domain="", lane="")
    assert describe(connection).key == StateKey.CONNECTED
    connection.moved_to_adobe_at = timezone.now()
    state = describe(connection)  # on every page, the admin's and the commands' too
    assert state.key == StateKey.MOVED_TO_ADOBE
    assert state.is_usable and state.renews_at is not None
    assert "now uses Adobe sign-in" in state.sentence
    connection.last_refreshed_at = timezone.now()
    assert describe(connection).key == StateKey.CONNECTED


# -- the site's own connection ------------------------------------------------------------------


def test_the_sites_own_connection_is_described_for_admins(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"robot": {**ADOBE, "PROVIDER": "adobe_ims_s2s"}}
    now = timezone.now()
    service = ServiceConnection.objects.create(
        instance="robot", host=HOST, access_token="t", access_token_expires_at=now + timedelta(1)
    )
    assert states.describe_service(service, now=now).key == StateKey.CONNECTED
    service.consecutive_failures = 2
    service.next_refresh_attempt_at = now + timedelta(minutes=5)
    failing = states.describe_service(service, now=now)
    assert failing.key == StateKey.RENEWING_SOON and "2 times in a row" in failing.sentence
    service.instance = "gone"
    assert states.describe_service(service, now=now).key == StateKey.PAUSED


# -- pages and commands say the same ------------------------------------------------------------


def test_the_template_tag_describes_a_connection(make_connection: Any, rf: RequestFactory) -> None:
    connection = make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED, last_error=ERRORS[Reason.ADMIN_REQUIRED]
    )
    template = Template(
        "{% load workfront_oauth %}{% workfront_connection_state connection as state %}"
        "{{ state.key }}|{{ state.title }}|{{ state.action_label }}"
    )
    assert template.render(Context({"connection": connection})) == (
        "needs_reconnecting|Needs reconnecting|Reconnect"
    )


def test_the_connections_page_says_what_the_state_says(
    user_client: Client, make_connection: Any
) -> None:
    connection = make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED, last_error=ERRORS[Reason.RENEWAL_REFUSED]
    )
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    state = describe(connection)
    assert state.title in page and escape(state.sentence) in page
    assert 'data-state="needs_reconnecting"' in page
    assert page.count("Reconnect</button>") == 1
    assert "INVALID_GRANT" not in page and "/integrations/oauth2" not in page


def test_the_connections_page_shows_one_move_action_for_a_legacy_connection(
    user_client: Client, make_connection: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": dict(ADOBE)}
    make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED, last_error=ERRORS[Reason.RENEWAL_REFUSED]
    )
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    buttons = re.findall(r"<button type=\"submit\">([^<]*)</button>", page)
    assert buttons.count("Move to Adobe sign-in") == 1
    assert "Reconnect" not in buttons
    # It comes back to this page, where the move is then told.
    assert f'name="next" value="{reverse("workfront_oauth:connections")}"' in page


def test_the_connections_page_in_a_legacy_only_site_says_who_acts(
    user_client: Client, make_connection: Any
) -> None:
    make_connection()
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert "this site&#x27;s administrator will set up Adobe sign-in before then" in page
    assert "Move to Adobe sign-in</button>" not in page


def test_workfront_status_words_each_connection_like_the_pages(
    make_connection: Any, django_user_model: Any
) -> None:
    soon = make_connection(access_token_expires_at=timezone.now() + timedelta(hours=2))
    forced = make_connection(
        user=django_user_model.objects.create_user("dave"),
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error=ERRORS[Reason.ADMIN_REQUIRED],
    )
    paused = make_connection(user=django_user_model.objects.create_user("erin"), instance="old")
    out = StringIO()
    call_command("workfront_status", stdout=out)
    output = out.getvalue()
    expiry = r"expires in (2 h|1 h 59 min), renews in 1 h 4\d min"
    assert re.search(rf"#{soon.pk} .*: Connected, {expiry}", output)
    assert (
        f"#{forced.pk} dave @ {HOST} (default): A site admin required the user to connect "
        f"again. ({ERRORS[Reason.ADMIN_REQUIRED]})"
    ) in output
    assert "Paused" in output and f"#{paused.pk} erin" in output
    assert "The instance old is no longer configured" in output


def test_the_connections_pages_forms_send_their_origin(user_client: Client) -> None:
    """Under ``no-referrer`` Chromium posts the page's forms with ``Origin: null``, which the
    CSRF check refuses: the page (whose URL holds no secret) keeps the origin."""
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
