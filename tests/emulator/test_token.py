"""The token endpoint: both request styles, codes, refresh, rotation, expiry, reuse."""

from __future__ import annotations

import threading

import pytest
import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from django_workfront_oauth.testing.clients import ClientApp
from tests.emulator.helpers import (
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    Browser,
    api_get,
    exchange,
    refresh,
    token_form,
    token_json,
)

ERROR_KEYS = {"statusCode", "error", "type", "message"}


def _me(emu: WorkfrontEmulator, session_id: str) -> requests.Response:
    return api_get(emu, "USER/search", session_id, ID="$$USER.ID", fields="ID,name,emailAddr")


def test_json_body_with_basic_auth(emu: WorkfrontEmulator, browser: Browser) -> None:
    response = exchange(emu, browser.code())

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "access_token", "refresh_token", "expires_in", "wid"}
    assert body["token_type"] == "sessionID"
    assert body["expires_in"] == 0
    assert body["access_token"] != body["refresh_token"]
    assert _me(emu, body["access_token"]).json()["data"][0]["ID"] == emu.user().id


def test_form_body_with_client_credentials(emu: WorkfrontEmulator, browser: Browser) -> None:
    code = browser.code()

    response = token_form(
        emu, {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI, "code": code}
    )

    assert response.status_code == 200
    assert response.json()["token_type"] == "sessionID"
    assert _me(emu, response.json()["access_token"]).status_code == 200


@pytest.mark.parametrize("style", [token_json, token_form])
def test_a_wrong_client_secret_is_401(
    emu: WorkfrontEmulator, browser: Browser, style: object
) -> None:
    body = {
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
        "code": browser.code(),
    }

    response = style(emu, body, secret="wrong")  # type: ignore[operator]

    assert response.status_code == 401
    assert set(response.json()) == ERROR_KEYS
    assert response.json()["statusCode"] == 401
    assert "access_token" not in response.json()


def test_missing_or_malformed_client_credentials_are_401(emu: WorkfrontEmulator) -> None:
    body = {"grant_type": "refresh_token", "refresh_token": "x"}
    bad_basic = {"Authorization": "Basic !!!not-base64"}
    no_colon = {"Authorization": "Basic Y2lk"}  # "cid"

    assert requests.post(emu.token_url, data=body, timeout=5).status_code == 401
    for headers in (bad_basic, no_colon):
        response = requests.post(emu.token_url, json=body, headers=headers, timeout=5)
        assert response.status_code == 401


def test_the_error_body_is_workfront_shaped_not_rfc6749(emu: WorkfrontEmulator) -> None:
    response = exchange(emu, "no-such-code")

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "type": "INVALID_GRANT",
        "message": "Invalid or expired authorization code.",
    }


def test_a_code_is_single_use(emu: WorkfrontEmulator, browser: Browser) -> None:
    code = browser.code()

    assert exchange(emu, code).status_code == 200
    assert exchange(emu, code).status_code == 400
    assert emu.stats["code_exchanges"] == 1
    assert emu.stats["rejected_code_exchanges"] == 1


def test_a_code_lives_two_minutes(emu: WorkfrontEmulator, browser: Browser) -> None:
    early, late = browser.code(), browser.code()

    emu.advance(119)
    assert exchange(emu, early).status_code == 200
    emu.advance(1)
    assert exchange(emu, late).status_code == 400


def test_the_code_lifetime_is_configurable() -> None:
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], code_lifetime=5) as emu:
        code = Browser(emu).code()
        emu.advance(5)

        assert exchange(emu, code).status_code == 400


def test_a_code_is_bound_to_its_redirect_uri(emu: WorkfrontEmulator, browser: Browser) -> None:
    code = browser.code()

    assert exchange(emu, code, OTHER_REDIRECT_URI).status_code == 400
    body = {"code": code, "grant_type": "authorization_code"}
    assert token_json(emu, body).status_code == 400
    # A mismatch does not burn the code: the right URI still works.
    assert exchange(emu, code, REDIRECT_URI).status_code == 200


