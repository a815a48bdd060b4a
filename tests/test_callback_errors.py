"""The callback's error pages always offer the way forward; an answer to a finished flow is not
an error.

An authorization server that is sent a request it already answered (the browser's Back to its
consent page) may answer it again with an error and the same ``state``: for a flow this browser
completed, that lands on the connections page, like a reload of the callback.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]

AUTHORIZE = reverse("workfront_oauth:authorize")
CONNECTIONS = reverse("workfront_oauth:connections")


def try_again_form(page: str) -> str:
    """The "Try again" form of an error page, ``""`` when there is none."""
    match = re.search(r'<form method="post" action="[^"]*"[^>]*>.*?</form>', page, re.S)
    return match[0] if match and ">Try again</button>" in match[0] else ""


def assert_way_forward(page: str, *, instance: str | None, next_url: str = "") -> None:
    assert f'<a href="{CONNECTIONS}">' in page
    form = try_again_form(page)
    if instance is None:
        assert not form, page
        return
    assert f'action="{AUTHORIZE}"' in form
    assert f'name="instance" value="{instance}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    if next_url:
        assert f'name="next" value="{next_url}"' in form


def test_an_error_answer_offers_to_try_the_same_instance_again(flow: Any) -> None:
    state = flow.start(next="/after/")
    response = flow.callback(state, code=None, error="access_denied")
    assert response.status_code == 400
    assert_way_forward(response.content.decode(), instance="default", next_url="/after/")


def test_an_error_answer_to_a_completed_flow_is_already_connected(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    assert flow.callback(state).status_code == 302
    sent = len(workfront_http.requests)

    # Back to the consent page after connecting: the server answers the used request again.
    response = flow.callback(state, code=None, error="access_denied")

    assert (response.status_code, response["Location"]) == (302, CONNECTIONS)
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said[-1] == "Your Workfront account is already connected."
    assert WorkfrontConnection.objects.get().status == WorkfrontConnection.Status.ACTIVE
    assert len(workfront_http.requests) == sent


def test_an_unknown_state_offers_the_connections_page(flow: Any) -> None:
    response = flow.callback("never-started")
    assert response.status_code == 400
    assert_way_forward(response.content.decode(), instance=None)


def test_an_expired_flow_offers_to_try_again(flow: Any) -> None:
    state = flow.start()
    PendingAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = flow.callback(state)
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()
    assert_way_forward(response.content.decode(), instance="default")


def test_a_refused_code_offers_to_try_again(flow: Any, workfront_http: Any) -> None:
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    state = flow.start()
    response = flow.callback(state)
    assert response.status_code == 400
    assert_way_forward(response.content.decode(), instance="default")


def test_an_unreachable_workfront_offers_to_try_again(flow: Any, workfront_http: Any) -> None:
    workfront_http.token_response(body=requests.ConnectionError("down"))
    state = flow.start()
    response = flow.callback(state)
    assert response.status_code == 502
    assert_way_forward(response.content.decode(), instance="default")


def test_another_sessions_state_offers_no_retry_of_its_flow(
    flow: Any, make_flow: Any, user: Any
) -> None:
    state = flow.start()
    second_browser = Client()
    second_browser.force_login(user)
    response = make_flow(second_browser).callback(state, code=None, error="access_denied")
    assert response.status_code == 400
    assert_way_forward(response.content.decode(), instance=None)
    assert PendingAuthorization.objects.count() == 1  # the first browser's flow is untouched


def test_an_anonymous_browser_still_gets_a_way_forward(flow: Any, client: Client) -> None:
    state = flow.start()
    response = client.get(reverse("workfront_oauth:callback"), {"state": state, "code": "c"})
    assert response.status_code == 400
    assert_way_forward(response.content.decode(), instance=None)
