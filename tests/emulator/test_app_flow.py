"""The app end to end against the emulator over real HTTP, for both providers and both token
request styles: connect, call the API, refresh, refuse a replayed callback, disconnect."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from django_workfront_oauth import services
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import connect_through

pytestmark = [pytest.mark.django_db, pytest.mark.workfront_emulator(projects=25)]

AUTHORIZE_PATHS = {"workfront": "/integrations/oauth2/authorize", "adobe_ims": "/ims/authorize/v2"}


@pytest.fixture(params=["workfront", "adobe_ims"])
def emulated(request: Any, settings: Any) -> tuple[str, WorkfrontEmulator]:
    """The app pointed at the emulator's legacy app or at its Adobe IMS side."""
    fixture = "workfront_settings" if request.param == "workfront" else "workfront_ims_settings"
    return str(request.param), request.getfixturevalue(fixture)


def counts(emu: WorkfrontEmulator, provider: str) -> tuple[int, int, int]:
    """Code exchanges, successful refreshes and reuse detections at that provider."""
    prefix = "" if provider == "workfront" else "ims_"
    stats = emu.stats
    return (
        stats[f"{prefix}code_exchanges"],
        stats[f"{prefix}successful_refreshes"],
        stats[f"{prefix}reuse_detections"],
    )


@pytest.mark.parametrize(
    ("method", "pkce"), [("client_secret_basic", False), ("client_secret_post", True)]
)
def test_connect_call_refresh_replay_and_disconnect(
    emulated: tuple[str, WorkfrontEmulator],
    settings: Any,
    user: AbstractBaseUser,
    method: str,
    pkce: bool,
) -> None:
    provider, emu = emulated
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = method
    settings.WORKFRONT_OAUTH_USE_PKCE = pkce
    site = Client()
    site.force_login(user)

    done = connect_through(site, emu, AUTHORIZE_PATHS[provider], "allow")
    assert done.status_code == 302 and done["Location"] == "/after/"
    connection = WorkfrontConnection.objects.get(user=user)
    assert (connection.provider, connection.workfront_user_id) == (provider, emu.user().id)
    assert counts(emu, provider) == (1, 0, 0)

    assert WorkfrontClient(connection).count("PROJ") == 25
    assert [row["ID"] for row in WorkfrontClient(connection).search("PROJ", limit=3)] == sorted(
        project["ID"] for project in emu.dataset.projects
    )[:3]

    services.refresh_connection(connection, force=True)
    services.refresh_connection(connection, force=True)  # the rotated token was stored
    assert counts(emu, provider) == (1, 2, 0)
    assert WorkfrontClient(connection).count("PROJ") == 25

    # Replaying the callback URL is refused before any token request.
    token_requests = sum(counts(emu, provider)[:2])
    replay = site.get(done.wsgi_request.path, {"code": "x", "state": "replayed-or-forged"})
    assert replay.status_code == 400
    assert sum(counts(emu, provider)[:2]) == token_requests

    response = site.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))
    assert response.status_code == 302
    assert not WorkfrontConnection.objects.exists()
    if provider == "adobe_ims":
        assert emu.stats["ims_revokes"] == 1  # the grant is revoked
        assert emu.active_grants() == []
    else:
        assert emu.stats["logouts"] == 1  # the legacy app has no revoke: the session ends


def test_deny_saves_nothing(
    emulated: tuple[str, WorkfrontEmulator], user: AbstractBaseUser
) -> None:
    provider, emu = emulated
    site = Client()
    site.force_login(user)
    answer = connect_through(site, emu, AUTHORIZE_PATHS[provider], "deny")
    assert answer.status_code == 400
    assert not WorkfrontConnection.objects.exists()
    assert counts(emu, provider) == (0, 0, 0)
