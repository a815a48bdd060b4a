"""Integration tests against real services: PostgreSQL, Redis, a Celery worker, the emulator.

``@pytest.mark.postgres`` tests need ``WORKFRONT_TEST_POSTGRES`` (the suite then runs on
PostgreSQL), ``@pytest.mark.celery`` tests also need ``WORKFRONT_TEST_REDIS_URL``;
``scripts/run_tests.py`` (``make test``) starts both. Without them these tests skip, saying why,
or fail when ``CI`` is set: a CI run must not pass by skipping them.

Every test runs once per provider (``provider``: the legacy Workfront OAuth2 app, then Adobe
IMS): the connections' tokens, the settings of this process, of the child processes and of the
worker, and the emulator counters the tests read all follow it.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from django_workfront_oauth.constants import (
    PROVIDER_ADOBE_IMS,
    PROVIDER_ADOBE_IMS_S2S,
    USER_PROVIDERS,
)
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.integration.helpers import (
    ROOT,
    S2S_ENVIRONMENT,
    S2S_INSTANCE,
    child_environment,
    read_traces,
    terminate,
    wait_until,
)

HERE = Path(__file__).resolve().parent
RUNNER = "scripts/run_tests.py (make test)"


# -- service requirements ----------------------------------------------------------------------


def missing_services(item: pytest.Item) -> list[str]:
    """What the test's markers ask for that this run does not have."""
    missing = []
    needs_redis = item.get_closest_marker("celery") or item.get_closest_marker("redis")
    needs_postgres = item.get_closest_marker("postgres") or needs_redis
    if needs_postgres and not os.environ.get("WORKFRONT_TEST_POSTGRES"):
        missing.append("PostgreSQL (WORKFRONT_TEST_POSTGRES is not set)")
    if needs_redis and not os.environ.get("WORKFRONT_TEST_REDIS_URL"):
        missing.append("Redis (WORKFRONT_TEST_REDIS_URL is not set)")
    return missing


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture: skip, or fail under ``CI``, when a needed service is missing."""
    missing = missing_services(item)
    if not missing:
        return
    reason = f"needs {' and '.join(missing)}; run it through {RUNNER}"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and this test {reason}", pytrace=False)
    pytest.skip(reason)


# -- the provider --------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=USER_PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    """``"workfront"`` then ``"adobe_ims"``: the provider every connection of the test uses.

    Overrides ``tests/conftest.py``'s fixture of the same name, which mocks HTTP with
    ``responses``: these tests talk to the emulator for real. Module-scoped so that the module's
    Celery worker, started with one provider's settings, serves all of that provider's tests
    (pytest groups the tests by provider). Tests marked ``legacy_only`` keep only the legacy
    variant (``tests/conftest.py``).
    """
    return str(request.param)


def provider_settings(emulator: WorkfrontEmulator, provider: str) -> dict[str, str]:
    """The ``WORKFRONT_OAUTH_<NAME>`` settings, by name, that point ``provider`` at ``emulator``.

    IMS is the emulator too (``IMS_HOST``) whichever the provider, so nothing ever reaches Adobe.
    A loopback host cannot be parsed for domain and lane, so the legacy app is told them; IMS
    connections have none.
    """
    values = {
        "PROVIDER": provider,
        "HOST": emulator.base_url,
        "IMS_HOST": emulator.base_url,
        "IMS_ORG_ID": emulator.ims_org_id,
    }
    if provider == PROVIDER_ADOBE_IMS:
        values.update(
            CLIENT_ID=emulator.ims_client_id,
            CLIENT_SECRET=emulator.ims_client_secret,
            DOMAIN="",
            LANE="",
        )
    else:
        values.update(
            CLIENT_ID=emulator.client_id,
            CLIENT_SECRET=emulator.client_secret,
            DOMAIN=emulator.domain,
            LANE=emulator.lane,
        )
    return values


def apply_settings(settings: Any, emulator: WorkfrontEmulator, provider: str) -> None:
    """Set this process's settings (pytest-django's ``settings``, undone after the test)."""
    for name, value in provider_settings(emulator, provider).items():
        setattr(settings, f"WORKFRONT_OAUTH_{name}", value)


@pytest.fixture
def emulator_settings(
    workfront_emulator: WorkfrontEmulator, provider: str, settings: Any
) -> WorkfrontEmulator:
    """The test's emulator, with this process's settings pointed at its ``provider`` side."""
    apply_settings(settings, workfront_emulator, provider)
    return workfront_emulator


def token_stats(emulator: WorkfrontEmulator, provider: str) -> dict[str, int]:
    """The counters of ``provider``'s token endpoint, under the same names for both providers.

    From one snapshot: ``refresh_requests`` (token requests with the refresh_token grant, served
    or not), ``successful_refreshes``, ``rejected_refreshes``, ``reuse_detections``,
    ``token_faults`` (injected faults served), ``other_token_requests`` (every request to the
    other provider's token endpoint: always 0 here) and ``unauthenticated_api_calls`` (API calls
    refused for want of a valid token, either kind).
    """
    stats: dict[str, Any] = dict(emulator.stats)
    if provider == PROVIDER_ADOBE_IMS:
        prefix, faults, other = "ims_", stats["ims_faults_served"], stats["token_requests"]
    else:
        prefix, faults, other = "", stats["faults_served"]["token"], stats["ims_token_requests"]
    return {
        "refresh_requests": stats[prefix + "token_requests"]["refresh_token"],
        "successful_refreshes": stats[prefix + "successful_refreshes"],
        "rejected_refreshes": stats[prefix + "rejected_refreshes"],
        "reuse_detections": stats[prefix + "reuse_detections"],
        "token_faults": faults,
        "other_token_requests": sum(other.values()),
        "unauthenticated_api_calls": stats["unauthenticated_api_calls"],
    }


def set_token_latency(emulator: WorkfrontEmulator, provider: str, seconds: float) -> None:
    """Delay every answer of ``provider``'s token endpoint by ``seconds``."""
    if provider == PROVIDER_ADOBE_IMS:
        emulator.ims_latency = seconds
    else:
        emulator.token_latency = seconds


