"""The connections' admin in a real Chromium at 1280 x 800: the list fits the window.

A site admin's laptop is 1280 px wide; the list (with Django's navigation sidebar and the
filters beside it) must show every column without scrolling sideways, also with a long email
as the username and a long last error.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from django_workfront_oauth.models import RefreshLog, WorkfrontConnection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "admin-password-1"
#: Set WORKFRONT_TEST_ADMIN_SCREENSHOTS to a directory to keep what the browser saw.
_SHOTS = os.environ.get("WORKFRONT_TEST_ADMIN_SCREENSHOTS", "")
SCREENSHOTS = Path(_SHOTS) if _SHOTS else None
WIDTH, HEIGHT = 1280, 800
LONG_EMAIL = "firstname.middlename.lastname.with-a-long-suffix@subsidiary.example-company.com"
LONG_ERROR = (
    "The token endpoint https://ims-na1.adobelogin.com/ims/token/v3?client_id=abcdefghijklmnop "
    "refused the refresh token: HTTP 400 (invalid_grant). " + "detail-" * 40
)


@pytest.fixture
def admin_site(live_server: Any, settings: Any, django_user_model: Any) -> Any:
    """The live server with the admin, a superuser, and connections with long values."""
    settings.ROOT_URLCONF = "tests.browser.admin_urls"
    settings.STATIC_URL = "/admin-static/"
    django_user_model.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    now = timezone.now()
    for number, (username, status) in enumerate(
        [
            (LONG_EMAIL, WorkfrontConnection.Status.REAUTH_REQUIRED),
            ("bob", WorkfrontConnection.Status.ACTIVE),
            ("carol.with.a.rather.long.name@example.org", WorkfrontConnection.Status.ACTIVE),
        ]
    ):
        user = django_user_model.objects.create_user(username, username, "pw")
        connection = WorkfrontConnection.objects.create(
            user=user,
            instance="default",
            provider="workfront",
            host="https://a-very-long-customer-subdomain-name.my.workfront.com",
            workfront_user_id=f"5f3c0a1b2c3d4e5f6a7b8c9d0e1f2a3{number}",
            workfront_user_name="Maximiliane Alexandra Featherstonehaugh-Cholmondeley",
            workfront_user_email=LONG_EMAIL,
            access_token="browser-access",
            refresh_token="browser-refresh",
            access_token_expires_at=now + timedelta(minutes=3),
            last_refreshed_at=now - timedelta(minutes=5),
            status=status,
            last_error=LONG_ERROR[:500],
        )
        RefreshLog.record(connection, "refreshed")
        RefreshLog.record(connection, "failed", reason=LONG_ERROR)
    return live_server


@pytest.fixture
def wide_page(chromium: Any) -> Any:
    """A page in a fresh context with the window of a 1280 x 800 laptop."""
    from .conftest import TIMEOUT_MS

    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def log_in(page: Any, site: Any) -> None:
    page.goto(site.url + "/admin/login/?next=/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(site.url + "/admin/")


def test_the_connection_list_fits_1280_px(wide_page: Any, admin_site: Any) -> None:
    log_in(wide_page, admin_site)
    wide_page.goto(admin_site.url + "/admin/django_workfront_oauth/workfrontconnection/")
    table = wide_page.locator("#result_list")
    table.wait_for()
    # The admin's CSS is there: the filters sit beside the list, not under it.
    filters = wide_page.locator("#changelist-filter").bounding_box()
    assert filters is not None
    assert filters["x"] > WIDTH / 2, filters

    box = table.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= WIDTH, box
    # Nothing scrolls sideways: not the page, not the list's own scrolling container.
    sizes = wide_page.evaluate(
        """() => {
            const results = document.querySelector('#changelist .results');
            return {
                page: document.documentElement.scrollWidth,
                window: window.innerWidth,
                resultsScroll: results.scrollWidth,
                resultsClient: results.clientWidth,
            };
        }"""
    )
    assert sizes["page"] <= sizes["window"], sizes
    assert sizes["resultsScroll"] <= sizes["resultsClient"], sizes
    # Every column, the last one included, ends inside the window.
    headers = wide_page.locator("#result_list thead th")
    for index in range(headers.count()):
        header_box = headers.nth(index).bounding_box()
        assert header_box is not None
        assert header_box["x"] + header_box["width"] <= WIDTH, (index, header_box)
    labels = [text.strip() for text in headers.all_inner_texts()]
    assert any("expires" in label.lower() for label in labels), labels
    assert any("last refreshed" in label.lower() for label in labels), labels
    # The long values are there, wrapped inside their cells; the last error is not.
    content = wide_page.content()
    assert LONG_EMAIL in content
    assert "invalid_grant" not in content
    # The health bar fits too.
    health = wide_page.locator("#workfront-oauth-health table").bounding_box()
    assert health is not None
    assert health["x"] + health["width"] <= WIDTH, health
    if SCREENSHOTS:
        wide_page.screenshot(path=str(SCREENSHOTS / "admin-connections.png"), full_page=True)


def test_the_connection_page_and_history_fit_1280_px(wide_page: Any, admin_site: Any) -> None:
    log_in(wide_page, admin_site)
    connection = WorkfrontConnection.objects.get(user__username=LONG_EMAIL)
    wide_page.goto(
        admin_site.url
        + f"/admin/django_workfront_oauth/workfrontconnection/{connection.pk}/change/"
    )
    wide_page.locator("#content").wait_for()
    width = wide_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH
    assert "Renewal failed, will be retried" in wide_page.content()
    if SCREENSHOTS:
        wide_page.screenshot(path=str(SCREENSHOTS / "admin-connection.png"), full_page=True)
