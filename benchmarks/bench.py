"""Measure django-workfront-oauth against its performance targets, in one run.

``.venv/bin/python benchmarks/bench.py`` starts a private PostgreSQL and Redis (the test runner's
``private_postgres`` and ``private_redis``), the Workfront emulator in this process (the parallel
read's in processes of its own: ``forked_emulator``) and real Celery workers, measures, prints a
table and writes it to ``benchmarks/LATEST.txt``.
README.rst beside this file says what each number means.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import platform
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import run_tests  # noqa: E402  (scripts/run_tests.py: private_postgres, private_redis)

# Only what imports without Django's settings: the client and the models come in the functions,
# after django.setup().
from django_workfront_oauth.testing import WorkfrontEmulator  # noqa: E402

DATABASE = "workfront_oauth_bench"
SWEEP_TASK = "django_workfront_oauth.tasks.refresh_due_connections"
LATEST = Path(__file__).resolve().parent / "LATEST.txt"
#: What ``--only`` picks from, in the order of the table.
MEASURES = (
    "queries",
    "instances",
    "client",
    "write",
    "service",
    "search",
    "edit",
    "s2s",
    "sweep",
    "memory",
)


@dataclass
class Row:
    """One line of the table: a measure, its value, its target and whether it is met."""

    measure: str
    value: str
    target: str
    met: bool | None
    detail: str = ""


def log(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise RuntimeError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


# -- setting up --------------------------------------------------------------------------------


def create_database(pg_env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(
        host=pg_env["PGHOST"],
        port=int(pg_env["PGPORT"]),
        user=pg_env["PGUSER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def make_connections(
    count: int, prefix: str, *, expired: bool, emulator: WorkfrontEmulator | None
) -> list[Any]:
    """``count`` connections of new users; real grants of the emulator, or fake tokens."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from django_workfront_oauth.models import WorkfrontConnection

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}-{i}") for i in range(count)], batch_size=1000
    )
    now = timezone.now()
    expires = now - timedelta(minutes=1) if expired else now + timedelta(hours=8)
    host = os.environ["BENCH_WORKFRONT_HOST"]
    rows = []
    for user in users:
        if emulator is not None:
            tokens = emulator.issue_tokens()
        else:
            fake = uuid.uuid4().hex
            tokens = {"access_token": f"fake-{fake}", "refresh_token": f"fake-r-{fake}"}
        rows.append(
            WorkfrontConnection(
                user=user,
                provider="workfront",  # the model's default is Adobe IMS
                host=host,
                domain="acme",
                lane="my",
                workfront_user_id=f"wf-{user.pk}",
                access_token=tokens["access_token"],
                refresh_token=tokens["refresh_token"],
                token_type="sessionID",
                access_token_expires_at=expires,
            )
        )
    return WorkfrontConnection.objects.bulk_create(rows, batch_size=1000)


def delete_everything() -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.all().delete()  # cascades to connections and their history


# -- SQL queries -------------------------------------------------------------------------------


def bench_queries(emulator: WorkfrontEmulator, rounds: int = 20) -> list[Row]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from django_workfront_oauth import services
    from django_workfront_oauth.client import WorkfrontClient
    from django_workfront_oauth.models import WorkfrontConnection

    (made,) = make_connections(1, "queries", expired=False, emulator=emulator)
    conn = WorkfrontConnection.objects.get(pk=made.pk)  # as a view would load it
    client = WorkfrontClient(conn)
    client.count("PROJ")
    api_counts = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            client.count("PROJ")
        api_counts.append(len(queries))

    refresh_counts = []
    statements: list[str] = []
    for _ in range(rounds):
        WorkfrontConnection.objects.filter(pk=conn.pk).update(
            access_token_expires_at=timezone.now() - timedelta(minutes=1)
        )
        conn.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            services.refresh_connection(conn)
        statements = [describe_sql(query["sql"]) for query in queries.captured_queries]
        refresh_counts.append(sum(1 for sql in statements if sql not in TRANSACTION_CONTROL))
    assert conn.last_refreshed_at is not None
    delete_everything()
    api, refresh = max(api_counts), max(refresh_counts)
    return [
        Row(
            "SQL queries per API call, fresh token",
            str(api),
            "0",
            api == 0,
            f"max of {rounds} calls of client.count('PROJ')",
        ),
        Row(
            "SQL queries per refresh",
            str(refresh),
            "<= 4",
            refresh <= 4,
            f"max of {rounds} refresh_connection() of an expired connection: "
            f"{', '.join(statements)} (BEGIN and COMMIT not counted)",
        ),
    ]


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK"}


def count_sql(call: Callable[[], Any]) -> tuple[int, list[str]]:
    """The SQL statements ``call`` sends (transaction control not counted), and their kinds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    statements = [describe_sql(query["sql"]) for query in queries.captured_queries]
    return sum(1 for sql in statements if sql not in TRANSACTION_CONTROL), statements


def bench_database_instances(emulator: WorkfrontEmulator, rounds: int = 20) -> list[Row]:
    """SQL of an API call and of a refresh, a database instance's connection against a settings
    instance's, side by side: what finding the instance in the database costs."""
    from django.utils import timezone

    from django_workfront_oauth import services
    from django_workfront_oauth.client import WorkfrontClient
    from django_workfront_oauth.models import WorkfrontConnection, WorkfrontInstance
    from django_workfront_oauth.services.instances import database_instances, forget_instances

    WorkfrontInstance.objects.create(
        name="tenant",
        provider="workfront",
        host=emulator.base_url,
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        domain="acme",
        lane="my",
    )
    forget_instances()
    settings_row, database_row = make_connections(2, "instances", expired=False, emulator=emulator)
    WorkfrontConnection.objects.filter(pk=database_row.pk).update(instance="tenant")
    results: dict[str, dict[str, int]] = {}
    refresh_statements: list[str] = []
    for label, made in (("settings", settings_row), ("database", database_row)):
        conn = WorkfrontConnection.objects.get(pk=made.pk)
        client = WorkfrontClient(conn)
        client.count("PROJ")
        api = max(count_sql(functools.partial(client.count, "PROJ"))[0] for _ in range(rounds))
        refreshes = []
        for _ in range(rounds):
            WorkfrontConnection.objects.filter(pk=conn.pk).update(
                access_token_expires_at=timezone.now() - timedelta(minutes=1)
            )
            conn.refresh_from_db()
            refresh = functools.partial(services.refresh_connection, conn)
            queries, refresh_statements = count_sql(refresh)
            refreshes.append(queries)
        results[label] = {"api": api, "refresh": max(refreshes)}
    # The first lookup after a change reads the row once; the ones after it, none.
    forget_instances()
    cold = count_sql(lambda: database_instances.get("tenant"))[0]
    warm = count_sql(lambda: database_instances.get("tenant"))[0]
    delete_everything()
    WorkfrontInstance.objects.all().delete()
    forget_instances()
    extra_api = results["database"]["api"] - results["settings"]["api"]
    extra_refresh = results["database"]["refresh"] - results["settings"]["refresh"]
    return [
        Row(
            "extra SQL per API call, database instance",
            str(extra_api),
            "0",
            extra_api == 0,
            f"max of {rounds} client.count('PROJ') with a fresh token: "
            f"{results['database']['api']} queries for a WorkfrontInstance's connection, "
            f"{results['settings']['api']} for a settings instance's; the instance cache is the "
            "benchmark's Redis",
        ),
        Row(
            "extra SQL per refresh, database instance",
            str(extra_refresh),
            "<= 1",
            extra_refresh <= 1,
            f"max of {rounds} refresh_connection(): {results['database']['refresh']} queries "
            f"against {results['settings']['refresh']} ({', '.join(refresh_statements)}); the "
            f"first lookup after a change reads the row ({cold} query), the next ones {warm}",
        ),
    ]


