"""The app end to end against the emulator's Adobe IMS side: connect, call, refresh, disconnect.

Django's test client plays the site, ``requests`` plays the user's browser at the emulator, and
every token and API request the app makes goes over real HTTP to the emulator.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.exceptions import ReauthorizationRequired, WorkfrontAPIError
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import TIMEOUT, connect_through, query_of

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.workfront_emulator(projects=40),
]


@pytest.fixture
def site_client(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def connect(site: Client, emu: WorkfrontEmulator, decision: str = "allow") -> Any:
    """Connect through the emulator's IMS side; the site's answer to the callback."""
    return connect_through(site, emu, "/ims/authorize/v2", decision)


def test_connect_call_refresh_and_disconnect(
    workfront_ims_settings: WorkfrontEmulator, site_client: Client, user: AbstractBaseUser
) -> None:
    emu = workfront_ims_settings

    done = connect(site_client, emu)

    assert done.status_code == 302
    (pending_grant,) = emu.active_grants()
    assert pending_grant.scopes == emu.ims_scopes_allowed  # the app's default SCOPES
    assert done["Location"] == "/after/"
    connection = WorkfrontConnection.objects.get(user=user)
    assert connection.provider == "adobe_ims"
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.host == emu.base_url
    assert (connection.domain, connection.lane) == ("", "")
    assert connection.workfront_user_id == emu.user().id
    assert connection.ims_user_id == emu.ims_user_id()
    assert connection.refresh_token
    stats = emu.stats
    assert stats["ims_code_exchanges"] == 1
    assert stats["ims_userinfo_calls"] == 1
    assert stats["ims_api_calls"] == 1  # USER/search?ID=$$USER.ID

    assert WorkfrontClient(connection).count("PROJ") == 40
    assert emu.stats["ims_api_calls"] == 2
    assert emu.stats["gateway_errors"] == {}

    old_refresh_token = connection.refresh_token
    refreshed = services.refresh_connection(connection, force=True)
    assert refreshed.refresh_token != old_refresh_token
    assert emu.stats["ims_successful_refreshes"] == 1
    (grant,) = emu.active_grants()
    assert grant.refresh_token == refreshed.refresh_token
    assert WorkfrontClient(refreshed).count("PROJ") == 40

    response = site_client.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))

    assert response.status_code == 302
    assert not WorkfrontConnection.objects.exists()
    assert emu.stats["ims_revokes"] == 1
    assert emu.active_grants() == []
    assert [reason for _id, reason in emu.store.ended_grants()] == ["revoked"]


def test_an_access_token_the_gateway_refuses_is_refreshed_once(
    workfront_ims_settings: WorkfrontEmulator, site_client: Client, user: AbstractBaseUser
) -> None:
    emu = workfront_ims_settings
    connect(site_client, emu)
    connection = WorkfrontConnection.objects.get(user=user)
    # A day later by the emulator's clock: the site still believes its token fresh.
    emu.advance(86400)

    assert WorkfrontClient(connection).count("PROJ") == 40

    assert emu.stats["gateway_errors"] == {"401013": 1}
    assert emu.stats["ims_successful_refreshes"] == 1


def test_a_wrong_org_id_is_a_configuration_error_not_a_refresh(
    workfront_ims_settings: WorkfrontEmulator,
    site_client: Client,
    user: AbstractBaseUser,
    settings: Any,
) -> None:
    emu = workfront_ims_settings
    connect(site_client, emu)
    connection = WorkfrontConnection.objects.get(user=user)
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = "SOMEONE-ELSE@AdobeOrg"

    with pytest.raises(WorkfrontAPIError, match="IMS_ORG_ID") as info:
        WorkfrontClient(connection).count("PROJ")

    assert info.value.status == 403
    assert emu.stats["ims_successful_refreshes"] == 0


def test_a_revoked_grant_needs_reconnecting(
    workfront_ims_settings: WorkfrontEmulator, site_client: Client, user: AbstractBaseUser
) -> None:
    emu = workfront_ims_settings
    connect(site_client, emu)
    connection = WorkfrontConnection.objects.get(user=user)
    emu.revoke_user(emu.username)

    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(connection, force=True)

    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert emu.stats["ims_rejected_refreshes"] == 1


def _connect_without_offline_access(
    emu: WorkfrontEmulator, site_client: Client, user: AbstractBaseUser, settings: Any
) -> WorkfrontConnection:
    settings.WORKFRONT_OAUTH_SCOPES = "openid,AdobeID,read_organizations,workfront_api"
    connect(site_client, emu)
    connection = WorkfrontConnection.objects.get(user=user)
    assert connection.refresh_token == ""
    assert WorkfrontClient(connection).count("PROJ") == 40
    return connection


def test_without_offline_access_the_connection_lasts_one_token(
    workfront_ims_settings: WorkfrontEmulator,
    site_client: Client,
    user: AbstractBaseUser,
    settings: Any,
) -> None:
    emu = workfront_ims_settings
    connection = _connect_without_offline_access(emu, site_client, user, settings)
    emu.advance(86400)
    # The site's clock agrees: the token it holds has expired.
    WorkfrontConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    connection.refresh_from_db()

    with pytest.raises(ReauthorizationRequired):
        WorkfrontClient(connection).count("PROJ")

    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert emu.stats["ims_token_requests"]["refresh_token"] == 0


def test_without_offline_access_a_token_the_gateway_refuses_needs_reconnecting(
    workfront_ims_settings: WorkfrontEmulator,
    site_client: Client,
    user: AbstractBaseUser,
    settings: Any,
) -> None:
    emu = workfront_ims_settings
    connection = _connect_without_offline_access(emu, site_client, user, settings)
    # IMS ended the token (here: its clock ran ahead) while the site still believes it fresh.
    emu.advance(86400)

    with pytest.raises(ReauthorizationRequired):
        WorkfrontClient(connection).count("PROJ")

    connection.refresh_from_db()
    assert connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED


def test_moving_from_the_legacy_app_to_ims(
    workfront_settings: WorkfrontEmulator,
    site_client: Client,
    user: AbstractBaseUser,
    settings: Any,
) -> None:
    """A site switches its instance to IMS: the user's reconnect replaces the legacy tokens."""
    emu = workfront_settings
    legacy = emu.issue_code(redirect_uri="http://testserver/workfront/callback/")
    start = site_client.post(reverse("workfront_oauth:authorize"))
    state = query_of(start["Location"])["state"]
    site_client.get(
        reverse("workfront_oauth:callback"),
        {"code": legacy, "state": state, "domain": emu.domain, "lane": emu.lane},
    )
    before = WorkfrontConnection.objects.get(user=user)
    assert before.provider == "workfront"
    assert WorkfrontClient(before).count("PROJ") == 40

    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_HOST = emu.base_url
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = emu.ims_org_id
    settings.WORKFRONT_OAUTH_CLIENT_ID = emu.ims_client_id
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = emu.ims_client_secret
    emu.add_ims_redirect_uri("http://testserver/workfront/callback/")
    assert connect(site_client, emu).status_code == 302

    after = WorkfrontConnection.objects.get(user=user)
    assert after.provider == "adobe_ims"
    assert WorkfrontClient(after).count("PROJ") == 40
    assert after.pk == before.pk  # one connection per user and instance
    assert [grant.provider for grant in emu.active_grants()].count("adobe_ims") == 1
    assert emu.stats["ims_api_calls"] == 2  # identity, then the count: Bearer, not SessionID


def test_a_scope_ims_does_not_allow_comes_back_as_invalid_scope(
    workfront_ims_settings: WorkfrontEmulator, site_client: Client, settings: Any
) -> None:
    emu = workfront_ims_settings
    settings.WORKFRONT_OAUTH_SCOPES = "openid,AdobeID,offline_access,workfront_api,made_up"
    start = site_client.post(reverse("workfront_oauth:authorize"))

    answer = requests.get(start["Location"], allow_redirects=False, timeout=TIMEOUT)
    callback = urlsplit(answer.headers["Location"])
    response = site_client.get(f"{callback.path}?{callback.query}")

    assert query_of(answer.headers["Location"])["error"] == "invalid_scope"
    assert response.status_code == 400
    assert "not allowed the access it asked for" in response.content.decode()
    assert not WorkfrontConnection.objects.exists()
    assert emu.stats["ims_token_requests"]["authorization_code"] == 0
