"""``state_file``: an emulator started again from its saved state keeps every client connected."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from django_workfront_oauth.testing import WorkfrontEmulator
from django_workfront_oauth.testing.cli import banner, emulator_from_options
from tests.emulator.helpers import (
    IMS_REDIRECT_URI,
    REDIRECT_URI,
    Browser,
    IMSBrowser,
    api_get,
    exchange,
    ims_api_get,
    ims_exchange,
    ims_refresh,
    query_of,
    refresh,
    request_id,
)

ARGS: dict[str, Any] = {
    "client_id": "cid",
    "client_secret": "csecret",
    "redirect_uris": [REDIRECT_URI],
    "ims_redirect_uris": [IMS_REDIRECT_URI],
    "projects": 3,
}


def test_a_restart_from_the_state_file_keeps_grants_sessions_and_users(tmp_path: Path) -> None:
    state_file = tmp_path / "var" / "emulator.json"
    with WorkfrontEmulator(**ARGS, state_file=state_file) as first:
        late_uri = "http://127.0.0.1:9100/workfront/callback/"
        first.add_redirect_uri(late_uri)
        first.add_user("jo.smith", "jo-pw")
        legacy = exchange(first, Browser(first).code(state="s1")).json()
        rotated_away = legacy["refresh_token"]
        legacy = refresh(first, rotated_away).json()
        ims = ims_exchange(first, IMSBrowser(first).code(state="s2")).json()
        # A consent page that Back will reach after the restart.
        browser = Browser(first)
        answered = request_id(browser.authorize(state="s3").text)
        browser.login(answered)
        browser.decide(answered, "allow")
        first.advance(30)
    # stop() wrote the file, readable by its owner only: it holds live tokens.
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert legacy["refresh_token"] in state_file.read_text()

    with WorkfrontEmulator(**ARGS, state_file=state_file) as second:
        # The access tokens still work, and the refresh tokens refresh.
        me = api_get(second, "USER/search", legacy["access_token"], ID="$$USER.ID")
        assert me.status_code == 200, me.text
        assert me.json()["data"][0]["ID"] == second.default_user.id
        ims_me = ims_api_get(second, "USER/search", ims["access_token"], ID="$$USER.ID")
        assert ims_me.status_code == 200, ims_me.text
        renewed = refresh(second, legacy["refresh_token"])
        assert renewed.status_code == 200, renewed.text
        assert ims_refresh(second, ims["refresh_token"]).status_code == 200
        # A rotated-away refresh token is still recognised as a copy: the grant ends.
        assert refresh(second, rotated_away).status_code == 400
        assert any("reuse" in reason for _, reason in second.store.ended_grants())
        # Users and redirect URIs added at run time, and the clock, came back.
        assert second.user("jo.smith").password == "jo-pw"
        assert late_uri in second.redirect_uris
        assert second.clock.offset == 30
        # The consent page of a request answered before the restart sends Back to the client.
        again = Browser(second).consent_page(answered)
        assert again.status_code == 302
        assert query_of(again.headers["Location"])["state"] == "s3"


def test_the_arguments_win_over_the_file(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator.json"
    with WorkfrontEmulator(**ARGS, state_file=state_file):
        pass
    with WorkfrontEmulator(**ARGS, password="new-pw", state_file=state_file) as second:
        assert second.user().password == "new-pw"


def test_the_state_is_saved_while_running(tmp_path: Path) -> None:
    state_file = tmp_path / "emulator.json"
    with WorkfrontEmulator(**ARGS, state_file=state_file, autosave_interval=0.05) as emu:
        tokens = emu.issue_tokens()
        deadline = time.monotonic() + 5
        while tokens["refresh_token"] not in (
            state_file.read_text() if state_file.exists() else ""
        ):
            assert time.monotonic() < deadline, "the state was not saved while running"
            time.sleep(0.02)


def test_save_and_load_without_a_state_file(tmp_path: Path) -> None:
    with WorkfrontEmulator(**ARGS) as first:
        tokens = first.issue_tokens()
        with pytest.raises(ValueError, match="state_file"):
            first.save_state()
        saved = first.save_state(tmp_path / "copy.json")
    with WorkfrontEmulator(**ARGS) as second:
        second.load_state(saved)
        assert refresh(second, tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", json.dumps({"format": "something else"}), json.dumps({"version": 1})],
)
def test_a_file_that_is_not_a_state_file_is_refused(tmp_path: Path, content: str) -> None:
    state_file = tmp_path / "emulator.json"
    state_file.write_text(content)
    with pytest.raises(ValueError, match="emulator state file"):
        WorkfrontEmulator(**ARGS, state_file=state_file)


def test_the_command_line_option(tmp_path: Path) -> None:
    import argparse

    from django_workfront_oauth.testing.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    state_file = tmp_path / "emulator.json"
    options = vars(
        parser.parse_args(
            ["--port", "0", "--redirect-uri", REDIRECT_URI, "--state-file", str(state_file)]
        )
    )
    emulator = emulator_from_options(options)
    assert emulator.state_file == state_file
    with emulator:
        assert f"Sign-in state kept in {state_file}" in banner(emulator)
    assert state_file.exists()
