"""Adobe IMS first, and no code injection (RFC 9700 4.5): PKCE and the OpenID Connect nonce.

A leaked authorization code (an access log, a refused callback's URL) replayed by another
logged-in user with that user's own ``state`` must link nothing. Against the emulator over real
HTTP, where the authorization server checks PKCE and puts the authorize ``nonce`` into the
``id_token``; and with the HTTP mock for each claim of the ``id_token`` the app checks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.http_mock import IMS_HOST, IMS_ORG_ID, id_token_claims, make_id_token

pytestmark = pytest.mark.django_db

TIMEOUT = 10


def query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(url).query))


def code_at_emulator(site: Client, emu: WorkfrontEmulator) -> dict[str, str]:
    """Start a flow on the site and sign in at the emulator; the callback's query, undelivered."""
    start = site.post(reverse("workfront_oauth:authorize"))
    assert start.status_code == 302
    browser = requests.Session()
    browser.trust_env = False
    page = browser.get(start["Location"], timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    rid = page.text.split('name="request_id" value="', 1)[1].split('"', 1)[0]
    browser.post(
        emu.base_url + "/integrations/oauth2/login",
        data={"request_id": rid, "username": emu.username, "password": emu.password},
        timeout=TIMEOUT,
    )
    answer = browser.post(
        emu.base_url + "/integrations/oauth2/consent",
        data={"request_id": rid, "decision": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return query_of(answer.headers["Location"])


def test_a_fresh_site_with_no_provider_set_starts_at_ims_with_s256_and_a_nonce(
    settings: Any, user_client: Client
) -> None:
    del settings.WORKFRONT_OAUTH_PROVIDER
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    response = user_client.post(reverse("workfront_oauth:authorize"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IMS_HOST}/ims/authorize/v2?")
    params = query_of(response["Location"])
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["nonce"]) >= 43  # 256 random bits, base64url
    pending = PendingAuthorization.objects.get()
    assert pending.nonce == params["nonce"] and pending.provider == "adobe_ims"


@pytest.mark.parametrize("use_pkce", [True, False], ids=["pkce", "nonce_only"])
def test_a_replayed_code_with_another_users_state_links_nothing(
    workfront_ims_settings: WorkfrontEmulator,
    settings: Any,
    user_client: Client,
    other_client: Client,
    use_pkce: bool,
) -> None:
    """The victim's code, leaked before their browser delivered it, replayed by another user."""
    emu = workfront_ims_settings
    settings.WORKFRONT_OAUTH_USE_PKCE = use_pkce
    leaked = code_at_emulator(user_client, emu)

    attacker_start = other_client.post(reverse("workfront_oauth:authorize"))
    attacker_state = query_of(attacker_start["Location"])["state"]
    response = other_client.get(
        reverse("workfront_oauth:callback"), {"code": leaked["code"], "state": attacker_state}
    )

    assert 400 <= response.status_code < 500
    assert not WorkfrontConnection.objects.exists()


def test_the_victims_own_callback_still_works_after_a_refused_replay(
    workfront_ims_settings: WorkfrontEmulator, user_client: Client
) -> None:
    """A flow of one's own, delivered by one's own browser, connects (PKCE and nonce pass)."""
    emu = workfront_ims_settings
    delivered = code_at_emulator(user_client, emu)
    response = user_client.get(reverse("workfront_oauth:callback"), delivered)
    assert response.status_code == 302
    assert WorkfrontConnection.objects.get().provider == "adobe_ims"


# -- each claim of the id_token, with the HTTP mock ------------------------------------------------


@pytest.fixture
def ims_site(settings: Any, workfront_http: Any) -> Any:
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    workfront_http.provider = "adobe_ims"
    return workfront_http


BAD_CLAIMS = {
    "wrong_nonce": {"nonce": "another-flows-nonce-000000000000000000000000"},
    "no_nonce": {"nonce": None},
    "wrong_aud": {"aud": "another-client"},
    "aud_list_without_us": {"aud": ["a", "b"]},
    "aud_list_with_us_but_other_azp": {"aud": ["test-client-id", "b"], "azp": "b"},
    "expired": {"exp": 1_000_000_000},
    "no_exp": {"exp": None},
    "wrong_iss": {"iss": "https://evil.example"},
}


@pytest.mark.parametrize("overrides", BAD_CLAIMS.values(), ids=BAD_CLAIMS.keys())
def test_an_id_token_that_is_not_this_flows_is_refused_and_saves_nothing(
    ims_site: Any, flow: Any, overrides: dict[str, Any]
) -> None:
    state = flow.start()
    claims = {**id_token_claims("test-client-id", ims_site.nonce), **overrides}
    claims = {key: value for key, value in claims.items() if value is not None}
    ims_site.token("access-x", "refresh-x", id_token=make_id_token(claims))
    ims_site.user()
    response = flow.callback(state, domain=None, lane=None)
    assert response.status_code == 400
    assert not WorkfrontConnection.objects.exists()
    # Refused before anyone was asked who the user is.
    assert [sent.base_url for sent in ims_site.requests] == [f"{IMS_HOST}/ims/token/v3"]


@pytest.mark.parametrize(
    "id_token", ["not-a-jwt", "a.b.c", "a." + "!" * 10 + ".c", "x" * 20000], ids=str.__len__
)
def test_a_malformed_id_token_is_refused_cleanly(ims_site: Any, flow: Any, id_token: str) -> None:
    state = flow.start()
    ims_site.token("access-x", "refresh-x", id_token=id_token)
    response = flow.callback(state, domain=None, lane=None)
    assert response.status_code == 400
    assert not WorkfrontConnection.objects.exists()


def test_an_answer_without_id_token_though_openid_was_asked_is_refused(
    ims_site: Any, flow: Any
) -> None:
    """Leaving the id_token out must not be a way around the nonce check."""
    state = flow.start()
    ims_site.token_response(json={"access_token": "a", "refresh_token": "r", "expires_in": 86399})
    response = flow.callback(state, domain=None, lane=None)
    assert response.status_code == 400
    assert not WorkfrontConnection.objects.exists()


def test_an_id_token_with_the_right_claims_connects(ims_site: Any, flow: Any) -> None:
    state = flow.start()
    ims_site.token("access-x", "refresh-x")  # the mock's id_token names this flow's nonce
    ims_site.user()
    response = flow.callback(state, domain=None, lane=None)
    assert response.status_code == 302
    assert WorkfrontConnection.objects.get().access_token == "access-x"


def test_an_iss_on_the_callback_must_name_ims(ims_site: Any, flow: Any) -> None:
    """RFC 9207: an authorization response's ``iss`` names the server; another one is refused."""
    state = flow.start()
    response = flow.callback(state, domain=None, lane=None, iss="https://evil.example")
    assert response.status_code == 400
    assert ims_site.requests == []


def test_authorize_logs_when_it_builds_an_http_ims_callback_off_loopback(
    settings: Any, user_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a TLS proxy without SECURE_PROXY_SSL_HEADER the callback would be http://."""
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "app.example.com"]
    caplog.clear()
    user_client.post(reverse("workfront_oauth:authorize"), HTTP_HOST="app.example.com")
    (record,) = [r for r in caplog.records if "Adobe IMS refuses" in r.getMessage()]
    assert "SECURE_PROXY_SSL_HEADER" in record.getMessage()
    caplog.clear()
    user_client.post(reverse("workfront_oauth:authorize"), HTTP_HOST="127.0.0.1")
    assert not [r for r in caplog.records if "Adobe IMS refuses" in r.getMessage()]
