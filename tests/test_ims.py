"""The Adobe IMS provider beside the legacy one: flow, tokens, API headers, revoke, cut-over."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.checks import check_settings
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.exceptions import (
    ClientCredentialsRefused,
    ReauthorizationRequired,
    WorkfrontAPIError,
)
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.providers import AdobeIMSProvider, get_provider
from django_workfront_oauth.states import describe
from tests.conftest import HOST
from tests.http_mock import id_token_claims, make_id_token

pytestmark = pytest.mark.django_db

IMS = "https://ims-na1.adobelogin.com"
ORG = "0123456789ABCDEF@AdobeOrg"
ADOBE = {
    "HOST": HOST,
    "PROVIDER": "adobe_ims",
    "CLIENT_ID": "ims-client-id",
    "CLIENT_SECRET": "ims-client-secret",
    "IMS_ORG_ID": ORG,
}


@pytest.fixture(autouse=True)
def adobe_instance(settings: Any) -> None:
    """The site runs its legacy default instance and an IMS instance, ``"adobe"``, side by side."""
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": dict(ADOBE)}


@pytest.fixture
def ims(workfront_http: Any) -> Any:
    """IMS answers on the ``responses`` mock: tokens, userinfo, revoke."""

    class IMSAnswers:
        def token(
            self,
            *,
            refresh_token: str | None = "ims-refresh-1",
            client_id: str = "ims-client-id",
            **fields: Any,
        ) -> None:
            """A code exchange's answer; its id_token carries the last flow's nonce."""
            body = {
                "access_token": "ims-access-1",
                "token_type": "bearer",
                "expires_in": 86399,
                **fields,
            }
            if refresh_token is not None:
                body["refresh_token"] = refresh_token
            if "id_token" not in body:
                body["id_token"] = make_id_token(id_token_claims(client_id, LAST_NONCE[-1]))
            workfront_http.mock.post(f"{IMS}/ims/token/v3", json=body)

        def userinfo(self, sub: str = "ims-subject-1") -> None:
            workfront_http.mock.get(
                f"{IMS}/ims/userinfo/v2", json={"sub": sub, "email": "alice@adobe.example"}
            )

        def revoke(self, status: int = 200) -> None:
            workfront_http.mock.post(f"{IMS}/ims/revoke", status=status, body="")

    return IMSAnswers()


def adobe_connection(make_connection: Any, **fields: Any) -> WorkfrontConnection:
    values = {
        "instance": "adobe",
        "provider": "adobe_ims",
        "domain": "",
        "lane": "",
        "access_token": "ims-stored-access",
        "refresh_token": "ims-stored-refresh",
        "token_type": "bearer",
    }
    values.update(fields)
    connection: WorkfrontConnection = make_connection(**values)
    return connection


#: The nonce of the last flow ``start`` began: IMS's id_token carries it back.
LAST_NONCE = [""]


def start(client: Client) -> dict[str, str]:
    response = client.post(reverse("workfront_oauth:authorize"), {"instance": "adobe"})
    assert response.status_code == 302
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    LAST_NONCE.append(params.get("nonce", ""))
    return params


def test_authorize_goes_to_ims_with_scopes_and_state(user_client: Client) -> None:
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "adobe"})
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{IMS}/ims/authorize/v2"
    query = dict(parse_qsl(location.query))
    assert query["client_id"] == "ims-client-id"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/workfront/callback/"
    assert query["scope"] == (
        "openid AdobeID offline_access read_organizations "
        "additional_info.projectedProductContext workfront_api"
    )
    assert len(query["state"]) >= 43
    assert len(query["nonce"]) >= 43
    assert query["code_challenge_method"] == "S256"


def test_ims_host_and_scopes_settings(user_client: Client, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES["adobe"].update(
        IMS_HOST="https://ims-na1-stg1.adobelogin.com", SCOPES="openid AdobeID workfront_api"
    )
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "adobe"})
    assert response["Location"].startswith("https://ims-na1-stg1.adobelogin.com/ims/authorize/v2?")
    assert dict(parse_qsl(urlsplit(response["Location"]).query))["scope"] == (
        "openid AdobeID workfront_api"
    )


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_callback_exchanges_at_ims_identifies_and_saves(
    user_client: Client, workfront_http: Any, ims: Any, settings: Any, method: str
) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES["adobe"]["TOKEN_AUTH_METHOD"] = method
    state = start(user_client)["state"]
    ims.token()
    ims.userinfo()
    workfront_http.user("wf-user-9", "Alice Anders", "alice@acme.example")
    # IMS sends no domain or lane; none is needed.
    response = user_client.get(reverse("workfront_oauth:callback"), {"code": "c1", "state": state})
    assert response.status_code == 302

    token_call, userinfo_call, user_call = workfront_http.requests
    assert token_call.url == f"{IMS}/ims/token/v3"
    form = token_call.form()
    if method == "client_secret_basic":
        assert token_call.basic_auth() == ("ims-client-id", "ims-client-secret")
        # redirect_uri as RFC 6749 4.1.3 requires; PKCE's verifier as RFC 7636 4.5 does.
        assert len(form.pop("code_verifier")) >= 43
        assert form == {
            "grant_type": "authorization_code",
            "code": "c1",
            "redirect_uri": "http://testserver/workfront/callback/",
        }
    else:
        assert token_call.basic_auth() is None
        assert len(form.pop("code_verifier")) >= 43
        assert form == {
            "grant_type": "authorization_code",
            "code": "c1",
            "redirect_uri": "http://testserver/workfront/callback/",
            "client_id": "ims-client-id",
            "client_secret": "ims-client-secret",
        }
    assert userinfo_call.url == f"{IMS}/ims/userinfo/v2"
    assert userinfo_call.headers["Authorization"] == "Bearer ims-access-1"
    assert user_call.base_url == f"{HOST}/attask/api/v21.0/USER/search"
    assert user_call.headers["Authorization"] == "Bearer ims-access-1"
    assert user_call.headers["x-gw-ims-org-id"] == ORG
    assert user_call.headers["x-api-key"] == "ims-client-id"
    assert "SessionID" not in user_call.headers

    connection = WorkfrontConnection.objects.get(instance="adobe")
    assert connection.provider == "adobe_ims"
    assert (connection.domain, connection.lane) == ("", "")
    assert connection.workfront_user_id == "wf-user-9"
    assert connection.ims_user_id == "ims-subject-1"
    assert connection.refresh_token == "ims-refresh-1"
    assert connection.access_token_expires_at is not None
    remaining = connection.access_token_expires_at - timezone.now()
    assert timedelta(hours=23, minutes=59) < remaining <= timedelta(seconds=86399)


def test_callback_without_state_is_refused_for_ims_too(
    user_client: Client, workfront_http: Any
) -> None:
    start(user_client)
    response = user_client.get(reverse("workfront_oauth:callback"), {"code": "c1"})
    assert response.status_code == 400
    assert workfront_http.requests == []


def test_callback_invalid_scope_error_is_friendly(user_client: Client, workfront_http: Any) -> None:
    state = start(user_client)["state"]
    response = user_client.get(
        reverse("workfront_oauth:callback"), {"error": "invalid_scope", "state": state}
    )
    assert response.status_code == 400
    assert "not allowed the access it asked for" in response.content.decode()
    assert workfront_http.requests == []


def test_exchange_without_offline_access_saves_and_warns(
    user_client: Client, workfront_http: Any, ims: Any
) -> None:
    state = start(user_client)["state"]
    ims.token(refresh_token=None)
    ims.userinfo()
    workfront_http.user()
    user_client.get(reverse("workfront_oauth:callback"), {"code": "c1", "state": state})
    connection = WorkfrontConnection.objects.get(instance="adobe")
    assert connection.refresh_token == ""
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    # In the user's words; the setting behind it (offline_access) is for site admins.
    assert "you will then need to connect again" in page
    assert "offline_access" not in page
    assert "offline_access" in describe(connection).admin_sentence


def test_expires_in_that_can_only_be_milliseconds_is_converted(workfront_http: Any) -> None:
    provider = get_provider(app_settings.get_instance("adobe"))
    workfront_http.mock.post(
        f"{IMS}/ims/token/v3", json={"access_token": "a", "expires_in": 86399000}
    )
    tokens = provider.refresh(host=HOST, refresh_token="r")
    assert tokens.expires_in == timedelta(seconds=86399)


@pytest.mark.parametrize(
    ("status", "body"),
    [(400, {"error": "invalid_grant", "error_description": "token expired"}), (401, {})],
)
def test_refused_refresh_requires_reauthorization_and_keeps_the_debug_id(
    make_connection: Any, workfront_http: Any, status: int, body: dict[str, str]
) -> None:
    connection = adobe_connection(
        make_connection, access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    workfront_http.mock.post(
        f"{IMS}/ims/token/v3", status=status, json=body, headers={"x-debug-id": "dbg-42"}
    )
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(connection)
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert row.status == WorkfrontConnection.Status.REAUTH_REQUIRED
    assert "x-debug-id dbg-42" in row.last_error
    assert "token expired" not in row.last_error  # free text from the server is not kept


def test_refresh_stores_the_rotated_pair(make_connection: Any, workfront_http: Any) -> None:
    connection = adobe_connection(
        make_connection, access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    workfront_http.mock.post(
        f"{IMS}/ims/token/v3",
        json={"access_token": "ims-a2", "refresh_token": "ims-r2", "expires_in": 86399},
    )
    services.refresh_connection(connection)
    (sent,) = workfront_http.requests
    assert sent.form() == {"grant_type": "refresh_token", "refresh_token": "ims-stored-refresh"}
    assert sent.basic_auth() == ("ims-client-id", "ims-client-secret")
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert (row.access_token, row.refresh_token) == ("ims-a2", "ims-r2")


def test_client_sends_bearer_org_and_api_key(make_connection: Any, workfront_http: Any) -> None:
    connection = adobe_connection(make_connection)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 4}})
    assert WorkfrontClient(connection).count("PROJ") == 4
    (sent,) = workfront_http.requests
    assert sent.headers["Authorization"] == "Bearer ims-stored-access"
    assert sent.headers["x-gw-ims-org-id"] == ORG
    assert sent.headers["x-api-key"] == "ims-client-id"
    assert "SessionID" not in sent.headers


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 401, "json": {"error_code": "401013", "message": "Oauth token is not valid"}},
        {"status": 403, "json": {"error_code": "401013", "message": "Oauth token is not valid"}},
    ],
    ids=["401", "403-with-token-code"],
)
def test_gateway_token_errors_refresh_once_and_retry(
    make_connection: Any, workfront_http: Any, failure: dict[str, Any]
) -> None:
    connection = adobe_connection(make_connection)
    workfront_http.api("GET", "PROJ/count", **failure)
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": 1}})
    workfront_http.mock.post(
        f"{IMS}/ims/token/v3", json={"access_token": "ims-a2", "refresh_token": "ims-r2"}
    )
    assert WorkfrontClient(connection).count("PROJ") == 1
    assert workfront_http.requests[-1].headers["Authorization"] == "Bearer ims-a2"


@pytest.mark.parametrize(
    ("body", "setting"),
    [
        ({"error_code": "403003", "message": "Api Key is invalid"}, "WORKFRONT_OAUTH_CLIENT_ID"),
        ({"error_code": "403000", "message": "Invalid org"}, "WORKFRONT_OAUTH_IMS_ORG_ID"),
        ({}, "WORKFRONT_OAUTH_IMS_ORG_ID and WORKFRONT_OAUTH_CLIENT_ID"),
    ],
    ids=["api-key", "org", "unknown"],
)
def test_403_is_a_configuration_error_naming_the_setting_never_a_refresh(
    make_connection: Any, workfront_http: Any, body: dict[str, str], setting: str
) -> None:
    connection = adobe_connection(make_connection)
    workfront_http.api("GET", "PROJ/count", status=403, json=body)
    with pytest.raises(WorkfrontAPIError) as caught:
        WorkfrontClient(connection).count("PROJ")
    assert setting in str(caught.value)
    assert caught.value.status == 403
    assert workfront_http.token_requests() == []
    assert len(workfront_http.requests) == 1


def test_legacy_403_is_an_api_error_without_refresh(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection()
    workfront_http.api(
        "GET",
        "PROJ/count",
        status=403,
        json={"error": {"class": "com.attask.common.SecurityException", "message": "no"}},
    )
    with pytest.raises(WorkfrontAPIError):
        WorkfrontClient(connection).count("PROJ")
    assert workfront_http.token_requests() == []


def test_disconnect_revokes_the_refresh_token_then_deletes(
    make_connection: Any, workfront_http: Any, ims: Any, user_client: Client
) -> None:
    connection = adobe_connection(make_connection)
    ims.revoke()
    response = user_client.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))
    assert response.status_code == 302
    (sent,) = workfront_http.requests
    assert sent.url == f"{IMS}/ims/revoke"
    assert sent.form() == {"token": "ims-stored-refresh", "token_type_hint": "refresh_token"}
    assert sent.basic_auth() == ("ims-client-id", "ims-client-secret")
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()


def test_failed_revoke_still_deletes(
    make_connection: Any, workfront_http: Any, ims: Any, user_client: Client
) -> None:
    connection = adobe_connection(make_connection)
    ims.revoke(status=500)
    user_client.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))
    assert not WorkfrontConnection.objects.filter(pk=connection.pk).exists()


def test_legacy_and_ims_side_by_side_then_the_cut_over(
    user: Any, user_client: Client, make_connection: Any, workfront_http: Any, ims: Any
) -> None:
    """A user with a legacy connection sees one "Move to Adobe sign-in"; finishing it retires it."""
    legacy = make_connection()
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert page.count("Move to Adobe sign-in</button>") == 1
    assert 'name="instance" value="adobe"' in page
    assert "switches off on 1 February 2027" in page

    state = start(user_client)["state"]
    ims.token()
    ims.userinfo()
    workfront_http.user()
    workfront_http.logout()
    response = user_client.get(reverse("workfront_oauth:callback"), {"code": "c", "state": state})
    assert response.status_code == 302

    remaining = list(
        WorkfrontConnection.objects.filter(user=user).values_list("provider", flat=True)
    )
    assert remaining == ["adobe_ims"]
    logout = workfront_http.sent_to(workfront_http.api_url("logout"))
    assert len(logout) == 1 and logout[0].headers["SessionID"] == "stored-access-token"
    assert not WorkfrontConnection.objects.filter(pk=legacy.pk).exists()
    page = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert "Move to Adobe sign-in</button>" not in page
    assert "now uses Adobe sign-in; the old Workfront sign-in was ended" in page


def test_ims_connection_leaves_legacy_connections_to_other_hosts(
    make_connection: Any, workfront_http: Any, ims: Any, user_client: Client
) -> None:
    other = make_connection(instance="elsewhere", host="https://other.my.workfront.com")
    state = start(user_client)["state"]
    ims.token()
    ims.userinfo()
    workfront_http.user()
    user_client.get(reverse("workfront_oauth:callback"), {"code": "c", "state": state})
    assert WorkfrontConnection.objects.filter(pk=other.pk).exists()


def test_expired_ims_connection_without_refresh_token_requires_reconnection(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = adobe_connection(
        make_connection,
        refresh_token="",
        access_token_expires_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(ReauthorizationRequired):
        WorkfrontClient(connection).count("PROJ")
    assert workfront_http.requests == []


def test_provider_class_is_selected_by_setting() -> None:
    assert isinstance(get_provider(app_settings.get_instance("adobe")), AdobeIMSProvider)


# -- checks ---------------------------------------------------------------------------------------


def ids(settings: Any, **adobe: Any) -> set[str]:
    settings.WORKFRONT_OAUTH_INSTANCES = {"adobe": {**ADOBE, **adobe}}
    return {message.id.rsplit(".", 1)[-1] for message in check_settings()}


def test_check_ims_without_org_id(settings: Any) -> None:
    assert "E015" in ids(settings, IMS_ORG_ID="")
    assert "E015" not in ids(settings)


@pytest.mark.parametrize("ims_host", ["http://ims.example.com", "not a url"])
def test_check_ims_host_must_be_https(settings: Any, ims_host: str) -> None:
    assert "E016" in ids(settings, IMS_HOST=ims_host)


def test_check_ims_scopes_without_offline_access(settings: Any) -> None:
    assert "W004" in ids(settings, SCOPES="openid,AdobeID,workfront_api")
    assert "W004" not in ids(settings)


def test_check_ims_redirect_uri_must_be_https(settings: Any) -> None:
    assert "W005" in ids(settings, REDIRECT_URI="http://example.com/workfront/callback/")
    assert "W005" not in ids(settings, REDIRECT_URI="https://example.com/workfront/callback/")
    # Loopback is the local emulator's: exempt, as the issue asks.
    assert "W005" not in ids(settings, REDIRECT_URI="http://127.0.0.1:8000/workfront/callback/")


def test_check_ims_instance_gets_no_legacy_warning(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = ORG
    found = ids(settings)
    assert "W002" not in found and "E014" not in found


def test_check_ims_scopes_without_openid(settings: Any) -> None:
    assert "W006" in ids(settings, SCOPES="AdobeID,offline_access,workfront_api")
    assert "W006" not in ids(settings)


def test_refused_client_credentials_leave_the_connection_alone(
    make_connection: Any, workfront_http: Any
) -> None:
    """A wrongly rotated CLIENT_SECRET is the site's problem, not every user's."""
    connection = adobe_connection(
        make_connection, access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    workfront_http.mock.post(f"{IMS}/ims/token/v3", status=401, json={"error": "invalid_client"})
    with pytest.raises(ClientCredentialsRefused, match=r'INSTANCES\["adobe"\]\["CLIENT_SECRET"\]'):
        services.refresh_connection(connection)
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert row.status == WorkfrontConnection.Status.ACTIVE
    assert row.refresh_token == "ims-stored-refresh"


def test_instance_moved_to_ims_ends_the_old_legacy_session_on_reconnect(
    user_client: Client, make_connection: Any, workfront_http: Any, ims: Any, settings: Any
) -> None:
    legacy = make_connection()  # the default instance, on the legacy provider
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = ORG
    response = user_client.post(reverse("workfront_oauth:authorize"))
    params = dict(parse_qsl(urlsplit(response["Location"]).query))
    state = params["state"]
    LAST_NONCE.append(params["nonce"])
    ims.token(client_id="test-client-id")
    ims.userinfo()
    workfront_http.user()
    workfront_http.logout()
    user_client.get(reverse("workfront_oauth:callback"), {"code": "c", "state": state})
    row = WorkfrontConnection.objects.get()
    assert (row.pk, row.provider, row.refresh_token) == (legacy.pk, "adobe_ims", "ims-refresh-1")
    (logout,) = workfront_http.sent_to(workfront_http.api_url("logout"))
    assert logout.headers["SessionID"] == "stored-access-token"


def test_callback_whose_user_lookup_fails_says_so(
    user_client: Client, workfront_http: Any, ims: Any
) -> None:
    state = start(user_client)["state"]
    ims.token()
    workfront_http.mock.get(
        f"{IMS}/ims/userinfo/v2", status=403, json={"error": "insufficient_scope"}
    )
    response = user_client.get(reverse("workfront_oauth:callback"), {"code": "c", "state": state})
    assert response.status_code == 502
    assert "did not tell us which account" in response.content.decode()
    assert not WorkfrontConnection.objects.exists()
