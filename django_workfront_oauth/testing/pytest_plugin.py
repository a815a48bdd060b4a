"""pytest fixtures that run the Workfront emulator; opt-in: nothing happens unless requested.

Registered through the ``pytest11`` entry point, so this module is imported by every pytest run
of a project that installs the package: it imports neither Django nor the emulator at import
time and adds nothing but a marker and four fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from django_workfront_oauth.constants import (
    PROVIDER_ADOBE_IMS,
    PROVIDER_ADOBE_IMS_S2S,
    PROVIDER_WORKFRONT,
)

if TYPE_CHECKING:
    from .emulator import WorkfrontEmulator

MARKER = "workfront_emulator"
#: The instance ``workfront_s2s_settings`` adds to ``WORKFRONT_OAUTH_INSTANCES``.
S2S_INSTANCE = "service"


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (projects run with ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): WorkfrontEmulator constructor arguments for the "
        "workfront_emulator fixture",
    )


@pytest.fixture
def workfront_emulator(request: pytest.FixtureRequest) -> Iterator[WorkfrontEmulator]:
    """A running emulator on a free 127.0.0.1 port, stopped after the test.

    ``@pytest.mark.workfront_emulator(rotate_refresh_tokens=False, ...)`` passes constructor
    arguments. When the test also uses pytest-django's ``live_server``, its callback URL is
    registered as a redirect URI of both the legacy app and the IMS credential.
    """
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        # The closest marker (on the test) wins over module or class markers.
        options.update(marker.kwargs)
    options["port"] = options.get("port", 0)
    from .emulator import WorkfrontEmulator

    with WorkfrontEmulator(**options) as emulator:
        if "live_server" in request.fixturenames:
            live_server = request.getfixturevalue("live_server")
            for path in _callback_paths():
                emulator.add_redirect_uri(f"{live_server.url}{path}")
                emulator.add_ims_redirect_uri(f"{live_server.url}{path}")
        yield emulator


@pytest.fixture
def workfront_settings(workfront_emulator: WorkfrontEmulator, settings: Any) -> WorkfrontEmulator:
    """Point the app's ``WORKFRONT_OAUTH_*`` settings at the emulator; returns the emulator.

    Uses pytest-django's ``settings`` fixture, so every change is undone after the test. Also
    registers ``http://testserver<callback path>`` so Django's test client can finish the flow.
    """
    settings.WORKFRONT_OAUTH_HOST = workfront_emulator.base_url
    settings.WORKFRONT_OAUTH_CLIENT_ID = workfront_emulator.client_id
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = workfront_emulator.client_secret
    # A loopback host cannot be parsed for domain and lane, so say what the callback carries.
    settings.WORKFRONT_OAUTH_DOMAIN = workfront_emulator.domain
    settings.WORKFRONT_OAUTH_LANE = workfront_emulator.lane
    settings.WORKFRONT_OAUTH_PROVIDER = PROVIDER_WORKFRONT
    _register_test_callbacks(workfront_emulator.add_redirect_uri, settings)
    return workfront_emulator


@pytest.fixture
def workfront_ims_settings(
    workfront_emulator: WorkfrontEmulator, settings: Any
) -> WorkfrontEmulator:
    """Point the app at the emulator's Adobe IMS side; returns the emulator.

    Sets ``PROVIDER = "adobe_ims"``, ``HOST`` and ``IMS_HOST`` (both the emulator's base URL),
    ``IMS_ORG_ID`` and ``CLIENT_ID``/``CLIENT_SECRET`` (the IMS credential's), through
    pytest-django's ``settings`` fixture. Registers ``http://testserver<callback path>`` and a
    configured ``WORKFRONT_OAUTH_REDIRECT_URI`` as IMS redirect URIs.
    """
    settings.WORKFRONT_OAUTH_PROVIDER = PROVIDER_ADOBE_IMS
    settings.WORKFRONT_OAUTH_HOST = workfront_emulator.base_url
    settings.WORKFRONT_OAUTH_IMS_HOST = workfront_emulator.base_url
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = workfront_emulator.ims_org_id
    settings.WORKFRONT_OAUTH_CLIENT_ID = workfront_emulator.ims_client_id
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = workfront_emulator.ims_client_secret
    _register_test_callbacks(workfront_emulator.add_ims_redirect_uri, settings)
    return workfront_emulator


@pytest.fixture
def workfront_s2s_settings(
    workfront_emulator: WorkfrontEmulator, settings: Any
) -> Iterator[WorkfrontEmulator]:
    """Add an instance ``"service"`` on the emulator's Server-to-Server credential; returns the
    emulator.

    It joins whatever ``WORKFRONT_OAUTH_INSTANCES`` holds (the flat settings, and so the default
    instance, are left alone, so this combines with ``workfront_settings`` or
    ``workfront_ims_settings``), through pytest-django's ``settings`` fixture.
    """
    instances = dict(getattr(settings, "WORKFRONT_OAUTH_INSTANCES", None) or {})
    instances[S2S_INSTANCE] = {
        "PROVIDER": PROVIDER_ADOBE_IMS_S2S,
        "HOST": workfront_emulator.base_url,
        "IMS_HOST": workfront_emulator.base_url,
        "IMS_ORG_ID": workfront_emulator.ims_org_id,
        "CLIENT_ID": workfront_emulator.s2s_client_id,
        "CLIENT_SECRET": workfront_emulator.s2s_client_secret,
    }
    # A new dict, so the one the settings held before is restored untouched.
    settings.WORKFRONT_OAUTH_INSTANCES = instances
    # The process keeps the instance's row (its token) in memory: a row of an earlier test,
    # rolled back with that test's transaction, must not be served to this one.
    from django_workfront_oauth.services.server_to_server import forget_service_connections

    forget_service_connections()
    yield workfront_emulator
    forget_service_connections()


def _register_test_callbacks(register: Callable[[str], None], settings: Any) -> None:
    """Register what Django's test client calls back on, and a configured REDIRECT_URI."""
    for path in _callback_paths():
        register(f"http://testserver{path}")
    redirect_uri = getattr(settings, "WORKFRONT_OAUTH_REDIRECT_URI", "")
    if redirect_uri:
        register(redirect_uri)


def _callback_paths() -> list[str]:
    """The app's callback path when the host project's URLconf includes it."""
    from django.urls import NoReverseMatch, reverse

    try:
        return [reverse("workfront_oauth:callback")]
    except NoReverseMatch:
        return []
