"""Fixtures for the emulator's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_workfront_oauth.testing import WorkfrontEmulator
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