def describe_sql(sql: str) -> str:
    """``SELECT ... FOR UPDATE``, ``INSERT INTO <table>``: enough to recognise a statement."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb in TRANSACTION_CONTROL:
        return verb
    if verb == "SET":
        return " ".join(words[:3])
    table = next(
        (word.strip('"').split('"')[0] for word in words if word.startswith('"django')), ""
    )
    table = table.replace("django_workfront_oauth_", "")
    suffix = " FOR UPDATE" if "FOR UPDATE" in sql.upper() else ""
    return f"{verb} {table}{suffix}".strip()


# -- the API client's own cost -----------------------------------------------------------------


def interleaved_medians(
    ours: Callable[[], Any], theirs: Callable[[], Any], pairs: int, warmup: int
) -> tuple[float, float]:
    """Median seconds per call of each, run in alternating order pair after pair."""
    for _ in range(warmup):
        ours()
        theirs()
    timings: dict[Callable[[], Any], list[float]] = {ours: [], theirs: []}
    for i in range(pairs):
        # Alternating which goes first, so drift and ordering effects hit both alike.
        for call in (ours, theirs) if i % 2 == 0 else (theirs, ours):
            started = time.perf_counter()
            call()
            timings[call].append(time.perf_counter() - started)
    return statistics.median(timings[ours]), statistics.median(timings[theirs])


def user_client(emulator: WorkfrontEmulator) -> Any:
    """A ``WorkfrontClient`` of a new user's connection, loaded from the database as a view
    would load it, on a fresh grant of ``emulator``."""
    from django_workfront_oauth.client import WorkfrontClient
    from django_workfront_oauth.models import WorkfrontConnection

    (made,) = make_connections(1, f"client-{uuid.uuid4().hex[:6]}", expired=False, emulator=None)
    tokens = emulator.issue_tokens()
    WorkfrontConnection.objects.filter(pk=made.pk).update(host=emulator.base_url)
    conn = WorkfrontConnection.objects.get(pk=made.pk)
    conn.access_token = tokens["access_token"]
    return WorkfrontClient(conn)


def bare_session() -> Any:
    """A plain ``requests.Session`` that, as the app's own, reads no proxy or ``.netrc``."""
    import requests

    bare = requests.Session()
    bare.trust_env = False
    return bare


def compare_with_requests(
    emulator: WorkfrontEmulator, path: str, params: dict[str, Any], pairs: int, warmup: int
) -> tuple[float, float]:
    """``WorkfrontClient(connection).get(path, **params)`` against a bare ``requests.Session``."""
    client = user_client(emulator)
    url = f"{client.base_url}/{path}"
    headers = client.provider.api_headers(client.connection.access_token)  # the very same
    timeout = client.provider.timeout
    bare = bare_session()

    def with_client() -> Any:
        return client.get(path, **params)

    def with_requests() -> Any:
        response = bare.get(
            url, params=params or None, headers=headers, timeout=timeout, allow_redirects=False
        )
        return response.json()["data"]

    assert with_client() == with_requests()
    before = emulator.stats
    medians = interleaved_medians(with_client, with_requests, pairs, warmup)
    after = emulator.stats
    assert after["api_calls"] - before["api_calls"] == 2 * (pairs + warmup)
    assert after["token_requests"] == before["token_requests"]  # no refresh on the way
    delete_everything()
    return medians


def bench_client(emulator: WorkfrontEmulator, pairs: int, page_pairs: int) -> list[Row]:
    ours, theirs = compare_with_requests(emulator, "proj/count", {}, pairs, warmup=200)
    ratio = ours / theirs
    rows = [
        Row(
            "API call time: client / bare requests.Session",
            f"{ratio:.3f}",
            "<= 1.05",
            ratio <= 1.05,
            f"medians of {pairs:,} interleaved pairs of GET proj/count: client.get() "
            f"{ours * 1e3:.3f} ms, Session.get().json() {theirs * 1e3:.3f} ms, "
            "same URL and headers",
        )
    ]
    if page_pairs:
        log(f"API client vs requests, {page_pairs} pairs of 2,000-row pages")
        with WorkfrontEmulator(projects=2000) as big:
            params = {"fields": "*", "$$LIMIT": 2000, "ID_Sort": "asc"}
            ours, theirs = compare_with_requests(big, "proj/search", params, page_pairs, 5)
        ratio = ours / theirs
        rows.append(
            Row(
                "API call time, 2,000-row page: client / bare",
                f"{ratio:.3f}",
                "<= 1.05",
                ratio <= 1.05,
                f"medians of {page_pairs:,} interleaved pairs of GET proj/search (about 1 MB "
                f"of JSON): client.get() {ours * 1e3:.2f} ms, Session.get().json() "
                f"{theirs * 1e3:.2f} ms",
            )
        )
    return rows


