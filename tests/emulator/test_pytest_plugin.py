"""The pytest plugin: the ``workfront_emulator`` and ``workfront_settings`` fixtures."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings

from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import refresh


def test_the_fixture_runs_an_emulator_on_a_free_port(workfront_emulator: WorkfrontEmulator) -> None:
    assert workfront_emulator.running
    assert workfront_emulator.base_url.startswith("http://127.0.0.1:")
    assert requests.get(workfront_emulator.base_url, timeout=5).status_code == 200
    assert workfront_emulator.client_id == "emulator-client-id"


@pytest.mark.workfront_emulator(domain="module-level", lane="sb01")
class TestMarkers:
    def test_a_class_marker_configures_the_emulator(
        self, workfront_emulator: WorkfrontEmulator
    ) -> None:
        assert (workfront_emulator.domain, workfront_emulator.lane) == ("module-level", "sb01")

    @pytest.mark.workfront_emulator(rotate_refresh_tokens=False, domain="globex")
    def test_the_closest_marker_wins(self, workfront_emulator: WorkfrontEmulator) -> None:
        tokens = workfront_emulator.issue_tokens()

        assert workfront_emulator.domain == "globex"
        assert workfront_emulator.lane == "sb01"
        assert "refresh_token" not in refresh(workfront_emulator, tokens["refresh_token"]).json()


def test_workfront_settings_point_the_app_at_the_emulator(
    workfront_settings: WorkfrontEmulator,
) -> None:
    emu = workfront_settings
    instance = app_settings.get_instance()

    assert emu.base_url == django_settings.WORKFRONT_OAUTH_HOST
    assert instance.host == emu.base_url
    assert (instance.client_id, instance.client_secret) == (emu.client_id, emu.client_secret)
    assert instance.expected_domain_lane == ("acme", "my")
    assert instance.provider == "workfront"
    assert "http://testserver/workfront/callback/" in emu.redirect_uris


def test_workfront_settings_register_a_configured_redirect_uri(
    settings: Any, workfront_emulator: WorkfrontEmulator, request: pytest.FixtureRequest
) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = "https://app.example/wf/callback/"

    request.getfixturevalue("workfront_settings")

    assert "https://app.example/wf/callback/" in workfront_emulator.redirect_uris


def test_workfront_ims_settings_point_the_app_at_the_ims_side(
    workfront_ims_settings: WorkfrontEmulator,
) -> None:
    emu = workfront_ims_settings
    instance = app_settings.get_instance()

    assert instance.provider == "adobe_ims"
    assert instance.host == instance.ims_host == emu.base_url
    assert instance.ims_org_id == emu.ims_org_id
    assert (instance.client_id, instance.client_secret) == (
        emu.ims_client_id,
        emu.ims_client_secret,
    )
    assert "http://testserver/workfront/callback/" in emu.ims_redirect_uris
    assert "http://testserver/workfront/callback/" not in emu.redirect_uris


def test_workfront_ims_settings_register_a_configured_redirect_uri(
    settings: Any, workfront_emulator: WorkfrontEmulator, request: pytest.FixtureRequest
) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = "https://app.example/wf/callback/"

    request.getfixturevalue("workfront_ims_settings")

    assert "https://app.example/wf/callback/" in workfront_emulator.ims_redirect_uris


def test_the_settings_are_restored_afterwards() -> None:
    # Runs after the test above: pytest-django's settings fixture undid its changes.
    assert app_settings.get_instance().host == "https://acme.my.workfront.com"
    assert app_settings.get_instance().provider == "workfront"


def test_live_server_callback_is_registered(
    live_server: Any, workfront_emulator: WorkfrontEmulator
) -> None:
    assert f"{live_server.url}/workfront/callback/" in workfront_emulator.redirect_uris
    assert f"{live_server.url}/workfront/callback/" in workfront_emulator.ims_redirect_uris


def test_no_callback_route_means_no_extra_redirect_uri(
    settings: Any, workfront_emulator: WorkfrontEmulator, request: pytest.FixtureRequest
) -> None:
    settings.ROOT_URLCONF = "tests.emulator.test_pytest_plugin"

    request.getfixturevalue("workfront_settings")

    assert workfront_emulator.redirect_uris == []


urlpatterns: list[Any] = []  # the URLconf of the test above: no callback route


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}


def test_the_plugin_imports_without_django() -> None:
    code = (
        "import sys, django_workfront_oauth.testing.pytest_plugin;"
        "assert not any(name.split('.')[0] == 'django' for name in sys.modules), 'django imported'"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr


def test_a_project_that_does_not_use_it_is_not_affected(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            """
            def test_plain():
                assert True
            """
        )
    )

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--strict-markers", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_plugin_modules_reload_cleanly() -> None:
    """pytest imports the plugin (and so its parent packages) before coverage starts: reloading
    them here checks they have no import-time side effects and lets coverage see their top level.
    """
    import django_workfront_oauth.testing
    from django_workfront_oauth.testing import pytest_plugin

    package = importlib.reload(django_workfront_oauth.testing)
    plugin = importlib.reload(pytest_plugin)

    assert package.WorkfrontEmulator is WorkfrontEmulator
    assert plugin.MARKER == "workfront_emulator"
    with pytest.raises(AttributeError):
        package.NotAName  # noqa: B018 - the lookup is the test


def test_the_marker_is_registered(pytestconfig: pytest.Config) -> None:
    assert any(line.startswith("workfront_emulator(") for line in pytestconfig.getini("markers"))
