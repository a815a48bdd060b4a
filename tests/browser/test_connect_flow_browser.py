"""The connect flow in a real Chromium: site login, Workfront login and consent, the dashboard.

The site is pytest-django's live server (``tests/browser/urls.py``), Workfront is the emulator
over HTTP, and every step is a click or a keystroke in the browser, as a user would do it. Each
test runs against the legacy Workfront OAuth2 app and against Adobe IMS (``site.provider``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "site-password-1"


def counter(site: Any, key: str) -> str:
    """The emulator's stats key of ``key`` for the site's provider (IMS keys are ``ims_``)."""
    return f"ims_{key}" if site.provider == "adobe_ims" else key


@pytest.fixture
def site_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("carol", "carol@example.com", PASSWORD)


def log_in_and_reach_consent(page: Any, site: Any, emulator: WorkfrontEmulator) -> None:
    """Log in to the site, click Connect, log in at Workfront: the consent screen is shown."""
    from playwright.sync_api import expect

    page.goto(site.url + "/dashboard/")
    expect(page).to_have_url(re.compile(re.escape(site.url + "/accounts/login/")))
    page.fill("input[name=username]", "carol")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    expect(page.locator("#state")).to_have_text("Not connected")
    page.click("form.workfront-connect button[type=submit]")

    login_page = "/ims/authorize/v2?" if site.provider == "adobe_ims" else "/integrations/oauth2/"
    expect(page).to_have_url(re.compile(re.escape(emulator.base_url + login_page)))
    heading = (
        "Sign in with your Adobe ID" if site.provider == "adobe_ims" else "Log in to Workfront"
    )
    expect(page.locator("h1")).to_have_text(heading)
    page.fill("input[name=username]", emulator.username)
    page.fill("input[name=password]", emulator.password)
    page.click("button[type=submit]")
    expect(page.locator("button[name=decision][value=allow]")).to_be_visible()


def test_allow_connects_and_lists_projects(
    page: Any, site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    from playwright.sync_api import expect

    log_in_and_reach_consent(page, site, emulator)
    page.click("button[name=decision][value=allow]")

    expect(page).to_have_url(site.url + "/dashboard/")
    expect(page.locator(".messages")).to_contain_text("Your Workfront account is connected.")
    expect(page.locator("#workfront-user")).to_have_text(emulator.user().name)
    # The dashboard asked for the first 50 projects, sorted by ID: exactly those are shown.
    expected = [row["name"] for row in sorted(emulator.dataset.projects, key=lambda r: r["ID"])]
    expect(page.locator("#projects td.name")).to_have_text(expected[:50])

    connection = WorkfrontConnection.objects.get(user=site_user)
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.provider == site.provider
    assert connection.workfront_user_id == emulator.user().id
    assert connection.host == emulator.base_url
    assert connection.access_token
    assert connection.refresh_token
    stats = emulator.stats
    assert stats[counter(site, "code_exchanges")] == 1
    assert stats["api_calls_by_objcode"].get("PROJ") == 1
    if site.provider == "adobe_ims":
        assert (connection.domain, connection.lane) == ("", "")
        assert connection.ims_user_id == emulator.ims_user_id()
        # Identity and projects went through the gateway with Bearer, API key and org id.
        assert stats["ims_userinfo_calls"] == 1
        assert stats["ims_api_calls"] == 2
        assert stats["gateway_errors"] == {}
    else:
        assert (connection.domain, connection.lane) == (emulator.domain, emulator.lane)


def test_deny_shows_a_friendly_error_and_saves_nothing(
    page: Any, site: Any, emulator: WorkfrontEmulator, site_user: Any
) -> None:
    from playwright.sync_api import expect

    log_in_and_reach_consent(page, site, emulator)
    with page.expect_response(re.compile(re.escape(site.url + "/workfront/callback/"))) as info:
        page.click("button[name=decision][value=deny]")
    assert info.value.status == 400

    expect(page.locator("h1")).to_have_text("Workfront connection failed")
    expect(page.locator(".workfront-error")).to_have_text(
        "You did not allow access to your Workfront account."
    )
    assert not WorkfrontConnection.objects.exists()
    assert emulator.stats[counter(site, "consents_denied")] == 1
    assert emulator.stats[counter(site, "token_requests")]["authorization_code"] == 0

    # The site still works, and still offers to connect.
    page.goto(site.url + "/dashboard/")
    expect(page.locator("#state")).to_have_text("Not connected")
