"""The site's own Workfront connection (``adobe_ims_s2s``) against the emulator over real HTTP.

``workfront_s2s_settings`` adds the instance ``"service"`` on the emulator's Server-to-Server
credential; every token request (``client_credentials`` at ``/ims/token/v3``) and API call the
app makes goes over HTTP to the emulator, whose counters say how many there were.
``forget_service_connections()`` drops what this process keeps in memory: the next call behaves
as the first call of a fresh process (web, Celery, a management command). The same behaviour
with many processes on PostgreSQL and a real Celery worker is in
``tests/integration/test_server_to_server.py``.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import requests
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.client import service_client
from django_workfront_oauth.models import ServiceConnection
from django_workfront_oauth.services.server_to_server import forget_service_connections
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import TIMEOUT

PROJECTS = 12
SERVICE = "service"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.workfront_emulator(projects=PROJECTS),
]


def tokens_issued(emu: WorkfrontEmulator) -> int:
    """``client_credentials`` tokens the emulator issued over HTTP."""
    return int(emu.stats["ims_client_credentials_tokens"])


def token_requests(emu: WorkfrontEmulator) -> int:
    """``client_credentials`` requests that reached the emulator, served or refused."""
    return int(emu.stats["ims_token_requests"]["client_credentials"])


def stored_row() -> ServiceConnection:
    return ServiceConnection.objects.get(instance=SERVICE)


def set_service(settings: Any, **values: Any) -> None:
    """Change the ``service`` instance's settings (a new dict: the fixture restores the old)."""
    instances = dict(settings.WORKFRONT_OAUTH_INSTANCES)
    instances[SERVICE] = {**instances[SERVICE], **values}
    settings.WORKFRONT_OAUTH_INSTANCES = instances


def test_a_fresh_process_requests_one_token_and_every_later_call_uses_it(
    workfront_s2s_settings: WorkfrontEmulator,
) -> None:
    emu = workfront_s2s_settings
    forget_service_connections()

    counts = [service_client(SERVICE).count("PROJ") for _ in range(5)]

    assert counts == [PROJECTS] * 5
    assert tokens_issued(emu) == 1
    assert token_requests(emu) == 1
    stats = emu.stats
    assert stats["ims_api_calls"] == 1 + 5  # who the technical account is, then the calls
    assert stats["unauthenticated_api_calls"] == 0
    row = stored_row()
    assert row.provider == "adobe_ims_s2s"
    assert row.host == emu.base_url
    assert row.workfront_user_id == emu.technical_account.id
    assert row.workfront_user_name == emu.technical_account.name
    assert row.access_token_expires_at > timezone.now() + timedelta(hours=23)
    assert [session.username for session in emu.active_sessions()] == ["techacct"]

    # Another fresh process (a Celery worker, a management command) takes the stored token.
    forget_service_connections()
    assert service_client(SERVICE).count("PROJ") == PROJECTS
    assert service_client(SERVICE).search("PROJ", limit=3, fields="ID")
    assert tokens_issued(emu) == 1
    assert token_requests(emu) == 1


