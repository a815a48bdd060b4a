"""The example site's development-server log: no static files, never the callback's secrets.

``example_project/example/log_filters.py`` is tested on its own, then through the example's
settings in a child process, as ``runserver`` logs a request.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from cryptography.fernet import Fernet

EXAMPLE = Path(__file__).resolve().parent.parent / "example_project"
CALLBACK_LINE = "GET /workfront/callback/?code=c0de-1&state=st4te-2&domain=acme HTTP/1.1"


def log_filters() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "example_log_filters", EXAMPLE / "example" / "log_filters.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_line(quiet: logging.Filter, request_line: str, status: str = "200") -> str | None:
    """What a ``runserver`` request line becomes through the filter (``None``: dropped)."""
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, status, "12"), None
    )
    return record.getMessage() if quiet.filter(record) else None


def test_served_static_files_are_dropped_and_their_errors_kept() -> None:
    quiet = log_filters().QuietRequests(static_url="static/")
    assert server_line(quiet, "GET /static/admin/css/base.css HTTP/1.1") is None
    assert server_line(quiet, "GET /static/admin/css/base.css HTTP/1.1", "304") is None
    assert server_line(quiet, "GET /static/missing.css HTTP/1.1", "404") == (
        '"GET /static/missing.css HTTP/1.1" 404 12'
    )
    assert server_line(quiet, "GET /dashboard/ HTTP/1.1") == '"GET /dashboard/ HTTP/1.1" 200 12'


def test_the_callbacks_code_and_state_are_hidden() -> None:
    quiet = log_filters().QuietRequests()
    line = server_line(quiet, CALLBACK_LINE, "302")
    assert line == (
        '"GET /workfront/callback/?code=[redacted]&state=[redacted]&domain=acme HTTP/1.1" 302 12'
    )


def test_all_requests_keeps_static_files_but_still_hides_secrets() -> None:
    quiet = log_filters().QuietRequests(all_requests=True)
    assert server_line(quiet, "GET /static/app.css HTTP/1.1") is not None
    line = server_line(quiet, CALLBACK_LINE)
    assert line is not None and "c0de-1" not in line and "st4te-2" not in line


@pytest.mark.parametrize(
    "text",
    [
        "/cb?state=abc",
        "/cb?x=1&code=abc",
        "/cb?id_token=abc&nonce=abc",
        "/cb?refresh_token=abc&access_token=abc&code_verifier=abc",
    ],
)
def test_every_oauth_secret_parameter_is_redacted(text: str) -> None:
    assert "abc" not in log_filters().redact(text)


def test_the_example_settings_wire_the_filter_and_mark_the_apps_lines(tmp_path: Path) -> None:
    """``django.setup()`` with the example settings, then one line of each logger."""
    script = (
        "import django, logging; django.setup(); "
        "server = logging.getLogger('django.server'); "
        f"server.info('\"%s\" %s %s', {CALLBACK_LINE!r}, '302', '0'); "
        "server.info('\"%s\" %s %s', 'GET /static/admin/css/base.css HTTP/1.1', '200', '9'); "
        "logging.getLogger('django_workfront_oauth').info('Refreshed Workfront connection 7.')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example.settings",
        "SECRET_KEY": "test-only",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOG_ALL_REQUESTS": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any("/workfront/callback/?code=[redacted]&state=[redacted]" in x for x in lines), lines
    assert "c0de-1" not in done.stderr and "st4te-2" not in done.stderr
    assert "/static/" not in done.stderr
    assert any("** workfront-oauth INFO: Refreshed Workfront connection 7." in x for x in lines), (
        lines
    )
