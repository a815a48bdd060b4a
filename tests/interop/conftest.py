"""The django-oauth-toolkit server in a subprocess, and our app configured against it."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from django_workfront_oauth.http import get_session
from tests.interop.server import CLIENT_ID, CLIENT_SECRET, IMS_ORG_ID, PASSWORD, USERNAME

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
#: Every request the tests themselves send has a deadline too.
TIMEOUT = 10.0


@dataclass(frozen=True)
class DOTServer:
    """A running interop server: where it is, who its user is, and its log."""

    base_url: str
    sub: str
    user_pk: int
    log_path: Path
    #: For the tests' own requests: loopback only, no proxy or netrc from the environment.
    http: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.http.trust_env = False

    def url(self, path: str) -> str:
        """The absolute URL of a path on the server."""
        return f"{self.base_url}{path}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET a path on the server, with a deadline."""
        return self.http.get(self.url(path), timeout=TIMEOUT, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST to a path on the server, with a deadline."""
        return self.http.post(self.url(path), timeout=TIMEOUT, **kwargs)

    def log_tail(self, lines: int = 40) -> str:
        """The end of DOT's log: why it refused what it refused."""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _read_announcement(process: subprocess.Popen[str], log_path: Path) -> dict[str, Any]:
    """Wait for the server's JSON line; fail with its log if it dies or takes too long."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = process.stdout.readline()
            if line.startswith("{"):
                return dict(json.loads(line))
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(
        f"The interop server did not start:\n{log_path.read_text(errors='replace')[-4000:]}"
    )


@pytest.fixture(scope="session")
def dot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DOTServer]:
    """A fresh django-oauth-toolkit server on loopback for the session, killed at the end."""
    workdir = tmp_path_factory.mktemp("dot-server")
    log_path = workdir / "server.log"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.interop.server.run", str(workdir / "dot.sqlite3")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        announced = _read_announcement(process, log_path)
        server = DOTServer(
            base_url=announced["base_url"],
            sub=announced["sub"],
            user_pk=int(announced["user_pk"]),
            log_path=log_path,
        )
        with server.http:
            yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def dot_settings(settings: Any, dot_server: DOTServer) -> DOTServer:
    """Our default instance on the IMS provider, with DOT as both IMS and Workfront."""
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_HOST = dot_server.base_url
    settings.WORKFRONT_OAUTH_HOST = dot_server.base_url
    settings.WORKFRONT_OAUTH_CLIENT_ID = CLIENT_ID
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = CLIENT_SECRET
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = IMS_ORG_ID
    settings.WORKFRONT_OAUTH_USE_PKCE = True
    settings.WORKFRONT_OAUTH_SUCCESS_URL = "/connected/"
    return dot_server


@pytest.fixture
def dot_browser(dot_server: DOTServer) -> Iterator[requests.Session]:
    """The user's browser at the DOT server, signed in there (Django's LoginView)."""
    with requests.Session() as browser:
        browser.trust_env = False  # loopback only: no proxy from the environment
        login = dot_server.url("/login/")
        browser.get(login, timeout=TIMEOUT).raise_for_status()
        response = browser.post(
            login,
            data={
                "username": USERNAME,
                "password": PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert response.status_code == 302, "the DOT server refused the test user's login"
        yield browser


@pytest.fixture
def wire(dot_server: DOTServer) -> Iterator[list[requests.PreparedRequest]]:
    """Every request our app sends to the DOT server, as it went out on the wire."""
    sent: list[requests.PreparedRequest] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if response.url.startswith(dot_server.base_url + "/"):
            sent.append(response.request)

    # A response hook on the app's own pooled session: it observes, it changes nothing.
    hooks = get_session().hooks["response"]
    hooks.append(record)
    try:
        yield sent
    finally:
        hooks.remove(record)
