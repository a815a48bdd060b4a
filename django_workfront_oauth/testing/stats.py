"""Counters that tests read to see what the emulator was asked to do."""

from __future__ import annotations

import copy
import threading
from typing import TypedDict


class Stats(TypedDict):
    """A snapshot of the emulator's counters (``WorkfrontEmulator.stats``)."""

    token_requests: dict[str, int]
    codes_issued: int
    code_exchanges: int
    rejected_code_exchanges: int
    successful_refreshes: int
    rejected_refreshes: int
    reuse_detections: int
    login_failures: int
    consents_denied: int
    api_calls: int
    api_calls_by_objcode: dict[str, int]
    unauthenticated_api_calls: int
    logouts: int
    faults_served: dict[str, int]


def _empty() -> Stats:
    return {
        "token_requests": {"authorization_code": 0, "refresh_token": 0, "other": 0},
        "codes_issued": 0,
        "code_exchanges": 0,
        "rejected_code_exchanges": 0,
        "successful_refreshes": 0,
        "rejected_refreshes": 0,
        "reuse_detections": 0,
        "login_failures": 0,
        "consents_denied": 0,
        "api_calls": 0,
        "api_calls_by_objcode": {},
        "unauthenticated_api_calls": 0,
        "logouts": 0,
        "faults_served": {"token": 0, "api": 0},
    }


# The keys that hold a plain number, for ``StatsRecorder.add``.
SCALAR_KEYS = frozenset(key for key, value in _empty().items() if isinstance(value, int))


class StatsRecorder:
    """Thread-safe counters; shares the emulator's lock so a snapshot is consistent."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._stats = _empty()

    def add(self, key: str, amount: int = 1) -> None:
        """Increment one of the scalar counters."""
        if key not in SCALAR_KEYS:
            raise KeyError(key)
        with self._lock:
            # TypedDict keys are literal for mypy; the set check above keeps this honest.
            self._stats[key] += amount  # type: ignore[literal-required]

    def token_request(self, grant_type: str | None) -> None:
        """Count a token request under its grant type (``"other"`` for anything else)."""
        key = grant_type if grant_type in ("authorization_code", "refresh_token") else "other"
        with self._lock:
            self._stats["token_requests"][key] += 1

    def api_call(self, objcode: str | None) -> None:
        """Count a request to the REST API, and under its objCode when it names one."""
        with self._lock:
            self._stats["api_calls"] += 1
            if objcode:
                by_code = self._stats["api_calls_by_objcode"]
                by_code[objcode] = by_code.get(objcode, 0) + 1

    def fault(self, channel: str) -> None:
        """Count an injected fault served on ``"token"`` or ``"api"``."""
        with self._lock:
            self._stats["faults_served"][channel] += 1

    def snapshot(self) -> Stats:
        """A deep copy: later requests do not change it."""
        with self._lock:
            return copy.deepcopy(self._stats)

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._stats = _empty()
