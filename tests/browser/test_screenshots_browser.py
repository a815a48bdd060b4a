"""Screenshots of the key pages at 1280 px wide, as ``make demo`` shows them.

Each page (inside the example site's layout, with a connected, a reconnection-required and a
not-connected instance) must fit 1280 px: nothing wider than the window. The screenshots go to
a temporary folder, or, with ``WORKFRONT_SCREENSHOTS=1``, to ``docs/_static/screenshots/``,
where README.rst and the docs show them::

    WORKFRONT_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_screenshots_browser.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app_pages import AppSite, example_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["example_site"]  # the fixture, imported for the tests below

WIDTH, HEIGHT = 1280, 800
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "_static" / "screenshots"
#: The pages photographed, by name (app_pages.PAGES) and the file they go to.
SHOTS = ["connections", "connect", "disconnect", "callback-error", "admin-changelist"]


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    if os.environ.get("WORKFRONT_SCREENSHOTS", "").strip().lower() in ("", "0", "false", "no"):
        return tmp_path
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return DOCS_SCREENSHOTS


@pytest.mark.parametrize("name", SHOTS)
def test_the_page_fits_1280_px_and_is_photographed(
    name: str, page: Any, example_site: AppSite, screenshots: Path
) -> None:
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    example_site.log_in(page)
    example_site.open(page, name)
    page.locator("h1").first.wait_for()

    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                 + (el.className && typeof el.className === 'string'
                    ? '.' + el.className.trim().split(/\\s+/).join('.') : ''))"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, overflow
    assert not overflow, f"{name}: wider than {WIDTH} px: {overflow[:10]}"

    target = screenshots / f"{name}.png"
    page.screenshot(path=str(target), full_page=True, animations="disabled")
    assert target.stat().st_size > 1000
