"""A process of the site that was already running when a test adds or changes a database
instance: ``python -m tests.integration.site_process [--serve PORT]``.

It sets Django up (``child_settings``, with the shared Redis cache when the environment names
one), says ``{"ready": true}``, then answers one JSON command a line on stdin with one JSON line
on stdout, until ``{"do": "quit"}``. With ``--serve`` it also serves the site over HTTP on that
loopback port (a thread), so the test can run the connect flow through it.

Commands (``do``): ``lookup NAME`` (what ``app_settings`` finds, and the SQL queries that took),
``refresh PK``, ``sweep``, ``api PK`` (one search through ``WorkfrontClient``), ``s2s NAME`` (one
search through ``service_client``). Tokens are never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import traceback
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(port: int) -> None:
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1",
        port,
        get_wsgi_application(),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _answer(command: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django_workfront_oauth import services
    from django_workfront_oauth.client import WorkfrontClient, service_client
    from django_workfront_oauth.conf import app_settings
    from django_workfront_oauth.exceptions import WorkfrontOAuthError
    from django_workfront_oauth.models import WorkfrontConnection

    action = command["do"]
    if action == "lookup":
        with CaptureQueriesContext(connection) as queries:
            found = app_settings.find_instance(command["name"])
        if found is None:
            return {"found": False, "queries": len(queries)}
        return {
            "found": True,
            "queries": len(queries),
            "host": found.host,
            "client_id": found.client_id,
            "is_active": found.is_active,
        }
    if action == "refresh":
        row = WorkfrontConnection.objects.get(pk=command["pk"])
        before = row.last_refreshed_at
        try:
            services.refresh_connection(row, force=True)
        except WorkfrontOAuthError as err:
            return {"error": type(err).__name__, "message": str(err).splitlines()[0]}
        return {"refreshed": row.last_refreshed_at != before}
    if action == "sweep":
        return {"counts": services.sweep()}
    if action == "api":
        row = WorkfrontConnection.objects.get(pk=command["pk"])
        return {"rows": len(WorkfrontClient(row).search("PROJ", limit=5))}
    if action == "s2s":
        return {"rows": len(service_client(command["name"]).search("PROJ", limit=5))}
    raise ValueError(f"unknown command {action!r}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="site_process")
    parser.add_argument("--serve", type=int, help="also serve the site on this loopback port")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    if args.serve:
        _serve(args.serve)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "quit":
            break
        try:
            answer = _answer(command)
        except Exception as err:  # reported to the test, which fails with it
            answer = {"crash": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
