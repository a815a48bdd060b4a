"""Our Adobe IMS client against django-oauth-toolkit, an implementation that is not ours.

Our emulator shares our reading of the specs; DOT (with oauthlib) has its own, and is set up as
strictly as it goes (``server/settings.py``). Django's test client plays our site, a
``requests`` session plays the user's browser at DOT, and every token, userinfo, API and revoke
request the app makes goes over real HTTP to DOT on loopback.
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from django_workfront_oauth import services
from django_workfront_oauth.constants import (
    DEFAULT_SCOPES,
    IMS_AUTHORIZE_PATH,
    IMS_DISCOVERY_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
)
from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection, digest
from tests.interop.conftest import TIMEOUT, DOTServer
from tests.interop.server import (
    CLIENT_ID,
    CLIENT_SECRET,
    FULL_NAME,
    REDIRECT_URI,
    workfront_user_id,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["client_secret_basic", "client_secret_post"])
def auth_method(request: Any, settings: Any, dot_settings: DOTServer) -> str:
    """Run each test with both token request styles (``TOKEN_AUTH_METHOD``)."""
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = request.param
    return str(request.param)


@pytest.fixture
def site(user_client: Client) -> Client:
    """Our site, as the logged-in ``user`` sees it."""
    return user_client


def single_values(url: str) -> dict[str, str]:
    """A URL's query as a dict; a repeated parameter is a failure."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