def test_a_code_is_bound_to_its_client(emu: WorkfrontEmulator) -> None:
    emu.store.directory.add_client(ClientApp("cid2", "secret2", [REDIRECT_URI]))
    code = emu.issue_code()
    body = {"code": code, "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}

    stolen = requests.post(emu.token_url, json=body, auth=("cid2", "secret2"), timeout=5)

    assert stolen.status_code == 400
    assert token_json(emu, body).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "status", "error_type"),
    [
        ({"json": {"grant_type": "password"}}, 400, "UNSUPPORTED_GRANT_TYPE"),
        ({"json": {}}, 400, "INVALID_REQUEST"),  # no grant_type
        ({"json": [1, 2]}, 400, "INVALID_REQUEST"),
        (
            {"data": "{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "INVALID_REQUEST",
        ),
        (
            {"data": "grant_type=refresh_token", "headers": {"Content-Type": "text/plain"}},
            400,
            "INVALID_REQUEST",
        ),
    ],
)
def test_malformed_token_requests(
    emu: WorkfrontEmulator, kwargs: dict[str, object], status: int, error_type: str
) -> None:
    response = requests.post(
        emu.token_url,
        auth=(emu.client_id, emu.client_secret),
        timeout=5,
        **kwargs,  # type: ignore[arg-type]
    )

    assert response.status_code == status
    assert response.json()["type"] == error_type


def test_the_token_endpoint_wants_post(emu: WorkfrontEmulator) -> None:
    assert requests.get(emu.token_url, timeout=5).status_code == 405


def test_refresh_rotates_and_the_old_token_dies(
    emu: WorkfrontEmulator, tokens: dict[str, str]
) -> None:
    first = refresh(emu, tokens["refresh_token"])

    assert first.status_code == 200
    new = first.json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert _me(emu, new["access_token"]).status_code == 200
    # The earlier session is a separate Workfront session and stays valid until it idles out.
    assert _me(emu, tokens["access_token"]).status_code == 200
    assert emu.active_grants()[0].refresh_token == new["refresh_token"]

    second = refresh(emu, new["refresh_token"])
    assert second.status_code == 200
    assert emu.stats["successful_refreshes"] == 2


def test_refresh_in_the_form_style_with_redirect_uri(
    emu: WorkfrontEmulator, tokens: dict[str, str]
) -> None:
    response = token_form(
        emu,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "redirect_uri": REDIRECT_URI,
        },
    )

    assert response.status_code == 200
    assert response.json()["refresh_token"] != tokens["refresh_token"]


def test_reusing_a_rotated_token_kills_the_whole_grant(
    emu: WorkfrontEmulator, tokens: dict[str, str]
) -> None:
    new = refresh(emu, tokens["refresh_token"]).json()

    reuse = refresh(emu, tokens["refresh_token"])

    assert reuse.status_code == 400
    assert set(reuse.json()) == {"statusCode", "error", "type", "message"}
    assert emu.stats["reuse_detections"] == 1
    # Every token of the family is dead: the new refresh token and every session.
    assert refresh(emu, new["refresh_token"]).status_code == 400
    assert _me(emu, new["access_token"]).status_code == 401
    assert _me(emu, tokens["access_token"]).status_code == 401
    assert emu.active_grants() == []
    assert [reason for _, reason in emu.store.ended_grants()] == ["refresh token reuse"]
    assert emu.stats["rejected_refreshes"] == 2


def test_reuse_only_kills_that_grant(emu: WorkfrontEmulator, tokens: dict[str, str]) -> None:
    other = emu.issue_tokens()
    refresh(emu, tokens["refresh_token"])
    refresh(emu, tokens["refresh_token"])

    assert refresh(emu, other["refresh_token"]).status_code == 200


