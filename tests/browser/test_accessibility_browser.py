"""The app's pages pass axe-core's automated accessibility check: no serious or critical issue.

axe-core comes from the npm registry (``a11y/package.json`` and its lock, installed once with
``npm ci`` into ``~/.cache/django-workfront-oauth/axe-core/``, see ``tests/npm_packages.py``),
and is injected into each page in Chromium: the connect page, the connections page with a
connected, a reconnection-required and a not-connected row, the disconnect confirmation, the
callback's error page, and the admin's list and change page of connections. The app's own
templates are checked, not a host site's layout; on the admin pages, the content area that our
templates fill (``#content``), not Django's own header and breadcrumbs (whose links axe finds
told apart from the text by colour alone: Django's, not ours).

Without Node.js and npm (Debian's ``nodejs`` and ``npm``, which ``.ci/run`` installs), or when
the install fails, the tests skip, or fail when ``CI`` is set, like the browser itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import npm_packages
from tests.browser.app_pages import PAGES, AppSite, app_site
from tests.browser.conftest import browser_missing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["app_site"]  # the fixture, imported for the tests below

A11Y = Path(__file__).resolve().parent / "a11y"
#: The impacts that fail the check (axe's others: "minor", "moderate").
FAILING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """``axe.min.js`` of the locked axe-core."""
    root = npm_packages.cache_root("axe-core", "WORKFRONT_AXE_CACHE")
    try:
        modules = npm_packages.install(A11Y, root, "axe-core")
    except npm_packages.NpmUnavailable as err:
        browser_missing(str(err))
    return modules / "axe-core" / "axe.min.js"


def axe_violations(page: Any, script: Path, context: str = "document") -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, within ``context`` (a selector)."""
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        "async (context) => await axe.run("
        "  context === 'document' ? document : {include: [context]},"
        "  {resultTypes: ['violations']})",
        context,
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']}: {violation['help']}")
        lines.extend(f"    {node['target']}: {node['html'][:160]}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violations(
    name: str, page: Any, app_site: AppSite, axe_script: Path
) -> None:
    from playwright.sync_api import expect

    app_site.log_in(page)
    status = app_site.open(page, name)
    # The callback error page answers 400, by design; every other page is a 200.
    assert status == (400 if name == "callback-error" else 200), status
    if name == "callback-error":
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
    if name == "connections":
        # All three rows are there: what is checked is every state's markup.
        rows = page.locator("table.workfront-connections tbody tr")
        assert rows.count() == 3

    violations = [
        violation
        for violation in axe_violations(
            page, axe_script, "#content" if name.startswith("admin-") else "document"
        )
        if violation["impact"] in FAILING_IMPACTS
    ]

    assert not violations, f"{name}: {len(violations)} violation(s)\n{describe(violations)}"
