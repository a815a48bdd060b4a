"""Injected faults and latency on the token endpoint and the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from django_workfront_oauth.testing import API_FAULTS, TOKEN_FAULTS, WorkfrontEmulator
from tests.emulator.helpers import REDIRECT_URI, api_get, exchange, refresh


@pytest.fixture
def quick() -> Iterator[WorkfrontEmulator]:
    """An emulator whose "timeout" fault hangs for half a second only."""
    with WorkfrontEmulator(redirect_uris=[REDIRECT_URI], fault_timeout=0.5, retry_after=7) as emu:
        yield emu


def test_the_fault_kinds() -> None:
    token_kinds, api_kinds = TOKEN_FAULTS, API_FAULTS

    assert token_kinds == {"500", "503", "429", "timeout", "malformed", "400", "401"}
    assert api_kinds == {"500", "503", "429", "timeout", "malformed", "400", "401", "error200"}


@pytest.mark.parametrize("status", ["500", "503"])
def test_token_server_errors(quick: WorkfrontEmulator, status: str) -> None:
    tokens = quick.issue_tokens()
    quick.inject_token_fault(status)

    response = refresh(quick, tokens["refresh_token"])

    assert response.status_code == int(status)
    assert response.headers["Content-Type"].startswith("text/html")
    # Nothing happened to the grant: the next attempt succeeds with the same token.
    assert refresh(quick, tokens["refresh_token"]).status_code == 200
    assert quick.stats["faults_served"] == {"token": 1, "api": 0}


def test_token_429_has_retry_after(quick: WorkfrontEmulator) -> None:
    quick.inject_token_fault("429")

    response = refresh(quick, quick.issue_tokens()["refresh_token"])

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_token_malformed_is_200_with_invalid_json(quick: WorkfrontEmulator) -> None:
    quick.inject_token_fault("malformed")

    response = refresh(quick, quick.issue_tokens()["refresh_token"])

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_token_timeout_hangs_past_the_client_timeout(quick: WorkfrontEmulator) -> None:
    tokens = quick.issue_tokens()
    quick.inject_token_fault("timeout")

    with pytest.raises(requests.Timeout):
        requests.post(
            quick.token_url,
            json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=(quick.client_id, quick.client_secret),
            timeout=0.2,
        )
    # The request was never processed.
    assert refresh(quick, tokens["refresh_token"]).status_code == 200


def test_timeout_then_hang_up(quick: WorkfrontEmulator) -> None:
    quick.inject_token_fault("timeout")

    with pytest.raises(requests.ConnectionError):
        refresh(quick, "whatever")


def test_token_400_rejects_without_killing_the_grant(quick: WorkfrontEmulator) -> None:
    tokens = quick.issue_tokens()
    quick.inject_token_fault("400")

    response = refresh(quick, tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["type"] == "INVALID_GRANT"
    assert quick.stats["rejected_refreshes"] == 1
    assert refresh(quick, tokens["refresh_token"]).status_code == 200


def test_token_401(quick: WorkfrontEmulator) -> None:
    quick.inject_token_fault("401")

    response = refresh(quick, quick.issue_tokens()["refresh_token"])

    assert response.status_code == 401
    assert response.json()["type"] == "INVALID_CLIENT"


def test_a_fault_for_refresh_grants_only(quick: WorkfrontEmulator) -> None:
    quick.inject_token_fault("400", grant_type="refresh_token")

    code_response = exchange(quick, quick.issue_code())
    refresh_response = refresh(quick, code_response.json()["refresh_token"])

    assert code_response.status_code == 200
    assert refresh_response.status_code == 400


def test_count_and_order_of_faults(quick: WorkfrontEmulator) -> None:
    token = quick.issue_tokens()["refresh_token"]
    quick.inject_token_fault("503", count=2)
    quick.inject_token_fault("500")

    statuses = [refresh(quick, token).status_code for _ in range(3)]

    assert statuses == [503, 503, 500]
    assert quick.faults.pending("token") == []
    assert refresh(quick, token).status_code == 200


def test_clear_faults(quick: WorkfrontEmulator) -> None:
    token = quick.issue_tokens()["refresh_token"]
    quick.inject_token_fault("500", count=5)
    quick.inject_api_fault("500", count=5)

    quick.clear_faults()

    assert refresh(quick, token).status_code == 200


@pytest.mark.parametrize(("kind", "count"), [("nope", 1), ("error200", 1), ("500", 0)])
def test_bad_token_fault_requests(quick: WorkfrontEmulator, kind: str, count: int) -> None:
    with pytest.raises(ValueError):
        quick.inject_token_fault(kind, count)


def test_bad_api_fault_kind(quick: WorkfrontEmulator) -> None:
    with pytest.raises(ValueError):
        quick.inject_api_fault("418")


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [("500", 500, "text/html"), ("503", 503, "text/html"), ("429", 429, "application/json")],
)
def test_api_http_errors(
    quick: WorkfrontEmulator, kind: str, status: int, content_type: str
) -> None:
    sid = quick.issue_tokens()["access_token"]
    quick.inject_api_fault(kind)

    response = api_get(quick, "PROJ/count", sid)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    assert api_get(quick, "PROJ/count", sid).status_code == 200
    assert quick.stats["faults_served"] == {"token": 0, "api": 1}


def test_api_429_has_retry_after(quick: WorkfrontEmulator) -> None:
    quick.inject_api_fault("429")

    response = api_get(quick, "PROJ/count", quick.issue_tokens()["access_token"])

    assert response.headers["Retry-After"] == "7"


def test_api_error_with_http_200(quick: WorkfrontEmulator) -> None:
    quick.inject_api_fault("error200")

    response = api_get(quick, "PROJ/count", quick.issue_tokens()["access_token"])

    assert response.status_code == 200
    assert set(response.json()) == {"error"}
    assert set(response.json()["error"]) == {"class", "message"}


def test_api_401_looks_like_an_expired_session_but_is_not(quick: WorkfrontEmulator) -> None:
    sid = quick.issue_tokens()["access_token"]
    quick.inject_api_fault("401")

    response = api_get(quick, "PROJ/count", sid)

    assert response.status_code == 401
    assert response.json()["error"]["class"] == "com.attask.common.AuthenticationException"
    assert response.json()["error"]["message"] == "You are not currently logged in."
    assert api_get(quick, "PROJ/count", sid).status_code == 200


def test_api_400(quick: WorkfrontEmulator) -> None:
    quick.inject_api_fault("400")

    response = api_get(quick, "PROJ/count", quick.issue_tokens()["access_token"])

    assert response.status_code == 400
    assert "class" in response.json()["error"]


def test_api_malformed(quick: WorkfrontEmulator) -> None:
    quick.inject_api_fault("malformed")

    response = api_get(quick, "PROJ/count", quick.issue_tokens()["access_token"])

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_api_timeout(quick: WorkfrontEmulator) -> None:
    quick.inject_api_fault("timeout")

    with pytest.raises(requests.Timeout):
        requests.get(f"{quick.api_url()}/PROJ/count", timeout=0.2)


def test_api_and_token_faults_are_separate(quick: WorkfrontEmulator) -> None:
    tokens = quick.issue_tokens()
    quick.inject_api_fault("500")

    assert refresh(quick, tokens["refresh_token"]).status_code == 200
    assert api_get(quick, "PROJ/count", tokens["access_token"]).status_code == 500


def _elapsed(call: object) -> float:
    started = time.monotonic()
    call()  # type: ignore[operator]
    return time.monotonic() - started


def test_latency_is_set_per_channel(quick: WorkfrontEmulator) -> None:
    tokens = quick.issue_tokens()
    quick.token_latency = 0.3

    slow_token = _elapsed(lambda: refresh(quick, tokens["refresh_token"]))
    fast_api = _elapsed(lambda: api_get(quick, "PROJ/count", tokens["access_token"]))
    quick.token_latency, quick.api_latency = 0, 0.3
    slow_api = _elapsed(lambda: api_get(quick, "PROJ/count", tokens["access_token"]))

    assert slow_token >= 0.3
    assert fast_api < 0.25
    assert slow_api >= 0.3
    assert (quick.token_latency, quick.api_latency) == (0, 0.3)


def test_latency_from_the_constructor() -> None:
    with WorkfrontEmulator(latency=0.2, token_latency=0.0) as emu:
        assert emu.api_latency == 0.2
        assert emu.token_latency == 0.0
        assert _elapsed(lambda: api_get(emu, "PROJ/count", None)) >= 0.2
    with pytest.raises(ValueError):
        emu.api_latency = -1


def test_stop_does_not_wait_for_a_hanging_fault() -> None:
    emu = WorkfrontEmulator(fault_timeout=30).start()
    emu.inject_api_fault("timeout")
    failures: list[Exception] = []

    def call() -> None:
        try:
            api_get(emu, "PROJ/count", None)
        except requests.RequestException as err:
            failures.append(err)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.2)

    assert _elapsed(emu.stop) < 2
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert len(failures) == 1
