"""Shared fixtures: users, logged-in clients, the HTTP mock, connections and the connect flow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.models import WorkfrontConnection
from tests.http_mock import DEFAULT_HOST, IMS_ORG_ID, WorkfrontMock

HOST = DEFAULT_HOST
CALLBACK_URL = "http://testserver/workfront/callback/"


@pytest.fixture
def user(django_user_model: Any) -> AbstractBaseUser:
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-pw")


@pytest.fixture
def other_user(django_user_model: Any) -> AbstractBaseUser:
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-pw")


@pytest.fixture
def user_client(user: AbstractBaseUser) -> Client:
    """A test client logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_user: AbstractBaseUser) -> Client:
    """A test client logged in as ``other_user``."""
    client = Client()
    client.force_login(other_user)
    return client


@pytest.fixture
def workfront_http() -> Iterator[WorkfrontMock]:
    """Workfront over ``responses``: register answers, read back what the app sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield WorkfrontMock(mock)


PROVIDERS = ["workfront", "adobe_ims"]


def pytest_configure(config: pytest.Config) -> None:
    """Every ``RemovedInDjango*`` warning this Django knows fails the test that raises it."""
    import django.utils.deprecation as deprecation

    for name in dir(deprecation):
        if name.startswith("RemovedInDjango"):
            config.addinivalue_line("filterwarnings", f"error::django.utils.deprecation.{name}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``legacy_only`` run only in their legacy-provider variant."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        legacy_only = item.get_closest_marker("legacy_only") is not None
        if legacy_only and params.get("provider", "workfront") != "workfront":
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(params=PROVIDERS)
def provider(request: Any, settings: Any, workfront_http: WorkfrontMock) -> str:
    """Run the default instance on each provider in turn: settings and the HTTP mock agree.

    Modules opt in with ``pytest.mark.usefixtures("provider")``; tests marked ``legacy_only``
    keep only their legacy variant.
    """
    name = str(request.param)
    settings.WORKFRONT_OAUTH_PROVIDER = name
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    workfront_http.provider = name
    return name


@pytest.fixture
def make_connection(user: AbstractBaseUser) -> Any:
    """Create a ``WorkfrontConnection`` (for ``user`` unless told otherwise).

    Its provider is the default instance's, so tests parametrised over providers get theirs.
    """

    def make(**fields: Any) -> WorkfrontConnection:
        provider = app_settings.get_instance().provider
        values: dict[str, Any] = {
            "provider": provider,
            "user": user,
            "host": HOST,
            "domain": "acme" if provider == "workfront" else "",
            "lane": "my" if provider == "workfront" else "",
            "redirect_uri": CALLBACK_URL,
            "workfront_user_id": "wf-user-1",
            "workfront_user_name": "Alice Anders",
            "workfront_user_email": "alice@acme.example",
            "access_token": "stored-access-token",
            "refresh_token": "stored-refresh-token",
            "token_type": "sessionID",
            "wid": "stored-wid",
            "access_token_expires_at": timezone.now() + timedelta(hours=8),
        }
        values.update(fields)
        return WorkfrontConnection.objects.create(**values)

    return make


class ConnectFlow:
    """Drives the connect flow through the views for one test client."""

    def __init__(self, client: Client, http: WorkfrontMock | None = None) -> None:
        self.client = client
        self.http = http
        self.authorize_response: HttpResponse | None = None

    def start(self, **data: str) -> str:
        """POST to the authorize view; return the ``state`` of the Workfront redirect.

        The flow's ``nonce`` goes to the HTTP mock, whose IMS answers carry it back.
        """
        response = self.client.post(reverse("workfront_oauth:authorize"), data)
        assert response.status_code == 302, response.status_code
        self.authorize_response = response
        params = self.authorize_params()
        if self.http is not None:
            self.http.nonce = params.get("nonce", "")
        return params["state"]

    def authorize_params(self) -> dict[str, str]:
        assert self.authorize_response is not None
        query = parse_qs(urlsplit(self.authorize_response["Location"]).query)
        assert all(len(values) == 1 for values in query.values()), query
        return {key: values[0] for key, values in query.items()}

    def callback(self, state: str | None, **params: str | None) -> HttpResponse:
        """GET the callback as Workfront would send it; a ``None`` parameter is left out."""
        query: dict[str, str | None] = {
            "code": "auth-code-1",
            "domain": "acme",
            "lane": "my",
            "state": state,
        }
        query.update(params)
        return self.client.get(
            reverse("workfront_oauth:callback"),
            {key: value for key, value in query.items() if value is not None},
        )


@pytest.fixture
def make_flow(workfront_http: WorkfrontMock) -> Any:
    """``make_flow(client)``: a :class:`ConnectFlow` for that client."""
    return lambda client: ConnectFlow(client, workfront_http)


@pytest.fixture
def flow(user_client: Client, workfront_http: WorkfrontMock) -> ConnectFlow:
    """The connect flow of ``user``."""
    return ConnectFlow(user_client, workfront_http)
