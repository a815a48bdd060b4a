"""The app's pages, set up for the accessibility check and the screenshots.

One user (a superuser, for the admin) with three instances: connected, reconnection required,
not connected; every page the app (and its admin) shows, by name, reached over the live server
in Chromium, logged in through a session cookie.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from django_workfront_oauth.models import WorkfrontConnection

EXAMPLE_TEMPLATES = (
    Path(__file__).resolve().parents[2] / "example_project" / "example" / "templates"
)
IMS_ORG_ID = "0123456789ABCDEF01234567@AdobeOrg"
#: Where pages_urls serves the admin's CSS and scripts.
STATIC_URL = "/assets/"
HOSTS = {
    "default": "https://acme.my.workfront.com",
    "sandbox": "https://acme.sb01.workfront.com",
    "europe": "https://acme-eu.my.workfront.com",
}

#: Each page: its name, and the path it is at (``{connected}`` is the connected row's pk).
PAGES = {
    "connections": "/workfront/connections/",
    "connect": "/workfront/connect/",
    "disconnect": "/workfront/connections/{connected}/disconnect/",
    # Reached by Connect, then a Deny at the authorization server (open() plays it).
    "callback-error": "/workfront/connect/?instance=europe",
    "admin-changelist": "/admin/django_workfront_oauth/workfrontconnection/",
    "admin-change": "/admin/django_workfront_oauth/workfrontconnection/{connected}/change/",
}


def instance(host: str) -> dict[str, str]:
    return {
        "HOST": host,
        "PROVIDER": "adobe_ims",
        "CLIENT_ID": "a11y-client-id",
        "CLIENT_SECRET": "a11y-client-secret",
        "IMS_ORG_ID": IMS_ORG_ID,
    }


@dataclass
class AppSite:
    """The live server with the user, their connections and a way to log a browser in."""

    url: str
    user: Any
    connected: WorkfrontConnection
    needs_reconnecting: WorkfrontConnection

    def page_url(self, name: str) -> str:
        return self.url + PAGES[name].format(connected=self.connected.pk)

    def open(self, page: Any, name: str) -> int:
        """Show the page in the browser; the HTTP status it was answered with."""
        if name != "callback-error":
            response = page.goto(self.page_url(name))
            assert response is not None
            return int(response.status)

        # Adobe IMS, played by the browser itself: the user says Deny, IMS sends them back.
        def deny(route: Any) -> None:
            state = parse_qs(urlsplit(route.request.url).query)["state"][0]
            query = urlencode({"error": "access_denied", "state": state})
            back = f"{self.url}/workfront/callback/?{query}"
            route.fulfill(status=302, headers={"Location": back})

        page.route(re.compile(r"^https://ims-na1\.adobelogin\.com/"), deny)
        page.goto(self.page_url(name))
        with page.expect_response(re.compile(re.escape(self.url + "/workfront/callback/"))) as info:
            page.click("form.workfront-connect button[type=submit]")
        return int(info.value.status)

    def log_in(self, page: Any) -> None:
        """Give the browser a session of ``user`` (no login form: the pages are the subject)."""
        client = Client()
        client.force_login(self.user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.url}])


def connection(user: Any, name: str, **fields: Any) -> WorkfrontConnection:
    values: dict[str, Any] = {
        "user": user,
        "instance": name,
        "provider": "adobe_ims",
        "host": HOSTS[name],
        "redirect_uri": "http://127.0.0.1/workfront/callback/",
        "workfront_user_id": "wf-user-1",
        "workfront_user_name": "Alice Anders",
        "workfront_user_email": "alice@acme.example",
        "access_token": "stored-access-token",
        "refresh_token": "stored-refresh-token",
        "token_type": "bearer",
        "access_token_expires_at": timezone.now() + timedelta(hours=8),
        "last_refreshed_at": timezone.now() - timedelta(minutes=12),
        **fields,
    }
    return WorkfrontConnection.objects.create(**values)


def make_app_site(
    live_server: Any, settings: Any, django_user_model: Any, *, example_layout: bool
) -> AppSite:
    """Configure the site (the app's own templates, or inside the example site's layout)."""
    settings.ROOT_URLCONF = "tests.browser.pages_urls"
    settings.STATIC_URL = STATIC_URL
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_HOST = HOSTS["default"]
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    settings.WORKFRONT_OAUTH_INSTANCES = {
        name: instance(host) for name, host in HOSTS.items() if name != "default"
    }
    if example_layout:
        templates = copy.deepcopy(settings.TEMPLATES)
        templates[0]["DIRS"] = [EXAMPLE_TEMPLATES]
        settings.TEMPLATES = templates
    user = django_user_model.objects.create_superuser("alice", "alice@example.com", "pw-1")
    connected = connection(user, "default")
    needs_reconnecting = connection(
        user,
        "sandbox",
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="The token endpoint refused the refresh token: HTTP 400 (invalid_grant).",
        access_token_expires_at=timezone.now() - timedelta(hours=1),
    )
    return AppSite(live_server.url, user, connected, needs_reconnecting)


@pytest.fixture
def app_site(live_server: Any, settings: Any, django_user_model: Any) -> AppSite:
    """The app's pages with its own templates."""
    return make_app_site(live_server, settings, django_user_model, example_layout=False)


@pytest.fixture
def example_site(live_server: Any, settings: Any, django_user_model: Any) -> AppSite:
    """The app's pages inside the example site's layout, as ``make demo`` shows them."""
    return make_app_site(live_server, settings, django_user_model, example_layout=True)
