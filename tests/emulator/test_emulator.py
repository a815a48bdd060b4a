"""The Python API: life cycle, users, grants, revocation, counters, helpers."""

from __future__ import annotations

import http.client
import re
from datetime import timedelta

import pytest
import requests

from django_workfront_oauth.testing import EmulatedUser, WorkfrontEmulator, format_workfront_date
from tests.emulator.helpers import REDIRECT_URI, api_get, exchange, query_of, refresh


def test_start_binds_a_free_loopback_port_and_stop_frees_it() -> None:
    emu = WorkfrontEmulator()
    with pytest.raises(RuntimeError):
        emu.base_url  # noqa: B018 - the property raises

    emu.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.base_url)
        assert emu.port > 0
        assert emu.running
        assert "127.0.0.1" in repr(emu)
        assert requests.get(emu.base_url, timeout=5).status_code == 200
        with pytest.raises(RuntimeError):
            emu.start()
    finally:
        url = emu.base_url
        emu.stop()

    assert not emu.running
    assert "stopped" in repr(emu)
    emu.stop()  # a second stop is harmless
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=1)


def test_context_manager_and_restart() -> None:
    emu = WorkfrontEmulator()
    with emu:
        first = emu.base_url
        assert requests.get(first, timeout=5).status_code == 200
    with emu:
        assert requests.get(emu.base_url, timeout=5).status_code == 200


def test_two_emulators_side_by_side() -> None:
    with WorkfrontEmulator(domain="one") as one, WorkfrontEmulator(domain="two") as two:
        assert one.base_url != two.base_url
        assert one.issue_tokens()["wid"] != two.issue_tokens()["wid"]


def test_urls(emu: WorkfrontEmulator) -> None:
    assert emu.token_url == emu.base_url + "/integrations/oauth2/api/v1/token"
    assert emu.api_url() == emu.base_url + "/attask/api/v21.0"
    assert emu.api_url("v22.0").endswith("/attask/api/v22.0")
    query = query_of(emu.authorize_url(state="s", code_challenge="c"))
    assert query == {
        "client_id": "cid",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "state": "s",
        "code_challenge": "c",
    }
    assert requests.get(emu.authorize_url(), timeout=5).status_code == 200


def test_default_credentials_and_user() -> None:
    emu = WorkfrontEmulator()

    assert (emu.client_id, emu.client_secret) == ("emulator-client-id", "emulator-client-secret")
    assert (emu.username, emu.password) == ("wfuser", "wfpass")
    assert emu.user() == emu.default_user
    assert "wfpass" not in repr(emu.default_user)


def test_custom_default_user_and_seeded_users() -> None:
    extra = EmulatedUser("zed", "zed-pw", id="f" * 32, name="Zed Zero", email_addr="z@example.com")
    emu = WorkfrontEmulator(username="ann", password="ann-pw", users=[extra])

    assert emu.user().name == "Ann"
    assert emu.user("zed") == extra
    with pytest.raises(KeyError):
        emu.user("nobody")
    with pytest.raises(KeyError):
        emu.issue_tokens("nobody")


def test_ids_are_stable_across_instances() -> None:
    assert WorkfrontEmulator().user().id == WorkfrontEmulator().user().id
    assert WorkfrontEmulator(domain="x").user().id != WorkfrontEmulator().user().id


def test_issue_code_and_issue_tokens_skip_the_browser(emu: WorkfrontEmulator) -> None:
    tokens = exchange(emu, emu.issue_code()).json()
    direct = emu.issue_tokens()

    assert api_get(emu, "PROJ/count", tokens["access_token"]).status_code == 200
    assert set(direct) == {"token_type", "access_token", "refresh_token", "expires_in", "wid"}
    assert len(emu.active_grants("wfuser")) == 2


def test_active_grants_show_the_current_tokens(emu: WorkfrontEmulator) -> None:
    tokens = emu.issue_tokens()
    new = refresh(emu, tokens["refresh_token"]).json()

    (grant,) = emu.active_grants("wfuser")

    assert grant.username == "wfuser"
    assert grant.client_id == "cid"
    assert grant.refresh_token == new["refresh_token"]
    assert grant.refresh_count == 1
    assert set(grant.access_tokens) == {tokens["access_token"], new["access_token"]}
    assert emu.active_grants("someone-else") == []
    assert {s.id for s in emu.active_sessions("wfuser")} == set(grant.access_tokens)


