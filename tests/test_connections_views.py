"""The connections page and the disconnect view."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from django.db import connection as db
from django.test import Client
from django.urls import reverse

from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.signals import connection_disconnected
from tests.conftest import HOST

pytestmark = pytest.mark.django_db

LOGOUT_URL = f"{HOST}/attask/api/v21.0/logout"


def disconnect_url(pk: int) -> str:
    return reverse("workfront_oauth:disconnect", args=[pk])


@pytest.fixture
def disconnected() -> Any:
    """Records the ``connection_disconnected`` signals sent during the test."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    connection_disconnected.connect(receiver)
    yield received
    connection_disconnected.disconnect(receiver)


# -- the connections page ----------------------------------------------------------------------


def test_connections_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("workfront_oauth:connections"))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"


def test_connections_post_is_refused_with_405(user_client: Client) -> None:
    assert user_client.post(reverse("workfront_oauth:connections")).status_code == 405


def test_connections_lists_only_the_users_own_connections(
    user_client: Client, make_connection: Any, other_user: Any
) -> None:
    mine = make_connection(workfront_user_name="Alice Anders")
    theirs = make_connection(
        user=other_user, workfront_user_name="Bob Bauer", workfront_user_email="bob@acme.example"
    )
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert response.status_code == 200
    assert "Alice Anders" in response.content.decode()
    assert disconnect_url(mine.pk) in response.content.decode()
    assert "Bob Bauer" not in response.content.decode()
    assert "bob@acme.example" not in response.content.decode()
    assert disconnect_url(theirs.pk) not in response.content.decode()


def test_connections_without_connection_offers_connect_button(user_client: Client) -> None:
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert "Not connected" in response.content.decode()
    assert f'action="{reverse("workfront_oauth:authorize")}"' in response.content.decode()
    assert "Disconnect" not in response.content.decode()


def test_connections_reauth_required_offers_reconnect_and_says_why(
    user_client: Client, make_connection: Any
) -> None:
    make_connection(
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="Required by site admin 'root' through the admin action 'Require reconnection'.",
    )
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert "Needs reconnecting" in response.content.decode()
    # A plain sentence for the user; the technical reason (an admin's name) stays in the admin.
    assert "An administrator of this site asked you to connect" in response.content.decode()
    assert "root" not in response.content.decode()
    assert "Reconnect" in response.content.decode()
    assert f'action="{reverse("workfront_oauth:authorize")}"' in response.content.decode()


def test_connections_active_connection_has_no_reconnect_button(
    user_client: Client, make_connection: Any
) -> None:
    make_connection()
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert "Connected" in response.content.decode()
    assert "Reconnect" not in response.content.decode()


