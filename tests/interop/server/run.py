"""Run the interop server: ``python -m tests.interop.server.run DB_PATH``.

Binds a free port on 127.0.0.1 first (the OIDC issuer is the bound address), migrates a fresh
SQLite file, creates the user and the Web App, then serves until killed. Its first line on
stdout is JSON: the base URL and the user's ``sub``; DOT's log goes to stderr.
"""

from __future__ import annotations

import json
import os
import socketserver
import sys
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread a request: the client may call back while a request is in flight."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """No access log: DOT's own log says what matters."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting\n"]


def _seed() -> dict[str, Any]:
    """The user who signs in and the confidential Web App that our app is configured with."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import get_application_model

    from tests.interop.server import (
        CLIENT_ID,
        CLIENT_SECRET,
        EMAIL,
        FULL_NAME,
        OTHER_REDIRECT_URI,
        PASSWORD,
        REDIRECT_URI,
        USERNAME,
    )

    first, last = FULL_NAME.split(" ", 1)
    user = get_user_model().objects.create_user(
        USERNAME, EMAIL, PASSWORD, first_name=first, last_name=last
    )
    application = get_application_model()
    application.objects.create(
        name="Workfront OAuth interop",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{REDIRECT_URI} {OTHER_REDIRECT_URI}",
        algorithm=application.RS256_ALGORITHM,
        # No consent page: the test's browser only signs in.
        skip_authorization=True,
    )
    return {"sub": str(user.pk), "user_pk": user.pk}


def main(db_path: str) -> None:
    """Bind, set up, announce, serve."""
    server = make_server(
        "127.0.0.1", 0, _not_ready, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    os.environ["INTEROP_BASE_URL"] = base_url
    os.environ["INTEROP_DB_PATH"] = db_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.interop.server.settings"

    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    seeded = _seed()
    server.set_app(get_wsgi_application())
    print(json.dumps({"base_url": base_url, **seeded}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
