"""No dead ends after connecting: the browser's Back, and a consent page answered twice.

After a connect, Back goes to the authorization server's consent page. The emulator never lets
that page be cached, so the browser asks for it again, and the server, whose request was
answered already, sends the user back to the site with ``error=access_denied`` and the flow's
``state`` (RFC 6749 4.1.2.1). The site knows that state: this browser completed its flow, so
the answer lands on the connections page, "already connected". A consent page left open in
another tab and answered after the connect ends the same way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.browser.test_connect_flow_browser import PASSWORD, log_in_and_reach_consent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # One run per authorization server (the token request style changes nothing here).
    pytest.mark.parametrize(
        "site",
        [("workfront", "client_secret_basic"), ("adobe_ims", "client_secret_basic")],
        ids=["workfront", "adobe_ims"],
        indirect=True,
    ),
]

ALREADY_CONNECTED = "Your Workfront account is already connected."


@pytest.fixture
def site_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("carol", "carol@example.com", PASSWORD)


def connect(page: Any, site: Any, emulator: WorkfrontEmulator) -> None:
    from playwright.sync_api import expect

    page.click("button[name=decision][value=allow]")
    expect(page).to_have_url(site.url + "/dashboard/")
    expect(page.locator(".messages")).to_contain_text("Your Workfront account is connected.")


def assert_already_connected(page: Any, site: Any) -> None:
    from playwright.sync_api import expect

    expect(page).to_have_url(site.url + "/workfront/connections/")
    expect(page.locator(".messages")).to_contain_text(ALREADY_CONNECTED)
    # The way forward is on the page: the user's connection, and a way to disconnect it.
    expect(page.locator("h1")).to_have_text("Your Workfront connections")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()


def test_back_after_connecting_lands_on_already_connected(
    page: Any, site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    log_in_and_reach_consent(page, site, emulator)
    consent_url = page.url
    connect(page, site, emulator)

    with page.expect_response(re.compile(re.escape(consent_url))) as asked_again:
        page.go_back()
    # Not the browser's cached copy: the server was asked, and sent the user back to the site.
    assert asked_again.value.status == 302
    assert asked_again.value.headers["location"].startswith(site.url + "/workfront/callback/?")
    assert "error=access_denied" in asked_again.value.headers["location"]
    assert_already_connected(page, site)

    # Back once more reaches the site's dashboard: still connected, nothing was undone.
    page.go_back()
    page.goto(site.url + "/dashboard/")
    connection = WorkfrontConnection.objects.get(user=site_user)
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    key = "ims_code_exchanges" if site.provider == "adobe_ims" else "code_exchanges"
    assert emulator.stats[key] == 1


def test_a_consent_page_answered_after_connecting_lands_on_already_connected(
    page: Any, site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    from playwright.sync_api import expect

    log_in_and_reach_consent(page, site, emulator)
    # The same consent page open in a second tab, as a stale copy would be.
    stale = page.context.new_page()
    stale.goto(page.url)
    expect(stale.locator("button[name=decision][value=allow]")).to_be_visible()
    connect(page, site, emulator)

    # Re-submitted after its request was used: back to the site, which knows the flow is done.
    stale.click("button[name=decision][value=allow]")
    assert_already_connected(stale, site)
    key = "ims_codes_issued" if site.provider == "adobe_ims" else "codes_issued"
    assert emulator.stats[key] == 1


def test_try_again_on_the_error_page_starts_the_flow_again(
    page: Any, site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    """Deny at the consent page, then Try again: the button really posts (the error page's
    referrer policy lets the browser send the Origin that Django's CSRF check compares)."""
    from playwright.sync_api import expect

    log_in_and_reach_consent(page, site, emulator)
    page.click("button[name=decision][value=deny]")
    expect(page.get_by_role("alert")).to_contain_text("You did not allow access")
    page.get_by_role("button", name="Try again").click()
    # A new flow: the authorization server's page again, not a 403 from the CSRF check.
    expect(page).to_have_url(re.compile(re.escape(emulator.base_url)))
    expect(page.locator("body")).not_to_contain_text("CSRF")
