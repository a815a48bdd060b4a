"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.api_client import API
from tests.emulator.helpers import OTHER_REDIRECT_URI, REDIRECT_URI, Browser


@pytest.fixture
def emu() -> Iterator[WorkfrontEmulator]:
    """A running emulator with two registered redirect URIs."""
    with WorkfrontEmulator(
        client_id="cid", client_secret="csecret", redirect_uris=[REDIRECT_URI, OTHER_REDIRECT_URI]
    ) as emulator:
        yield emulator


@pytest.fixture
def browser(emu: WorkfrontEmulator) -> Browser:
    return Browser(emu)


@pytest.fixture
def tokens(emu: WorkfrontEmulator) -> dict[str, str]:
    """A fresh grant of the default user, made without the browser."""
    return emu.issue_tokens()


@pytest.fixture
def small_emu() -> Iterator[WorkfrontEmulator]:
    """An emulator with a few seeded projects, two tasks each: counts a test can follow."""
    with WorkfrontEmulator(projects=4, tasks_per_project=2) as emulator:
        yield emulator


@pytest.fixture(params=["session", "bearer"])
def api(request: pytest.FixtureRequest, small_emu: WorkfrontEmulator) -> API:
    """The REST API of ``small_emu`` with a legacy session, then with an IMS Bearer token."""
    return API(small_emu, request.param)


@pytest.fixture
def wf(small_emu: WorkfrontEmulator) -> API:
    """The REST API of ``small_emu`` with a legacy session (one style is enough here)."""
    return API(small_emu)