def test_revoke_user_kills_every_grant_of_that_user_only(emu: WorkfrontEmulator) -> None:
    emu.add_user("bob", "bob-pw")
    mine = [emu.issue_tokens(), emu.issue_tokens()]
    bobs = emu.issue_tokens("bob")

    assert emu.revoke_user("wfuser") == 2

    for tokens in mine:
        assert refresh(emu, tokens["refresh_token"]).status_code == 400
        assert api_get(emu, "PROJ/count", tokens["access_token"]).status_code == 401
    assert refresh(emu, bobs["refresh_token"]).status_code == 200
    assert api_get(emu, "PROJ/count", bobs["access_token"]).status_code == 200
    assert emu.active_grants("wfuser") == []
    assert emu.revoke_user("wfuser") == 0
    # Revoked grants are not reuse: no theft was detected.
    assert emu.stats["reuse_detections"] == 0


def test_stats_are_a_snapshot_and_reset(emu: WorkfrontEmulator) -> None:
    tokens = emu.issue_tokens()
    refresh(emu, tokens["refresh_token"])
    before = emu.stats
    refresh(emu, "bogus")

    assert before["successful_refreshes"] == 1
    assert before["rejected_refreshes"] == 0
    assert emu.stats["rejected_refreshes"] == 1

    emu.reset_stats()

    stats = emu.stats
    assert stats["token_requests"] == {"authorization_code": 0, "refresh_token": 0, "other": 0}
    assert stats["successful_refreshes"] == stats["rejected_refreshes"] == stats["api_calls"] == 0
    assert set(stats) == {
        "token_requests",
        "codes_issued",
        "code_exchanges",
        "rejected_code_exchanges",
        "successful_refreshes",
        "rejected_refreshes",
        "reuse_detections",
        "login_failures",
        "consents_denied",
        "api_calls",
        "api_calls_by_objcode",
        "unauthenticated_api_calls",
        "logouts",
        "faults_served",
        "ims_token_requests",
        "ims_codes_issued",
        "ims_code_exchanges",
        "ims_rejected_code_exchanges",
        "ims_successful_refreshes",
        "ims_rejected_refreshes",
        "ims_reuse_detections",
        "ims_login_failures",
        "ims_consents_denied",
        "ims_revokes",
        "ims_userinfo_calls",
        "ims_faults_served",
        "ims_api_calls",
        "ims_client_credentials_tokens",
        "ims_rejected_client_credentials",
        "gateway_errors",
        "api_writes",
    }


def test_the_recorder_refuses_unknown_counters(emu: WorkfrontEmulator) -> None:
    with pytest.raises(KeyError):
        emu.counters.add("token_requests")


def test_durations_accept_timedelta() -> None:
    with WorkfrontEmulator(session_idle_timeout=timedelta(minutes=1)) as emu:
        sid = emu.issue_tokens()["access_token"]
        emu.advance(timedelta(seconds=59))
        assert api_get(emu, "PROJ/count", sid).status_code == 200
        emu.advance(timedelta(minutes=1))
        assert api_get(emu, "PROJ/count", sid).status_code == 401


def test_workfront_date_format() -> None:
    from datetime import datetime, timezone

    aware = datetime(2010, 8, 30, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-6)))

    assert format_workfront_date(aware) == "2010-08-30T09:00:00:123-0600"
    assert format_workfront_date(datetime(2010, 8, 30, 9, 0)) == "2010-08-30T09:00:00:000+0000"


def test_a_large_body_is_refused_unread(emu: WorkfrontEmulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    connection.putrequest("POST", "/integrations/oauth2/api/v1/token")
    connection.putheader("Content-Length", str((1 << 20) + 1))
    connection.endheaders()

    assert connection.getresponse().status == 413
    connection.close()


def test_an_invalid_content_length_is_refused(emu: WorkfrontEmulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    connection.putrequest("POST", "/integrations/oauth2/api/v1/token")
    connection.putheader("Content-Length", "-5")
    connection.endheaders()

    assert connection.getresponse().status == 400
    connection.close()


def test_ipv6_loopback() -> None:
    try:
        emu = WorkfrontEmulator(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert emu.base_url.startswith("http://[::1]:")
        assert requests.get(emu.base_url, timeout=5).status_code == 200
    finally:
        emu.stop()


def test_an_endpoint_crash_is_a_500_and_the_server_keeps_going(
    emu: WorkfrontEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("emulator bug")

    monkeypatch.setattr(emu.store.sessions, "session_user", boom)

    assert api_get(emu, "PROJ/count", "x").status_code == 500
    assert requests.get(emu.base_url, timeout=5).status_code == 200
    assert "emulator bug" in capsys.readouterr().err


def test_request_logging_is_opt_in(capsys: pytest.CaptureFixture[str]) -> None:
    with WorkfrontEmulator(log_requests=True) as emu:
        requests.get(emu.base_url + "/?x=1", timeout=5)
    with WorkfrontEmulator() as quiet:
        requests.get(quiet.base_url + "/?y=1", timeout=5)

    err = capsys.readouterr().err
    assert "GET /?x=1" in err
    assert "/?y=1" not in err
