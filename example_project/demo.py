#!/usr/bin/env python
"""``make demo``: run the example site against the local Workfront emulator.

Prepares the database and a demo user, then runs three processes until Ctrl-C (or SIGTERM):
the Workfront emulator, a Celery worker with the beat scheduler (embedded broker by default),
and the site on http://127.0.0.1:8000/. Their output is shown with a prefix per process.

The demo signs users in through the emulator's Adobe IMS side, as a site set up today does;
``DEMO_PROVIDER=workfront make demo`` uses the legacy Workfront OAuth2 app instead (it sets
``WORKFRONT_OAUTH_PROVIDER`` for the site and worker).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import environ
from cryptography.fernet import Fernet

HERE = Path(__file__).resolve().parent  # example_project/
ENV_FILE = HERE / ".env"
ENV_EXAMPLE = HERE / ".env.example"
#: The emulator's sign-in state (grants, refresh tokens, sessions), kept across restarts so that
#: connections made in one run of the demo still work in the next.
EMULATOR_STATE = HERE / "var" / "emulator-state.json"

env = environ.Env(
    DEMO_PORT=(int, 8000),
    DEMO_EMULATOR_PORT=(int, 8001),
    DEMO_USERNAME=(str, "demo"),
    DEMO_PASSWORD=(str, "demo"),
    # Empty: WORKFRONT_OAUTH_PROVIDER decides (the example settings' default: "adobe_ims").
    DEMO_PROVIDER=(str, ""),
    # As the example settings: true logs every request of the site and of the emulator.
    LOG_ALL_REQUESTS=(bool, False),
)

PROVIDERS = ("workfront", "adobe_ims")
LOOPBACK = "127.0.0.1"
WORKFRONT_USERNAME, WORKFRONT_PASSWORD = "wfuser", "wfpass"  # the emulator's user
STARTUP_TIMEOUT = 60.0  # seconds for a child to get ready
STOP_TIMEOUT = 15.0  # seconds for a child to stop before it is killed

_print_lock = threading.Lock()


def say(line: str = "", prefix: str = "demo") -> None:
    """Print one line with the prefix of whoever said it."""
    with _print_lock:
        sys.stdout.write(f"{prefix:>9} | {line}\n")
        sys.stdout.flush()


def write_env_file() -> None:
    """On the first run, .env from .env.example, with keys generated for this machine."""
    if ENV_FILE.exists():
        return
    fresh = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    lines = [
        "# Settings of the example project, written by `make demo` from .env.example on its",
        "# first run, with a SECRET_KEY and FIELD_ENCRYPTION_KEY generated for this machine.",
        "# Edit freely; delete this file to have a new one written.",
    ]
    example = ENV_EXAMPLE.read_text().splitlines()
    # .env.example's own header speaks of copying it; the written file has the one above.
    while example and example[0].startswith("#"):
        example.pop(0)
    for line in example:
        name = line.partition("=")[0]
        if line.startswith("# DEMO ONLY"):
            line = "# Generated for this machine by demo.py; keep it secret."
        elif name in fresh:
            line = f"{name}={fresh[name]}"
        lines.append(line)
    ENV_FILE.write_text("\n".join(lines) + "\n")
    ENV_FILE.chmod(0o600)
    say(f"Wrote {ENV_FILE.relative_to(HERE.parent)} with a fresh SECRET_KEY and encryption key.")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers do: connections closed a moment ago (TIME_WAIT) do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def port_is_open(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def prepare_database(username: str, password: str) -> dict:
    """Migrate, create (or reset) the demo user; return the settings the demo prints."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(**{user_model.USERNAME_FIELD: username})
    # Reset when it differs, so the password printed below always works; only then: a new hash
    # would end every session of the user, logging them out at each restart of the demo.
    if created or not user.check_password(password):
        user.set_password(password)
    user.is_staff = user.is_superuser = True  # staff, to show the admin
    user.save()
    say(f"Database migrated; demo user {username!r} {'created' if created else 'updated'}.")
    values = {
        name: getattr(settings, name)
        for name in (
            "WORKFRONT_OAUTH_PROVIDER",
            "WORKFRONT_OAUTH_IMS_ORG_ID",
            "WORKFRONT_OAUTH_CLIENT_ID",
            "WORKFRONT_OAUTH_CLIENT_SECRET",
            "WORKFRONT_OAUTH_DOMAIN",
            "WORKFRONT_OAUTH_LANE",
            "WORKFRONT_OAUTH_REDIRECT_URI",
            "WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME",
            "WORKFRONT_OAUTH_REFRESH_MARGIN",
            "CELERY_BROKER_URL",
            "CELERY_BEAT_SCHEDULE",
        )
    }
    connections.close_all()  # the children open their own
    return values


