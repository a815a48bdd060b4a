"""Database instances in processes that were already running, on PostgreSQL with a shared Redis
cache, against the emulator over HTTP.

Two site processes start before the instance exists (``site_process``; one also serves the site
over HTTP). The test then adds, changes and deactivates ``WorkfrontInstance`` rows in this
process, as a site admin would in the admin, and asks the running processes to use them: the
connect flow, refreshes, the sweep, the API client and ``service_client``. Nothing restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.test import Client
from django.utils import timezone

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_ADOBE_IMS_S2S
from django_workfront_oauth.models import WorkfrontConnection, WorkfrontInstance
from django_workfront_oauth.services.instances import forget_instances
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.integration.conftest import database_name
from tests.integration.helpers import CHILD_TIMEOUT, ROOT, child_environment, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10


@pytest.fixture(scope="module")
def provider() -> str:
    """The default instance's provider: these tests are about database instances."""
    return PROVIDER_ADOBE_IMS


@pytest.fixture
def shared_cache(settings: Any) -> Iterator[None]:
    """This process on the Redis cache the site processes share."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["WORKFRONT_TEST_REDIS_URL"],
            "KEY_PREFIX": f"it-{os.getpid()}",
        }
    }
    forget_instances()
    yield
    forget_instances()


class SiteProcess:
    """A running ``site_process``: send a command, read its answer."""

    def __init__(self, env: dict[str, str], serve: int | None = None) -> None:
        args = [sys.executable, "-m", "tests.integration.site_process"]
        if serve:
            args += ["--serve", str(serve)]
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._read() == {"ready": True}

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=CHILD_TIMEOUT)
            assert self.process.stderr is not None
            raise AssertionError(f"the site process died:\n{self.process.stderr.read()[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        assert "crash" not in answer, answer.get("trace")
        return answer

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(AssertionError, BrokenPipeError):
                self.ask(do="quit")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def site_env(emulator_settings: WorkfrontEmulator, shared_cache: None) -> dict[str, str]:
    return child_environment(
        WORKFRONT_IT_DATABASE=database_name(),
        WORKFRONT_IT_PROVIDER=PROVIDER_ADOBE_IMS,
        WORKFRONT_IT_HOST=emulator_settings.base_url,
        WORKFRONT_IT_IMS_HOST=emulator_settings.base_url,
        WORKFRONT_IT_IMS_ORG_ID=emulator_settings.ims_org_id,
        WORKFRONT_IT_CLIENT_ID=emulator_settings.ims_client_id,
        WORKFRONT_IT_CLIENT_SECRET=emulator_settings.ims_client_secret,
        WORKFRONT_IT_DOMAIN="",
        WORKFRONT_IT_LANE="",
        WORKFRONT_IT_CACHE_URL=os.environ["WORKFRONT_TEST_REDIS_URL"],
        WORKFRONT_IT_CACHE_PREFIX=f"it-{os.getpid()}",
    )


@pytest.fixture
def sites(site_env: dict[str, str], unused_port: int) -> Iterator[tuple[SiteProcess, SiteProcess]]:
    """Two running site processes; the first serves HTTP on ``unused_port``."""
    started: list[SiteProcess] = []
    try:
        started.append(SiteProcess(site_env, serve=unused_port))
        started.append(SiteProcess(site_env))
        yield started[0], started[1]
    finally:
        for site in started:
            site.stop()


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def add_instance(emulator: WorkfrontEmulator, name: str = "acme", **fields: Any) -> Any:
    """A row for ``emulator``'s Adobe IMS credential, saved as the admin saves it."""
    values: dict[str, Any] = {
        "name": name,
        "provider": PROVIDER_ADOBE_IMS,
        "host": emulator.base_url,
        "ims_host": emulator.base_url,
        "ims_org_id": emulator.ims_org_id,
        "client_id": emulator.ims_client_id,
        "client_secret": emulator.ims_client_secret,
    }
    values.update(fields)
    row = WorkfrontInstance(**values)
    row.full_clean()
    row.save()
    return row


