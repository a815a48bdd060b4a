"""Every outgoing request has a wall-clock deadline and a body size cap (over real HTTP).

A server on loopback that drips its body a byte at a time, or sends far too much, must not hold
a worker (or the row lock of a refresh) past ``HTTP_DEADLINE`` nor fill its memory past
``HTTP_MAX_RESPONSE_SIZE``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django_workfront_oauth.exceptions import WorkfrontUnavailable
from django_workfront_oauth.http import send


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "40")
            self.end_headers()
            for _ in range(40):  # 40 bytes over 8 s: each read is well inside the timeout
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()  # no Content-Length: read until the connection closes
            chunk = b"y" * 65536
            for _ in range(64):  # 4 MiB
                self.wfile.write(chunk)
        elif self.path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            self.wfile.write(b"z" * 1024)
        else:
            body = b'{"data": {"count": 3}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_dripping_body_is_abandoned_at_the_deadline(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(WorkfrontUnavailable, match="1s deadline"):
        send("GET", f"{server}/drip", timeout=1.0, deadline=1.0)
    # 40 bytes at 5 a second would take 8 s; the deadline cuts it near 1 s.
    assert time.monotonic() - started < 3.0


def test_a_body_past_the_size_cap_is_abandoned(server: str) -> None:
    with pytest.raises(WorkfrontUnavailable, match="more than 1048576 bytes"):
        send("GET", f"{server}/big", timeout=5.0, max_bytes=1024 * 1024)


def test_a_declared_size_past_the_cap_is_refused_before_reading(server: str) -> None:
    with pytest.raises(WorkfrontUnavailable, match="more than"):
        send("GET", f"{server}/declared-big", timeout=5.0, max_bytes=1024 * 1024)


def test_a_normal_answer_is_read_whole_and_the_connection_pooled(server: str) -> None:
    for _ in range(3):
        response = send("GET", f"{server}/ok", timeout=5.0)
        assert response.json() == {"data": {"count": 3}}
    assert response.headers["Content-Length"] == "22"


def test_a_header_value_that_is_not_latin1_is_our_error(server: str) -> None:
    """A token with other characters becomes WorkfrontUnavailable, not a UnicodeEncodeError."""
    with pytest.raises(WorkfrontUnavailable, match="could not be sent"):
        send("GET", f"{server}/ok", timeout=5.0, headers={"SessionID": "tök€n"})
