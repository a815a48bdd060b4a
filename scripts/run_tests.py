"""Run the whole test suite with private PostgreSQL and Redis servers: ``make test`` calls this.

The locking tests need a real PostgreSQL and the task tests a real Redis-backed Celery worker.
Rather than asking for a configured system server, this starts throwaway ones on free loopback
ports in a temporary folder (Debian's ``postgresql`` and ``redis-server`` packages provide the
binaries; ``.ci/run`` installs them) and removes them afterwards. Without the binaries the suite
still runs, on SQLite; the tests that need a server then skip, or fail when ``CI`` is set.

Arguments are passed on to pytest.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:g}s")


def postgres_bin() -> Path | None:
    for name in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True):
        return Path(name).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@contextlib.contextmanager
def private_postgres(workdir: Path) -> Iterator[dict[str, str]]:
    """A throwaway PostgreSQL cluster; yields the environment that points the tests at it."""
    bindir = postgres_bin()
    if bindir is None:
        yield {}
        return
    data = workdir / "pgdata"
    data.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the server as Debian's postgres user.
        shutil.chown(workdir, "postgres")
        shutil.chown(data, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        **quiet,
    )
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = workdir / "postgres.log"
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "start",
        ],
        check=True,
        **quiet,
    )
    try:
        yield {
            "WORKFRONT_TEST_POSTGRES": "1",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(port),
            "PGUSER": "postgres",
            "PGDATABASE": "workfront_oauth",
        }
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            **quiet,
        )


@contextlib.contextmanager
def private_redis(workdir: Path) -> Iterator[dict[str, str]]:
    """A throwaway Redis server, no persistence; yields the environment naming it."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield {}
        return
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port)
        yield {"WORKFRONT_TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="workfront-oauth-tests-") as tmp:
        workdir = Path(tmp)
        with private_postgres(workdir) as pg_env, private_redis(workdir) as redis_env:
            env = {**os.environ, **pg_env, **redis_env}
            print(
                "Test services:",
                f"PostgreSQL on port {pg_env['PGPORT']}" if pg_env else "no PostgreSQL (SQLite)",
                "|",
                redis_env.get("WORKFRONT_TEST_REDIS_URL", "no Redis"),
                flush=True,
            )
            command = [sys.executable, "-m", "pytest", *argv]
            return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