def bench_write(emulator: WorkfrontEmulator, pairs: int) -> list[Row]:
    """What the client adds to a write: ``client.edit("TASK", id, updates)`` against the same
    ``PUT task/<id>`` with a bare ``requests.Session``, as ``bench_client`` does for a read."""
    client = user_client(emulator)
    (task,) = client.search("TASK", limit=1)
    path = f"task/{task['ID']}"
    url = f"{client.base_url}/{path}"
    headers = client.provider.api_headers(client.connection.access_token)  # the very same
    timeout = client.provider.timeout
    bare = bare_session()
    updates = {"percentComplete": 50}

    def with_client() -> Any:
        return client.edit("TASK", task["ID"], updates)

    def with_requests() -> Any:
        # The same body: ``updates`` as compact JSON in a form, encoded on every call as the
        # client does.
        body = {"updates": json.dumps(updates, separators=(",", ":"))}
        response = bare.put(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        return response.json()["data"]

    assert with_client() == with_requests()
    warmup = 200
    before = emulator.stats
    ours, theirs = interleaved_medians(with_client, with_requests, pairs, warmup)
    after = emulator.stats
    edited = after["api_writes"]["edited"] - before["api_writes"]["edited"]
    assert edited == 2 * (pairs + warmup), edited
    assert after["token_requests"] == before["token_requests"]  # no refresh on the way
    delete_everything()
    ratio = ours / theirs
    return [
        Row(
            "API write time: client.edit() / bare PUT",
            f"{ratio:.3f}",
            "<= 1.02",
            ratio <= 1.02,
            f"medians of {pairs:,} interleaved pairs of PUT {path.split('/')[0]}/<ID> "
            f'(updates {{"percentComplete": 50}}, the task returned): client.edit() '
            f"{ours * 1e3:.3f} ms, Session.put().json() {theirs * 1e3:.3f} ms, same URL, "
            "headers and body",
        )
    ]


# -- many rows and many writes, through latency ------------------------------------------------


def bench_many(
    *,
    rows: int,
    edits: int,
    latency: float,
    search_repeats: int,
    search_processes: int,
    tasks_per_project: int = 10,
) -> list[Row]:
    """Against an emulator ``latency`` away that is seeded with enough tasks: reading ``rows``
    tasks with ``iter_search(parallel=True)`` against page after page (from the emulator served
    by ``search_processes`` processes), and editing ``edits`` tasks with ``edit_many`` against
    one ``edit`` a task (from an emulator in this process)."""
    rows_out = []
    if rows:
        rows_out += bench_parallel_search(
            rows, latency, search_repeats, search_processes, tasks_per_project
        )
    if edits:
        needed = max(rows, edits)
        projects = -(-needed // tasks_per_project)
        with WorkfrontEmulator(projects=projects, tasks_per_project=tasks_per_project) as emulator:
            client = user_client(emulator)
            assert client.count("TASK") >= needed
            rows_out += bench_edit_many(emulator, client, edits, latency)
    delete_everything()
    return rows_out


# -- the emulator served by several processes --------------------------------------------------


def serve_emulator(processes: int, projects: int, tasks_per_project: int, latency: float) -> int:
    """``bench.py --emulator-serve N``: one emulator served by ``N`` processes on one socket.

    Builds one ``WorkfrontEmulator`` (its data seeded deterministically, ``latency`` a call),
    issues one grant, binds one listening socket on 127.0.0.1 and only then forks ``N``
    children, each serving that socket with its own copy of the same state: whichever process
    accepts a connection answers it as any other would. Prints ``{"base_url", "access_token",
    "pids"}`` as one JSON line, serves until its standard input closes (the benchmark closing
    it, or dying), then stops the children, each of which prints the API calls it answered as
    one JSON line. Nothing here is Django; the children never write to the store the others
    read (the measure only reads).
    """
    from django_workfront_oauth.testing.server import EmulatorHTTPServer

    emulator = WorkfrontEmulator(
        projects=projects, tasks_per_project=tasks_per_project, api_latency=latency
    )
    access_token = emulator.issue_tokens()["access_token"]
    # What emulator.start() does, without its serving thread: no thread is running at the fork.
    # The API's answers name the emulator's base_url, which is its server's address.
    server = EmulatorHTTPServer(("127.0.0.1", 0), emulator, log_requests=False)
    emulator._server = server
    supervisor = os.getpid()
    sys.stdout.flush()
    pids: list[int] = []
    try:
        for _ in range(processes):
            pid = os.fork()
            if pid == 0:
                serve_forked(server, emulator, supervisor)  # never returns
            pids.append(pid)
        server.socket.close()  # the children have it
        host, port = server.server_address[:2]
        print(
            json.dumps(
                {"base_url": f"http://{host}:{port}", "access_token": access_token, "pids": pids}
            ),
            flush=True,
        )
        sys.stdin.read()
    finally:
        stop_children(pids, timeout=10)
    return 0


def serve_forked(server: Any, emulator: WorkfrontEmulator, supervisor: int) -> None:
    """A child of ``serve_emulator``: accept and answer until SIGTERM (which the supervisor
    sends, or the kernel when the supervisor dies), then print the API calls answered."""

    class Stop(Exception):
        pass

    def stop(signum: int, frame: Any) -> None:
        raise Stop  # out of the blocking accept()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code, accepted = 0, 0
    try:
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != supervisor:
            raise Stop
        # Every child blocks in accept() on the one socket; the kernel hands each connection
        # to one of the waiting processes, which answers it from a thread, as the emulator's
        # own serve_forever() would (socketserver's public steps).
        while True:
            request, address = server.get_request()
            accepted += 1
            if server.verify_request(request, address):
                server.process_request(request, address)
            else:
                server.shutdown_request(request)
    except Stop:
        pass
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(BaseException):
            calls = emulator.stats["api_calls"]
            report = {"pid": os.getpid(), "api_calls": calls, "connections": accepted}
            os.write(1, (json.dumps(report) + "\n").encode())  # one write: the others write too
        os._exit(code)


def stop_children(pids: list[int], timeout: float) -> None:
    """SIGTERM each of ``pids`` (children of this process), reap them, SIGKILL what is left."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    left = set(pids)
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        for pid in list(left):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            left.discard(pid)
        time.sleep(0.02)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


@dataclass
class ForkedEmulator:
    """What ``forked_emulator`` yields; ``api_calls`` is filled in when it has stopped."""

    base_url: str
    access_token: str
    pids: list[int]
    api_calls: int | None = None
    calls_per_process: list[int] | None = None
    connections_per_process: list[int] | None = None


@contextlib.contextmanager
def forked_emulator(
    processes: int, projects: int, tasks_per_project: int, latency: float
) -> Iterator[ForkedEmulator]:
    """``bench.py --emulator-serve`` as a subprocess (and its own process group); stopped, with
    every process it forked, on the way out, whatever happened."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--emulator-serve",
        str(processes),
        "--emulator-projects",
        str(projects),
        "--emulator-tasks",
        str(tasks_per_project),
        "--emulator-latency",
        repr(latency),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read_lines() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read_lines, name="emulator-serve-stdout", daemon=True)
    reader.start()
    served: ForkedEmulator | None = None
    try:
        try:
            first = lines.get(timeout=120)
        except queue.Empty:
            raise RuntimeError("the emulator's processes did not start within 120 s") from None
        if first is None:
            raise RuntimeError(f"the emulator's processes failed (exit {process.wait(10)})")
        info = json.loads(first)
        served = ForkedEmulator(info["base_url"], info["access_token"], info["pids"])
        yield served
    finally:
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()  # the supervisor stops its children, then itself
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        # Whatever is left of the group (the supervisor's session): nothing, normally.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        reader.join(timeout=10)
    reports = []
    while True:
        try:
            line = lines.get_nowait()
        except queue.Empty:
            break
        if line is not None:
            reports.append(json.loads(line))
    if process.returncode != 0 or len(reports) != processes:
        raise RuntimeError(
            f"the emulator's processes did not stop cleanly: exit {process.returncode}, "
            f"{len(reports)} of {processes} reports"
        )
    assert served is not None
    served.api_calls = sum(report["api_calls"] for report in reports)
    served.calls_per_process = sorted(report["api_calls"] for report in reports)
    served.connections_per_process = sorted(report["connections"] for report in reports)


def connection_client(base_url: str, access_token: str) -> Any:
    """A ``WorkfrontClient`` of a new user's connection to ``base_url`` with ``access_token``,
    loaded from the database as a view would load it."""
    from django_workfront_oauth.client import WorkfrontClient
    from django_workfront_oauth.models import WorkfrontConnection

    (made,) = make_connections(1, f"client-{uuid.uuid4().hex[:6]}", expired=False, emulator=None)
    WorkfrontConnection.objects.filter(pk=made.pk).update(host=base_url)
    conn = WorkfrontConnection.objects.get(pk=made.pk)
    conn.access_token = access_token
    return WorkfrontClient(conn)


def bench_parallel_search(
    rows: int, latency: float, repeats: int, processes: int, tasks_per_project: int
) -> list[Row]:
    from django_workfront_oauth.client import MAX_PAGE_SIZE

    projects = -(-rows // tasks_per_project)
    log(
        f"{rows:,} rows, parallel iter_search vs sequential pages, {latency * 1e3:.0f} ms "
        f"latency, {repeats} pairs, the emulator in {processes} processes"
    )
    with forked_emulator(processes, projects, tasks_per_project, latency) as served:
        client = connection_client(served.base_url, served.access_token)
        cap = client.provider.instance.max_concurrent_requests

        def emulator_cpu() -> float:
            return sum(process_cpu_seconds(pid) for pid in served.pids)

        def read(parallel: bool) -> tuple[float, list[str], float, float]:
            cpu_before, emulator_before = time.process_time(), emulator_cpu()
            started = time.perf_counter()
            ids = [row["ID"] for row in client.iter_search("TASK", limit=rows, parallel=parallel)]
            elapsed = time.perf_counter() - started
            return (
                elapsed,
                ids,
                time.process_time() - cpu_before,
                emulator_cpu() - emulator_before,
            )

        assert client.count("TASK") >= rows
        expected = read(False)[1]  # and a warm-up of each
        assert len(expected) == rows == len(set(expected))
        assert read(True)[1] == expected
        runs: dict[bool, list[tuple[float, float, float]]] = {True: [], False: []}
        for i in range(repeats):
            for parallel in (True, False) if i % 2 == 0 else (False, True):
                elapsed, ids, cpu, emulator = read(parallel)
                assert ids == expected
                runs[parallel].append((elapsed, cpu, emulator))
    pages = -(-rows // MAX_PAGE_SIZE)
    calls = 1 + pages + (pages + 1) + repeats * (2 * pages + 1)  # the parallel one counts first
    assert served.api_calls == calls, (served.api_calls, calls)
    delete_everything()

    def median(parallel: bool, index: int) -> float:
        return statistics.median(run[index] for run in runs[parallel])

    parallel, sequential = median(True, 0), median(False, 0)
    ratio = parallel / sequential
    client_cpu, emulator_cpu_total = median(True, 1), median(True, 2)
    cpus = os.cpu_count() or 1
    waits = 1 + -(-pages // cap)
    # The count and then the pages each wait a latency, and the CPU of the client and of the
    # emulator's processes share the machine's CPUs: a rough floor, not a strict bound.
    shared = min(cpus, processes + 1)
    floor = waits * latency + (client_cpu + emulator_cpu_total) / shared
    times = {p: ", ".join(f"{run[0]:.3f}" for run in runs[p]) for p in (True, False)}
    spread = ", ".join(str(count) for count in served.calls_per_process or [])
    return [
        Row(
            f"read {rows:,} rows: parallel iter_search / sequential",
            f"{ratio:.3f}",
            "<= 0.35",
            ratio <= 0.35,
            f"medians of {repeats} interleaved pairs of iter_search('TASK', limit={rows}) "
            f"through {latency * 1e3:.0f} ms of latency a call, {pages} pages of "
            f"{MAX_PAGE_SIZE:,}: parallel=True (a count, then the pages {cap} at a time, "
            f"MAX_CONCURRENT_REQUESTS {cap}) {parallel:.3f} s ({times[True]}), page after page "
            f"{sequential:.3f} s ({times[False]}); the same rows in the same order. The "
            f"emulator is served by {processes} processes (--search-processes) accepting on one "
            "listening socket on 127.0.0.1: one WorkfrontEmulator seeded and its grant issued, "
            f"then forked, each copy answering any call alike ({calls} API calls, {spread} per "
            "process), because a Workfront server is not one Python process; in the "
            "benchmark's process the emulator's CPU would be serialised with the client's by "
            f"one GIL. CPU of a parallel read: the client {client_cpu:.3f} s, the emulator "
            f"{emulator_cpu_total:.3f} s ({emulator_cpu_total / pages * 1e3:.0f} ms a page), "
            f"on {cpus} CPUs: about {waits} x {latency * 1e3:.0f} ms + that CPU / {shared} = "
            f"{floor:.3f} s ({floor / sequential:.3f} of page after page) at best",
        )
    ]


def bench_edit_many(
    emulator: WorkfrontEmulator, client: Any, edits: int, latency: float
) -> list[Row]:
    from django_workfront_oauth.client import MAX_BULK

    ids = [row["ID"] for row in client.iter_search("TASK", limit=edits, fields="ID")]
    assert len(ids) == edits
    emulator.api_latency = latency
    log(f"{edits:,} task edits, edit_many vs one edit a task, {latency * 1e3:.0f} ms latency")

    def bulk(value: int) -> float:
        started = time.perf_counter()
        edited = client.edit_many("TASK", [{"ID": i, "percentComplete": value} for i in ids])
        elapsed = time.perf_counter() - started
        assert len(edited) == edits and all(row["percentComplete"] == value for row in edited)
        return elapsed

    def one_by_one(some: list[str], value: int) -> float:
        started = time.perf_counter()
        for task_id in some:
            edited = client.edit("TASK", task_id, {"percentComplete": value})
            assert edited["percentComplete"] == value
        return time.perf_counter() - started

    # Interleaved: edit_many, the first half one by one, edit_many, the second half, edit_many.
    # Every edit changes the value the one before left.
    half = edits // 2
    before = emulator.stats
    bulk_times = [bulk(10)]
    single = one_by_one(ids[:half], 20)
    bulk_times.append(bulk(30))
    single += one_by_one(ids[half:], 40)
    bulk_times.append(bulk(50))
    after = emulator.stats
    calls = after["api_calls"] - before["api_calls"]
    bulk_calls = -(-edits // MAX_BULK)
    assert calls == 3 * bulk_calls + edits, calls
    edited = after["api_writes"]["edited"] - before["api_writes"]["edited"]
    assert edited == 4 * edits, edited
    bulk_time = statistics.median(bulk_times)
    ratio = bulk_time / single
    return [
        Row(
            f"edit {edits:,} tasks: edit_many / one edit each",
            f"1/{1 / ratio:.0f}",
            "<= 1/50",
            ratio <= 1 / 50,
            f"{latency * 1e3:.0f} ms of latency a call: edit_many() ({bulk_calls} "
            f"call{'s' * (bulk_calls != 1)} of up to {MAX_BULK}) median {bulk_time:.2f} s of 3 "
            f"({', '.join(f'{t:.2f}' for t in bulk_times)} s), {edits:,} calls of edit() "
            f"{single:.1f} s ({single / edits * 1e3:.1f} ms a call), interleaved; ratio "
            f"{ratio:.4f}",
        )
    ]


# -- the site's own Server-to-Server connection ------------------------------------------------

#: The benchmark's ``adobe_ims_s2s`` instance, on the emulator's Server-to-Server credential
#: (``settings.py``, from the ``BENCH_S2S_*`` variables ``main`` sets).
SERVICE = "service"


def s2s_child(calls: int, barrier: Path, name: str) -> int:
    """One of the processes of ``bench_s2s_token_rate`` (``bench.py --s2s-child``).

    Sets Django up and says it is ready; at the start time written to ``barrier/go`` it makes
    ``calls`` calls of ``service_client(SERVICE).count("PROJ")``, the first of which finds no
    token stored, and prints what came of them as one JSON line.
    """
    import django

    django.setup()
    from django.db import connection

    from django_workfront_oauth.client import service_client
    from django_workfront_oauth.exceptions import WorkfrontOAuthError

    connection.ensure_connection()
    (barrier / f"ready-{name}").touch()
    go = barrier / "go"
    wait_until(go.exists, timeout=120, interval=0.002, what="the start")
    delay = float(go.read_text()) - time.time()
    if delay > 0:
        time.sleep(delay)
    answered, errors = 0, []
    started = time.perf_counter()
    for _ in range(calls):
        try:
            service_client(SERVICE).count("PROJ")
        except WorkfrontOAuthError as err:
            errors.append(f"{type(err).__name__}: {err}")
        else:
            answered += 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"answered": answered, "errors": errors[:3], "elapsed": elapsed}))
    return 0


def bench_s2s_token_rate(
    emulator: WorkfrontEmulator, workdir: Path, *, processes: int, calls: int, latency: float
) -> list[Row]:
    """``calls`` API calls through ``service_client`` spread over ``processes`` processes that
    start together with no token stored: how many token requests reached the emulator."""
    from django_workfront_oauth.models import ServiceConnection

    per_process = calls // processes
    log(f"Server-to-Server: {processes} processes x {per_process} calls, no token stored")
    ServiceConnection.objects.all().delete()
    barrier = workdir / f"s2s-barrier-{uuid.uuid4().hex[:6]}"
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(Path(__file__).resolve()), "--s2s-child", str(per_process)]
    children = [
        subprocess.Popen(
            [*command, "--s2s-barrier", str(barrier), "--s2s-name", str(i)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(processes)
    ]
    emulator.ims_latency = latency
    try:

        def all_ready() -> bool:
            for child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"a child died:\n{child.communicate()[1][-3000:]}")
            return len(list(barrier.glob("ready-*"))) == processes

        wait_until(all_ready, timeout=120, interval=0.01, what=f"{processes} children")
        before = emulator.stats
        (barrier / "go.tmp").write_text(repr(time.time() + 0.3))
        (barrier / "go.tmp").replace(barrier / "go")
        results = []
        for child in children:
            out, err = child.communicate(timeout=300)
            if child.returncode != 0:
                raise RuntimeError(f"a child failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        after = emulator.stats
    finally:
        emulator.ims_latency = 0
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    errors = [error for result in results for error in result["errors"]]
    if errors:
        raise RuntimeError(f"Server-to-Server calls failed: {errors[:3]}")
    made = sum(result["answered"] for result in results)
    token_requests = (
        after["ims_token_requests"]["client_credentials"]
        - before["ims_token_requests"]["client_credentials"]
    )
    issued = after["ims_client_credentials_tokens"] - before["ims_client_credentials_tokens"]
    refused = after["unauthenticated_api_calls"] - before["unauthenticated_api_calls"]
    api_calls = after["ims_api_calls"] - before["ims_api_calls"]
    per_thousand = token_requests * 1000 / made
    slowest = max(result["elapsed"] for result in results)
    ServiceConnection.objects.all().delete()
    return [
        Row(
            "Server-to-Server token requests per 1,000 calls",
            f"{per_thousand:g}",
            "1",
            per_thousand <= 1 and made == per_process * processes and refused == 0,
            f"{processes} processes x {per_process:,} calls of service_client('{SERVICE}')"
            f".count('PROJ'), started together with no token stored, {latency * 1e3:.0f} ms "
            f"IMS latency: {token_requests} client_credentials request(s) and {issued} token(s) "
            f"at the emulator for {made:,} calls answered ({api_calls:,} API calls with the "
            f"technical account's lookup, {refused} refused); slowest process {slowest:.2f} s",
        )
    ]


def bench_service_client(emulator: WorkfrontEmulator, pairs: int) -> list[Row]:
    """What the client adds to a call with the site's own token, as ``bench_client`` measures it
    for a user's: ``service_client(SERVICE)`` once, then ``client.get()`` against a bare
    ``requests.Session``; and ``service_client(SERVICE).get()`` each call, the lookup included."""
    import requests

    from django_workfront_oauth.client import service_client
    from django_workfront_oauth.models import ServiceConnection
    from django_workfront_oauth.services.server_to_server import forget_service_connections

    ServiceConnection.objects.all().delete()
    forget_service_connections()
    client = service_client(SERVICE)  # requests the token: not measured
    path = "proj/count"
    url = f"{client.base_url}/{path}"
    headers = client.provider.api_headers(client.connection.access_token)  # the very same
    timeout = client.provider.timeout
    bare = requests.Session()
    bare.trust_env = False

    def with_client() -> Any:
        return client.get(path)

    def with_lookup() -> Any:
        return service_client(SERVICE).get(path)

    def with_requests() -> Any:
        response = bare.get(url, headers=headers, timeout=timeout, allow_redirects=False)
        return response.json()["data"]

    assert with_client() == with_lookup() == with_requests()
    warmup = 200
    before = emulator.stats
    ours, theirs = interleaved_medians(with_client, with_requests, pairs, warmup)
    looked_up, theirs_again = interleaved_medians(with_lookup, with_requests, pairs, warmup)
    after = emulator.stats
    assert after["ims_api_calls"] - before["ims_api_calls"] == 4 * (pairs + warmup)
    assert after["ims_token_requests"] == before["ims_token_requests"]  # one token throughout
    assert after["unauthenticated_api_calls"] == before["unauthenticated_api_calls"]
    ServiceConnection.objects.all().delete()
    forget_service_connections()
    ratio, lookup_ratio = ours / theirs, looked_up / theirs_again
    return [
        Row(
            "API call time, service token: client / bare",
            f"{ratio:.3f}",
            "<= 1.02",
            ratio <= 1.02,
            f"medians of {pairs:,} interleaved pairs of GET proj/count with the Server-to-"
            f"Server token (Bearer, x-gw-ims-org-id, x-api-key): client.get() "
            f"{ours * 1e3:.3f} ms, Session.get().json() {theirs * 1e3:.3f} ms, the client from "
            "one service_client() call, same URL and headers",
        ),
        Row(
            "API call time: service_client(...).get() / bare",
            f"{lookup_ratio:.3f}",
            "(reference)",
            None,
            f"the same, service_client('{SERVICE}') called for every call (its lookup of the "
            f"instance and the row in memory included): {looked_up * 1e3:.3f} ms against "
            f"{theirs_again * 1e3:.3f} ms, {pairs:,} more pairs",
        ),
    ]


# -- the sweep through a real worker -----------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads); 0 when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = (entry / "stat").read_text()
            if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU of the worker and its pool processes."""
    return process_cpu_seconds(pid) + sum(process_cpu_seconds(c) for c in children_of(pid))


@contextlib.contextmanager
def celery_worker(pool: str, concurrency: int, workdir: Path) -> Iterator[tuple[int, str]]:
    """A ``celery worker`` subprocess on the benchmark's queue; yields (pid, queue)."""
    queue = f"bench-{pool}-{uuid.uuid4().hex[:6]}"
    ready = workdir / f"ready-{queue}"
    env = {
        **os.environ,
        "BENCH_QUEUE": queue,
        "BENCH_READY_FILE": str(ready),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "benchmarks.celery_app",
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--loglevel=warning",
        "--hostname",
        f"{queue}@%h",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    log_path = workdir / f"{queue}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def is_ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the worker died:\n{log_path.read_text()[-3000:]}")
            return ready.exists()

        wait_until(is_ready, timeout=120, interval=0.1, what=f"the {pool} worker")
        yield process.pid, queue
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def bench_worker_sweep(
    emulator: WorkfrontEmulator,
    workdir: Path,
    *,
    pool: str,
    concurrency: int,
    count: int,
    latency: float,
    repeats: int,
) -> list[Row]:
    from celery import Celery
    from django.utils import timezone

    from django_workfront_oauth.models import WorkfrontConnection

    log(
        f"sweep: {count} connections, {pool} pool x{concurrency}, "
        f"{latency * 1e3:.0f} ms latency, {repeats} times"
    )
    warm = make_connections(2 * concurrency, f"warm-{pool}", expired=True, emulator=emulator)
    measured = make_connections(count, f"sweep-{pool}", expired=False, emulator=emulator)
    measured_ids = [made.pk for made in measured]
    emulator.token_latency = latency
    try:
        with celery_worker(pool, concurrency, workdir) as (pid, queue):
            producer = Celery(
                "bench-producer", broker=os.environ["BENCH_REDIS_URL"], set_as_current=False
            )
            producer.conf.task_default_queue = queue

            def refreshed_since(since: datetime) -> int:
                return WorkfrontConnection.objects.filter(last_refreshed_at__gte=since).count()

            # Warm up: every pool process has run a refresh before the clock starts.
            since = timezone.now()
            producer.send_task(SWEEP_TASK)
            wait_until(
                lambda: refreshed_since(since) >= len(warm),
                timeout=60,
                interval=0.05,
                what="the warm-up sweep",
            )
            time.sleep(1.0)

            lower_bound = count * latency / concurrency
            runs: list[tuple[float, float]] = []
            for _ in range(repeats):
                WorkfrontConnection.objects.filter(pk__in=measured_ids).update(
                    access_token_expires_at=timezone.now() - timedelta(minutes=1)
                )
                stats_before = emulator.stats
                cpu_before = tree_cpu_seconds(pid)
                since = timezone.now()
                started = time.perf_counter()
                producer.send_task(SWEEP_TASK)
                wait_until(
                    lambda since=since: refreshed_since(since) >= count,
                    timeout=lower_bound * 4 + 60,
                    interval=0.05,
                    what=f"{count} refreshes",
                )
                elapsed = time.perf_counter() - started
                time.sleep(0.5)  # the last tasks' acknowledgements
                runs.append((elapsed, tree_cpu_seconds(pid) - cpu_before))
                check_clean_sweep(stats_before, emulator.stats, count)
            producer.close()
    finally:
        emulator.token_latency = 0
    delete_everything()
    elapsed = statistics.median(run[0] for run in runs)
    cpu = statistics.median(run[1] for run in runs)
    ratio = elapsed / lower_bound
    per_refresh = cpu / count * 1e3
    budget = (os.cpu_count() or 1) * lower_bound / count * 1e3
    all_times = ", ".join(f"{run[0]:.2f}" for run in runs)
    all_cpu = ", ".join(f"{run[1] / count * 1e3:.1f}" for run in runs)
    return [
        Row(
            f"sweep time / lower bound ({pool} pool)",
            f"{ratio:.3f}",
            "<= 1.25",
            ratio <= 1.25,
            f"{count:,} due connections, {latency * 1e3:.0f} ms token latency, concurrency "
            f"{concurrency}: median {elapsed:.2f} s of {repeats} sweeps ({all_times} s) vs "
            f"{count:,} x {latency:g} s / {concurrency} = {lower_bound:.2f} s; each sweep "
            "refreshed every connection exactly once, 0 reuse detections",
        ),
        Row(
            f"worker CPU per refresh ({pool} pool)",
            f"{per_refresh:.1f} ms",
            f"<= {budget:.0f} ms",
            per_refresh <= budget,
            f"median of the {repeats} sweeps ({all_cpu} ms): CPU of the worker and its pool, "
            f"the sweep task's dispatching included; the budget is {os.cpu_count()} CPUs x the "
            f"lower bound / {count:,}",
        ),
    ]


def check_clean_sweep(before: Any, after: Any, count: int) -> None:
    """Exactly one successful token request per connection, and no refresh token reuse."""
    requests_made = (
        after["token_requests"]["refresh_token"] - before["token_requests"]["refresh_token"]
    )
    successes = after["successful_refreshes"] - before["successful_refreshes"]
    reuse = after["reuse_detections"] - before["reuse_detections"]
    if requests_made != count or successes != count or reuse != 0:
        raise RuntimeError(
            f"the sweep was not clean: {requests_made} token requests, {successes} successes, "
            f"{reuse} reuse detections for {count} connections"
        )


# -- the sweep's memory ------------------------------------------------------------------------


def bench_sweep_memory(sizes: list[int]) -> list[Row]:
    from django_workfront_oauth import services
    from django_workfront_oauth.models import WorkfrontConnection

    def noop(pk: int) -> None:
        return None

    peaks: dict[int, int] = {}
    made = 0
    for size in sorted(sizes):
        log(f"sweep memory at {size:,} due connections")
        make_connections(size - made, f"memory-{size}", expired=True, emulator=None)
        made = size
        assert WorkfrontConnection.objects.count() == size
        services.sweep(dispatch=noop)  # first use: query compilation, imports
        gc.collect()
        tracemalloc.start()
        counts = services.sweep(dispatch=noop)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert counts["due"] == counts["dispatched"] == size, counts
        peaks[size] = peak
    # For comparison: holding every due ID in a list at the largest size.
    from django_workfront_oauth.services import due_connections

    tracemalloc.start()
    ids = list(due_connections().values_list("pk", flat=True))
    _current, listed = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del ids
    delete_everything()
    smallest, largest = min(peaks), max(peaks)
    rows = []
    for size, peak in sorted(peaks.items()):
        if size == smallest:
            rows.append(
                Row(
                    f"sweep peak memory, {size:,} due",
                    f"{peak / 1024:.0f} KiB",
                    "(reference)",
                    None,
                    "tracemalloc around services.sweep(dispatch=no-op)",
                )
            )
        else:
            growth = peak / peaks[smallest]
            rows.append(
                Row(
                    f"sweep peak memory, {size:,} due",
                    f"{peak / 1024:.0f} KiB",
                    f"<= 1.5 x {smallest:,}",
                    growth <= 1.5,
                    f"x{growth:.2f} for {size // smallest}x the rows (flat: IDs are streamed); "
                    f"a list of the {largest:,} IDs alone would peak at {listed / 1024:.0f} KiB",
                )
            )
    return rows


# -- the report --------------------------------------------------------------------------------


def render(rows: list[Row], header: list[str]) -> str:
    widths = [
        max(len(row.measure) for row in rows),
        max(len(row.value) for row in rows),
        max(len(row.target) for row in rows),
    ]
    lines = [*header, ""]
    title = f"{'measure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  met"
    lines += [title, "-" * len(title)]
    for row in rows:
        met = "-" if row.met is None else ("yes" if row.met else "NO")
        measure, value, target = row.measure, row.value, row.target
        lines.append(f"{measure:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  {met}")
        if row.detail:
            lines.append(f"    {row.detail}")
    return "\n".join(lines)


def versions() -> str:
    import celery
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0].split()[0]
    redis_version = "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, timeout=10
        ).stdout
        redis_version = next(
            (part[2:] for part in out.split() if part.startswith("v=")), redis_version
        )
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"Celery {celery.__version__}, PostgreSQL {pg_version}, Redis {redis_version}, "
        f"{os.cpu_count()} CPUs ({platform.machine()})"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000, help="connections to sweep")
    parser.add_argument("--latency", type=float, default=0.2, help="token endpoint latency (s)")
    parser.add_argument("--concurrency", type=int, default=16, help="worker concurrency")
    parser.add_argument(
        "--pools", default="prefork,threads", help="worker pools to measure, comma-separated"
    )
    parser.add_argument("--repeats", type=int, default=3, help="measured sweeps per pool")
    parser.add_argument("--pairs", type=int, default=2000, help="interleaved API call pairs")
    parser.add_argument(
        "--page-pairs", type=int, default=60, help="interleaved pairs of 2,000-row pages (0: skip)"
    )
    parser.add_argument(
        "--api-latency",
        type=float,
        default=0.05,
        help="API latency (s) of the parallel search and bulk edit measures",
    )
    parser.add_argument(
        "--search-rows", type=int, default=20000, help="rows iter_search reads (0: skip)"
    )
    parser.add_argument(
        "--search-repeats", type=int, default=5, help="interleaved pairs of those reads"
    )
    parser.add_argument(
        "--search-processes",
        type=int,
        default=3,
        help="processes serving the emulator of the parallel read",
    )
    parser.add_argument(
        "--edit-tasks",
        type=int,
        default=2000,
        help="tasks edited, in bulk and one by one (0: skip)",
    )
    parser.add_argument(
        "--memory-sizes", default="1000,10000", help="due connections for the memory measure"
    )
    parser.add_argument(
        "--s2s-processes", type=int, default=8, help="processes of the Server-to-Server measure"
    )
    parser.add_argument(
        "--s2s-calls", type=int, default=1000, help="API calls they share (service_client)"
    )
    parser.add_argument(
        "--only",
        help=f"measures to run, comma-separated, of {','.join(MEASURES)} (default: all; "
        "then the table is written only with --output)",
    )
    parser.add_argument(
        "--output", type=Path, help="where to write the table (default: LATEST.txt)"
    )
    # One process of the Server-to-Server measure (bench_s2s_token_rate starts them).
    parser.add_argument("--s2s-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--s2s-barrier", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--s2s-name", default="", help=argparse.SUPPRESS)
    # The emulator of the parallel read (forked_emulator starts it).
    parser.add_argument("--emulator-serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--emulator-projects", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--emulator-tasks", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--emulator-latency", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.s2s_child is not None:
        return s2s_child(args.s2s_child, args.s2s_barrier, args.s2s_name)
    if args.emulator_serve is not None:
        return serve_emulator(
            args.emulator_serve, args.emulator_projects, args.emulator_tasks, args.emulator_latency
        )
    only = set(MEASURES)
    if args.only:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        if unknown := only - set(MEASURES):
            parser.error(f"unknown measures: {', '.join(sorted(unknown))}")
    output = args.output or (LATEST if only == set(MEASURES) else None)
    began = time.monotonic()
    load_at_start = ", ".join(f"{value:.2f}" for value in os.getloadavg())

    with tempfile.TemporaryDirectory(prefix="workfront-oauth-bench-") as tmp:
        workdir = Path(tmp)
        with (
            run_tests.private_postgres(workdir) as pg_env,
            run_tests.private_redis(workdir) as redis_env,
        ):
            if not pg_env or not redis_env:
                print("The benchmark needs PostgreSQL's binaries and redis-server.")
                return 2
            os.environ.update(pg_env)
            os.environ["BENCH_REDIS_URL"] = redis_env["WORKFRONT_TEST_REDIS_URL"]
            os.environ["BENCH_DATABASE"] = DATABASE
            os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
            create_database(pg_env)
            with WorkfrontEmulator(projects=10, rotate_refresh_tokens=True) as emulator:
                os.environ["BENCH_WORKFRONT_HOST"] = emulator.base_url
                os.environ["BENCH_WORKFRONT_CLIENT_ID"] = emulator.client_id
                os.environ["BENCH_WORKFRONT_CLIENT_SECRET"] = emulator.client_secret
                os.environ["BENCH_S2S_ORG_ID"] = emulator.ims_org_id
                os.environ["BENCH_S2S_CLIENT_ID"] = emulator.s2s_client_id
                os.environ["BENCH_S2S_CLIENT_SECRET"] = emulator.s2s_client_secret

                import django
                from django.core.management import call_command

                django.setup()
                call_command("migrate", verbosity=0)
                stack = versions()

                rows: list[Row] = []
                if "queries" in only:
                    log("SQL queries")
                    rows += bench_queries(emulator)
                if "instances" in only:
                    log("SQL queries of a database instance")
                    rows += bench_database_instances(emulator)
                if "client" in only:
                    log(f"API client vs requests, {args.pairs} pairs")
                    rows += bench_client(emulator, args.pairs, args.page_pairs)
                if "write" in only:
                    log(f"API client's edit() vs a bare PUT, {args.pairs} pairs")
                    rows += bench_write(emulator, args.pairs)
                if "service" in only:
                    log(f"API client with a Server-to-Server token vs requests, {args.pairs} pairs")
                    rows += bench_service_client(emulator, args.pairs)
                search_rows = args.search_rows if "search" in only else 0
                edit_tasks = args.edit_tasks if "edit" in only else 0
                if search_rows or edit_tasks:
                    rows += bench_many(
                        rows=search_rows,
                        edits=edit_tasks,
                        latency=args.api_latency,
                        search_repeats=args.search_repeats,
                        search_processes=args.search_processes,
                    )
                if "s2s" in only:
                    rows += bench_s2s_token_rate(
                        emulator,
                        workdir,
                        processes=args.s2s_processes,
                        calls=args.s2s_calls,
                        latency=args.latency,
                    )
                pools = [p.strip() for p in args.pools.split(",") if p.strip()]
                for pool in pools if "sweep" in only else []:
                    rows += bench_worker_sweep(
                        emulator,
                        workdir,
                        pool=pool,
                        concurrency=args.concurrency,
                        count=args.connections,
                        latency=args.latency,
                        repeats=args.repeats,
                    )
                if "memory" in only:
                    sizes = [int(size) for size in args.memory_sizes.split(",")]
                    rows += bench_sweep_memory(sizes)
                from django.db import connections

                connections.close_all()

    when = datetime.now(dt_timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    header = [
        f"django-workfront-oauth benchmark, {when}, {time.monotonic() - began:.0f} s",
        f"{stack}; load average at the start {load_at_start}, at the end {load}",
    ]
    report = render(rows, header)
    print(report)
    if output is not None:
        output.write_text(report + "\n")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
