"""Latency and injected faults for the token endpoints and the REST API.

One queue of token faults serves both token endpoints: a fault can target the legacy app's
(``"workfront"``), Adobe IMS's (``"adobe_ims"``) or whichever is asked first (``None``).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT

from .data import AUTHENTICATION_EXCEPTION, INVALID_PARAMETER_EXCEPTION, NOT_LOGGED_IN
from .messages import Response, api_error, html_response, json_response, token_error

TOKEN = "token"  # noqa: S105 - a channel name, not a secret
API = "api"
#: Latency only: the Adobe IMS endpoints a server calls (token, revoke, userinfo). Their faults
#: queue on ``TOKEN`` with the target ``"adobe_ims"``.
IMS = "ims"
#: What a token fault may target.
TARGETS = (None, PROVIDER_WORKFRONT, PROVIDER_ADOBE_IMS)

#: Fault kinds both endpoints know.
COMMON_FAULTS = frozenset({"500", "503", "429", "timeout", "malformed"})
#: ``"400"`` answers as if the refresh token (or code) were dead; ``"401"`` as if the client
#: credentials were wrong. Neither changes any state.
TOKEN_FAULTS = COMMON_FAULTS | {"400", "401"}
#: ``"error200"`` is a Workfront error body with HTTP 200; ``"401"`` looks like an expired session
#: (the session stays alive); ``"400"`` is a plain Workfront error.
API_FAULTS = COMMON_FAULTS | {"400", "401", "error200"}
KINDS = {TOKEN: TOKEN_FAULTS, API: API_FAULTS}


@dataclass
class _Planned:
    kind: str
    remaining: int
    grant_type: str | None
    target: str | None = None


class FaultPlan:
    """Per-channel latency and queues of faults to serve instead of the next responses."""

    def __init__(
        self,
        lock: threading.RLock,
        stopping: threading.Event,
        *,
        token_latency: float,
        api_latency: float,
        timeout_seconds: float,
        retry_after: int,
        ims_latency: float = 0.0,
    ) -> None:
        self._lock = lock
        self._stopping = stopping
        self._latency = {TOKEN: token_latency, API: api_latency, IMS: ims_latency}
        self._queues: dict[str, deque[_Planned]] = {TOKEN: deque(), API: deque()}
        self.timeout_seconds = timeout_seconds
        self.retry_after = retry_after

    def latency(self, channel: str) -> float:
        """The delay added to every response on the channel, in seconds."""
        with self._lock:
            return self._latency[channel]

    def set_latency(self, channel: str, seconds: float) -> None:
        """Change the channel's delay."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._latency[channel] = float(seconds)

    def inject(
        self,
        channel: str,
        kind: str,
        count: int = 1,
        grant_type: str | None = None,
        target: str | None = None,
    ) -> None:
        """Serve ``kind`` instead of the next ``count`` responses (that match ``grant_type``).

        ``target`` limits a token fault to one token endpoint: ``"workfront"`` or
        ``"adobe_ims"``; ``None`` serves it on whichever is asked first.
        """
        if kind not in KINDS[channel]:
            known = ", ".join(sorted(KINDS[channel]))
            raise ValueError(f"unknown {channel} fault {kind!r}; known: {known}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; known: {TARGETS}")
        with self._lock:
            self._queues[channel].append(_Planned(kind, count, grant_type, target))

    def pending(self, channel: str) -> list[tuple[str, int]]:
        """``(kind, remaining)`` of the faults still queued on the channel."""
        with self._lock:
            return [(item.kind, item.remaining) for item in self._queues[channel]]

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()

    def take(
        self, channel: str, grant_type: str | None = None, target: str = PROVIDER_WORKFRONT
    ) -> str | None:
        """Consume the first queued fault that applies to this request, if any."""
        with self._lock:
            queue = self._queues[channel]
            for item in queue:
                if item.grant_type in (None, grant_type) and item.target in (None, target):
                    item.remaining -= 1
                    if item.remaining == 0:
                        queue.remove(item)
                    return item.kind
            return None

    def sleep(self, seconds: float) -> None:
        """Wait, but wake up at once when the emulator stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def intercept(self, channel: str, grant_type: str | None = None) -> tuple[str, Response] | None:
        """Apply the channel's latency, then the fault to serve instead, if one is queued."""
        self.sleep(self.latency(channel))
        kind = self.take(channel, grant_type)
        if kind is None:
            return None
        return kind, self.response(channel, kind, grant_type)

    def response(self, channel: str, kind: str, grant_type: str | None = None) -> Response:
        """What a fault looks like on the wire."""
        if kind == "timeout":
            # Hang past the client's timeout, then hang up without a word.
            return Response(0, delay=self.timeout_seconds, abort=True)
        if kind == "malformed":
            return Response(
                200, b'{"data": [{"ID": "unterminated', [("Content-Type", "application/json")]
            )
        if kind == "429":
            return json_response(
                429,
                {"error": {"class": "TooManyRequests", "message": "Too many concurrent requests."}},
                {"Retry-After": str(self.retry_after)},
            )
        if kind in ("500", "503"):
            # What a load balancer in front of Workfront sends: HTML, not JSON.
            title = "Internal Server Error" if kind == "500" else "Service Unavailable"
            return html_response(int(kind), f"<html><body><h1>{title}</h1></body></html>")
        if channel == TOKEN:
            if kind == "401":
                return token_error(401, "INVALID_CLIENT", "Invalid client credentials.")
            what = "authorization code" if grant_type == "authorization_code" else "refresh token"
            return token_error(400, "INVALID_GRANT", f"Invalid or expired {what}.")
        if kind == "401":
            return api_error(401, AUTHENTICATION_EXCEPTION, NOT_LOGGED_IN)
        if kind == "error200":
            return api_error(200, INVALID_PARAMETER_EXCEPTION, "Injected error with HTTP 200.")
        return api_error(400, INVALID_PARAMETER_EXCEPTION, "Injected error.")
