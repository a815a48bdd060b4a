"""Plumbing for the integration tests: child processes, a file barrier, /proc readings.

Imported by the test process and by the child processes (``tests/integration/child.py``), so it
imports nothing from Django at module level.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHILD_SETTINGS = "tests.integration.child_settings"

#: The longest any child may take; the tests fail instead of hanging.
CHILD_TIMEOUT = 60.0


def token_digest(token: str) -> str:
    """A short fingerprint of a token, so children report tokens without printing them."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what or predicate}")
        time.sleep(interval)


# -- the barrier -------------------------------------------------------------------------------


class Barrier:
    """Start many processes at the same instant: each says it is ready, then waits for ``go``.

    The ``go`` file holds a wall-clock start time a little in the future, so every child starts
    its action at that time plus its own offset, however late it noticed the file.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    @property
    def go_file(self) -> Path:
        return self.directory / "go"

    def ready_count(self) -> int:
        return len(list(self.directory.glob("ready-*")))

    # The child's side.
    def wait(self, name: str, *, offset: float = 0.0, timeout: float = CHILD_TIMEOUT) -> float:
        """Say ``name`` is ready, wait for ``go``, sleep until the start time; returns it."""
        (self.directory / f"ready-{name}").touch()
        deadline = time.monotonic() + timeout
        while not self.go_file.exists():
            if time.monotonic() >= deadline:
                raise TimeoutError("the barrier was never released")
            time.sleep(0.002)
        start = float(self.go_file.read_text()) + offset
        delay = start - time.time()
        if delay > 0:
            time.sleep(delay)
        return start

    # The parent's side.
    def release(
        self,
        parties: int,
        processes: Sequence[subprocess.Popen[str]] = (),
        *,
        lead: float = 0.25,
        timeout: float = CHILD_TIMEOUT,
    ) -> float:
        """Wait until ``parties`` children are ready, then let them all go ``lead`` s from now."""

        def ready() -> bool:
            for process in processes:
                if process.poll() is not None:
                    _out, err = process.communicate()
                    raise AssertionError(f"a child exited before the barrier:\n{err[-3000:]}")
            return self.ready_count() >= parties

        wait_until(ready, timeout=timeout, interval=0.01, what=f"{parties} children to be ready")
        start = time.time() + lead
        tmp = self.directory / "go.tmp"
        tmp.write_text(repr(start))
        tmp.replace(self.go_file)  # atomic: a child never reads a half-written file
        return start


# -- child processes ---------------------------------------------------------------------------


def child_environment(**values: str) -> dict[str, str]:
    """The test process's environment plus what a child needs to find the code and settings."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = CHILD_SETTINGS
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.pop("COVERAGE_PROCESS_START", None)
    env.update(values)
    return env


def spawn(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start ``python -m tests.integration.child <args>``."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.child", *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(process: subprocess.Popen[str], timeout: float = CHILD_TIMEOUT) -> dict[str, Any]:
    """Wait for a child and return the JSON object it printed last; fail on any error."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"a child ran longer than {timeout:g}s:\n{err[-3000:]}") from None
    if process.returncode != 0:
        raise AssertionError(f"a child failed (exit {process.returncode}):\n{err[-3000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise AssertionError(f"a child printed no result:\n{out[-1000:]}\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def stop_all(processes: Sequence[subprocess.Popen[str]]) -> None:
    """Kill children still running (a failed test must not leave them behind)."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=10)


# -- the site's own Server-to-Server instance in children and the worker ------------------------

#: The name of the ``adobe_ims_s2s`` instance children and the worker know (the same as the
#: ``workfront_s2s_settings`` fixture's).
S2S_INSTANCE = "service"
#: The environment variables that describe it (``emulator_environment`` in ``conftest.py``).
S2S_ENVIRONMENT = {
    "PROVIDER": "WORKFRONT_IT_S2S_PROVIDER",
    "HOST": "WORKFRONT_IT_HOST",
    "IMS_HOST": "WORKFRONT_IT_IMS_HOST",
    "IMS_ORG_ID": "WORKFRONT_IT_IMS_ORG_ID",
    "CLIENT_ID": "WORKFRONT_IT_S2S_CLIENT_ID",
    "CLIENT_SECRET": "WORKFRONT_IT_S2S_CLIENT_SECRET",
}


def install_s2s_instance(environ: Mapping[str, str] | None = None) -> bool:
    """Add the ``S2S_INSTANCE`` instance to Django's settings when the environment names it.

    Called by a child after ``django.setup()`` and by the worker's Celery app at import, beside
    the default instance that ``child_settings`` configures: the settings are read at every
    access, so the processes forked from the worker inherit it too. False when the environment
    has no Server-to-Server credential.
    """
    environ = os.environ if environ is None else environ
    if not environ.get(S2S_ENVIRONMENT["CLIENT_ID"]):
        return False
    from django.conf import settings

    instances = dict(getattr(settings, "WORKFRONT_OAUTH_INSTANCES", None) or {})
    instances[S2S_INSTANCE] = {key: environ[name] for key, name in S2S_ENVIRONMENT.items()}
    settings.WORKFRONT_OAUTH_INSTANCES = instances
    return True


# -- /proc -------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return raw[raw.rindex(")") + 2 :].split()


def parent_pid(pid: int) -> int | None:
    """The parent of ``pid``, ``None`` when it is gone."""
    try:
        return int(_stat_fields(pid)[1])
    except (OSError, ValueError, IndexError):
        return None


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_pid(int(entry.name)) == pid:
            children.append(int(entry.name))
    return sorted(children)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads), 0 when it is gone."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def terminate(process: subprocess.Popen[Any], *, timeout: float = 20.0) -> None:
    """SIGTERM (a Celery worker's warm shutdown), then SIGKILL to its process group if needed."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        # The worker was started in its own session: its group is the worker and its pool.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def read_traces(directory: Path | str) -> list[dict[str, Any]]:
    """Every task start and end the worker's pool processes traced (``celery_app.py``), in order."""
    events = []
    for path in Path(directory).glob("trace-*.jsonl"):
        for line in path.read_text().splitlines():
            if line.strip():
                with contextlib.suppress(ValueError):  # a line being written right now
                    events.append(json.loads(line))
    return sorted(events, key=lambda event: event["time"])
