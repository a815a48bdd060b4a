"""Fixtures of the browser tests: Debian's Chromium through Playwright, the emulator, the site.

Without a browser these tests skip, with the reason, except under CI (``CI`` set), where a
missing browser is a failure: a green CI run must have driven a real Chromium.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django_workfront_oauth.testing import WorkfrontEmulator

CHROMIUM = Path(os.environ.get("WORKFRONT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
#: Playwright's wait for any page, locator or navigation, in milliseconds.
TIMEOUT_MS = 15_000


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set to something other than false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_missing(reason: str) -> None:
    """Skip, or under CI fail: CI must not pass without driving the browser."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched headless once for the module."""
    if not CHROMIUM.exists():
        browser_missing(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing("Playwright is not installed: pip install -e '.[test]'")
    # Playwright's sync API keeps an asyncio loop in this thread, so Django would refuse the
    # tests' ORM calls as "async context"; there is no concurrency here to protect against.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield browser
            finally:
                browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page for each test."""
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def emulator() -> Iterator[WorkfrontEmulator]:
    """The Workfront emulator, over real HTTP on a free loopback port."""
    with WorkfrontEmulator(port=0, projects=120) as running:
        yield running


@pytest.fixture(
    params=[
        ("workfront", "client_secret_basic"),
        ("workfront", "client_secret_post"),
        ("adobe_ims", "client_secret_basic"),
        ("adobe_ims", "client_secret_post"),
    ],
    ids=lambda param: "-".join(param),
)
def site(
    request: pytest.FixtureRequest, emulator: WorkfrontEmulator, live_server: Any, settings: Any
) -> Any:
    """The live test site pointed at the emulator: each provider with each token request style.

    ``site.provider`` says which authorization server the site uses: the emulator's legacy
    OAuth2 app (``"workfront"``) or its Adobe IMS credential (``"adobe_ims"``).
    """
    provider, method = request.param
    settings.ROOT_URLCONF = "tests.browser.urls"
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [TEMPLATES_DIR]
    settings.TEMPLATES = templates
    settings.WORKFRONT_OAUTH_HOST = emulator.base_url
    settings.WORKFRONT_OAUTH_PROVIDER = provider
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = method
    callback = live_server.url + "/workfront/callback/"
    if provider == "adobe_ims":
        settings.WORKFRONT_OAUTH_IMS_HOST = emulator.base_url
        settings.WORKFRONT_OAUTH_IMS_ORG_ID = emulator.ims_org_id
        settings.WORKFRONT_OAUTH_CLIENT_ID = emulator.ims_client_id
        settings.WORKFRONT_OAUTH_CLIENT_SECRET = emulator.ims_client_secret
        emulator.add_ims_redirect_uri(callback)
    else:
        settings.WORKFRONT_OAUTH_CLIENT_ID = emulator.client_id
        settings.WORKFRONT_OAUTH_CLIENT_SECRET = emulator.client_secret
        settings.WORKFRONT_OAUTH_DOMAIN = emulator.domain
        settings.WORKFRONT_OAUTH_LANE = emulator.lane
        emulator.add_redirect_uri(callback)
    live_server.provider = provider
    return live_server
