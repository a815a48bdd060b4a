"""One OS process of an integration test: ``python -m tests.integration.child <action> ...``.

Every action sets Django up first (``tests.integration.child_settings``, and the Server-to-Server
instance ``helpers.install_s2s_instance`` adds when the environment names it), opens its database
connection and loads what it needs, then waits at the barrier so that all children act at the
same instant. The result is printed as one JSON line; tokens only as fingerprints.

Actions:

``refresh PK``  ``services.refresh_connection`` on the connection, then one API call with it.
``api PK``      one API call through ``WorkfrontClient(connection)`` (refreshes when expired).
``sweep``       ``services.sweep()``, refreshing in this process.
``hold PK``     lock the row (``SELECT ... FOR UPDATE``) and sit on it until the release file
                exists (or ``--max-seconds``); says it holds the lock by creating the ready file.
``s2s-api INSTANCE``  one API call through ``service_client(INSTANCE)``, the site's own
                Server-to-Server connection, which this process has not read before the
                barrier (it reads, creates or renews the stored token as a fresh process does);
                ``token_requests_here`` says how many token requests this process sent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.integration.helpers import Barrier, install_s2s_instance, token_digest


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="child")
    parser.add_argument("action", choices=["refresh", "api", "sweep", "hold", "s2s-api"])
    parser.add_argument("pk", nargs="?", help="the connection's pk; s2s-api: the instance")
    parser.add_argument("--barrier", required=True, help="the barrier's folder")
    parser.add_argument("--name", default=str(os.getpid()))
    parser.add_argument("--offset", type=float, default=0.0, help="seconds after the start")
    parser.add_argument("--lock-timeout", type=float, help="patch services.refresh.LOCK_TIMEOUT")
    parser.add_argument("--release-file", help="hold: let go once this file exists")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="hold: longest hold")
    args = parser.parse_args(argv)
    if args.action == "s2s-api":
        return s2s_api(args)
    if args.pk is not None:
        args.pk = int(args.pk)

    import django

    django.setup()
    install_s2s_instance()

    from django.db import connection, transaction

    from django_workfront_oauth import services
    from django_workfront_oauth.client import WorkfrontClient
    from django_workfront_oauth.exceptions import WorkfrontOAuthError
    from django_workfront_oauth.models import WorkfrontConnection
    from django_workfront_oauth.signals import tokens_refreshed

    if args.lock_timeout is not None:
        services.refresh.LOCK_TIMEOUT = timedelta(seconds=args.lock_timeout)
    refreshed_here: list[int] = []
    tokens_refreshed.connect(
        lambda sender, connection, **kwargs: refreshed_here.append(connection.pk), weak=False
    )
    connection.ensure_connection()
    barrier = Barrier(args.barrier)
    result: dict[str, Any] = {"pid": os.getpid(), "name": args.name}

    if args.action == "hold":
        release = Path(args.release_file)
        with transaction.atomic():
            WorkfrontConnection.objects.select_for_update().get(pk=args.pk)
            (barrier.directory / f"ready-{args.name}").touch()
            deadline = time.monotonic() + args.max_seconds
            while not release.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
        result["held_for"] = args.max_seconds if not release.exists() else None
        print(json.dumps(result), flush=True)
        return 0

    conn = WorkfrontConnection.objects.get(pk=args.pk) if args.pk is not None else None
    barrier.wait(args.name, offset=args.offset)
    started = time.monotonic()
    try:
        if args.action == "refresh":
            assert conn is not None
            services.refresh_connection(conn)
            result["count"] = WorkfrontClient(conn).count("PROJ")
        elif args.action == "api":
            assert conn is not None
            result["count"] = WorkfrontClient(conn).count("PROJ")
        else:
            result["counts"] = services.sweep()
    except WorkfrontOAuthError as err:
        result["error"] = type(err).__name__
        result["message"] = str(err)
    result["elapsed"] = time.monotonic() - started
    result["refreshed_here"] = refreshed_here
    if conn is not None:
        result["access_token"] = token_digest(conn.access_token)
        result["refresh_token"] = token_digest(conn.refresh_token)
    print(json.dumps(result), flush=True)
    return 0


def s2s_api(args: argparse.Namespace) -> int:
    """``s2s-api INSTANCE``: ``service_client(INSTANCE).count("PROJ")`` after the barrier."""
    import django

    django.setup()
    install_s2s_instance()

    from django.db import connection

    from django_workfront_oauth.client import service_client
    from django_workfront_oauth.exceptions import WorkfrontOAuthError
    from django_workfront_oauth.providers import AdobeIMSServerToServerProvider
    from django_workfront_oauth.services import server_to_server

    instance = args.pk
    # Count this process's token requests where they leave for IMS.
    token_requests_here: list[float] = []
    request_token = AdobeIMSServerToServerProvider.request_token

    def counted(provider: AdobeIMSServerToServerProvider) -> Any:
        token_requests_here.append(time.time())
        return request_token(provider)

    AdobeIMSServerToServerProvider.request_token = counted  # type: ignore[method-assign]
    connection.ensure_connection()
    assert not server_to_server._rows, "a fresh process knows no row before it asks"
    barrier = Barrier(args.barrier)
    result: dict[str, Any] = {"pid": os.getpid(), "name": args.name}
    barrier.wait(args.name, offset=args.offset)
    started = time.monotonic()
    client = None
    try:
        client = service_client(instance)
        result["count"] = client.count("PROJ")
    except WorkfrontOAuthError as err:
        result["error"] = type(err).__name__
        result["message"] = str(err)
    result["elapsed"] = time.monotonic() - started
    result["token_requests_here"] = len(token_requests_here)
    if client is not None:
        result["access_token"] = token_digest(client.connection.access_token)
        result["row"] = client.connection.pk
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