def start(site: Client, dot: DOTServer) -> str:
    """POST our connect button; the URL of DOT's authorization endpoint we are sent to."""
    response = site.post(reverse("workfront_oauth:authorize"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(dot.url(IMS_AUTHORIZE_PATH) + "?"), location
    return location


def authorize(browser: requests.Session, dot: DOTServer, url: str) -> dict[str, str]:
    """Follow the authorization URL in the browser; the query DOT redirects to our callback."""
    response = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 302, f"DOT answered {response.status_code}:\n{dot.log_tail()}"
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    query = single_values(location)
    # DOT sends its refusals of the authorization request back as ``error=…`` (RFC 6749 4.1.2.1).
    assert "error" not in query, f"DOT refused the authorization request: {query}"
    return query


def callback(site: Client, query: dict[str, str]) -> Any:
    """Hand DOT's redirect to our callback view, as the browser would."""
    return site.get(reverse("workfront_oauth:callback"), query)


def connect(site: Client, browser: requests.Session, dot: DOTServer) -> WorkfrontConnection:
    """The whole connect flow; the connection it saved."""
    response = callback(site, authorize(browser, dot, start(site, dot)))
    assert response.status_code == 302, (
        f"our callback answered {response.status_code}:\n{dot.log_tail()}"
    )
    assert response["Location"] == "/connected/"
    return WorkfrontConnection.objects.get()


def token_request(dot: DOTServer, **fields: str) -> requests.Response:
    """A raw token request with form-encoded client credentials (RFC 6749 2.3.1), not ours."""
    data = {**fields, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return dot.post(IMS_TOKEN_PATH, data=data)


def userinfo(dot: DOTServer, access_token: str) -> requests.Response:
    """DOT's userinfo for an access token: 200 while the token is valid."""
    return dot.get(IMS_USERINFO_PATH, headers={"Authorization": f"Bearer {access_token}"})


def sent_to(wire: list[requests.PreparedRequest], path: str) -> list[dict[str, str]]:
    """What our app POSTed to ``path``: each form body, with its Authorization header."""
    return [form_of(request) for request in wire if urlsplit(request.url or "").path == path]


def form_of(request: requests.PreparedRequest) -> dict[str, str]:
    """A request's form body; RFC 6749 4.1.3 and RFC 7009 2.1 want form encoding."""
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = request.body.decode() if isinstance(request.body, bytes) else request.body or ""
    form = single_values(f"?{body}")
    form["Authorization"] = request.headers.get("Authorization", "")
    return form


def assert_client_auth(form: dict[str, str], method: str) -> None:
    """The client authenticated as ``TOKEN_AUTH_METHOD`` says, and in that one way only."""
    if method == "client_secret_basic":
        # RFC 6749 2.3.1: each part form-urlencoded, then base64 of "id:secret".
        expected = f"{quote_plus(CLIENT_ID)}:{quote_plus(CLIENT_SECRET)}".encode()
        assert form["Authorization"] == f"Basic {base64.b64encode(expected).decode()}"
        assert "client_secret" not in form
    else:
        assert form["Authorization"] == ""
        assert (form["client_id"], form["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)


def assert_refused_grant(response: requests.Response) -> None:
    """DOT refused a grant as RFC 6749 5.2 says: HTTP 400, ``invalid_grant``."""
    assert (response.status_code, response.json().get("error")) == (400, "invalid_grant")


def test_the_discovery_document_names_the_paths_our_app_calls(dot_server: DOTServer) -> None:
    """DOT publishes IMS's endpoints and our issuer: the server is laid out as Adobe's is."""
    document = dot_server.get(IMS_DISCOVERY_PATH).json()

    assert document["issuer"] == dot_server.base_url
    assert document["authorization_endpoint"] == dot_server.url(IMS_AUTHORIZE_PATH)
    assert document["token_endpoint"] == dot_server.url(IMS_TOKEN_PATH)
    assert document["userinfo_endpoint"] == dot_server.url(IMS_USERINFO_PATH)
    assert set(DEFAULT_SCOPES) <= set(document["scopes_supported"])
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert dot_server.get(IMS_REVOKE_PATH).status_code == 405  # there, and POST only


def test_connect_flow(
    auth_method: str,
    dot_settings: DOTServer,
    site: Client,
    dot_browser: requests.Session,
    wire: list[requests.PreparedRequest],
) -> None:
    """The connect flow succeeds at a strict server, with either token request style."""
    dot = dot_settings
    url = start(site, dot)

    request = single_values(url)
    # DOT splits scopes on spaces (RFC 6749 3.3): a comma list would be one unknown scope.
    assert request["scope"].split(" ") == list(DEFAULT_SCOPES)
    assert request["code_challenge_method"] == "S256"
    assert request["nonce"]
    assert request["redirect_uri"] == REDIRECT_URI
    query = authorize(dot_browser, dot, url)
    assert query["code"]
    assert query["state"] == request["state"]
    # RFC 9207: DOT names itself in the authorization response.
    assert query["iss"] == dot.base_url

    response = callback(site, query)

    assert response.status_code == 302, (
        f"our callback answered {response.status_code}:\n{dot.log_tail()}"
    )
    connection = WorkfrontConnection.objects.get()
    assert connection.provider == "adobe_ims"
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.host == dot.base_url
    assert connection.ims_user_id == dot.sub
    assert connection.workfront_user_id == workfront_user_id(dot.user_pk)
    assert connection.workfront_user_name == FULL_NAME
    assert connection.access_token
    assert connection.refresh_token  # offline_access was asked for and granted
    assert userinfo(dot, connection.access_token).json()["sub"] == dot.sub
    (exchange,) = sent_to(wire, IMS_TOKEN_PATH)
    assert_client_auth(exchange, auth_method)
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == REDIRECT_URI
    assert exchange["code_verifier"]


def test_a_refresh_rotates_and_the_old_refresh_token_is_dead(
    auth_method: str,
    dot_settings: DOTServer,
    site: Client,
    dot_browser: requests.Session,
    wire: list[requests.PreparedRequest],
) -> None:
    """A refresh stores DOT's new pair; DOT then refuses the refresh token it replaced."""
    dot = dot_settings
    connection = connect(site, dot_browser, dot)
    old_access, old_refresh = connection.access_token, connection.refresh_token

    refreshed = services.refresh_connection(connection, force=True)

    assert refreshed.status == WorkfrontConnection.Status.ACTIVE, refreshed.last_error
    assert refreshed.access_token not in ("", old_access)
    assert refreshed.refresh_token not in ("", old_refresh)
    stored = WorkfrontConnection.objects.get(pk=connection.pk)
    assert (stored.access_token, stored.refresh_token) == (
        refreshed.access_token,
        refreshed.refresh_token,
    )
    assert userinfo(dot, refreshed.access_token).status_code == 200
    refresh = sent_to(wire, IMS_TOKEN_PATH)[-1]
    assert_client_auth(refresh, auth_method)
    assert refresh["grant_type"] == "refresh_token"
    # Last: with reuse protection on, replaying the old token also ends the new pair.
    assert_refused_grant(token_request(dot, grant_type="refresh_token", refresh_token=old_refresh))


def test_disconnect_revokes_the_grant_at_the_server(
    auth_method: str,
    dot_settings: DOTServer,
    site: Client,
    dot_browser: requests.Session,
    wire: list[requests.PreparedRequest],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Disconnecting deletes the row and DOT has revoked the refresh token (RFC 7009)."""
    dot = dot_settings
    connection = connect(site, dot_browser, dot)
    refresh_token = connection.refresh_token
    caplog.set_level(logging.INFO, logger="django_workfront_oauth")

    services.disconnect(connection)

    assert not WorkfrontConnection.objects.exists()
    (revoke,) = sent_to(wire, IMS_REVOKE_PATH)
    assert_client_auth(revoke, auth_method)  # RFC 7009 2.1: as at the token endpoint
    assert (revoke["token"], revoke["token_type_hint"]) == (refresh_token, "refresh_token")
    # The revoke is best effort: a refusal is only logged, so the log explains a failure here.
    refused = token_request(dot, grant_type="refresh_token", refresh_token=refresh_token)
    assert refused.status_code == 400, f"{caplog.text}\n{dot.log_tail()}"
    assert_refused_grant(refused)


def test_a_used_code_is_refused_and_nothing_is_saved(
    auth_method: str,
    dot_settings: DOTServer,
    site: Client,
    dot_browser: requests.Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A code exchanged once (here by someone else) is refused to our callback: 400, no row."""
    dot = dot_settings
    query = authorize(dot_browser, dot, start(site, dot))
    pending = PendingAuthorization.objects.get(state_digest=digest(query["state"]))
    first = token_request(
        dot,
        grant_type="authorization_code",
        code=query["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=pending.code_verifier,
    )
    assert first.status_code == 200, first.json()
    caplog.set_level(logging.WARNING, logger="django_workfront_oauth")

    response = callback(site, query)

    assert response.status_code == 400
    assert not WorkfrontConnection.objects.exists()
    assert "invalid_grant" in caplog.text
