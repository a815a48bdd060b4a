"""One state story in a real Chromium: every page says the same of a connection.

The site is the example project's own pages (home, dashboard, its layout around the app's
pages: ``tests/browser/example_urls.py``) over pytest-django's live server, Workfront the
emulator. A connection that needs reconnecting reads the same on the home page, the dashboard
and the connections page, and one click brings it back; the move from the legacy sign-in to
Adobe's says what happened.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from django_workfront_oauth import services
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.states import describe
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.browser.example_urls import TEMPLATES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "site-password-1"
ADMIN_REASON = "Required by site admin 'root' through the admin action 'Require reconnection'."
ONE_PER_PROVIDER = pytest.mark.parametrize(
    "site",
    [("workfront", "client_secret_basic"), ("adobe_ims", "client_secret_basic")],
    ids=["workfront", "adobe_ims"],
    indirect=True,
)


@pytest.fixture
def example_site(site: Any, settings: Any) -> Any:
    """The live site (``site``, pointed at the emulator) serving the example project's pages."""
    settings.ROOT_URLCONF = "tests.browser.example_urls"
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [TEMPLATES]
    settings.TEMPLATES = templates
    return site


@pytest.fixture
def site_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("carol", "carol@example.com", PASSWORD)


def log_in(page: Any, site: Any) -> None:
    page.goto(site.url + "/accounts/login/?next=/")
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/")


def sign_in_and_allow(page: Any, emulator: WorkfrontEmulator) -> None:
    """At the emulator (Workfront or Adobe): the login form, then Allow."""
    page.fill("input[name=username]", emulator.username)
    page.fill("input[name=password]", emulator.password)
    page.click("button[type=submit]")
    page.click("button[name=decision][value=allow]")


def connect_from_home(page: Any, site: Any, emulator: WorkfrontEmulator) -> None:
    log_in(page, site)
    page.click("form.workfront-connect button[type=submit]")
    sign_in_and_allow(page, emulator)
    page.wait_for_url(site.url + "/dashboard/")


def state_on(page: Any, url: str) -> tuple[str, str, list[str]]:
    """What ``url`` says of the connection: title, sentence, and its Workfront buttons."""
    page.goto(url)
    title = page.locator(".workfront-state").inner_text()
    sentence = page.locator(".workfront-state-sentence").inner_text()
    buttons = page.locator("form.workfront-connect button").all_inner_texts()
    return title, sentence, buttons


@ONE_PER_PROVIDER
def test_a_required_reconnection_reads_the_same_on_every_page_and_one_click_mends_it(
    page: Any, example_site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    from playwright.sync_api import expect

    connect_from_home(page, example_site, emulator)
    connection = WorkfrontConnection.objects.get(user=site_user)
    services.require_reauthorization(connection, ADMIN_REASON)
    expected = describe(WorkfrontConnection.objects.get(pk=connection.pk))

    said = {
        name: state_on(page, example_site.url + path)
        for name, path in {
            "home": "/",
            "dashboard": "/dashboard/",
            "connections": "/workfront/connections/",
        }.items()
    }
    for name, (title, sentence, buttons) in said.items():
        assert (title, sentence) == (expected.title, expected.sentence), name
        assert title == "Needs reconnecting"
        assert sentence.startswith("An administrator of this site asked you"), name
        assert buttons == ["Reconnect"], name
    for path in ("/", "/dashboard/", "/workfront/connections/"):
        page.goto(example_site.url + path)
        body = page.locator("body").inner_text()
        assert "root" not in body and "Require reconnection" not in body, path
        assert " is connected" not in body, path
        assert "reload this page to watch" not in body, path

    # The one action, from the dashboard, brings it back: every page then says "Connected".
    page.goto(example_site.url + "/dashboard/")
    page.click("form.workfront-connect button[type=submit]")
    sign_in_and_allow(page, emulator)
    page.wait_for_url(example_site.url + "/dashboard/")
    expect(page.locator("#connection-state .workfront-state")).to_have_text("Connected")
    expect(page.locator("#projects")).to_be_visible()
    assert "reload this page to watch" in page.locator("body").inner_text()
    for path in ("/", "/workfront/connections/"):
        title, _, buttons = state_on(page, example_site.url + path)
        assert (title, buttons) == ("Connected", []), path


@pytest.mark.parametrize(
    "site", [("workfront", "client_secret_basic")], ids=["workfront"], indirect=True
)
def test_the_move_to_adobe_is_one_action_and_says_what_happened(
    page: Any, example_site: Any, emulator: WorkfrontEmulator, site_user: Any, settings: Any
) -> None:
    from playwright.sync_api import expect

    connect_from_home(page, example_site, emulator)
    legacy = WorkfrontConnection.objects.get(user=site_user)
    assert legacy.provider == "workfront"
    WorkfrontConnection.objects.filter(pk=legacy.pk).update(last_refreshed_at=legacy.created_at)

    # The site moves its instance to Adobe IMS (the same Workfront, its successor sign-in).
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_HOST = emulator.base_url
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = emulator.ims_org_id
    settings.WORKFRONT_OAUTH_CLIENT_ID = emulator.ims_client_id
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = emulator.ims_client_secret
    emulator.add_ims_redirect_uri(example_site.url + "/workfront/callback/")

    title, _, buttons = state_on(page, example_site.url + "/workfront/connections/")
    assert title == "Connected"
    assert buttons == ["Move to Adobe sign-in"]
    expect(page.locator(".workfront-notice")).to_contain_text("switches off on 1 February 2027")
    page.click("form.workfront-connect button[type=submit]")
    expect(page.locator("h1")).to_have_text("Sign in with your Adobe ID")
    sign_in_and_allow(page, emulator)

    page.wait_for_url(example_site.url + "/workfront/connections/")
    expect(page.locator(".messages")).to_have_text(
        "Your Workfront connection now uses Adobe sign-in; the old Workfront sign-in was ended."
    )
    expect(page.locator(".workfront-state")).to_have_text("Moved to Adobe sign-in")
    expect(page.locator("form.workfront-connect")).to_have_count(0)

    page.goto(example_site.url + "/dashboard/")
    expect(page.locator("#provider")).to_have_text("Adobe IMS")
    expect(page.locator("#last-refreshed")).to_have_text("not yet")
    expect(page.locator("#connection-state .workfront-state")).to_have_text(
        "Moved to Adobe sign-in"
    )
    expect(page.locator("#projects")).to_be_visible()
    moved = WorkfrontConnection.objects.get(user=site_user)
    assert (moved.pk, moved.provider, moved.last_refreshed_at) == (legacy.pk, "adobe_ims", None)
    assert moved.ims_user_id
