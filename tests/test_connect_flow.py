"""The connect flow: the authorize and callback views over begin/complete_authorization."""

from __future__ import annotations

import base64
import hashlib
import re
import string
from datetime import timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection, digest
from django_workfront_oauth.signals import connection_established
from tests.conftest import CALLBACK_URL, HOST
from tests.http_mock import id_token_claims, make_id_token

# Every test here runs for the legacy provider and for Adobe IMS.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


AUTHORIZE_URL = f"{HOST}/integrations/oauth2/authorize"
TOKEN_URL = f"{HOST}/integrations/oauth2/api/v1/token"
USER_URL = f"{HOST}/attask/api/v21.0/USER/search"
SANDBOX_HOST = "https://acme.sb01.workfront.com"
SANDBOX = {
    "HOST": SANDBOX_HOST,
    "CLIENT_ID": "sandbox-client-id",
    "CLIENT_SECRET": "sandbox-client-secret",
    # The tests below that name it are of the legacy provider's own behaviour (domain/lane).
    "PROVIDER": "workfront",
}


def row_state(connection: WorkfrontConnection) -> dict[str, Any]:
    """Every column of a connection as stored now (tokens decrypted)."""
    fresh = WorkfrontConnection.objects.get(pk=connection.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


@pytest.fixture
def established() -> Any:
    """Records the ``connection_established`` signals sent during the test."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    connection_established.connect(receiver)
    yield received
    connection_established.disconnect(receiver)


# -- authorize ---------------------------------------------------------------------------------


def test_authorize_get_shows_the_button_and_starts_nothing(user_client: Client) -> None:
    """A link, a reload or Back to the connect URL is a page with the button, not a dead end."""
    response = user_client.get(
        reverse("workfront_oauth:authorize"), {"instance": "default", "next": "/after/"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'action="{reverse("workfront_oauth:authorize")}"' in page
    assert 'name="next" value="/after/"' in page and "csrfmiddlewaretoken" in page
    assert response["X-Frame-Options"] == "DENY"
    assert PendingAuthorization.objects.count() == 0


def test_authorize_anonymous_user_is_sent_to_login(client: Client) -> None:
    response = client.post(reverse("workfront_oauth:authorize"))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/accounts/login/"
    assert PendingAuthorization.objects.count() == 0


def test_authorize_without_csrf_token_is_refused_with_403(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("workfront_oauth:authorize"))
    assert response.status_code == 403
    assert PendingAuthorization.objects.count() == 0


@pytest.mark.legacy_only
def test_authorize_with_the_csrf_token_of_the_connect_button_is_accepted(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("workfront_oauth:connections")).content.decode()
    button = page[page.index('action="' + reverse("workfront_oauth:authorize")) :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', button)[1]
    response = client.post(reverse("workfront_oauth:authorize"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"].startswith(AUTHORIZE_URL + "?")


@pytest.mark.legacy_only
def test_authorize_redirects_to_the_exact_workfront_authorize_url(flow: Any) -> None:
    state = flow.start()
    expected_query = urlencode(
        {
            "client_id": "test-client-id",
            "redirect_uri": CALLBACK_URL,
            "response_type": "code",
            "state": state,
        }
    )
    assert flow.authorize_response["Location"] == f"{AUTHORIZE_URL}?{expected_query}"


def test_authorize_uses_the_redirect_uri_setting_when_set(flow: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = "https://app.example.com/wf/callback/"
    flow.start()
    assert flow.authorize_params()["redirect_uri"] == "https://app.example.com/wf/callback/"
    assert PendingAuthorization.objects.get().redirect_uri == "https://app.example.com/wf/callback/"


def test_authorize_state_has_at_least_128_random_bits(make_flow: Any, user_client: Any) -> None:
    states = {make_flow(user_client).start() for _ in range(4)}
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert len(states) == 4
    for state in states:
        # token_urlsafe: 6 bits per character
        assert len(state) * 6 >= 128
        assert set(state) <= alphabet


def test_authorize_state_is_stored_only_as_a_digest(flow: Any, user_client: Client) -> None:
    state = flow.start()
    pending = PendingAuthorization.objects.get()
    assert pending.state_digest == hashlib.sha256(state.encode()).hexdigest()
    stored = PendingAuthorization.objects.values().get()
    assert all(state not in str(value) for value in stored.values())
    assert all(state not in str(value) for value in user_client.session.values())


def test_authorize_binds_the_state_to_the_session_and_remembers_the_flow(
    flow: Any, user_client: Client, user: Any
) -> None:
    before = timezone.now()
    flow.start(next="/after/connect/")
    pending = PendingAuthorization.objects.get()
    binding = user_client.session[services.connect.SESSION_BINDING_KEY]
    assert pending.session_digest == digest(binding)
    assert pending.user == user
    assert pending.instance == "default"
    assert pending.host == HOST
    assert pending.next_url == "/after/connect/"
    assert pending.redirect_uri == CALLBACK_URL
    # PKCE is on by default for Adobe IMS only; the nonce is OpenID Connect's, so IMS's only.
    ims = app_settings.get_instance().provider == "adobe_ims"
    assert bool(pending.code_verifier) == ims
    assert bool(pending.nonce) == ims
    assert before + timedelta(minutes=10) <= pending.expires_at
    assert pending.expires_at <= timezone.now() + timedelta(minutes=10)


def test_authorize_off_site_next_is_not_remembered(flow: Any) -> None:
    flow.start(next="https://evil.example/phish")
    assert PendingAuthorization.objects.get().next_url == ""


def test_authorize_unknown_instance_is_refused_with_400(user_client: Client) -> None:
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "nope"})
    assert response.status_code == 400
    assert PendingAuthorization.objects.count() == 0


def test_authorize_named_instance_goes_to_that_instances_host(flow: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": SANDBOX}
    flow.start(instance="sandbox")
    location = flow.authorize_response["Location"]
    assert location.startswith(f"{SANDBOX_HOST}/integrations/oauth2/authorize?")
    assert flow.authorize_params()["client_id"] == "sandbox-client-id"
    pending = PendingAuthorization.objects.get()
    assert (pending.instance, pending.host) == ("sandbox", SANDBOX_HOST)


def test_authorize_with_pkce_sends_an_s256_challenge(flow: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_USE_PKCE = True
    flow.start()
    params = flow.authorize_params()
    verifier = PendingAuthorization.objects.get().code_verifier
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert len(verifier) >= 43
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"] == expected.rstrip(b"=").decode()


def test_authorize_without_pkce_sends_no_challenge(flow: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_USE_PKCE = False
    flow.start()
    assert "code_challenge" not in flow.authorize_params()
    assert "code_challenge_method" not in flow.authorize_params()


def test_authorize_drops_expired_flows_and_keeps_at_most_five_per_user(
    make_flow: Any, user_client: Client
) -> None:
    first = make_flow(user_client).start()
    PendingAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    make_flow(user_client).start()
    assert not PendingAuthorization.objects.filter(state_digest=digest(first)).exists()
    states = [make_flow(user_client).start() for _ in range(5)]
    assert PendingAuthorization.objects.count() == services.connect.MAX_PENDING_PER_USER
    assert PendingAuthorization.objects.filter(state_digest=digest(states[-1])).exists()


# -- callback: refused before any token request ------------------------------------------------


def test_callback_forged_state_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    flow.start()
    response = flow.callback("forged-state-value-that-was-never-issued")
    assert response.status_code == 400
    assert workfront_http.requests == []
    assert WorkfrontConnection.objects.count() == 0


def test_callback_missing_state_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    flow.start()
    response = flow.callback(None)
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_at_ten_minutes_state_has_expired(flow: Any, workfront_http: Any) -> None:
    state = flow.start()
    later = PendingAuthorization.objects.get().created_at + services.connect.STATE_LIFETIME
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = flow.callback(state)
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_just_before_ten_minutes_state_is_still_valid(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    pending = PendingAuthorization.objects.get()
    with mock.patch(
        "django.utils.timezone.now", return_value=pending.expires_at - timedelta(seconds=1)
    ):
        response = flow.callback(state)
    assert response.status_code == 302
    assert WorkfrontConnection.objects.count() == 1


def test_callback_replayed_state_is_refused_without_second_token_request(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    assert flow.callback(state).status_code == 302
    assert len(workfront_http.token_requests()) == 1
    sent_by_the_first = len(workfront_http.requests)
    response = flow.callback(state, code="auth-code-2")
    # The same browser's replay is a reload of a finished flow: it lands on the connections
    # page ("already connected"), and its code is never exchanged.
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("workfront_oauth:connections"),
    )
    assert len(workfront_http.token_requests()) == 1
    assert len(workfront_http.requests) == sent_by_the_first


def test_callback_state_of_another_users_flow_is_refused(
    flow: Any, make_flow: Any, other_client: Client, workfront_http: Any
) -> None:
    state = flow.start()
    response = make_flow(other_client).callback(state)
    assert response.status_code == 400
    assert workfront_http.requests == []
    assert WorkfrontConnection.objects.count() == 0


def test_callback_state_of_another_session_of_the_same_user_is_refused(
    flow: Any, make_flow: Any, user: Any, workfront_http: Any
) -> None:
    state = flow.start()
    second_browser = Client()
    second_browser.force_login(user)
    response = make_flow(second_browser).callback(state)
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_anonymous_browser_is_refused(
    flow: Any, make_flow: Any, client: Client, workfront_http: Any
) -> None:
    state = flow.start()
    response = make_flow(client).callback(state)
    assert response.status_code == 400
    assert workfront_http.requests == []


@pytest.mark.parametrize(
    ("domain", "lane"),
    [("other", "my"), ("acme", "preview"), ("evil.example", "my"), ("acme", "my.evil.example")],
    ids=["domain-mismatch", "lane-mismatch", "domain-evil.example", "lane-evil"],
)
@pytest.mark.legacy_only
def test_callback_domain_or_lane_mismatch_is_refused_without_token_request(
    flow: Any, workfront_http: Any, domain: str, lane: str
) -> None:
    state = flow.start()
    response = flow.callback(state, domain=domain, lane=lane)
    assert response.status_code == 400
    assert workfront_http.requests == []


@pytest.mark.legacy_only
def test_callback_domain_and_lane_compare_case_insensitively(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    assert flow.callback(state, domain="ACME", lane="My").status_code == 302


def test_callback_error_access_denied_shows_a_friendly_page_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    response = flow.callback(state, code=None, error="access_denied")
    assert response.status_code == 400
    assert "You did not allow access to your Workfront account." in response.content.decode()
    assert workfront_http.requests == []


def test_callback_error_burns_the_state(flow: Any, workfront_http: Any) -> None:
    state = flow.start()
    flow.callback(state, code=None, error="access_denied")
    response = flow.callback(state)
    assert response.status_code == 400
    assert PendingAuthorization.objects.count() == 0
    assert workfront_http.requests == []


def test_callback_unreadable_error_is_not_echoed(flow: Any, workfront_http: Any) -> None:
    state = flow.start()
    response = flow.callback(state, code=None, error="<b>not a code</b>")
    assert response.status_code == 400
    assert "not a code" not in response.content.decode()
    assert "Workfront did not connect your account." in response.content.decode()
    assert workfront_http.requests == []


def test_callback_missing_code_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    response = flow.callback(state, code=None)
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_empty_code_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    response = flow.callback(state, code="")
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_oversized_code_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    response = flow.callback(state, code="c" * (services.connect.MAX_CALLBACK_PARAM_LENGTH + 1))
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_oversized_parameter_name_is_refused_without_token_request(
    flow: Any, workfront_http: Any
) -> None:
    state = flow.start()
    response = flow.callback(state, **{"x" * 65: "1"})
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_instance_removed_from_settings_meanwhile_is_refused(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": SANDBOX}
    state = flow.start(instance="sandbox")
    settings.WORKFRONT_OAUTH_INSTANCES = {}
    response = flow.callback(state, lane="sb01")
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_host_changed_in_settings_meanwhile_is_refused(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    state = flow.start()
    settings.WORKFRONT_OAUTH_HOST = "https://acme.preview.workfront.com"
    response = flow.callback(state, lane="preview")
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_post_is_refused_with_405(user_client: Client) -> None:
    assert user_client.post(reverse("workfront_oauth:callback")).status_code == 405


# -- callback: the exchange --------------------------------------------------------------------


@pytest.mark.legacy_only
def test_callback_basic_style_exchanges_the_code_with_json_and_basic_auth(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    flow.callback(state, code="the-code")
    token_request, user_request = workfront_http.requests
    assert token_request.method == "POST"
    assert token_request.url == TOKEN_URL
    assert token_request.basic_auth() == ("test-client-id", "test-client-secret")
    assert token_request.json() == {
        "code": "the-code",
        "grant_type": "authorization_code",
        "redirect_uri": CALLBACK_URL,
    }
    assert token_request.timeout == 10
    assert user_request.method == "GET"
    assert user_request.base_url == USER_URL
    assert user_request.query == {"ID": "$$USER.ID", "fields": "ID,name,emailAddr"}
    assert user_request.headers["SessionID"] == "access-1"
    assert "Authorization" not in user_request.headers
    assert user_request.timeout == 10


@pytest.mark.legacy_only
def test_callback_post_style_exchanges_the_code_with_a_form_and_no_auth_header(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    flow.callback(state, code="the-code")
    token_request = workfront_http.token_requests()[0]
    assert "Authorization" not in token_request.headers
    assert token_request.form() == {
        "grant_type": "authorization_code",
        "redirect_uri": CALLBACK_URL,
        "code": "the-code",
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
    }


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_callback_with_pkce_sends_the_verifier_in_the_token_request(
    flow: Any, workfront_http: Any, settings: Any, method: str
) -> None:
    settings.WORKFRONT_OAUTH_USE_PKCE = True
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = method
    workfront_http.token()
    workfront_http.user()
    state = flow.start()
    verifier = PendingAuthorization.objects.get().code_verifier
    flow.callback(state)
    sent = workfront_http.token_requests()[0]
    assert sent.fields()["code_verifier"] == verifier
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert flow.authorize_params()["code_challenge"] == challenge.rstrip(b"=").decode()


def test_callback_success_creates_the_connection(
    flow: Any, workfront_http: Any, user: Any, provider: str
) -> None:
    workfront_http.token("access-A", "refresh-A", wid="wid-A", token_type="sessionID")
    workfront_http.user("wf-42", "Alice Anders", "alice@acme.example")
    state = flow.start()
    before = timezone.now()
    response = flow.callback(state)
    assert response.status_code == 302
    connection = WorkfrontConnection.objects.get()
    assert connection.user == user
    assert connection.instance == "default"
    assert connection.provider == provider
    # IMS callbacks carry no domain and lane.
    expected_domain_lane = ("acme", "my") if provider == "workfront" else ("", "")
    assert (connection.host, connection.domain, connection.lane) == (HOST, *expected_domain_lane)
    assert connection.redirect_uri == CALLBACK_URL
    assert connection.workfront_user_id == "wf-42"
    assert connection.workfront_user_name == "Alice Anders"
    assert connection.workfront_user_email == "alice@acme.example"
    assert (connection.access_token, connection.refresh_token) == ("access-A", "refresh-A")
    if provider == "workfront":
        assert (connection.token_type, connection.wid) == ("sessionID", "wid-A")
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    # expires_in 0: the configured lifetime (8 hours by default)
    assert before + timedelta(hours=8) <= connection.access_token_expires_at
    assert connection.access_token_expires_at <= timezone.now() + timedelta(hours=8)
    assert PendingAuthorization.objects.count() == 0


def test_callback_reconnect_updates_the_same_row(
    flow: Any, make_flow: Any, user_client: Client, workfront_http: Any, established: Any
) -> None:
    workfront_http.token("access-A", "refresh-A")
    workfront_http.user("wf-42")
    flow.callback(flow.start())
    first = WorkfrontConnection.objects.get()
    first.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    first.last_error = "refresh token refused"
    first.consecutive_failures = 3
    first.save()

    second_flow = make_flow(user_client)
    state = second_flow.start()
    answer = {"access_token": "access-B", "refresh_token": "refresh-B"}
    if workfront_http.provider == "adobe_ims":
        claims = id_token_claims("test-client-id", workfront_http.nonce)
        answer["id_token"] = make_id_token(claims)
    workfront_http.mock.replace("POST", workfront_http.token_url(), json=answer)
    second_flow.callback(state)

    connection = WorkfrontConnection.objects.get()
    assert connection.pk == first.pk
    assert (connection.access_token, connection.refresh_token) == ("access-B", "refresh-B")
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.last_error == ""
    assert connection.consecutive_failures == 0
    assert [event["created"] for event in established] == [True, False]


def test_callback_sends_connection_established_with_its_arguments(
    flow: Any, workfront_http: Any, established: Any, user: Any
) -> None:
    workfront_http.token()
    workfront_http.user()
    flow.callback(flow.start())
    (event,) = established
    assert event["sender"] is WorkfrontConnection
    assert event["connection"].pk == WorkfrontConnection.objects.get().pk
    assert event["created"] is True
    assert event["request"].user == user
    assert event["request"].path == reverse("workfront_oauth:callback")


def test_callback_refused_sends_no_connection_established(
    flow: Any, workfront_http: Any, established: Any
) -> None:
    workfront_http.token_response(status=500)
    flow.callback(flow.start())
    assert established == []


def test_callback_without_next_redirects_to_success_url(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_SUCCESS_URL = "/connected/"
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(flow.start())
    assert response["Location"] == "/connected/"


def test_callback_safe_next_is_followed(flow: Any, workfront_http: Any) -> None:
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(flow.start(next="/projects/?page=2"))
    assert response["Location"] == "/projects/?page=2"


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/x", "http://testserver.evil.example/"],
)
def test_callback_off_site_next_is_ignored_for_success_url(
    flow: Any, workfront_http: Any, settings: Any, next_url: str
) -> None:
    settings.WORKFRONT_OAUTH_SUCCESS_URL = "/connected/"
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(flow.start(next=next_url))
    assert response["Location"] == "/connected/"


def test_callback_off_site_success_url_falls_back_to_root(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_SUCCESS_URL = "https://evil.example/"
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(flow.start())
    assert response["Location"] == "/"


def test_callback_success_response_is_private(flow: Any, workfront_http: Any) -> None:
    workfront_http.token()
    workfront_http.user()
    response = flow.callback(flow.start())
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "params", [{"state": "forged"}, {"error": "access_denied"}], ids=["forged", "error"]
)
def test_callback_error_response_is_private(
    flow: Any, workfront_http: Any, params: dict[str, str]
) -> None:
    flow.start()
    response = flow.callback(**{"state": None, **params})
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    # Only the origin leaves the page, never its URL (the code and state): the page's Try again
    # form posts here, and under no-referrer browsers would send Origin: null, which the CSRF
    # check refuses.
    assert response["Referrer-Policy"] == "strict-origin"
    assert "https://" not in response.content.decode().split("<body", 1)[-1]


# -- callback: failed exchanges leave the connection alone ---------------------------------------


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ({"status": 400, "json": {"error": "invalid_grant"}}, 400),
        ({"status": 401}, 400),
        ({"status": 500, "body": "oops"}, 502),
        ({"status": 503}, 502),
        ({"status": 200, "json": {"token_type": "sessionID"}}, 502),
        ({"body": requests.exceptions.ReadTimeout("slow")}, 502),
        ({"body": requests.exceptions.ConnectionError("refused")}, 502),
    ],
    ids=["400", "401", "500", "503", "no-access-token", "timeout", "refused"],
)
def test_callback_failed_exchange_leaves_existing_connection_exactly_as_it_was(
    flow: Any,
    workfront_http: Any,
    make_connection: Any,
    established: Any,
    answer: dict[str, Any],
    status: int,
) -> None:
    connection = make_connection(last_error="", consecutive_failures=2)
    before = row_state(connection)
    workfront_http.token_response(**answer)
    response = flow.callback(flow.start())
    assert response.status_code == status
    assert row_state(connection) == before
    assert len(workfront_http.requests) == 1
    assert established == []


def test_callback_failed_user_lookup_leaves_existing_connection_as_it_was(
    flow: Any, workfront_http: Any, make_connection: Any
) -> None:
    connection = make_connection()
    before = row_state(connection)
    workfront_http.token()
    workfront_http.api("GET", "USER/search", status=401, json={"error": {"class": "x"}})
    response = flow.callback(flow.start())
    assert response.status_code == 502
    assert row_state(connection) == before


def test_callback_refused_code_shows_a_try_again_page(flow: Any, workfront_http: Any) -> None:
    workfront_http.token_response(status=400)
    response = flow.callback(flow.start())
    assert response.status_code == 400
    assert "Workfront refused the sign-in" in response.content.decode()
    assert reverse("workfront_oauth:connections") in response.content.decode()


def test_callback_reconnect_repairs_a_connection_whose_tokens_cannot_be_decrypted(
    flow: Any, workfront_http: Any, make_connection: Any
) -> None:
    from django.db import connection as db

    existing = make_connection()
    with db.cursor() as cursor:
        cursor.execute(
            f"UPDATE {WorkfrontConnection._meta.db_table} SET access_token = %s WHERE id = %s",  # noqa: S608
            ["not-a-fernet-token", existing.pk],
        )
    workfront_http.token("access-new", "refresh-new")
    workfront_http.user()
    response = flow.callback(flow.start())
    assert response.status_code == 302
    assert WorkfrontConnection.objects.get().access_token == "access-new"


# -- domain, lane and instances ----------------------------------------------------------------


@pytest.mark.legacy_only
def test_callback_preview_host_on_adobe_domain_expects_its_domain_and_lane(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    host = "https://acme.preview.workfront.adobe.com"
    settings.WORKFRONT_OAUTH_HOST = host
    workfront_http.token(host=host)
    workfront_http.user(host=host)
    state = flow.start()
    assert flow.callback(state, lane="my").status_code == 400
    state = flow.start()
    assert flow.callback(state, lane="preview").status_code == 302
    connection = WorkfrontConnection.objects.get()
    assert (connection.host, connection.domain, connection.lane) == (host, "acme", "preview")
    assert len(workfront_http.token_requests(host)) == 1


@pytest.mark.legacy_only
def test_callback_other_host_form_uses_the_domain_and_lane_settings(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    host = "http://127.0.0.1:8123"
    settings.WORKFRONT_OAUTH_HOST = host
    settings.WORKFRONT_OAUTH_DOMAIN = "emu"
    settings.WORKFRONT_OAUTH_LANE = "local"
    workfront_http.token(host=host)
    workfront_http.user(host=host)
    assert flow.callback(flow.start()).status_code == 400  # acme/my
    assert workfront_http.requests == []
    assert flow.callback(flow.start(), domain="emu", lane="local").status_code == 302
    connection = WorkfrontConnection.objects.get()
    assert (connection.domain, connection.lane) == ("emu", "local")


@pytest.mark.legacy_only
def test_callback_other_host_form_without_domain_settings_records_blank_domain(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    host = "http://127.0.0.1:8123"
    settings.WORKFRONT_OAUTH_HOST = host
    workfront_http.token(host=host)
    workfront_http.user(host=host)
    assert flow.callback(flow.start(), domain="whatever", lane="x").status_code == 302
    connection = WorkfrontConnection.objects.get()
    assert (connection.domain, connection.lane) == ("", "")


@pytest.mark.legacy_only
def test_callback_named_instance_uses_its_host_and_credentials(
    flow: Any, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": SANDBOX}
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"  # not inherited
    workfront_http.token(host=SANDBOX_HOST)
    workfront_http.user(host=SANDBOX_HOST)
    state = flow.start(instance="sandbox")
    assert flow.callback(state, lane="sb01").status_code == 302
    (token_request,) = workfront_http.token_requests(SANDBOX_HOST)
    assert token_request.basic_auth() == ("sandbox-client-id", "sandbox-client-secret")
    connection = WorkfrontConnection.objects.get()
    assert (connection.instance, connection.host, connection.lane) == (
        "sandbox",
        SANDBOX_HOST,
        "sb01",
    )


@pytest.mark.legacy_only
def test_callback_named_instance_and_default_are_separate_connections(
    make_flow: Any, user_client: Client, workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": SANDBOX}
    for host in (HOST, SANDBOX_HOST):
        workfront_http.token(host=host)
        workfront_http.user(host=host)
    default_flow = make_flow(user_client)
    default_flow.callback(default_flow.start())
    sandbox_flow = make_flow(user_client)
    sandbox_flow.callback(sandbox_flow.start(instance="sandbox"), lane="sb01")
    assert sorted(WorkfrontConnection.objects.values_list("instance", flat=True)) == [
        "default",
        "sandbox",
    ]


# -- the services, called directly -------------------------------------------------------------


def test_consume_state_of_empty_string_is_invalid(rf: Any) -> None:
    from django_workfront_oauth.exceptions import InvalidCallback

    with pytest.raises(InvalidCallback):
        services.consume_state(rf.get("/"), "")


def test_consume_state_lost_race_is_invalid(flow: Any, user: Any) -> None:
    """Two callbacks read the row; the one whose delete removes nothing is refused."""
    from django_workfront_oauth.exceptions import InvalidCallback

    state = flow.start()
    request = mock.Mock()
    key = services.connect.SESSION_BINDING_KEY
    request.session = {key: flow.client.session[key]}
    request.user = user
    real_filter = PendingAuthorization.objects.filter

    def filter_then_lose(*args: Any, **kwargs: Any) -> Any:
        PendingAuthorization.objects.all().delete()  # the other callback won
        return real_filter(*args, **kwargs)

    with (
        mock.patch.object(PendingAuthorization.objects, "filter", side_effect=filter_then_lose),
        pytest.raises(InvalidCallback, match="already used"),
    ):
        services.consume_state(request, state)


def test_begin_authorization_for_anonymous_user_is_refused(rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    request = rf.post("/")
    request.user = AnonymousUser()
    request.session = {}
    with pytest.raises(PermissionDenied):
        services.begin_authorization(request)
    assert PendingAuthorization.objects.count() == 0


def test_a_reloaded_callback_of_a_completed_flow_lands_on_already_connected(
    flow: Any, workfront_http: Any
) -> None:
    workfront_http.token("access-1", "refresh-1")
    workfront_http.user()
    state = flow.start()
    assert flow.callback(state).status_code == 302
    token_requests = len(workfront_http.token_requests())
    again = flow.callback(state)  # the browser reloads the callback URL
    assert again.status_code == 302
    assert again["Location"] == reverse("workfront_oauth:connections")
    page = flow.client.get(again["Location"]).content.decode()
    assert "already connected" in page
    assert len(workfront_http.token_requests()) == token_requests  # nothing exchanged again


def test_another_browsers_replay_of_a_completed_state_is_still_refused(
    flow: Any, other_client: Client, workfront_http: Any
) -> None:
    workfront_http.token("access-1", "refresh-1")
    workfront_http.user()
    state = flow.start()
    flow.callback(state)
    response = other_client.get(reverse("workfront_oauth:callback"), {"state": state, "code": "x"})
    assert response.status_code == 400
