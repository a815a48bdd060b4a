"""The one door to the network: a pooled session per process, timeouts, no redirects."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import __version__
from .exceptions import WorkfrontUnavailable

USER_AGENT = f"django-workfront-oauth/{__version__} python-requests/{requests.__version__}"

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
) -> requests.Response:
    """Send one request; transport failures become :class:`WorkfrontUnavailable`."""
    try:
        return get_session().request(
            method,
            url,
            headers=dict(headers or {}),
            params=params,
            data=data,
            json=json,
            auth=auth,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        error = f"{method} {describe_url(url)} timed out after {timeout:g}s"
    except requests.ConnectionError:
        error = f"{method} {describe_url(url)} failed: could not connect"
    except requests.RequestException as err:
        error = f"{method} {describe_url(url)} failed: {type(err).__name__}"
    # Raised outside the except blocks, without the chain: requests' frames hold the request
    # headers (session IDs, Basic credentials) in their locals, and error reports print those.
    raise WorkfrontUnavailable(error)


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
