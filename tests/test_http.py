"""The one door to the network: pooled session, User-Agent, timeouts, errors, Retry-After."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from email.utils import format_datetime
from typing import Any
from unittest import mock

import pytest
import requests

from django_workfront_oauth import __version__, http
from django_workfront_oauth.exceptions import WorkfrontUnavailable

URL = "https://acme.my.workfront.com/attask/api/v21.0/USER/search"


def response_with(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response.headers.update(headers)
    return response


def test_session_is_shared_within_a_process() -> None:
    assert http.get_session() is http.get_session()


def test_session_after_fork_is_a_new_one() -> None:
    parent = http.get_session()
    with mock.patch("os.getpid", return_value=-1):
        child = http.get_session()
    assert child is not parent
    assert child.headers["User-Agent"] == http.USER_AGENT


def test_session_thread_that_loses_the_race_uses_the_winners_session() -> None:
    winner = requests.Session()

    class RacingLock:
        """Another thread creates the session while this one waits for the lock."""

        def __enter__(self) -> None:
            http._session, http._session_pid = winner, os.getpid()

        def __exit__(self, *exc: object) -> None:
            return None

    with (
        mock.patch.object(http, "_session", None),
        mock.patch.object(http, "_session_pid", None),
        mock.patch.object(http, "_lock", RacingLock()),
    ):
        assert http.get_session() is winner


def test_session_ignores_proxies_and_netrc_from_the_environment() -> None:
    assert http.get_session().trust_env is False


def test_user_agent_names_the_app_and_its_version() -> None:
    assert http.USER_AGENT.startswith(f"django-workfront-oauth/{__version__} python-requests/")


def test_send_passes_timeout_and_user_agent(workfront_http: Any) -> None:
    workfront_http.mock.add("GET", URL, json={"data": []})
    response = http.send("GET", URL, timeout=4.5, headers={"X-Test": "1"})
    assert response.status_code == 200
    (sent,) = workfront_http.requests
    assert sent.timeout == 4.5
    assert sent.headers["User-Agent"] == http.USER_AGENT
    assert sent.headers["X-Test"] == "1"


def test_send_does_not_follow_redirects(workfront_http: Any) -> None:
    workfront_http.mock.add("GET", URL, status=301, headers={"Location": "https://evil.example/"})
    workfront_http.mock.add("GET", "https://evil.example/", json={})
    response = http.send("GET", URL, timeout=1)
    assert response.status_code == 301
    assert len(workfront_http.requests) == 1


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            requests.exceptions.ReadTimeout("x"),
            "GET https://acme.my.workfront.com/p timed out after 2s",
        ),
        (requests.exceptions.ConnectTimeout("x"), "timed out after 2s"),
        (
            requests.exceptions.ConnectionError("x"),
            "GET https://acme.my.workfront.com/p failed: could not connect",
        ),
        (requests.exceptions.TooManyRedirects("x"), "failed: TooManyRedirects"),
    ],
    ids=["read-timeout", "connect-timeout", "refused", "other-request-error"],
)
def test_send_transport_failure_becomes_unavailable(
    workfront_http: Any, error: Exception, message: str
) -> None:
    url = "https://acme.my.workfront.com/p"
    workfront_http.mock.add("GET", url, body=error)
    with pytest.raises(WorkfrontUnavailable, match=message) as caught:
        http.send("GET", url + "?SessionID=SECRET", timeout=2)
    assert "SECRET" not in str(caught.value)


def test_send_transport_failure_chains_no_requests_exception(workfront_http: Any) -> None:
    # The chained exception's frames would hold the headers (session IDs, Basic credentials).
    workfront_http.mock.add("GET", URL, body=requests.exceptions.ConnectionError("x"))
    with pytest.raises(WorkfrontUnavailable) as caught:
        http.send("GET", URL, timeout=1, headers={"SessionID": "s"})
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_send_unregistered_url_never_reaches_the_network(workfront_http: Any) -> None:
    with pytest.raises(WorkfrontUnavailable, match="could not connect"):
        http.send("GET", "https://unregistered.example/", timeout=1)


def test_describe_url_drops_query_and_fragment() -> None:
    assert http.describe_url("https://h.example/a/b?SessionID=x#frag") == "https://h.example/a/b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("1.5", 1.5), ("-3", 0.0), (" 7 ", 7.0)],
    ids=["seconds", "fraction", "negative", "spaces"],
)
def test_retry_after_in_seconds(value: str, expected: float) -> None:
    assert http.retry_after_seconds(response_with({"Retry-After": value})) == expected


def test_retry_after_missing_is_none() -> None:
    assert http.retry_after_seconds(response_with({})) is None


@pytest.mark.parametrize(
    "value", ["soon", "Wed, 21 Oct 2015 07:28:00 -0000"], ids=["junk", "naive"]
)
def test_retry_after_unreadable_is_none(value: str) -> None:
    assert http.retry_after_seconds(response_with({"Retry-After": value})) is None


def test_retry_after_http_date_counts_from_now() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=dt_timezone.utc)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert http.retry_after_seconds(response_with({"Retry-After": header})) == 90


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=dt_timezone.utc)
    header = format_datetime(now - timedelta(hours=1), usegmt=True)
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert http.retry_after_seconds(response_with({"Retry-After": header})) == 0
