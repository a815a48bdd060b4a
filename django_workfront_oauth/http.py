"""The one door to the network: a pooled session per process, timeouts, deadlines, size caps.

Every request has three bounds: ``timeout`` for each socket operation (``HTTP_TIMEOUT``), a
wall-clock ``deadline`` for the whole body (``HTTP_DEADLINE``), so a server that drips a byte
at a time cannot hold a worker (or a row lock) for long, and ``max_bytes`` for the body
(``HTTP_MAX_RESPONSE_SIZE``), read in chunks and abandoned past the cap.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import __version__
from .exceptions import WorkfrontUnavailable

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BYTES",
    "USER_AGENT",
    "describe_url",
    "get_session",
    "retry_after_seconds",
    "send",
]

USER_AGENT = f"django-workfront-oauth/{__version__} python-requests/{requests.__version__}"

#: Defaults of ``HTTP_DEADLINE`` and ``HTTP_MAX_RESPONSE_SIZE`` for callers without settings.
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
#: The largest read at once; read1() returns what has arrived, so the deadline is checked
#: between reads even when a server drips.
_CHUNK = 64 * 1024

_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid: int | None = None


def get_session() -> requests.Session:
    """The process's pooled session; a forked child (Celery prefork) makes its own."""
    global _session, _session_pid
    pid = os.getpid()
    if _session is None or _session_pid != pid:
        with _lock:
            if _session is None or _session_pid != pid:
                session = requests.Session()
                session.headers["User-Agent"] = USER_AGENT
                # Proxies and credentials from the environment or ~/.netrc must not change
                # where tokens go.
                session.trust_env = False
                _session, _session_pid = session, pid
    return _session


def describe_url(url: str) -> str:
    """Scheme, host and path of a URL, for messages: never the query string."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@sensitive_variables("headers", "data", "json", "auth")
def send(
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Any = None,
    data: Any = None,
    json: Any = None,
    auth: tuple[str, str] | None = None,
    files: Any = None,
    deadline: float = DEFAULT_DEADLINE,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> requests.Response:
    """Send one request and read its body within the bounds; failures become
    :class:`WorkfrontUnavailable`."""
    started = time.monotonic()
    error = ""
    try:
        response = get_session().request(
            method,
            url,
            headers=headers,
            params=params,
            data=data,
            json=json,
            auth=auth,
            files=files,
            timeout=timeout,
            allow_redirects=False,
            stream=True,
        )
        try:
            _read_body(response, started + deadline, max_bytes)
        finally:
            response.close()
        return response
    except requests.Timeout:
        error = f"{method} {describe_url(url)} timed out after {timeout:g}s"
    except requests.ConnectionError:
        error = f"{method} {describe_url(url)} failed: could not connect"
    except requests.RequestException as err:
        error = f"{method} {describe_url(url)} failed: {type(err).__name__}"
    except _BodyTooSlow:
        error = f"{method} {describe_url(url)} took longer than its {deadline:g}s deadline"
    except _BodyTooLarge:
        error = f"{method} {describe_url(url)} answered more than {max_bytes} bytes"
    except (UnicodeError, ValueError) as err:
        # A header value that is not latin-1 (a token with other characters) and the like.
        error = f"{method} {describe_url(url)} could not be sent: {type(err).__name__}"
    # Raised outside the except blocks, without the chain: requests' frames hold the request
    # headers (session IDs, Basic credentials) in their locals, and error reports print those.
    # This frame's own secrets go too: error trackers print every local of every frame.
    headers = data = json = auth = None
    raise WorkfrontUnavailable(error)


class _BodyTooSlow(Exception):
    pass


class _BodyTooLarge(Exception):
    pass


def _read_body(response: requests.Response, deadline: float, max_bytes: int) -> None:
    """Read the streamed body into ``response`` (``.content`` works as usual afterwards)."""
    declared = response.headers.get("Content-Length", "")
    expected = int(declared) if declared.isdigit() else None
    if expected is not None and expected > max_bytes:
        raise _BodyTooLarge
    raw = response.raw
    if not hasattr(raw, "read1"):
        # Not urllib3 (a test double): let requests read it the usual way.
        if len(response.content) > max_bytes:
            raise _BodyTooLarge
        return
    chunks: list[bytes] = []
    size = 0
    while expected is None or size < expected:
        if time.monotonic() > deadline:
            raise _BodyTooSlow
        chunk = raw.read1(_CHUNK, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise _BodyTooLarge
        chunks.append(chunk)
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined] # requests' own flag


def retry_after_seconds(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds (from a number or an HTTP date), when the response has one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())
