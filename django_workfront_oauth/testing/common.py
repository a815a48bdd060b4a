"""Small pieces every part of the emulator's store uses: durations, the clock, ids, errors.

Nothing here speaks HTTP: a refusal is an :class:`OAuthError`, and each endpoint shows it in
its own server's wire format.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT

from .stats import StatsRecorder

Duration = float | int | timedelta

#: The authorization servers the emulator plays, by the app's ``PROVIDER`` values.
SERVERS = (PROVIDER_WORKFRONT, PROVIDER_ADOBE_IMS)

#: The grant types (RFC 6749 4.1, 6 and 4.4); ``grant_types.py`` says who may use which.
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a grant type, not a secret
CLIENT_CREDENTIALS = "client_credentials"


def to_seconds(value: Duration) -> float:
    """Seconds from a number or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def optional_seconds(value: Duration | None) -> float | None:
    """Like :func:`to_seconds`, keeping ``None`` (never)."""
    return None if value is None else to_seconds(value)


def workfront_id(*parts: object) -> str:
    """A deterministic 32-hex-digit Workfront ID, so seeded data is the same on every run."""
    seed = ":".join(str(part) for part in parts).encode()
    return hashlib.blake2b(seed, digest_size=16).hexdigest()


def counter(provider: str, key: str) -> str:
    """The stats key of ``key`` for a provider: the IMS side's counters are prefixed ``ims_``."""
    return f"ims_{key}" if provider == PROVIDER_ADOBE_IMS else key


def authorize_url(
    endpoint: str, params: Mapping[str, str], state: str | None, extra: Mapping[str, str]
) -> str:
    """An authorize URL: ``params``, ``response_type=code``, ``state`` if any, ``extra`` last."""
    query = {**params, "response_type": "code"}
    if state is not None:
        query["state"] = state
    query.update(extra)
    return f"{endpoint}?{urlencode(query)}"


def add_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to whatever query string it already has."""
    parts = urlsplit(uri)
    query = "&".join(item for item in (parts.query, urlencode(params)) if item)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class Clock:
    """Wall-clock seconds plus an offset that tests move forward instead of sleeping."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._offset = 0.0

    def now(self) -> float:
        """The emulator's current time, in seconds since the epoch."""
        return time.time() + self._offset

    def advance(self, seconds: Duration) -> None:
        """Move the clock forward (codes, sessions and refresh tokens age accordingly)."""
        with self._lock:
            self._offset += to_seconds(seconds)

    @property
    def offset(self) -> float:
        """How far the clock was moved forward, in seconds (saved with the emulator's state)."""
        with self._lock:
            return self._offset


@dataclass(frozen=True)
class Shared:
    """What every part of the store shares: the emulator's one lock, its clock, its counters."""

    lock: threading.RLock
    clock: Clock
    stats: StatsRecorder


class StorePart:
    """A part of the store: it works under the emulator's lock, by its clock, on its counters."""

    def __init__(self, shared: Shared) -> None:
        self.lock, self.clock, self.stats = shared.lock, shared.clock, shared.stats


class Refusal(Exception):
    """A request the emulator refuses: an HTTP status, the server's error ``kind``, a message."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


class OAuthError(Refusal):
    """A refused authorization, token or revoke request; the endpoint decides how to show it.

    ``kind`` is upper case (``INVALID_GRANT``), as the legacy app sends it; IMS sends the
    RFC 6749 code, its lower-case spelling.
    """


def invalid_request(message: str) -> OAuthError:
    """A malformed request or a missing parameter (RFC 6749 5.2 ``invalid_request``)."""
    return OAuthError(400, "INVALID_REQUEST", message)


def invalid_grant(message: str) -> OAuthError:
    """A code or refresh token that is not good for this request (``invalid_grant``)."""
    return OAuthError(400, "INVALID_GRANT", message)