def _revoke_at_ims(emu: WorkfrontEmulator, token: str) -> None:
    """Revoke the token at IMS, as the credential's owner would (RFC 7009, Basic auth)."""
    response = requests.post(
        emu.ims_revoke_url,
        data={"token": token},
        auth=(emu.s2s_client_id, emu.s2s_client_secret),
        timeout=TIMEOUT,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("how", ["revoked", "past-expiry"])
def test_a_token_workfront_refuses_is_renewed_once_and_the_call_retried(
    workfront_s2s_settings: WorkfrontEmulator, how: str
) -> None:
    emu = workfront_s2s_settings
    client = service_client(SERVICE)
    old_token = client.connection.access_token
    assert client.count("PROJ") == PROJECTS
    if how == "revoked":
        _revoke_at_ims(emu, old_token)
    else:
        # The emulator's clock runs past the token's lifetime; the site still believes it fresh.
        emu.advance(emu.s2s_expires_in + 60)
    assert not stored_row().is_due()

    assert client.count("PROJ") == PROJECTS

    assert tokens_issued(emu) == 2  # exactly one more token request
    assert token_requests(emu) == 2
    assert emu.stats["unauthenticated_api_calls"] == 1  # the refused call, retried once
    new_token = stored_row().access_token
    assert new_token != old_token
    assert client.connection.access_token == new_token
    # Another process takes the renewed token from the database: no third request.
    forget_service_connections()
    assert service_client(SERVICE).count("PROJ") == PROJECTS
    assert tokens_issued(emu) == 2


def test_the_sweep_renews_a_due_token_before_callers_need_it(
    workfront_s2s_settings: WorkfrontEmulator,
) -> None:
    emu = workfront_s2s_settings
    service_client(SERVICE)
    old_token = stored_row().access_token
    # Ten minutes left: inside REFRESH_MARGIN (15 minutes), so due but still valid.
    ServiceConnection.objects.filter(instance=SERVICE).update(
        access_token_expires_at=timezone.now() + timedelta(minutes=10)
    )

    counts = services.sweep()

    assert counts["service_renewed"] == 1
    assert "service_failed" not in counts
    assert tokens_issued(emu) == 2
    row = stored_row()
    assert row.access_token != old_token
    assert not row.is_due()
    assert services.sweep().get("service_renewed", 0) == 0  # fresh now: nothing to do
    forget_service_connections()
    assert service_client(SERVICE).count("PROJ") == PROJECTS
    assert tokens_issued(emu) == 2
    assert emu.stats["unauthenticated_api_calls"] == 0


def test_a_wrong_secret_is_a_configuration_error_after_one_request_then_backs_off(
    workfront_s2s_settings: WorkfrontEmulator, settings: Any
) -> None:
    emu = workfront_s2s_settings
    set_service(settings, CLIENT_SECRET="not-the-secret")

    with pytest.raises(services.ServiceCredentialRefused, match="CLIENT_SECRET") as first:
        service_client(SERVICE)

    assert "CLIENT_ID" in str(first.value)
    assert token_requests(emu) == 1
    assert emu.stats["ims_rejected_client_credentials"] == 1
    # Within the backoff: the same error, from this process or a fresh one, and no request.
    for fresh in (False, True, False):
        if fresh:
            forget_service_connections()
        with pytest.raises(services.ServiceCredentialRefused, match="CLIENT_SECRET"):
            service_client(SERVICE)
    assert token_requests(emu) == 1
    assert tokens_issued(emu) == 0
    row = stored_row()
    assert row.access_token == ""
    assert row.next_refresh_attempt_at > timezone.now()
    assert "CLIENT_SECRET" in row.last_error


def test_a_fixed_secret_is_proven_by_workfront_check_without_waiting_for_the_backoff(
    workfront_s2s_settings: WorkfrontEmulator, settings: Any
) -> None:
    emu = workfront_s2s_settings
    set_service(settings, CLIENT_SECRET="not-the-secret")
    with pytest.raises(services.ServiceCredentialRefused):
        service_client(SERVICE)
    set_service(settings, CLIENT_SECRET=emu.s2s_client_secret)

    call_command("workfront_check", SERVICE, stdout=StringIO())

    assert tokens_issued(emu) == 1
    row = stored_row()
    assert (row.next_refresh_attempt_at, row.consecutive_failures, row.last_error) == (None, 0, "")
    assert service_client(SERVICE).count("PROJ") == PROJECTS
    assert token_requests(emu) == 2  # the refused one, then workfront_check's


def test_workfront_check_requests_a_fresh_token_and_prints_the_technical_account(
    workfront_s2s_settings: WorkfrontEmulator,
) -> None:
    emu = workfront_s2s_settings
    service_client(SERVICE)  # a stored, fresh token: the check must not rely on it
    out = StringIO()

    call_command("workfront_check", SERVICE, stdout=out)  # returns: exit status 0

    text = out.getvalue()
    assert emu.technical_account.name in text
    assert emu.technical_account.id in text
    assert f"Instance {SERVICE!r} works." in text
    assert tokens_issued(emu) == 2


def test_workfront_check_with_a_wrong_secret_fails_naming_the_setting(
    workfront_s2s_settings: WorkfrontEmulator, settings: Any
) -> None:
    emu = workfront_s2s_settings
    set_service(settings, CLIENT_SECRET="not-the-secret")

    with pytest.raises(CommandError, match="CLIENT_SECRET") as caught:
        call_command("workfront_check", SERVICE, stdout=StringIO())

    assert "not-the-secret" not in str(caught.value)
    assert token_requests(emu) == 1
    assert tokens_issued(emu) == 0


def test_the_token_is_not_stored_in_plaintext(workfront_s2s_settings: WorkfrontEmulator) -> None:
    emu = workfront_s2s_settings
    token = service_client(SERVICE).connection.access_token
    (grant,) = emu.active_grants("techacct")
    assert token in grant.access_tokens  # the very token the emulator issued
    table = ServiceConnection._meta.db_table

    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table name
        rows = cursor.fetchall()

    (raw,) = rows
    assert all(token not in str(value) for value in raw)
    assert stored_row().access_token == token
    assert token not in repr(stored_row())


@pytest.mark.parametrize("user_settings", ["workfront_settings", "workfront_ims_settings"])
def test_service_client_refuses_a_user_instance(
    workfront_s2s_settings: WorkfrontEmulator, request: pytest.FixtureRequest, user_settings: str
) -> None:
    request.getfixturevalue(user_settings)  # the default instance: a sign-in instance

    with pytest.raises(ValueError, match="not an adobe_ims_s2s instance"):
        service_client("default")

    assert service_client(SERVICE).count("PROJ") == PROJECTS  # beside it, the site's own
    assert ServiceConnection.objects.count() == 1
    assert token_requests(workfront_s2s_settings) == 1
