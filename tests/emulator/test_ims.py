"""The emulator's Adobe IMS side over real HTTP: authorize, token, revoke, userinfo, gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS
from django_workfront_oauth.testing import WorkfrontEmulator
from django_workfront_oauth.testing.clients import ClientApp
from tests.emulator.helpers import (
    IMS_LOOPBACK_REDIRECT_URI,
    IMS_REDIRECT_URI,
    REDIRECT_URI,
    TIMEOUT,
    IMSBrowser,
    api_get,
    exchange,
    ims_api_get,
    ims_exchange,
    ims_refresh,
    ims_token,
    query_of,
    refresh,
    request_id,
)

HTTP_ELSEWHERE = "http://app.example/workfront/callback/"


@pytest.fixture
def emu() -> Iterator[WorkfrontEmulator]:
    """Both apps registered; the IMS credential with an HTTPS, a loopback and a bad URI."""
    with WorkfrontEmulator(
        client_id="cid",
        client_secret="csecret",
        redirect_uris=[REDIRECT_URI],
        ims_client_id="ims-cid",
        ims_client_secret="ims-secret",
        ims_org_id="ORG123@AdobeOrg",
        ims_redirect_uris=[IMS_REDIRECT_URI, IMS_LOOPBACK_REDIRECT_URI, HTTP_ELSEWHERE],
        projects=30,
    ) as emulator:
        yield emulator


@pytest.fixture
def ims(emu: WorkfrontEmulator) -> IMSBrowser:
    return IMSBrowser(emu)


@pytest.fixture
def grant(emu: WorkfrontEmulator, ims: IMSBrowser) -> dict[str, Any]:
    """Tokens from a completed flow with the default scopes (offline_access included)."""
    response = ims_exchange(emu, ims.code())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _error(response: requests.Response) -> str:
    assert "x-debug-id" in response.headers
    body = response.json()
    assert set(body) == {"error", "error_description"}, body
    return str(body["error"])


# The authorization request ------------------------------------------------------------------


def test_an_unknown_client_is_shown_an_error_page(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    for client_id in ("nobody", "cid"):  # the legacy app's id is no IMS credential
        response = ims.authorize(client_id=client_id)
        assert response.status_code == 400
        assert "Unknown client_id" in response.text
        assert "Location" not in response.headers


def test_the_redirect_uri_must_be_registered_exactly(ims: IMSBrowser) -> None:
    for uri in (IMS_REDIRECT_URI + "x", IMS_REDIRECT_URI.rstrip("/"), REDIRECT_URI + "?a=1"):
        response = ims.authorize(redirect_uri=uri)
        assert response.status_code == 400
        assert "not registered" in response.text


def test_plain_http_only_on_loopback(ims: IMSBrowser) -> None:
    refused = ims.authorize(redirect_uri=HTTP_ELSEWHERE)
    loopback = ims.authorize(redirect_uri=IMS_LOOPBACK_REDIRECT_URI)
    https = ims.authorize(redirect_uri=IMS_REDIRECT_URI)

    assert refused.status_code == 400
    assert "HTTPS" in refused.text
    assert loopback.status_code == https.status_code == 200


@pytest.mark.parametrize(
    ("scope", "described"),
    [
        ("openid,workfront_api,made_up", "made_up"),
        ("openid,OpenID", "OpenID"),  # scopes are case-sensitive
        ("", "required"),
    ],
)
def test_an_unknown_scope_goes_back_as_invalid_scope(
    ims: IMSBrowser, scope: str, described: str
) -> None:
    response = ims.authorize(scope=scope, state="s-1")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(IMS_REDIRECT_URI + "?")
    query = query_of(response.headers["Location"])
    assert query["error"] == "invalid_scope"
    assert described in query["error_description"]
    assert query["state"] == "s-1"


def test_scopes_may_be_space_separated(ims: IMSBrowser) -> None:
    assert ims.authorize(scope="openid AdobeID workfront_api").status_code == 200


def test_response_type_must_be_code(ims: IMSBrowser) -> None:
    response = ims.authorize(response_type="token", state="s-2")

    query = query_of(response.headers["Location"])
    assert query == {
        "error": "unsupported_response_type",
        "error_description": "response_type must be code.",
        "state": "s-2",
    }


def test_an_oversized_state_is_refused(ims: IMSBrowser) -> None:
    response = ims.authorize(state="x" * 4097)

    query = query_of(response.headers["Location"])
    assert query["error"] == "invalid_request"
    assert "state" not in query
    assert ims.authorize(state="x" * 4096).status_code == 200


def test_the_login_page_is_the_shared_one(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    page = ims.authorize()

    assert "Sign in with your Adobe ID" in page.text
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text
    rid = request_id(page.text)
    wrong = ims.login(rid, "wfuser", "nope")
    assert "Invalid username or password." in wrong.text
    assert "Sign in with your Adobe ID" in wrong.text
    consent = ims.login(rid)
    assert 'name="decision" value="allow"' in consent.text
    assert "<code>workfront_api</code>" in consent.text  # the scopes asked for are listed
    assert emu.stats["ims_login_failures"] == 1
    assert emu.stats["login_failures"] == 0


def test_a_consent_answered_again_goes_back_to_the_client(
    emu: WorkfrontEmulator, ims: IMSBrowser
) -> None:
    rid = request_id(ims.authorize(state="ims-state").text)
    ims.login(rid)
    assert "code" in query_of(ims.decide(rid, "allow").headers["Location"])

    # Back to the consent page (a GET: nothing is cached), or its form sent again.
    for again in (ims.consent_page(rid), ims.decide(rid, "allow")):
        assert again.status_code == 302
        assert again.headers["Location"].startswith(IMS_REDIRECT_URI + "?")
        query = query_of(again.headers["Location"])
        assert (query["error"], query["state"]) == ("access_denied", "ims-state")
    assert emu.stats["ims_codes_issued"] == 1


def test_allow_sends_back_code_and_state_only(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    query = ims.consent(state="opaque state/with+chars")

    assert set(query) == {"code", "state"}  # no domain or lane, unlike the legacy app
    assert query["state"] == "opaque state/with+chars"
    assert emu.stats["ims_codes_issued"] == 1
    assert emu.stats["codes_issued"] == 0


def test_allow_without_state_sends_the_code_alone(ims: IMSBrowser) -> None:
    assert set(ims.consent()) == {"code"}


def test_deny_sends_access_denied(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    query = ims.consent("deny", state="s-3")

    assert query == {"error": "access_denied", "state": "s-3"}
    assert emu.stats["ims_consents_denied"] == 1
    assert emu.stats["consents_denied"] == 0
    assert emu.stats["ims_codes_issued"] == 0


# The token endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["basic", "post"])
def test_a_code_is_exchanged_with_either_client_authentication(
    emu: WorkfrontEmulator, ims: IMSBrowser, style: str
) -> None:
    body = {
        "grant_type": "authorization_code",
        "code": ims.code(),
        "redirect_uri": IMS_REDIRECT_URI,
    }
    response = ims_token(emu, body, style=style)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "id_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 86399
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["x-debug-id"]
    assert emu.stats["ims_code_exchanges"] == 1
    assert emu.stats["ims_token_requests"] == {
        "authorization_code": 1,
        "refresh_token": 0,
        "client_credentials": 0,
        "other": 0,
    }
    assert emu.stats["token_requests"]["authorization_code"] == 0
    (grant,) = emu.active_grants()
    assert grant.provider == "adobe_ims"
    assert "offline_access" in grant.scopes


def test_every_response_has_a_fresh_debug_id(emu: WorkfrontEmulator) -> None:
    first = ims_exchange(emu, "nope")
    second = ims_exchange(emu, "nope")

    assert first.headers["x-debug-id"] != second.headers["x-debug-id"]


@pytest.mark.parametrize("style", ["basic", "post"])
def test_wrong_client_credentials_are_invalid_client(
    emu: WorkfrontEmulator, ims: IMSBrowser, style: str
) -> None:
    code = ims.code()
    body = {"grant_type": "authorization_code", "code": code}

    wrong = ims_token(emu, body, style=style, secret="wrong")
    legacy = ims_token(emu, body, style=style, client_id="cid", secret="csecret")

    for response in (wrong, legacy):
        assert response.status_code == 401
        assert _error(response) == "invalid_client"
    # Refused before the code was looked at: it still works.
    assert ims_exchange(emu, code).status_code == 200


def test_no_credentials_at_all(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    response = requests.post(
        emu.ims_token_url,
        data={"grant_type": "authorization_code", "code": ims.code()},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert _error(response) == "invalid_client"


def test_a_json_body_is_refused(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    response = requests.post(
        emu.ims_token_url,
        json={"grant_type": "authorization_code", "code": ims.code()},
        auth=(emu.ims_client_id, emu.ims_client_secret),
        timeout=TIMEOUT,
    )

    assert response.status_code == 400
    assert _error(response) == "invalid_request"


def test_a_code_is_single_use(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    code = ims.code()

    assert ims_exchange(emu, code).status_code == 200
    again = ims_exchange(emu, code)
    assert again.status_code == 400
    assert _error(again) == "invalid_grant"
    assert emu.stats["ims_rejected_code_exchanges"] == 1


def test_a_code_is_short_lived(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    fresh, stale = ims.code(), ims.code()
    emu.advance(119)
    assert ims_exchange(emu, fresh).status_code == 200
    emu.advance(1)
    assert _error(ims_exchange(emu, stale)) == "invalid_grant"


def test_a_code_is_bound_to_its_client(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    emu.store.directory.add_client(
        ClientApp("ims-other", "other-secret", [IMS_REDIRECT_URI], provider=PROVIDER_ADOBE_IMS)
    )
    code = ims.code()
    body = {"grant_type": "authorization_code", "code": code}

    stolen = ims_token(emu, body, client_id="ims-other", secret="other-secret")

    assert _error(stolen) == "invalid_grant"
    assert ims_exchange(emu, code).status_code == 200


def test_codes_do_not_cross_between_the_two_servers(emu: WorkfrontEmulator) -> None:
    legacy_code = emu.issue_code()
    ims_code = emu.ims_issue_code()

    assert _error(ims_exchange(emu, legacy_code)) == "invalid_grant"
    assert exchange(emu, ims_code).status_code == 400
    assert exchange(emu, legacy_code).status_code == 200
    assert ims_exchange(emu, ims_code).status_code == 200


def test_a_redirect_uri_in_the_token_request_must_match(
    emu: WorkfrontEmulator, ims: IMSBrowser
) -> None:
    code = ims.code()

    assert _error(ims_exchange(emu, code, redirect_uri=IMS_LOOPBACK_REDIRECT_URI)) == (
        "invalid_grant"
    )
    assert ims_exchange(emu, code, redirect_uri=IMS_REDIRECT_URI).status_code == 200


def test_pkce(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = ims.code(code_challenge=challenge, code_challenge_method="S256")

    assert _error(ims_exchange(emu, code)) == "invalid_grant"
    assert _error(ims_exchange(emu, code, code_verifier="w" * 50)) == "invalid_grant"
    assert ims_exchange(emu, code, code_verifier=verifier).status_code == 200


def test_no_refresh_token_without_offline_access(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    code = ims.code(scope="openid,AdobeID,workfront_api")

    body = ims_exchange(emu, code).json()

    assert "refresh_token" not in body
    assert {"access_token", "id_token"} <= set(body)
    assert ims_api_get(emu, "PROJ/count", body["access_token"]).status_code == 200
    (grant,) = emu.active_grants()
    assert grant.refresh_token == ""


def test_no_id_token_without_openid(emu: WorkfrontEmulator) -> None:
    body = emu.ims_issue_tokens(scopes=["AdobeID", "offline_access", "workfront_api"])

    assert "id_token" not in body
    assert "refresh_token" in body


def test_the_id_token_names_the_user_and_the_client(emu: WorkfrontEmulator, grant: dict) -> None:
    header, claims, signature = grant["id_token"].split(".")

    def decode(part: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return data

    payload = decode(claims)
    assert decode(header)["alg"] == "HS256"
    assert payload["sub"] == emu.ims_user_id()
    assert payload["aud"] == emu.ims_client_id
    assert payload["iss"] == emu.base_url
    assert payload["exp"] - payload["iat"] == 86399
    expected = hmac.new(
        emu.ims_client_secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256
    ).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


def test_refresh_rotates_the_pair_every_time(emu: WorkfrontEmulator, grant: dict) -> None:
    first = ims_refresh(emu, grant["refresh_token"])
    assert first.status_code == 200, first.text
    second = ims_refresh(emu, first.json()["refresh_token"])

    tokens = [grant, first.json(), second.json()]
    assert len({t["refresh_token"] for t in tokens}) == 3
    assert len({t["access_token"] for t in tokens}) == 3
    assert all(t["expires_in"] == 86399 and t["token_type"] == "bearer" for t in tokens)
    assert emu.stats["ims_successful_refreshes"] == 2
    assert emu.stats["ims_token_requests"]["refresh_token"] == 2
    assert emu.active_grants()[0].refresh_count == 2


@pytest.mark.parametrize("style", ["basic", "post"])
def test_refresh_with_either_client_authentication(
    emu: WorkfrontEmulator, grant: dict, style: str
) -> None:
    response = ims_token(
        emu, {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]}, style=style
    )

    assert response.status_code == 200


def test_reusing_a_rotated_refresh_token_kills_the_grant(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    current = ims_refresh(emu, grant["refresh_token"]).json()

    reused = ims_refresh(emu, grant["refresh_token"])

    assert reused.status_code == 400
    assert _error(reused) == "invalid_grant"
    assert emu.stats["ims_reuse_detections"] == 1
    assert emu.stats["reuse_detections"] == 0
    # The whole family is dead: the current refresh token and every access token.
    assert _error(ims_refresh(emu, current["refresh_token"])) == "invalid_grant"
    for access_token in (grant["access_token"], current["access_token"]):
        response = ims_api_get(emu, "PROJ/count", access_token)
        assert response.status_code == 401
        assert response.json()["error_code"] == "401013"
    assert emu.active_grants() == []
    assert [reason for _id, reason in emu.store.ended_grants()] == ["refresh token reuse"]


def test_a_refresh_token_lapses_after_fourteen_days_unused(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    emu.advance(timedelta(days=14) - timedelta(seconds=1))
    renewed = ims_refresh(emu, grant["refresh_token"])
    assert renewed.status_code == 200
    # Using it reset the clock: fourteen days from now, not from the consent.
    emu.advance(timedelta(days=14))

    lapsed = ims_refresh(emu, renewed.json()["refresh_token"])

    assert _error(lapsed) == "invalid_grant"
    assert [reason for _id, reason in emu.store.ended_grants()] == ["inactivity expiry"]
    assert emu.stats["ims_rejected_refreshes"] == 1


def test_the_refresh_lifetime_is_configurable() -> None:
    with WorkfrontEmulator(ims_redirect_uris=[IMS_REDIRECT_URI], ims_refresh_lifetime=60) as emu:
        tokens = emu.ims_issue_tokens()
        emu.advance(60)
        assert _error(ims_refresh(emu, tokens["refresh_token"])) == "invalid_grant"


def test_a_legacy_refresh_token_is_unknown_to_ims(emu: WorkfrontEmulator) -> None:
    legacy = emu.issue_tokens()
    ims_tokens = emu.ims_issue_tokens()

    assert _error(ims_refresh(emu, legacy["refresh_token"])) == "invalid_grant"
    assert refresh(emu, ims_tokens["refresh_token"]).status_code == 400
    # Neither refusal was a reuse: both grants live on.
    assert len(emu.active_grants()) == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"grant_type": "password", "username": "u"}, "unsupported_grant_type"),
        ({"code": "x"}, "invalid_request"),
    ],
)
def test_other_grant_types(emu: WorkfrontEmulator, body: dict, error: str) -> None:
    response = ims_token(emu, body)

    assert response.status_code == 400
    assert _error(response) == error
    assert emu.stats["ims_token_requests"]["other"] == 1


def test_the_web_app_may_not_use_client_credentials(emu: WorkfrontEmulator) -> None:
    # Only the Server-to-Server credential mints tokens for itself (tests/emulator/test_s2s.py).
    response = ims_token(emu, {"grant_type": "client_credentials", "scope": "openid"})

    assert response.status_code == 400
    assert _error(response) == "unauthorized_client"
    assert emu.stats["ims_token_requests"]["client_credentials"] == 1


def test_the_token_endpoint_wants_post(emu: WorkfrontEmulator) -> None:
    response = requests.get(emu.ims_token_url, timeout=TIMEOUT)

    assert response.status_code == 405
    assert _error(response) == "invalid_request"


# Revoke ----------------------------------------------------------------------------------------


def _revoke(emu: WorkfrontEmulator, token: str, **kwargs: Any) -> requests.Response:
    auth = kwargs.pop("auth", (emu.ims_client_id, emu.ims_client_secret))
    return requests.post(emu.ims_revoke_url, data={"token": token}, auth=auth, timeout=TIMEOUT)


def test_revoking_the_refresh_token_ends_the_grant(emu: WorkfrontEmulator, grant: dict) -> None:
    response = _revoke(emu, grant["refresh_token"])

    assert response.status_code == 200
    assert response.headers["x-debug-id"]
    assert _error(ims_refresh(emu, grant["refresh_token"])) == "invalid_grant"
    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 401
    assert emu.stats["ims_revokes"] == 1
    assert emu.stats["ims_reuse_detections"] == 0
    assert [reason for _id, reason in emu.store.ended_grants()] == ["revoked"]


def test_revoking_an_access_token_ends_the_grant(emu: WorkfrontEmulator, grant: dict) -> None:
    assert _revoke(emu, grant["access_token"]).status_code == 200

    assert _error(ims_refresh(emu, grant["refresh_token"])) == "invalid_grant"
    assert emu.active_grants() == []


def test_revoke_needs_the_client_and_a_token(emu: WorkfrontEmulator, grant: dict) -> None:
    unauthenticated = _revoke(emu, grant["refresh_token"], auth=None)
    wrong = _revoke(emu, grant["refresh_token"], auth=(emu.ims_client_id, "wrong"))
    no_token = requests.post(
        emu.ims_revoke_url, auth=(emu.ims_client_id, emu.ims_client_secret), timeout=TIMEOUT
    )

    assert unauthenticated.status_code == wrong.status_code == 401
    assert _error(wrong) == "invalid_client"
    assert no_token.status_code == 400
    assert _error(no_token) == "invalid_request"
    assert len(emu.active_grants()) == 1
    assert emu.stats["ims_revokes"] == 0


def test_revoking_an_unknown_or_dead_token_is_fine(emu: WorkfrontEmulator, grant: dict) -> None:
    assert _revoke(emu, "never-issued").status_code == 200
    assert _revoke(emu, grant["refresh_token"]).status_code == 200
    assert _revoke(emu, grant["refresh_token"]).status_code == 200


def test_a_token_of_another_client_is_not_revoked(emu: WorkfrontEmulator, grant: dict) -> None:
    emu.store.directory.add_client(
        ClientApp("ims-other", "other-secret", provider=PROVIDER_ADOBE_IMS)
    )

    response = _revoke(emu, grant["refresh_token"], auth=("ims-other", "other-secret"))

    assert response.status_code == 400
    assert len(emu.active_grants()) == 1


# Userinfo --------------------------------------------------------------------------------------


def test_userinfo(emu: WorkfrontEmulator, grant: dict) -> None:
    response = requests.get(
        emu.ims_userinfo_url,
        headers={"Authorization": f"Bearer {grant['access_token']}"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert response.headers["x-debug-id"]
    body = response.json()
    user = emu.user()
    assert body["sub"] == emu.ims_user_id() == emu.ims_user_id("wfuser")
    assert body["sub"].endswith("@AdobeID")
    assert (body["email"], body["name"]) == (user.email_addr, user.name)
    assert emu.stats["ims_userinfo_calls"] == 1


def test_userinfo_refuses_bad_tokens(emu: WorkfrontEmulator, grant: dict) -> None:
    legacy_session = emu.issue_tokens()["access_token"]
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Bearer {legacy_session}"},
        {"SessionID": grant["access_token"]},
    ):
        response = requests.get(emu.ims_userinfo_url, headers=headers, timeout=TIMEOUT)
        assert response.status_code == 401
        assert _error(response) == "invalid_token"
    assert emu.stats["ims_userinfo_calls"] == 4


def test_userinfo_needs_openid(emu: WorkfrontEmulator) -> None:
    tokens = emu.ims_issue_tokens(scopes=["AdobeID", "workfront_api"])

    response = requests.get(
        emu.ims_userinfo_url,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=TIMEOUT,
    )

    assert response.status_code == 403
    assert _error(response) == "insufficient_scope"


# Workfront's API behind the gateway ---------------------------------------------------------


def test_a_bearer_token_with_api_key_and_org_reads_the_api(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    count = ims_api_get(emu, "PROJ/count", grant["access_token"])
    me = ims_api_get(emu, "USER/search", grant["access_token"], ID="$$USER.ID")

    assert count.json() == {"data": {"count": 30}}
    assert [row["ID"] for row in me.json()["data"]] == [emu.user().id]
    assert emu.stats["ims_api_calls"] == 2
    assert emu.stats["api_calls_by_objcode"] == {"PROJ": 1, "USER": 1}


@pytest.mark.parametrize("api_key", [None, "cid", "wrong"])
def test_a_missing_or_wrong_api_key_is_403003(
    emu: WorkfrontEmulator, grant: dict, api_key: str | None
) -> None:
    response = ims_api_get(emu, "PROJ/count", grant["access_token"], api_key=api_key)

    assert response.status_code == 403
    assert response.json() == {"error_code": "403003", "message": "Api Key is invalid"}
    assert emu.stats["gateway_errors"] == {"403003": 1}
    assert emu.stats["unauthenticated_api_calls"] == 1


@pytest.mark.parametrize("org_id", [None, "OTHER@AdobeOrg"])
def test_a_missing_or_wrong_org_is_a_403_about_the_org(
    emu: WorkfrontEmulator, grant: dict, org_id: str | None
) -> None:
    response = ims_api_get(emu, "PROJ/count", grant["access_token"], org_id=org_id)

    assert response.status_code == 403
    body = response.json()
    assert body["error_code"] != "403003"
    assert "org" in body["message"].lower()


@pytest.mark.parametrize("token", ["unknown", None])
def test_an_unknown_bearer_token_is_401013(emu: WorkfrontEmulator, token: str | None) -> None:
    response = requests.get(
        f"{emu.api_url()}/PROJ/count",
        headers={
            "Authorization": f"Bearer {token or ''}",
            "x-api-key": emu.ims_client_id,
            "x-gw-ims-org-id": emu.ims_org_id,
        },
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert response.json() == {"error_code": "401013", "message": "Oauth token is not valid"}


def test_an_ims_token_expires_after_expires_in_and_not_before(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    # No idle timeout: nine quiet hours change nothing (a legacy session would be gone).
    emu.advance(9 * 3600)
    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 200
    emu.advance(86399 - 9 * 3600 - 1)
    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 200
    emu.advance(1)

    expired = ims_api_get(emu, "PROJ/count", grant["access_token"])

    assert expired.status_code == 401
    assert expired.json()["error_code"] == "401013"
    # The refresh token still works and its access token does too.
    renewed = ims_refresh(emu, grant["refresh_token"]).json()
    assert ims_api_get(emu, "PROJ/count", renewed["access_token"]).status_code == 200


def test_ims_expires_in_is_configurable() -> None:
    with WorkfrontEmulator(ims_redirect_uris=[IMS_REDIRECT_URI], ims_expires_in=300) as emu:
        tokens = emu.ims_issue_tokens()
        assert tokens["expires_in"] == 300
        emu.advance(300)
        assert ims_api_get(emu, "PROJ/count", tokens["access_token"]).status_code == 401


def test_the_two_kinds_of_access_token_do_not_mix(emu: WorkfrontEmulator, grant: dict) -> None:
    session = emu.issue_tokens()["access_token"]

    assert api_get(emu, "PROJ/count", grant["access_token"]).status_code == 401
    assert ims_api_get(emu, "PROJ/count", session).json()["error_code"] == "401013"


def test_expire_sessions_and_revoke_user_reach_ims_tokens(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    assert emu.expire_sessions() == 1
    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 401
    renewed = ims_refresh(emu, grant["refresh_token"]).json()

    assert emu.revoke_user("wfuser") == 1

    assert ims_api_get(emu, "PROJ/count", renewed["access_token"]).status_code == 401
    assert _error(ims_refresh(emu, renewed["refresh_token"])) == "invalid_grant"


def test_logout_with_a_bearer_token_ends_that_token(emu: WorkfrontEmulator, grant: dict) -> None:
    assert ims_api_get(emu, "logout", grant["access_token"]).json() == {"data": {"success": True}}
    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 401
    # The grant lives on.
    assert ims_refresh(emu, grant["refresh_token"]).status_code == 200


# Faults and latency ----------------------------------------------------------------------------


def test_a_fault_aimed_at_ims_spares_the_legacy_endpoint(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    legacy = emu.issue_tokens()
    emu.inject_token_fault("503", provider="adobe_ims")

    assert refresh(emu, legacy["refresh_token"]).status_code == 200
    failed = ims_refresh(emu, grant["refresh_token"])

    assert failed.status_code == 503
    assert failed.headers["x-debug-id"]
    assert emu.stats["ims_faults_served"] == 1
    assert emu.stats["faults_served"] == {"token": 0, "api": 0}
    # A fault changes nothing: the refresh token still works.
    assert ims_refresh(emu, grant["refresh_token"]).status_code == 200


def test_a_fault_aimed_at_workfront_spares_ims(emu: WorkfrontEmulator, grant: dict) -> None:
    emu.inject_token_fault("500", provider="workfront")

    assert ims_refresh(emu, grant["refresh_token"]).status_code == 200
    assert refresh(emu, emu.issue_tokens()["refresh_token"]).status_code == 500


def test_an_untargeted_fault_is_served_by_whichever_asks_first(
    emu: WorkfrontEmulator, grant: dict
) -> None:
    emu.inject_token_fault("429", count=2)

    busy = ims_refresh(emu, grant["refresh_token"])
    legacy_busy = refresh(emu, emu.issue_tokens()["refresh_token"])

    assert busy.status_code == legacy_busy.status_code == 429
    assert busy.headers["Retry-After"] == "1"
    assert _error(busy) == "too_many_requests"
    assert emu.stats["ims_faults_served"] == 1
    assert emu.stats["faults_served"]["token"] == 1


def test_the_400_and_401_faults_are_ims_shaped(emu: WorkfrontEmulator, grant: dict) -> None:
    emu.inject_token_fault("400", grant_type="refresh_token", provider="adobe_ims")
    emu.inject_token_fault("401", provider="adobe_ims")

    dead = ims_refresh(emu, grant["refresh_token"])
    unauthorised = ims_refresh(emu, grant["refresh_token"])

    assert (dead.status_code, _error(dead)) == (400, "invalid_grant")
    assert (unauthorised.status_code, _error(unauthorised)) == (401, "invalid_client")
    assert emu.stats["ims_rejected_refreshes"] == 1
    assert ims_refresh(emu, grant["refresh_token"]).status_code == 200


def test_malformed_and_timeout_faults() -> None:
    with WorkfrontEmulator(fault_timeout=0.3) as emu:
        emu.inject_token_fault("malformed", provider="adobe_ims")
        emu.inject_token_fault("timeout", provider="adobe_ims")

        garbled = ims_token(emu, {"grant_type": "refresh_token", "refresh_token": "x"})
        with pytest.raises(requests.ConnectionError):
            ims_token(emu, {"grant_type": "refresh_token", "refresh_token": "x"})

        assert garbled.status_code == 200
        with pytest.raises(ValueError):
            garbled.json()


def test_an_unknown_fault_target_is_refused(emu: WorkfrontEmulator) -> None:
    with pytest.raises(ValueError, match="provider"):
        emu.inject_token_fault("500", provider="ims")
    with pytest.raises(ValueError):
        emu.faults.inject("token", "500", target="elsewhere")


def test_api_faults_reach_bearer_calls_too(emu: WorkfrontEmulator, grant: dict) -> None:
    emu.inject_api_fault("503")

    assert ims_api_get(emu, "PROJ/count", grant["access_token"]).status_code == 503


def test_ims_latency(emu: WorkfrontEmulator, grant: dict) -> None:
    assert emu.ims_latency == 0.0
    emu.ims_latency = 0.3

    started = time.monotonic()
    ims_refresh(emu, grant["refresh_token"])
    ims_elapsed = time.monotonic() - started
    started = time.monotonic()
    refresh(emu, emu.issue_tokens()["refresh_token"])
    legacy_elapsed = time.monotonic() - started

    assert ims_elapsed >= 0.3
    assert legacy_elapsed < 0.3


def test_latency_sets_the_ims_latency_too() -> None:
    assert WorkfrontEmulator(latency=0.5).ims_latency == 0.5
    assert WorkfrontEmulator(latency=0.5, ims_latency=0.1).ims_latency == 0.1


# The rest ------------------------------------------------------------------------------------


def test_discovery(emu: WorkfrontEmulator) -> None:
    body = requests.get(
        emu.base_url + "/ims/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()

    assert body["token_endpoint"] == emu.ims_token_url
    assert body["authorization_endpoint"] == emu.base_url + "/ims/authorize/v2"
    assert body["revocation_endpoint"] == emu.ims_revoke_url
    assert body["userinfo_endpoint"] == emu.ims_userinfo_url
    assert "offline_access" in body["scopes_supported"]


def test_the_defaults() -> None:
    emu = WorkfrontEmulator()

    assert emu.ims_client_id == "emulator-ims-client-id"
    assert emu.ims_client_id != emu.client_id
    assert emu.ims_org_id.endswith("@AdobeOrg")
    assert emu.ims_expires_in == 86399
    assert emu.ims_redirect_uris == []
    assert emu.ims_scopes_allowed == (
        "openid",
        "AdobeID",
        "offline_access",
        "read_organizations",
        "additional_info.projectedProductContext",
        "workfront_api",
    )


def test_the_same_client_id_may_serve_both_servers() -> None:
    with WorkfrontEmulator(
        client_id="shared",
        client_secret="legacy-secret",
        redirect_uris=[REDIRECT_URI],
        ims_client_id="shared",
        ims_client_secret="ims-secret",
        ims_redirect_uris=[IMS_REDIRECT_URI],
    ) as emu:
        legacy = emu.issue_tokens()
        tokens = emu.ims_issue_tokens()

        assert refresh(emu, legacy["refresh_token"]).status_code == 200
        assert ims_refresh(emu, tokens["refresh_token"]).status_code == 200


def test_ims_issue_tokens_refuses_scopes_not_allowed(emu: WorkfrontEmulator) -> None:
    with pytest.raises(ValueError, match="made_up"):
        emu.ims_issue_tokens(scopes=["openid", "made_up"])


def test_ims_authorize_url_starts_a_flow(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    url = emu.ims_authorize_url(state="s")

    page = ims.session.get(url, timeout=TIMEOUT)

    assert page.status_code == 200
    assert "scope=openid%2CAdobeID%2Coffline_access" in url
    assert f"redirect_uri={requests.utils.quote(IMS_REDIRECT_URI, safe='')}" in url


def test_the_counters_of_a_whole_ims_life(emu: WorkfrontEmulator, ims: IMSBrowser) -> None:
    ims.consent("deny")
    tokens = ims_exchange(emu, ims.code()).json()
    ims_api_get(emu, "PROJ/count", tokens["access_token"])
    ims_api_get(emu, "PROJ/count", tokens["access_token"], api_key=None)
    renewed = ims_refresh(emu, tokens["refresh_token"]).json()
    ims_refresh(emu, tokens["refresh_token"])  # reuse
    _revoke(emu, renewed["refresh_token"])
    requests.get(
        emu.ims_userinfo_url,
        headers={"Authorization": f"Bearer {renewed['access_token']}"},
        timeout=TIMEOUT,
    )

    stats = emu.stats
    assert stats["ims_consents_denied"] == 1
    assert stats["ims_codes_issued"] == stats["ims_code_exchanges"] == 1
    assert stats["ims_token_requests"] == {
        "authorization_code": 1,
        "refresh_token": 2,
        "client_credentials": 0,
        "other": 0,
    }
    assert stats["ims_successful_refreshes"] == 1
    assert stats["ims_rejected_refreshes"] == stats["ims_reuse_detections"] == 1
    assert stats["ims_revokes"] == stats["ims_userinfo_calls"] == 1
    assert stats["ims_api_calls"] == 1
    assert stats["gateway_errors"] == {"403003": 1}
    # Nothing of it is counted on the legacy side.
    assert stats["token_requests"] == {"authorization_code": 0, "refresh_token": 0, "other": 0}
    assert stats["codes_issued"] == stats["consents_denied"] == stats["reuse_detections"] == 0
    emu.reset_stats()
    assert emu.stats["ims_token_requests"]["refresh_token"] == 0
    assert emu.stats["gateway_errors"] == {}


def test_an_unsupported_pkce_method_goes_back_as_invalid_request(ims: IMSBrowser) -> None:
    response = ims.authorize(code_challenge="c", code_challenge_method="S512", state="s")

    query = query_of(response.headers["Location"])
    assert (query["error"], query["state"]) == ("invalid_request", "s")


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("http://[::1]:8000/cb", True),
        ("http://localhost:8000/cb", True),
        ("http://app.localhost/cb", True),
        ("http://testserver/workfront/callback/", True),
        ("http://127.0.0.2/cb", True),
        ("https://anything.example/cb", True),
        ("http://10.0.0.1/cb", False),
        ("ftp://127.0.0.1/cb", False),
        ("http://127.example/cb", False),
    ],
)
def test_which_redirect_uris_may_be_plain_http(uri: str, allowed: bool) -> None:
    from django_workfront_oauth.testing.ims import redirect_uri_allowed

    assert redirect_uri_allowed(uri) is allowed


def test_revoke_and_userinfo_answer_other_methods_with_405(emu: WorkfrontEmulator) -> None:
    revoke = requests.get(emu.ims_revoke_url, timeout=TIMEOUT)
    userinfo = requests.put(emu.ims_userinfo_url, timeout=TIMEOUT)

    assert revoke.status_code == userinfo.status_code == 405
    assert _error(revoke) == _error(userinfo) == "invalid_request"


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()])
def test_malformed_basic_credentials(emu: WorkfrontEmulator, header: str) -> None:
    response = requests.post(
        emu.ims_token_url,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        headers={"Authorization": header},
        timeout=TIMEOUT,
    )

    assert response.status_code == 401
    assert _error(response) == "invalid_client"