def connect_through_site(
    base_url: str, emulator: WorkfrontEmulator, user: Any, instance: str
) -> requests.Response:
    """A logged-in browser clicks Connect for ``instance`` on the served site and allows; the
    site's answer to the callback."""
    client = Client()
    client.force_login(user)  # a session row the site process reads
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    page = browser.get(
        f"{base_url}/workfront/connect/", params={"instance": instance}, timeout=TIMEOUT
    )
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text
    start = browser.post(
        f"{base_url}/workfront/connect/",
        data={"instance": instance, "csrfmiddlewaretoken": token[1]},
        headers={"Referer": f"{base_url}/workfront/connect/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert start.status_code == 302, start.text
    login = browser.get(start.headers["Location"], timeout=TIMEOUT)
    request_id = re.search(r'name="request_id" value="([^"]+)"', login.text)
    assert request_id is not None, login.text
    browser.post(
        f"{emulator.base_url}/integrations/oauth2/login",
        data={
            "request_id": request_id[1],
            "username": emulator.username,
            "password": emulator.password,
        },
        timeout=TIMEOUT,
    )
    answer = browser.post(
        f"{emulator.base_url}/integrations/oauth2/consent",
        data={"request_id": request_id[1], "decision": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    callback = answer.headers["Location"]
    assert callback.startswith(f"{base_url}/workfront/callback/?"), callback
    return browser.get(callback, allow_redirects=False, timeout=TIMEOUT)


def test_a_new_instance_works_at_once_in_running_processes(
    sites: tuple[SiteProcess, SiteProcess],
    emulator_settings: WorkfrontEmulator,
    unused_port: int,
    django_user_model: Any,
) -> None:
    web, worker = sites
    # Both processes look first: they remember that no "acme" exists.
    assert web.ask(do="lookup", name="acme")["found"] is False
    assert worker.ask(do="lookup", name="acme")["found"] is False
    emulator_settings.add_ims_redirect_uri(f"http://127.0.0.1:{unused_port}/workfront/callback/")

    add_instance(emulator_settings)
    found = worker.ask(do="lookup", name="acme")
    assert found["found"] is True
    assert found["client_id"] == emulator_settings.ims_client_id
    # Read once, then remembered: a lookup while nothing changes costs no SQL.
    assert worker.ask(do="lookup", name="acme")["queries"] == 0

    # The connect flow, through the process that serves HTTP.
    user = django_user_model.objects.create_user("tenant-user")
    site = f"http://127.0.0.1:{unused_port}"
    landed = connect_through_site(site, emulator_settings, user, "acme")
    assert landed.status_code == 302, landed.text
    assert landed.headers["Location"] == "/"  # SUCCESS_URL, the app's default
    connection = WorkfrontConnection.objects.get(user=user, instance="acme")
    assert connection.provider == PROVIDER_ADOBE_IMS
    assert connection.host == emulator_settings.base_url

    # A refresh and an API call in the other process.
    assert worker.ask(do="refresh", pk=connection.pk) == {"refreshed": True}
    assert worker.ask(do="api", pk=connection.pk)["rows"] >= 0

    # The sweep refreshes the instance's due connections.
    WorkfrontConnection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=timezone.now() - timedelta(seconds=5)
    )
    counts = worker.ask(do="sweep")["counts"]
    assert counts.get("refreshed") == 1, counts


def test_a_changed_secret_is_in_force_at_once_and_a_wrong_one_loses_nothing(
    sites: tuple[SiteProcess, SiteProcess],
    emulator_settings: WorkfrontEmulator,
    make_connection: Any,
) -> None:
    _, worker = sites
    row = add_instance(emulator_settings)
    tokens = emulator_settings.ims_issue_tokens()
    connection = make_connection(
        instance="acme",
        provider=PROVIDER_ADOBE_IMS,
        host=emulator_settings.base_url,
        domain="",
        lane="",
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_type="bearer",
        access_token_expires_at=timezone.now() - timedelta(seconds=5),
    )
    assert worker.ask(do="lookup", name="acme")["found"] is True

    row.client_secret = "a-wrong-secret"
    row.save()
    refused = worker.ask(do="refresh", pk=connection.pk)
    assert refused["error"] == "ClientCredentialsRefused", refused
    assert 'the client secret of the database instance "acme"' in refused["message"]
    kept = WorkfrontConnection.objects.get(pk=connection.pk)
    assert kept.status == WorkfrontConnection.Status.ACTIVE
    assert kept.refresh_token == tokens["refresh_token"]

    row.client_secret = emulator_settings.ims_client_secret
    row.save()
    # Saving the fixed row lifted the backoff the refused attempt started.
    assert WorkfrontConnection.objects.get(pk=connection.pk).next_refresh_attempt_at is None
    assert worker.ask(do="refresh", pk=connection.pk) == {"refreshed": True}


def test_deactivation_pauses_refreshes_in_running_processes(
    sites: tuple[SiteProcess, SiteProcess],
    emulator_settings: WorkfrontEmulator,
    make_emulated_connection: Any,
) -> None:
    _, worker = sites
    row = add_instance(emulator_settings)
    connection = make_emulated_connection(emulator_settings, instance="acme").connection
    assert worker.ask(do="lookup", name="acme")["is_active"] is True

    row.is_active = False
    row.save()
    assert worker.ask(do="lookup", name="acme")["is_active"] is False
    paused = worker.ask(do="refresh", pk=connection.pk)
    assert paused["error"] == "InstancePaused", paused
    kept = WorkfrontConnection.objects.get(pk=connection.pk)
    assert kept.refresh_token == connection.refresh_token
    assert kept.last_error.startswith("Paused: the Workfront instance 'acme' is deactivated")
    assert "refreshed" not in worker.ask(do="sweep")["counts"]

    row.is_active = True
    row.save()
    assert worker.ask(do="refresh", pk=connection.pk) == {"refreshed": True}


def test_a_new_server_to_server_instance_serves_service_client(
    sites: tuple[SiteProcess, SiteProcess], emulator_settings: WorkfrontEmulator
) -> None:
    _, worker = sites
    assert worker.ask(do="lookup", name="service-acme")["found"] is False
    add_instance(
        emulator_settings,
        name="service-acme",
        provider=PROVIDER_ADOBE_IMS_S2S,
        client_id=emulator_settings.s2s_client_id,
        client_secret=emulator_settings.s2s_client_secret,
    )
    answer = wait_until(
        lambda: worker.ask(do="s2s", name="service-acme"), timeout=10, what="service_client"
    )
    assert answer["rows"] >= 0
    assert emulator_settings.stats["ims_client_credentials_tokens"] == 1
