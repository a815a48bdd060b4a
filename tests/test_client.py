"""WorkfrontClient: headers, refresh on expiry and on authentication failure, errors, paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone

from django_workfront_oauth import __version__
from django_workfront_oauth.client import MAX_URL_LENGTH, WorkfrontClient
from django_workfront_oauth.exceptions import (
    ReauthorizationRequired,
    WorkfrontAPIError,
    WorkfrontOAuthError,
    WorkfrontUnavailable,
)
from django_workfront_oauth.models import WorkfrontConnection

# Every test here runs for the legacy provider and for Adobe IMS.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


NOT_LOGGED_IN = {
    "error": {
        "class": "com.attask.common.AuthenticationException",
        "message": "You are not currently logged in.",
    }
}


@pytest.fixture
def connection(make_connection: Any) -> WorkfrontConnection:
    return make_connection()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(connection: WorkfrontConnection, sleeps: list[float]) -> WorkfrontClient:
    return WorkfrontClient(connection, sleep=sleeps.append)


def project(number: int) -> dict[str, Any]:
    return {"ID": f"proj-{number:04d}", "name": f"Project {number}", "objCode": "PROJ"}


def test_connection_client_returns_a_client(connection: WorkfrontConnection) -> None:
    client = WorkfrontClient(connection)
    assert isinstance(client, WorkfrontClient)
    assert client.connection is connection
    assert "stored-access-token" not in repr(client)


def test_get_sends_the_session_header_and_returns_data(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/proj-1", json={"data": project(1)})
    assert client.get("PROJ/proj-1", fields="name") == project(1)
    (sent,) = workfront_http.requests
    assert sent.url == "https://acme.my.workfront.com/attask/api/v21.0/PROJ/proj-1?fields=name"
    assert sent.access_token == "stored-access-token"
    assert "sessionID" not in sent.url.lower().split("?")[-1]
    assert sent.headers["User-Agent"].startswith(f"django-workfront-oauth/{__version__}")
    assert sent.timeout == 10.0


def test_api_version_setting_changes_the_path(
    client: WorkfrontClient, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_API_VERSION = "v22.0"
    workfront_http.mock.get(
        "https://acme.my.workfront.com/attask/api/v22.0/PROJ/count", json={"data": {"count": 7}}
    )
    assert client.count("PROJ") == 7
    assert client.base_url == "https://acme.my.workfront.com/attask/api/v22.0"


def test_fresh_token_costs_no_sql_query(
    client: WorkfrontClient, workfront_http: Any, django_assert_num_queries: Any
) -> None:
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 3}})
    with django_assert_num_queries(0):
        assert client.count("PROJ") == 3


def test_expired_token_is_refreshed_before_the_call(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    workfront_http.token("refreshed-access", "refreshed-refresh")
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 1}})
    assert WorkfrontClient(connection).count("PROJ") == 1
    token_call, api_call = workfront_http.requests
    assert token_call.url == workfront_http.token_url()
    assert api_call.access_token == "refreshed-access"


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 401, "json": NOT_LOGGED_IN},
        {"status": 401, "body": ""},
        {"status": 200, "json": NOT_LOGGED_IN},
        {
            "status": 500,
            "json": {"error": {"class": "x.Other", "message": "You are not currently logged in."}},
        },
    ],
    ids=["401", "401-empty", "auth-error-with-200", "not-logged-in-message"],
)
def test_authentication_failure_refreshes_once_and_retries_once(
    client: WorkfrontClient, workfront_http: Any, failure: dict[str, Any]
) -> None:
    url = workfront_http.api_url("PROJ/count")
    workfront_http.api("GET", "PROJ/count", **failure)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 5}})
    workfront_http.token("after-401", "refresh-after-401")
    assert client.count("PROJ") == 5
    sent = workfront_http.requests
    assert [r.base_url for r in sent] == [url, workfront_http.token_url(), url]
    assert sent[0].access_token == "stored-access-token"
    assert sent[2].access_token == "after-401"
    row = WorkfrontConnection.objects.get(pk=client.connection.pk)
    assert row.refresh_token == "refresh-after-401"


def test_second_authentication_failure_is_not_retried_again(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/count", status=401, json=NOT_LOGGED_IN)
    workfront_http.token("after-401")
    with pytest.raises(WorkfrontAPIError) as caught:
        client.count("PROJ")
    assert caught.value.status == 401
    assert caught.value.error_class == "com.attask.common.AuthenticationException"
    assert len(workfront_http.token_requests()) == 1
    assert len(workfront_http.requests) == 3


def test_refresh_rejected_during_retry_raises_reauthorization_required(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/count", status=401, json=NOT_LOGGED_IN)
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    with pytest.raises(ReauthorizationRequired):
        client.count("PROJ")
    assert client.connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED


def test_token_replaced_by_another_process_is_not_refreshed_again(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    """Another process refreshed while our call was refused: we use its token, no new refresh."""

    def refused_after_someone_refreshed(request: Any) -> tuple[int, dict[str, str], str]:
        WorkfrontConnection.objects.filter(pk=client.connection.pk).update(
            access_token="token-of-the-other-process"
        )
        return 401, {}, ""

    url = workfront_http.api_url("PROJ/count")
    workfront_http.mock.add_callback("GET", url, refused_after_someone_refreshed)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 2}})
    assert client.count("PROJ") == 2
    assert workfront_http.token_requests() == []
    assert workfront_http.requests[-1].access_token == "token-of-the-other-process"


def test_error_with_http_200_raises_api_error(client: WorkfrontClient, workfront_http: Any) -> None:
    workfront_http.api(
        "GET",
        "PROJ/search",
        json={"error": {"class": "com.attask.common.InvalidParameterException", "message": "bad"}},
    )
    with pytest.raises(WorkfrontAPIError) as caught:
        client.get("PROJ/search")
    error = caught.value
    assert (error.status, error.error_class, error.message) == (
        200,
        "com.attask.common.InvalidParameterException",
        "bad",
    )
    assert "InvalidParameterException" in str(error)
    assert workfront_http.token_requests() == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 404, "body": "missing"}, WorkfrontAPIError),
        ({"status": 200, "body": "<html>maintenance</html>"}, WorkfrontAPIError),
        ({"status": 200, "json": {"unexpected": True}}, WorkfrontAPIError),
        ({"status": 500, "body": "oops"}, WorkfrontUnavailable),
        ({"status": 502, "body": "bad gateway"}, WorkfrontUnavailable),
    ],
    ids=["404", "html", "no-data", "500", "502"],
)
def test_bad_answers_raise_our_errors(
    client: WorkfrontClient, workfront_http: Any, answer: dict[str, Any], error: type[Exception]
) -> None:
    workfront_http.api("GET", "PROJ/count", **answer)
    with pytest.raises(error):
        client.count("PROJ")


def test_busy_answers_wait_for_retry_after_then_succeed(
    client: WorkfrontClient, workfront_http: Any, sleeps: list[float]
) -> None:
    workfront_http.api("GET", "PROJ/count", status=429, headers={"Retry-After": "3"}, body="")
    workfront_http.api("GET", "PROJ/count", status=503, body="")
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 9}})
    assert client.count("PROJ") == 9
    assert sleeps == [3.0, 2.0]  # Retry-After, then the exponential default


def test_busy_answers_are_retried_a_bounded_number_of_times(
    client: WorkfrontClient, workfront_http: Any, sleeps: list[float]
) -> None:
    workfront_http.api("GET", "PROJ/count", status=503, body="")
    with pytest.raises(WorkfrontUnavailable):
        client.count("PROJ")
    assert len(workfront_http.requests) == client.busy_retries + 1
    assert len(sleeps) == client.busy_retries


def test_retry_after_longer_than_allowed_gives_up_at_once(
    client: WorkfrontClient, workfront_http: Any, sleeps: list[float]
) -> None:
    workfront_http.api("GET", "PROJ/count", status=429, headers={"Retry-After": "600"}, body="")
    with pytest.raises(WorkfrontUnavailable) as caught:
        client.count("PROJ")
    assert caught.value.retry_after == 600.0
    assert sleeps == []
    assert len(workfront_http.requests) == 1


def test_search_pages_sorted_by_id_until_a_short_page(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    rows = [project(n) for n in range(5)]
    workfront_http.api("GET", "PROJ/search", json={"data": rows[:2]})
    workfront_http.api("GET", "PROJ/search", json={"data": rows[2:4]})
    workfront_http.api("GET", "PROJ/search", json={"data": rows[4:]})
    found = list(client.iter_search("PROJ", fields=["ID", "name"], page_size=2, status="CUR"))
    assert found == rows
    queries = [r.query for r in workfront_http.requests]
    assert [(q["$$FIRST"], q["$$LIMIT"]) for q in queries] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert all(q["ID_Sort"] == "asc" and q["status"] == "CUR" for q in queries)
    assert queries[0]["fields"] == "ID,name"


def test_search_keeps_an_explicit_sort_and_stops_at_the_limit(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/search", json={"data": [project(n) for n in range(3)]})
    found = client.search("PROJ", limit=3, name_Sort="desc")
    assert len(found) == 3
    (sent,) = workfront_http.requests
    assert "ID_Sort" not in sent.query
    assert (sent.query["name_Sort"], sent.query["$$LIMIT"]) == ("desc", "3")


def test_search_pages_are_at_most_2000_rows(client: WorkfrontClient, workfront_http: Any) -> None:
    workfront_http.api("GET", "TASK/search", json={"data": []})
    assert client.search("TASK", page_size=5000) == []
    assert workfront_http.requests[0].query["$$LIMIT"] == "2000"


def test_search_that_returns_no_list_is_an_error(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("GET", "PROJ/search", json={"data": {"not": "a list"}})
    with pytest.raises(WorkfrontAPIError):
        client.search("PROJ")


def test_count_without_a_number_is_an_error(client: WorkfrontClient, workfront_http: Any) -> None:
    workfront_http.api("GET", "PROJ/count", json={"data": {"total": 3}})
    with pytest.raises(WorkfrontAPIError):
        client.count("PROJ")


def test_long_query_goes_as_post_with_method_get(
    client: WorkfrontClient, workfront_http: Any
) -> None:
    workfront_http.api("POST", "PROJ/search", json={"data": []})
    ids = "|".join(f"{n:032x}" for n in range(300))
    client.search("PROJ", ID=ids, ID_Mod="in")
    (sent,) = workfront_http.requests
    assert sent.method == "POST"
    assert "?" not in sent.url
    body = dict(parse_qsl(sent.body))
    assert body["method"] == "GET"
    assert body["ID"] == ids
    assert len(ids) > MAX_URL_LENGTH


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_write_methods(client: WorkfrontClient, workfront_http: Any, method: str) -> None:
    workfront_http.api(method.upper(), "TASK/task-1", json={"data": {"ID": "task-1"}})
    call = getattr(client, method)
    result = (
        call("TASK/task-1") if method == "delete" else call("TASK/task-1", data={"status": "CPL"})
    )
    assert result == {"ID": "task-1"}
    (sent,) = workfront_http.requests
    assert sent.method == method.upper()
    if method != "delete":
        assert dict(parse_qsl(sent.body)) == {"status": "CPL"}


def test_unconfigured_instance_is_a_clear_error(make_connection: Any) -> None:
    client = WorkfrontClient(make_connection(instance="gone"))
    with pytest.raises(WorkfrontOAuthError, match="no longer configured"):
        client.count("PROJ")


def test_the_deprecated_connection_client_alias_still_works_and_says_so(
    make_connection: Any,
) -> None:
    """``connection.client()`` (the 0.1 way) warns and returns the same client."""
    connection = make_connection()
    with pytest.warns(DeprecationWarning, match=r"WorkfrontClient\(connection\)"):
        client = connection.client()
    assert isinstance(client, WorkfrontClient) and client.connection is connection