# -- connections -------------------------------------------------------------------------------


@dataclass
class EmulatedConnection:
    """A connection whose tokens the emulator issued, and the emulator grant behind them."""

    connection: WorkfrontConnection
    grant_id: str

    @property
    def pk(self) -> int:
        return int(self.connection.pk)

    def reload(self) -> WorkfrontConnection:
        self.connection.refresh_from_db()
        return self.connection


_usernames = itertools.count(1)


@pytest.fixture
def make_emulated_connection(django_user_model: Any, make_connection: Any, provider: str) -> Any:
    """``make(emulator, expires_in=-60, **fields)``: a connection of a new user, real tokens.

    The tokens come from ``provider``'s side of the emulator, as its token endpoint sends them.
    """
    ims = provider == PROVIDER_ADOBE_IMS

    def make(emulator: WorkfrontEmulator, *, expires_in: float = -60, **fields: Any) -> Any:
        tokens = emulator.ims_issue_tokens() if ims else emulator.issue_tokens()
        grant = next(
            grant
            for grant in emulator.active_grants()
            if grant.refresh_token == tokens["refresh_token"]
        )
        assert grant.provider == provider, grant
        user = django_user_model.objects.create_user(f"it-user-{next(_usernames)}")
        values: dict[str, Any] = {
            "user": user,
            "provider": provider,
            "host": emulator.base_url,
            "domain": "" if ims else emulator.domain,
            "lane": "" if ims else emulator.lane,
            "redirect_uri": "",
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "token_type": tokens["token_type"],
            "wid": tokens.get("wid", ""),
            "ims_user_id": emulator.ims_user_id() if ims else "",
            "access_token_expires_at": timezone.now() + timedelta(seconds=expires_in),
        }
        values.update(fields)
        return EmulatedConnection(make_connection(**values), grant.id)

    return make


def grant_of(emulator: WorkfrontEmulator, grant_id: str) -> Any:
    """The live grant with that ID, ``None`` when it has ended."""
    return next((grant for grant in emulator.active_grants() if grant.id == grant_id), None)


# -- child processes against the function-scoped emulator --------------------------------------


def database_name() -> str:
    """The database pytest-django created and the test process uses (``test_<PGDATABASE>``)."""
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def emulator_environment(emulator: WorkfrontEmulator, provider: str) -> dict[str, str]:
    """What ``child_settings`` reads to point a child or the worker at the emulator.

    ``WORKFRONT_IT_<NAME>`` for each setting of :func:`provider_settings`, and the emulator's
    Server-to-Server credential (``S2S_ENVIRONMENT``), from which children and the worker add the
    instance ``S2S_INSTANCE`` (``helpers.install_s2s_instance``).
    """
    values = {"WORKFRONT_IT_DATABASE": database_name()}
    for name, value in provider_settings(emulator, provider).items():
        values[f"WORKFRONT_IT_{name}"] = value
    # The site's own Server-to-Server instance beside the default one (``install_s2s_instance``),
    # on the same emulator: HOST, IMS_HOST and IMS_ORG_ID are the ones above.
    values[S2S_ENVIRONMENT["PROVIDER"]] = PROVIDER_ADOBE_IMS_S2S
    values[S2S_ENVIRONMENT["CLIENT_ID"]] = emulator.s2s_client_id
    values[S2S_ENVIRONMENT["CLIENT_SECRET"]] = emulator.s2s_client_secret
    return values


def s2s_instance_settings(emulator: WorkfrontEmulator) -> dict[str, str]:
    """The ``S2S_INSTANCE`` entry of ``WORKFRONT_OAUTH_INSTANCES`` on ``emulator``'s credential:
    what ``install_s2s_instance`` gives children and the worker, and what the
    ``workfront_s2s_settings`` fixture gives this process for the test's own emulator."""
    return {
        "PROVIDER": PROVIDER_ADOBE_IMS_S2S,
        "HOST": emulator.base_url,
        "IMS_HOST": emulator.base_url,
        "IMS_ORG_ID": emulator.ims_org_id,
        "CLIENT_ID": emulator.s2s_client_id,
        "CLIENT_SECRET": emulator.s2s_client_secret,
    }


