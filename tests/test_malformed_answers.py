"""Answers a server should never send become our exceptions and clear pages, never a 500.

From the security review: an ``expires_in`` of 1e15 or of 400 digits (OverflowError), a body
nested 100,000 deep (RecursionError), an access token that cannot be sent as a header
(UnicodeEncodeError). In a refresh, a rotated refresh token that came with an unusable answer
is kept, so the grant is not lost.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.exceptions import WorkfrontAPIError, WorkfrontUnavailable
from django_workfront_oauth.models import WorkfrontConnection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]

DEEP = "[" * 100_000 + "]" * 100_000


def token_body(workfront_http: Any, **fields: Any) -> str:
    """A token answer with ``fields``, as raw JSON text (big numbers kept as they are)."""
    body: dict[str, Any] = {"access_token": "access-1", "refresh_token": "refresh-1", **fields}
    if workfront_http.provider == "adobe_ims":
        from tests.http_mock import id_token_claims, make_id_token

        body["id_token"] = make_id_token(id_token_claims("test-client-id", workfront_http.nonce))
    return json.dumps(body)


@pytest.mark.parametrize("expires_in", ["1e15", "1" + "0" * 400, "-5", '"soon"', "NaN"])
def test_an_absurd_expires_in_falls_back_to_the_configured_lifetime(
    flow: Any, workfront_http: Any, expires_in: str
) -> None:
    state = flow.start()
    raw = token_body(workfront_http).replace(
        '"access_token"', f'"expires_in": {expires_in}, "access_token"'
    )
    workfront_http.token_response(body=raw, headers={"Content-Type": "application/json"})
    workfront_http.user()
    before = timezone.now()
    response = flow.callback(state)
    assert response.status_code == 302
    expires = WorkfrontConnection.objects.get().access_token_expires_at
    lifetime = timedelta(hours=8)  # ACCESS_TOKEN_LIFETIME's default
    assert before + lifetime - timedelta(minutes=1) <= expires <= timezone.now() + lifetime


def test_a_token_answer_nested_100000_deep_is_a_clear_502(flow: Any, workfront_http: Any) -> None:
    state = flow.start()
    workfront_http.token_response(body=DEEP, headers={"Content-Type": "application/json"})
    response = flow.callback(state)
    assert response.status_code == 502
    assert not WorkfrontConnection.objects.exists()


def test_an_access_token_that_cannot_be_a_header_is_a_clear_502(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    raw = token_body(workfront_http).replace('"access-1"', '"t\\u00f6k\\u20acn"')
    workfront_http.token_response(body=raw, headers={"Content-Type": "application/json"})
    response = flow.callback(state)
    assert response.status_code == 502
    assert not WorkfrontConnection.objects.exists()


def test_a_refresh_answer_with_an_unusable_access_token_keeps_the_rotated_refresh_token(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection()
    workfront_http.token_response(
        json={
            "access_token": "t\u00f6k\u20acn",
            "refresh_token": "rotated-refresh",
            "expires_in": 0,
        }
    )
    with pytest.raises(WorkfrontUnavailable, match="cannot be used"):
        services.refresh_connection(connection, force=True)
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert row.refresh_token == "rotated-refresh"  # the old one is retired at the server
    assert row.is_expired()  # so the next attempt refreshes with it
    assert row.status == WorkfrontConnection.Status.ACTIVE


def test_a_refresh_answer_nested_100000_deep_is_a_transient_failure(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection()
    workfront_http.token_response(body=DEEP, headers={"Content-Type": "application/json"})
    with pytest.raises(WorkfrontUnavailable):
        services.refresh_connection(connection, force=True)
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert (row.refresh_token, row.consecutive_failures) == ("stored-refresh-token", 1)


def test_an_api_answer_nested_100000_deep_is_our_error(
    make_connection: Any, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/count", body=DEEP, headers={"Content-Type": "application/json"})
    with pytest.raises(WorkfrontAPIError, match="not a JSON data object"):
        WorkfrontClient(make_connection()).get("PROJ/count")
