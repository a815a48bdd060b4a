"""The HTTP side: a threading server that turns requests into :class:`~.messages.Request` values,
routes them to the endpoint functions and writes their :class:`~.messages.Response` back.
"""

from __future__ import annotations

import re
import socket
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import pages
from .backend import Backend
from .messages import Request, Response, html_response
from .routes import route

#: Bodies larger than this are refused.
MAX_BODY = 1 << 20
#: Query parameters whose values the request log hides: they are secrets while a flow lasts.
_SECRET_QUERY = re.compile(
    r"([?&](?:code|state|nonce|code_challenge|code_verifier|request_id)=)[^&\s\"]*"
)


def redact_request_line(line: str) -> str:
    """``line`` with the values of the flow's secret query parameters hidden."""
    return _SECRET_QUERY.sub(r"\1[redacted]", line)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the backend its endpoints serve."""

    daemon_threads = True
    # Rebinding a just-freed port (CLI restarts) should not fail.
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend, *, log_requests: bool) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # e.g. --host ::1
        super().__init__(address, RequestHandler)
        self.backend = backend
        self.log_requests = log_requests


class RequestHandler(BaseHTTPRequestHandler):
    """Reads a request, finds its route, writes the response (or hangs up on a fault)."""

    server: EmulatorHTTPServer
    server_version = "WorkfrontEmulator"
    sys_version = ""

    def do_GET(self) -> None:
        """Serve a GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Serve a POST."""
        self._dispatch()

    def do_PUT(self) -> None:
        """Serve a PUT (the API answers that it does not emulate writes)."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Serve a DELETE (likewise)."""
        self._dispatch()

    def log_message(self, format: str, *args: object) -> None:
        """Log to stderr only when asked (the CLI does; tests stay quiet)."""
        if self.server.log_requests:
            message = redact_request_line(format % args)
            sys.stderr.write(f"{self.address_string()} - {message}\n")

    def _read_request(self) -> Request | Response:
        """The request, or the error response when its body cannot be read."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return html_response(400, pages.error_page("Invalid Content-Length."))
        if length > MAX_BODY:
            # Refused unread: nothing the emulator accepts comes close to this size.
            return html_response(413, pages.error_page("The request body is too large."))
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        return Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )

    def _dispatch(self) -> None:
        backend = self.server.backend
        request = self._read_request()
        if isinstance(request, Response):
            self.close_connection = True
            self._write(request)
            return
        try:
            response = route(backend, request)
        except Exception:
            # An emulator bug: say so loudly (traceback on stderr) but keep serving.
            traceback.print_exc()
            response = html_response(500, pages.error_page("The emulator failed; see its log."))
        if response.delay:
            backend.faults.sleep(response.delay)
        if response.abort:
            # Say nothing and hang up, as a dead upstream would.
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
