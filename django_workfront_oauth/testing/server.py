"""The HTTP side: a threading server that turns requests into :class:`~.messages.Request` values,
routes them to the endpoint functions and writes their :class:`~.messages.Response` back.
"""

from __future__ import annotations

import re
import socket
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from . import api, ims, legacy, pages
from .messages import Request, Response, html_response

if TYPE_CHECKING:
    from .emulator import WorkfrontEmulator

Endpoint = Callable[["WorkfrontEmulator", Request, "re.Match[str]"], Response]

#: Bodies larger than this are refused.
MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Route:
    """A path pattern (matched in full), the endpoint that serves it, the methods it accepts."""

    pattern: re.Pattern[str]
    endpoint: Endpoint
    # None: any method, the endpoint answers for itself (the token endpoint and the API
    # reply in their own error format).
    methods: frozenset[str] | None = None


def _index(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    return html_response(
        200, pages.index_page(emulator.domain, emulator.lane, emulator.default_user.username)
    )


GET = frozenset({"GET"})
POST = frozenset({"POST"})

# Both authorization servers on one GrantStore; the login and consent pages are shared.
ROUTES: tuple[Route, ...] = (
    Route(re.compile(re.escape(legacy.AUTHORIZE_PATH)), legacy.authorize, GET),
    Route(re.compile(re.escape(pages.LOGIN_PATH)), legacy.login, POST),
    Route(re.compile(re.escape(pages.CONSENT_PATH)), legacy.consent, POST),
    Route(re.compile(re.escape(legacy.TOKEN_PATH)), legacy.token),
    Route(re.compile(re.escape(ims.AUTHORIZE_PATH)), ims.authorize, GET),
    Route(re.compile(re.escape(ims.TOKEN_PATH)), ims.token),
    Route(re.compile(re.escape(ims.REVOKE_PATH)), ims.revoke),
    Route(re.compile(re.escape(ims.USERINFO_PATH)), ims.userinfo),
    Route(re.compile(re.escape(ims.DISCOVERY_PATH)), ims.discovery, GET),
    Route(re.compile(api.API_PATH), api.api),
    Route(re.compile("/"), _index, GET),
)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its emulator."""

    daemon_threads = True
    # Rebinding a just-freed port (CLI restarts) should not fail.
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], emulator: WorkfrontEmulator, *, log_requests: bool
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # e.g. --host ::1
        super().__init__(address, RequestHandler)
        self.emulator = emulator
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
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

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
        emulator = self.server.emulator
        request = self._read_request()
        if isinstance(request, Response):
            self.close_connection = True
            self._write(request)
            return
        try:
            response = self._route(emulator, request)
        except Exception:
            # An emulator bug: say so loudly (traceback on stderr) but keep serving.
            traceback.print_exc()
            response = html_response(500, pages.error_page("The emulator failed; see its log."))
        if response.delay:
            emulator.faults.sleep(response.delay)
        if response.abort:
            # Say nothing and hang up, as a dead upstream would.
            self.close_connection = True
            return
        self._write(response)

    @staticmethod
    def _route(emulator: WorkfrontEmulator, request: Request) -> Response:
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if route.methods is not None and request.method not in route.methods:
                return html_response(405, pages.error_page("Method not allowed."))
            return route.endpoint(emulator, request, match)
        return html_response(404, pages.not_found_page())

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