def test_connections_several_instances_show_each_with_its_name(
    user_client: Client, make_connection: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": {"HOST": "https://acme.sb01.workfront.com"}}
    make_connection(instance="sandbox", host="https://acme.sb01.workfront.com")
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert "<th>Instance</th>" in response.content.decode()
    assert "<td>sandbox</td>" in response.content.decode()
    assert 'name="instance" value="default"' in response.content.decode()  # default: not connected


def test_connections_instance_no_longer_configured_can_still_be_removed(
    user_client: Client, make_connection: Any
) -> None:
    orphan = make_connection(instance="retired", host="https://old.my.workfront.com")
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert "no longer configured" in response.content.decode()
    assert "https://old.my.workfront.com" in response.content.decode()
    assert disconnect_url(orphan.pk) in response.content.decode()


def test_connections_page_renders_when_tokens_cannot_be_decrypted(
    user_client: Client, make_connection: Any, settings: Any
) -> None:
    make_connection(workfront_user_name="Alice Anders")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert response.status_code == 200
    assert "Alice Anders" in response.content.decode()


# -- disconnect --------------------------------------------------------------------------------


def test_disconnect_get_asks_first_and_says_it_signs_out_at_workfront(
    user_client: Client, other_client: Client, make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection()
    response = user_client.get(disconnect_url(connection.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "signs you out of Workfront" in page
    assert f'action="{disconnect_url(connection.pk)}"' in page and "csrfmiddlewaretoken" in page
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert workfront_http.requests == []  # nothing ended at Workfront either
    assert other_client.get(disconnect_url(connection.pk)).status_code == 404


def test_disconnect_anonymous_user_is_sent_to_login(client: Client, make_connection: Any) -> None:
    connection = make_connection()
    response = client.post(disconnect_url(connection.pk))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()


def test_disconnect_another_users_connection_is_404_and_the_row_stays(
    user_client: Client, make_connection: Any, other_user: Any, workfront_http: Any
) -> None:
    theirs = make_connection(user=other_user)
    response = user_client.post(disconnect_url(theirs.pk))
    assert response.status_code == 404
    assert WorkfrontConnection.objects.filter(pk=theirs.pk).exists()
    assert workfront_http.requests == []


def test_disconnect_unknown_pk_is_404(user_client: Client) -> None:
    assert user_client.post(disconnect_url(999999)).status_code == 404


def test_disconnect_logs_out_of_workfront_then_deletes_the_row(
    user_client: Client, make_connection: Any, workfront_http: Any, disconnected: Any
) -> None:
    connection = make_connection(access_token="session-to-end")
    workfront_http.logout()
    response = user_client.post(disconnect_url(connection.pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("workfront_oauth:connections")
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    (sent,) = workfront_http.requests
    assert (sent.method, sent.url) == ("GET", LOGOUT_URL)
    assert sent.headers["SessionID"] == "session-to-end"
    assert sent.timeout == 10
    (event,) = disconnected
    assert event["sender"] is WorkfrontConnection
    assert event["connection"].pk == connection.pk


def test_disconnect_safe_next_is_followed_and_off_site_next_ignored(
    user_client: Client, make_connection: Any, workfront_http: Any
) -> None:
    workfront_http.logout()
    first = make_connection()
    response = user_client.post(disconnect_url(first.pk), {"next": "/settings/"})
    assert response["Location"] == "/settings/"
    second = make_connection()
    response = user_client.post(disconnect_url(second.pk), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("workfront_oauth:connections")


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": "Internal error"},
        {"status": 401, "body": "not logged in"},
        {"body": requests.exceptions.ReadTimeout("slow")},
        {"body": requests.exceptions.ConnectionError("refused")},
    ],
    ids=["500", "401", "timeout", "refused"],
)
def test_disconnect_deletes_the_row_even_when_logout_fails(
    user_client: Client,
    make_connection: Any,
    workfront_http: Any,
    disconnected: Any,
    answer: dict[str, Any],
) -> None:
    connection = make_connection()
    workfront_http.api("GET", "logout", **answer)
    response = user_client.post(disconnect_url(connection.pk))
    assert response.status_code == 302
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert len(workfront_http.requests) == 1
    assert len(disconnected) == 1


def test_disconnect_deletes_the_row_when_the_token_cannot_be_decrypted(
    user_client: Client, make_connection: Any, workfront_http: Any, disconnected: Any
) -> None:
    connection = make_connection()
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {WorkfrontConnection._meta.db_table} SET access_token = %s WHERE id = %s",  # noqa: S608
            ["garbage", connection.pk],
        )
    response = user_client.post(disconnect_url(connection.pk))
    assert response.status_code == 302
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert workfront_http.requests == []
    assert len(disconnected) == 1


def test_disconnect_without_access_token_deletes_without_logout(
    user_client: Client, make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(access_token="")
    user_client.post(disconnect_url(connection.pk))
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert workfront_http.requests == []


def test_disconnect_instance_no_longer_configured_deletes_without_logout(
    user_client: Client, make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(instance="retired")
    user_client.post(disconnect_url(connection.pk))
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    assert workfront_http.requests == []


def test_disconnect_named_instance_logs_out_of_its_host(
    user_client: Client, make_connection: Any, workfront_http: Any, settings: Any
) -> None:
    sandbox = "https://acme.sb01.workfront.com"
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": {"HOST": sandbox, "API_VERSION": "v22.0"}}
    connection = make_connection(instance="sandbox", host=sandbox)
    workfront_http.mock.add("GET", f"{sandbox}/attask/api/v22.0/logout", json={})
    user_client.post(disconnect_url(connection.pk))
    assert [sent.url for sent in workfront_http.requests] == [f"{sandbox}/attask/api/v22.0/logout"]
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()
