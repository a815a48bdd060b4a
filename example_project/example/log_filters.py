"""Quiet, safe logs of the development server (the ``django.server`` logger).

``runserver`` logs one line a request, with the whole URL: every static file of every page, and
the Workfront callback with its one-time ``code`` and ``state``. :class:`QuietRequests` drops
the lines of static files that were served (errors stay) and hides the values of the OAuth
parameters in every line it lets through.
"""

from __future__ import annotations

import logging
import re

#: Query parameters whose values never reach a log: OAuth secrets while a flow lasts.
SECRET_PARAMETERS = (
    "code",
    "state",
    "nonce",
    "code_verifier",
    "id_token",
    "access_token",
    "refresh_token",
)
REDACTED = "[redacted]"
_SECRETS = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&\s\"]*")


def redact(text: str) -> str:
    """``text`` with the values of :data:`SECRET_PARAMETERS` in its URLs replaced."""
    return _SECRETS.sub(r"\1" + REDACTED, text)


class QuietRequests(logging.Filter):
    """Drop served static files, redact OAuth parameters; ``all_requests`` keeps every line."""

    def __init__(self, static_url: str = "/static/", all_requests: bool = False) -> None:
        super().__init__()
        self.static_url = "/" + static_url.lstrip("/")
        self.all_requests = all_requests

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        # runserver's request lines: '"%s" %s %s' % (request line, status, size).
        if not self.all_requests and len(args) == 3 and self._is_static(args[0], args[1]):
            return False
        if args:
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True

    def _is_static(self, request_line: object, status: object) -> bool:
        if not isinstance(request_line, str) or str(status)[:1] not in ("2", "3"):
            return False
        parts = request_line.split()
        return len(parts) >= 2 and parts[1].startswith(self.static_url)