def test_unknown_refresh_tokens_are_400(emu: WorkfrontEmulator) -> None:
    assert refresh(emu, "never-issued").status_code == 400
    assert token_json(emu, {"grant_type": "refresh_token"}).status_code == 400
    assert emu.stats["reuse_detections"] == 0
    assert emu.stats["rejected_refreshes"] == 2


def test_non_rotating_apps_send_no_new_refresh_token() -> None:
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=False) as emu:
        tokens = emu.issue_tokens()

        first = refresh(emu, tokens["refresh_token"])
        second = refresh(emu, tokens["refresh_token"])

        assert first.status_code == second.status_code == 200
        assert "refresh_token" not in first.json()
        assert first.json()["access_token"] != second.json()["access_token"]
        assert emu.stats["reuse_detections"] == 0


def test_non_rotating_apps_can_echo_the_refresh_token() -> None:
    with WorkfrontEmulator(
        redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=False, echo_refresh_token=True
    ) as emu:
        tokens = emu.issue_tokens()

        body = refresh(emu, tokens["refresh_token"]).json()

        assert body["refresh_token"] == tokens["refresh_token"]


def test_absolute_expiry_counts_from_consent_whatever_the_use() -> None:
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], refresh_absolute_expiry=1000) as emu:
        token = emu.issue_tokens()["refresh_token"]
        for _ in range(3):
            emu.advance(300)
            token = refresh(emu, token).json()["refresh_token"]
        emu.advance(100)

        response = refresh(emu, token)

        assert response.status_code == 400
        assert [reason for _, reason in emu.store.ended_grants()] == ["absolute expiry"]


def test_inactivity_expiry_counts_from_the_last_use() -> None:
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], refresh_inactivity_expiry=100) as emu:
        token = emu.issue_tokens()["refresh_token"]
        for _ in range(3):
            emu.advance(99)
            token = refresh(emu, token).json()["refresh_token"]
        emu.advance(100)

        assert refresh(emu, token).status_code == 400
        assert [reason for _, reason in emu.store.ended_grants()] == ["inactivity expiry"]


def test_inactivity_expiry_applies_to_non_rotating_tokens() -> None:
    with WorkfrontEmulator(
        redirect_uris=[REDIRECT_URI], rotate_refresh_tokens=False, refresh_inactivity_expiry=60
    ) as emu:
        token = emu.issue_tokens()["refresh_token"]
        emu.advance(59)
        assert refresh(emu, token).status_code == 200
        emu.advance(60)
        assert refresh(emu, token).status_code == 400


def test_expires_in_is_configurable_and_kept() -> None:
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], expires_in=3600) as emu:
        tokens = emu.issue_tokens()
        assert tokens["expires_in"] == 3600
        emu.advance(3000)
        assert _me(emu, tokens["access_token"]).status_code == 200
        emu.advance(600)
        assert _me(emu, tokens["access_token"]).status_code == 401


def test_concurrent_refreshes_with_one_token_trip_reuse_detection(
    emu: WorkfrontEmulator, tokens: dict[str, str]
) -> None:
    """Why clients must serialise refreshes: the loser presents a rotated-away token."""
    emu.token_latency = 0.2
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(refresh(emu, tokens["refresh_token"]).status_code)
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [200, 400]
    assert emu.stats["reuse_detections"] == 1
    assert emu.active_grants() == []


def test_token_requests_are_counted_by_grant_type(emu: WorkfrontEmulator, browser: Browser) -> None:
    tokens = exchange(emu, browser.code()).json()
    refresh(emu, tokens["refresh_token"])
    refresh(emu, "bogus")
    token_json(emu, {"grant_type": "password"})

    assert emu.stats["token_requests"] == {"authorization_code": 1, "refresh_token": 2, "other": 1}
    assert emu.stats["successful_refreshes"] == 1
    assert emu.stats["rejected_refreshes"] == 1