def apply_s2s_settings(settings: Any, emulator: WorkfrontEmulator) -> None:
    """Add ``S2S_INSTANCE`` on ``emulator`` to this process's settings (undone after the test),
    and forget the rows this process keeps in memory."""
    from django_workfront_oauth.services.server_to_server import forget_service_connections

    instances = dict(getattr(settings, "WORKFRONT_OAUTH_INSTANCES", None) or {})
    instances[S2S_INSTANCE] = s2s_instance_settings(emulator)
    settings.WORKFRONT_OAUTH_INSTANCES = instances
    forget_service_connections()


@pytest.fixture
def child_env(emulator_settings: WorkfrontEmulator, provider: str) -> dict[str, str]:
    """The environment of a child process: the test database, the test's emulator, provider."""
    return child_environment(**emulator_environment(emulator_settings, provider))


# -- a real Celery worker on Redis -------------------------------------------------------------


@dataclass
class Worker:
    """A running ``celery worker`` subprocess."""

    process: subprocess.Popen[bytes]
    log: Path
    trace_dir: Path
    queue: str
    emulator: WorkfrontEmulator
    provider: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def traces(self) -> list[dict[str, Any]]:
        return read_traces(self.trace_dir)

    def starts(self, task: str, *args: Any) -> list[dict[str, Any]]:
        """The traced starts of ``task`` (with these arguments)."""
        return [
            event
            for event in self.traces()
            if event["event"] == "start"
            and event["task"] == task
            and (not args or event["args"] == list(args))
        ]

    def ends(self, task: str, *args: Any) -> list[dict[str, Any]]:
        return [
            event
            for event in self.traces()
            if event["event"] == "end"
            and event["task"] == task
            and (not args or event["args"] == list(args))
        ]


@pytest.fixture(scope="module")
def worker_emulator() -> Iterator[WorkfrontEmulator]:
    """One emulator for the module's worker (the worker is told its URL when it starts)."""
    with WorkfrontEmulator(rotate_refresh_tokens=True, projects=20) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def celery_worker(
    worker_emulator: WorkfrontEmulator,
    provider: str,
    django_db_setup: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Worker]:
    """``celery worker --pool=prefork --concurrency=4`` on Redis, the test database, the emulator.

    One per provider, with that provider's settings. Stopped with SIGTERM (warm shutdown) when
    the module's tests of its provider are done, killed if that takes too long; it must be gone
    before pytest-django drops the test database.
    """
    workdir = tmp_path_factory.mktemp("celery-worker")
    trace_dir = workdir / "traces"
    trace_dir.mkdir()
    log = workdir / "worker.log"
    queue = f"workfront-oauth-it-{uuid.uuid4().hex[:8]}"
    env = child_environment(
        **emulator_environment(worker_emulator, provider),
        WORKFRONT_IT_QUEUE=queue,
        WORKFRONT_IT_TRACE_DIR=str(trace_dir),
    )
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "tests.integration.celery_app",
        "worker",
        "--pool=prefork",
        "--concurrency=4",
        "--loglevel=info",
        "--hostname",
        f"{queue}@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill the pool with it if need be
        )
    worker = Worker(process, log, trace_dir, queue, worker_emulator, provider)
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the worker exited at start:\n{worker.log_text()[-4000:]}")
            return " ready." in worker.log_text()

        wait_until(ready, timeout=60, interval=0.1, what="the Celery worker to be ready")
        yield worker
    finally:
        terminate(process, timeout=20)


@pytest.fixture(scope="module")
def producer(celery_worker: Worker) -> Iterator[Any]:
    """A Celery app in the test process that only sends to the worker's queue.

    Not made the current app: the rest of the suite must not find it.
    """
    from celery import Celery

    app = Celery(
        "workfront_oauth_it_producer",
        broker=os.environ["WORKFRONT_TEST_REDIS_URL"],
        set_as_current=False,
    )
    app.conf.task_default_queue = celery_worker.queue
    app.conf.broker_connection_retry_on_startup = True
    yield app
    app.close()


def _calm(emulator: WorkfrontEmulator) -> None:
    """No faults queued, no latency on either token endpoint."""
    emulator.clear_faults()
    emulator.token_latency = 0
    emulator.ims_latency = 0


@pytest.fixture
def worker_settings(celery_worker: Worker, settings: Any) -> Iterator[WorkfrontEmulator]:
    """This process set up like the worker; the emulator's counters, faults and latency reset."""
    emulator = celery_worker.emulator
    apply_settings(settings, emulator, celery_worker.provider)
    _calm(emulator)
    emulator.reset_stats()
    yield emulator
    _calm(emulator)