class Child:
    """One child process in its own process group, its output copied line by line."""

    def __init__(self, name: str, command: list[str], ready_text: str = "") -> None:
        self.name = name
        #: Set when a line of output contains ``ready_text``.
        self.ready_text = ready_text
        self.said_ready = threading.Event()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            # Own session: a terminal's Ctrl-C reaches only the demo, which stops the children
            # in order; and the whole group (Celery's pool and beat) can be signalled at once.
            start_new_session=True,
        )
        self.pump = threading.Thread(target=self._copy_output, daemon=True)
        self.pump.start()

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            say(line.rstrip("\n"), self.name)
            if self.ready_text and self.ready_text in line:
                self.said_ready.set()

    def running(self) -> bool:
        return self.process.poll() is None

    def _signal_group(self, signum: int) -> bool:
        """Signal every process left in the group; False when none is."""
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL whatever of its process group is left."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop in {STOP_TIMEOUT:g}s; killing it.")
        # Pool workers or beat that outlived their parent.
        if self._signal_group(signal.SIGTERM):
            time.sleep(1)
            self._signal_group(signal.SIGKILL)
        self.process.wait()
        self.pump.join(timeout=5)


def wait_until_ready(child: Child, stop: threading.Event, port: int | None) -> bool:
    """Wait until ``child`` listens on ``port`` (or, without one, says it is ready).

    False when it died or did not get ready in time (both are said), or when told to stop.
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        if not child.running():
            say(f"{child.name} exited with status {child.process.returncode} while starting.")
            return False
        if port_is_open(port) if port is not None else child.said_ready.is_set():
            return True
        time.sleep(0.2)
    if not stop.is_set():
        say(f"{child.name} did not get ready in {STARTUP_TIMEOUT:g}s.")
    return False


def banner(site_url: str, emulator_url: str, username: str, password: str, config: dict) -> None:
    """Say what to open and how to log in."""
    schedule = config["CELERY_BEAT_SCHEDULE"]["workfront-oauth-refresh"]["schedule"]
    ims = config["WORKFRONT_OAUTH_PROVIDER"] == "adobe_ims"
    server = "Adobe IMS" if ims else "Workfront's legacy OAuth2 app"
    for line in (
        "=" * 72,
        f"The demo is running. Open {site_url}",
        f"  Site login:      username {username!r}, password {password!r} (also for /admin/)",
        f"  Provider:        {config['WORKFRONT_OAUTH_PROVIDER']} ({server})",
        f"  {'Adobe ID login:' if ims else 'Workfront login:'} username {WORKFRONT_USERNAME!r},"
        f" password {WORKFRONT_PASSWORD!r} (the emulator at {emulator_url}), then Allow",
        f"  Tokens are assumed to last {config['WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME']} s;"
        f" Celery beat refreshes them {config['WORKFRONT_OAUTH_REFRESH_MARGIN']} s before"
        f" expiry (sweep every {schedule:g} s).",
        f"  Celery broker:   {config['CELERY_BROKER_URL']}",
        f"  Emulator state:  {EMULATOR_STATE.relative_to(HERE.parent)} (delete it to forget"
        " every grant)",
        "Press Ctrl-C to stop.",
        "=" * 72,
    ):
        say(line)


def main() -> int:
    """Set up, run the three processes until a signal, stop them; the exit status."""
    write_env_file()
    environ.Env.read_env(ENV_FILE)  # the process environment wins over the file
    port, emulator_port = env("DEMO_PORT"), env("DEMO_EMULATOR_PORT")
    username, password = env("DEMO_USERNAME"), env("DEMO_PASSWORD")
    for wanted in (port, emulator_port):
        if not port_is_free(wanted):
            say(f"Port {wanted} on {LOOPBACK} is in use: stop what uses it, or set DEMO_PORT or")
            say("DEMO_EMULATOR_PORT (in the environment or in example_project/.env).")
            return 1

    provider = env("DEMO_PROVIDER")
    if provider and provider not in PROVIDERS:
        say(f"DEMO_PROVIDER must be one of {', '.join(PROVIDERS)}, not {provider!r}.")
        return 1
    if provider:
        # For the site and the worker too: they read it through the example settings.
        os.environ["WORKFRONT_OAUTH_PROVIDER"] = provider

    site_url = f"http://{LOOPBACK}:{port}/"
    emulator_url = f"http://{LOOPBACK}:{emulator_port}"
    # The demo always talks to its own emulator, whatever .env says about the hosts: it is
    # both the Workfront instance and, for adobe_ims, the IMS server.
    os.environ["WORKFRONT_OAUTH_HOST"] = emulator_url
    os.environ["WORKFRONT_OAUTH_IMS_HOST"] = emulator_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
    os.environ["PYTHONUNBUFFERED"] = "1"  # children's lines arrive as they are written
    sys.path.insert(0, str(HERE))
    config = prepare_database(username, password)
    if config["WORKFRONT_OAUTH_PROVIDER"] not in PROVIDERS:
        say(f"WORKFRONT_OAUTH_PROVIDER must be one of {', '.join(PROVIDERS)}.")
        return 1
    redirect_uri = config["WORKFRONT_OAUTH_REDIRECT_URI"] or f"{site_url}workfront/callback/"
    # The callback URL is built from the request: the site opened as http://localhost:PORT/
    # must come back there too, so both loopback names are registered.
    callbacks = [redirect_uri]
    if not config["WORKFRONT_OAUTH_REDIRECT_URI"]:
        callbacks.append(f"http://localhost:{port}/workfront/callback/")
    legacy_callbacks = [arg for uri in callbacks for arg in ("--redirect-uri", uri)]
    ims_callbacks = [arg for uri in callbacks for arg in ("--ims-redirect-uri", uri)]

    python = sys.executable
    emulator = [
        python, "-m", "django_workfront_oauth.testing",
        "--port", str(emulator_port),
        "--client-id", config["WORKFRONT_OAUTH_CLIENT_ID"],
        "--client-secret", config["WORKFRONT_OAUTH_CLIENT_SECRET"],
        *legacy_callbacks,
        "--domain", config["WORKFRONT_OAUTH_DOMAIN"],
        "--lane", config["WORKFRONT_OAUTH_LANE"],
        "--username", WORKFRONT_USERNAME,
        "--password", WORKFRONT_PASSWORD,
        # The same credential registered with the emulator's Adobe IMS side, so that either
        # provider works; its tokens are as short-lived as the demo assumes (real IMS: 24 h).
        "--ims-client-id", config["WORKFRONT_OAUTH_CLIENT_ID"],
        "--ims-client-secret", config["WORKFRONT_OAUTH_CLIENT_SECRET"],
        "--ims-org-id", config["WORKFRONT_OAUTH_IMS_ORG_ID"],
        *ims_callbacks,
        "--ims-expires-in", str(int(config["WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME"])),
        # Grants, refresh tokens and sessions survive a restart: connections stay alive.
        "--state-file", str(EMULATOR_STATE),
        *([] if env("LOG_ALL_REQUESTS") else ["--quiet"]),
    ]  # fmt: skip
    worker = [python, "-m", "celery", "-A", "example", "worker", "-B", "--loglevel=info"]
    site = [python, "manage.py", "runserver", f"{LOOPBACK}:{port}", "--noreload", "--insecure"]
    # Started in this order, each once the previous one is ready; stopped in reverse.
    plan = [
        ("emulator", emulator, emulator_port, ""),
        ("celery", [*worker, "--concurrency=2"], None, " ready."),
        ("site", site, port, ""),
    ]

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())

    children: list[Child] = []
    failed = False
    try:
        for name, command, ready_port, ready_text in plan:
            children.append(Child(name, command, ready_text))
            if not wait_until_ready(children[-1], stop, ready_port):
                failed = not stop.is_set()
                return 1 if failed else 0
        banner(site_url, emulator_url, username, password, config)
        while not stop.wait(0.5):
            dead = [child for child in children if not child.running()]
            for child in dead:
                say(f"{child.name} exited with status {child.process.returncode}; stopping.")
            if dead:
                failed = True
                break
    finally:
        # Our signal handlers stay: a second Ctrl-C must not leave children behind.
        if children:
            say("Stopping...")
        for child in reversed(children):
            child.stop()
        if children:
            say("Stopped after a failure." if failed else "Stopped.")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C while setting up, before any child was started
        sys.exit(130)
