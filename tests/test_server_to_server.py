"""Server-to-Server (``adobe_ims_s2s``) with the HTTP mock: the exact requests, the errors.

The same behaviour over real HTTP against the emulator, and with many processes on PostgreSQL,
is in ``tests/emulator/test_s2s_app.py`` and ``tests/integration/``.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.client import service_client
from django_workfront_oauth.exceptions import WorkfrontOAuthError, WorkfrontUnavailable
from django_workfront_oauth.models import ServiceConnection
from django_workfront_oauth.services.server_to_server import forget_service_connections
from tests.http_mock import DEFAULT_HOST, IMS_HOST, IMS_ORG_ID

pytestmark = pytest.mark.django_db

TOKEN_URL = f"{IMS_HOST}/ims/token/v3"
S2S = {
    "PROVIDER": "adobe_ims_s2s",
    "HOST": DEFAULT_HOST,
    "CLIENT_ID": "s2s-id",
    "CLIENT_SECRET": "s2s-secret",
    "IMS_ORG_ID": IMS_ORG_ID,
}


@pytest.fixture(autouse=True)
def s2s_instance(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"service": dict(S2S)}
    forget_service_connections()
    yield
    forget_service_connections()


def answer_token(http: Any, access_token: str = "s2s-access-1", expires_in: int = 86399) -> None:
    http.mock.post(
        TOKEN_URL,
        json={"access_token": access_token, "token_type": "bearer", "expires_in": expires_in},
    )


def answer_user(http: Any) -> None:
    http.api(
        "GET",
        "USER/search",
        json={
            "data": [
                {
                    "ID": "techacct-1",
                    "name": "Technical Account",
                    "emailAddr": "t@techacct.adobe.com",
                }
            ]
        },
    )


def test_a_fresh_process_requests_one_token_with_client_credentials(workfront_http: Any) -> None:
    answer_token(workfront_http)
    answer_user(workfront_http)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 7}})
    client = service_client("service")
    assert client.count("PROJ") == 7
    (token_call,) = workfront_http.sent_to(TOKEN_URL)
    assert token_call.basic_auth() == ("s2s-id", "s2s-secret")
    assert token_call.form() == {
        "grant_type": "client_credentials",
        "scope": "openid,AdobeID,read_organizations,workfront_api",
    }
    assert token_call.timeout == 10.0
    (call,) = workfront_http.sent_to(workfront_http.api_url("PROJ/count"))
    assert call.headers["Authorization"] == "Bearer s2s-access-1"
    assert call.headers["x-gw-ims-org-id"] == IMS_ORG_ID
    assert call.headers["x-api-key"] == "s2s-id"
    row = ServiceConnection.objects.get()
    assert (row.instance, row.workfront_user_name) == ("service", "Technical Account")
    assert row.access_token == "s2s-access-1"


def test_client_secret_post_sends_the_credentials_in_the_form(
    settings: Any, workfront_http: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES["service"]["TOKEN_AUTH_METHOD"] = "client_secret_post"
    answer_token(workfront_http)
    answer_user(workfront_http)
    services.service_connection("service")
    (token_call,) = workfront_http.sent_to(TOKEN_URL)
    assert token_call.basic_auth() is None
    assert token_call.form()["client_secret"] == "s2s-secret"


def test_while_the_token_is_fresh_a_call_costs_no_sql_query(workfront_http: Any) -> None:
    answer_token(workfront_http)
    answer_user(workfront_http)
    for _ in range(3):
        workfront_http.api("GET", "PROJ/count", json={"data": {"count": 1}})
    service_client("service").count("PROJ")
    with CaptureQueriesContext(db_connection) as queries:
        service_client("service").count("PROJ")
        service_client("service").count("PROJ")
    assert len(queries) == 0
    assert len(workfront_http.sent_to(TOKEN_URL)) == 1


def test_a_refused_token_is_renewed_once_and_the_call_retried_once(workfront_http: Any) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    client = service_client("service")
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    workfront_http.api("GET", "PROJ/count", status=401, json={"error": {"class": "x"}})
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 2}})
    assert client.count("PROJ") == 2
    assert len(workfront_http.sent_to(TOKEN_URL)) == 2
    first, second = workfront_http.sent_to(workfront_http.api_url("PROJ/count"))
    assert (first.access_token, second.access_token) == ("s2s-access-1", "s2s-access-2")


def test_a_wrong_secret_is_a_configuration_error_after_one_request_and_backs_off(
    workfront_http: Any,
) -> None:
    workfront_http.mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    for _ in range(3):
        with pytest.raises(WorkfrontOAuthError, match="CLIENT_SECRET"):
            service_client("service")
    assert len(workfront_http.sent_to(TOKEN_URL)) == 1  # no retry storm
    row = ServiceConnection.objects.get()
    assert "CLIENT_SECRET" in row.last_error and row.next_refresh_attempt_at > timezone.now()
    assert row.access_token == ""


def test_a_refused_scope_names_the_scopes_setting(workfront_http: Any) -> None:
    workfront_http.mock.post(TOKEN_URL, status=400, json={"error": "invalid_scope"})
    with pytest.raises(services.ServiceCredentialRefused, match="SCOPES"):
        service_client("service")


def test_a_transient_failure_backs_off_and_is_transient(workfront_http: Any) -> None:
    workfront_http.mock.post(TOKEN_URL, status=503)
    with pytest.raises(WorkfrontUnavailable):
        service_client("service")
    with pytest.raises(WorkfrontUnavailable, match="next attempt"):
        service_client("service")
    assert len(workfront_http.sent_to(TOKEN_URL)) == 1


def test_the_sweep_renews_a_due_stored_token(workfront_http: Any) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    services.service_connection("service")
    ServiceConnection.objects.update(access_token_expires_at=timezone.now() + timedelta(minutes=5))
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    counts = services.sweep()
    assert counts["service_renewed"] == 1
    row = ServiceConnection.objects.get()
    assert row.access_token == "s2s-access-2"
    assert row.access_token_expires_at > timezone.now() + timedelta(hours=23)
    assert services.sweep().get("service_renewed", 0) == 0  # fresh now: nothing to do


def test_the_token_is_not_stored_in_plaintext(workfront_http: Any) -> None:
    answer_token(workfront_http, "S2S-SENTINEL-TOKEN")
    answer_user(workfront_http)
    services.service_connection("service")
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM django_workfront_oauth_serviceconnection")
        (raw,) = cursor.fetchone()
    assert raw and "S2S-SENTINEL-TOKEN" not in raw
    assert "S2S-SENTINEL-TOKEN" not in repr(ServiceConnection.objects.get())


def test_a_user_instance_is_refused_with_value_error(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    with pytest.raises(ValueError, match="not an adobe_ims_s2s instance"):
        service_client("default")
    with pytest.raises(ValueError, match="No Workfront instance"):
        service_client("nope")


def test_users_cannot_start_a_sign_in_to_the_site_instance(user_client: Any) -> None:
    from django.urls import reverse

    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "service"})
    assert response.status_code == 400
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert "service" not in page


def test_workfront_check_prints_the_technical_account(workfront_http: Any) -> None:
    answer_token(workfront_http)
    answer_user(workfront_http)
    out = StringIO()
    call_command("workfront_check", "service", stdout=out)
    assert "Technical Account" in out.getvalue() and "works" in out.getvalue()
    assert len(workfront_http.sent_to(TOKEN_URL)) == 1


def test_workfront_check_fails_naming_the_setting(workfront_http: Any) -> None:
    workfront_http.mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    with pytest.raises(CommandError, match="CLIENT_SECRET"):
        call_command("workfront_check", "service", stdout=StringIO())


def test_the_checks_know_the_server_to_server_provider(settings: Any) -> None:
    from django_workfront_oauth.checks import check_settings

    ids = {message.id for message in check_settings()}
    assert not {i for i in ids if i.endswith(("E012", "E015", "W004", "W005", "W009"))}
    settings.WORKFRONT_OAUTH_INSTANCES["service"]["IMS_ORG_ID"] = ""
    assert "django_workfront_oauth.E015" in {message.id for message in check_settings()}


def test_the_admin_lists_the_site_connections_with_health_and_never_the_token(
    admin_client: Any, workfront_http: Any
) -> None:
    answer_token(workfront_http, "S2S-SENTINEL-ADMIN")
    answer_user(workfront_http)
    services.service_connection("service")
    row = ServiceConnection.objects.get()
    base = "/admin/django_workfront_oauth/serviceconnection/"
    listing = admin_client.get(base).content.decode()
    page = admin_client.get(f"{base}{row.pk}/change/").content.decode()
    for html in (listing, page):
        assert "Technical Account" in html and "service" in html
        assert "S2S-SENTINEL-ADMIN" not in html
    assert "set" in page
    refused = admin_client.get(f"{base}?access_token__startswith=S")
    assert refused.status_code in (302, 400)


def test_the_admin_renew_now_action_requests_a_new_token(
    admin_client: Any, workfront_http: Any
) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    services.service_connection("service")
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    row = ServiceConnection.objects.get()
    response = admin_client.post(
        "/admin/django_workfront_oauth/serviceconnection/",
        {"action": "renew_now_action", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 Server-to-Server token was renewed." in response.content.decode()
    assert ServiceConnection.objects.get().access_token == "s2s-access-2"


def test_workfront_refresh_renews_a_due_service_token_for_cron_sites(workfront_http: Any) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    services.service_connection("service")
    ServiceConnection.objects.update(access_token_expires_at=timezone.now() + timedelta(minutes=1))
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    out = StringIO()
    call_command("workfront_refresh", stdout=out)
    assert "1 service_renewed" in out.getvalue()
    assert ServiceConnection.objects.get().access_token == "s2s-access-2"


def test_a_due_but_valid_token_is_used_while_ims_is_down(workfront_http: Any) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    services.service_connection("service")
    ServiceConnection.objects.update(access_token_expires_at=timezone.now() + timedelta(minutes=5))
    forget_service_connections()  # a new process: it reads the due row
    workfront_http.mock.replace("POST", TOKEN_URL, status=503)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 4}})
    assert service_client("service").count("PROJ") == 4  # with the stored token


def test_a_deleted_row_is_made_again_by_a_process_that_kept_it(workfront_http: Any) -> None:
    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    row = services.service_connection("service")
    ServiceConnection.objects.all().delete()  # a site admin deleted it
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    services.renew_service_token(row, force=True)
    assert ServiceConnection.objects.get().access_token == "s2s-access-2"
    assert row.pk == ServiceConnection.objects.get().pk


def test_an_undecryptable_token_is_dropped_and_minted_again(
    settings: Any, workfront_http: Any
) -> None:
    from cryptography.fernet import Fernet

    answer_token(workfront_http, "s2s-access-1")
    answer_user(workfront_http)
    services.service_connection("service")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()  # the old key is lost
    forget_service_connections()
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": "s2s-access-2", "expires_in": 86399}
    )
    assert services.service_connection("service").access_token == "s2s-access-2"


def test_the_refused_credential_message_names_the_instances_own_settings(
    workfront_http: Any,
) -> None:
    workfront_http.mock.post(TOKEN_URL, status=401, json={"error": "invalid_client"})
    with pytest.raises(WorkfrontOAuthError) as caught:
        service_client("service")
    assert 'WORKFRONT_OAUTH_INSTANCES["service"]["CLIENT_SECRET"]' in str(caught.value)
