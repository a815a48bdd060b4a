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
    # Adobe IMS: the same counters as above for the IMS side, prefixed ims_, and its own.
    ims_token_requests: dict[str, int]
    ims_codes_issued: int
    ims_code_exchanges: int
    ims_rejected_code_exchanges: int
    ims_successful_refreshes: int
    ims_rejected_refreshes: int
    ims_reuse_detections: int
    ims_login_failures: int
    ims_consents_denied: int
    ims_revokes: int
    ims_userinfo_calls: int
    ims_faults_served: int
    ims_api_calls: int
    # The Server-to-Server credential's client_credentials requests at the IMS token endpoint.
    ims_client_credentials_tokens: int
    ims_rejected_client_credentials: int
    gateway_errors: dict[str, int]
    # Writes through the REST API, by kind (WRITE_KINDS).
    api_writes: dict[str, int]


#: What ``api_writes`` counts: objects created and edited, remove, copy and execute calls that
#: succeeded, files uploaded, and ``/batch`` calls.
WRITE_KINDS = ("created", "edited", "deleted", "copied", "executed", "uploads", "batch_calls")

#: The grant types each token endpoint counts by name; anything else counts as ``"other"``.
LEGACY_GRANT_TYPES = ("authorization_code", "refresh_token")
IMS_GRANT_TYPES = (*LEGACY_GRANT_TYPES, "client_credentials")


def _grant_types(names: tuple[str, ...]) -> dict[str, int]:
    return {**dict.fromkeys(names, 0), "other": 0}


def _empty() -> Stats:
    return {
        "token_requests": _grant_types(LEGACY_GRANT_TYPES),
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
        "ims_token_requests": _grant_types(IMS_GRANT_TYPES),
        "ims_codes_issued": 0,
        "ims_code_exchanges": 0,
        "ims_rejected_code_exchanges": 0,
        "ims_successful_refreshes": 0,
        "ims_rejected_refreshes": 0,
        "ims_reuse_detections": 0,
        "ims_login_failures": 0,
        "ims_consents_denied": 0,
        "ims_revokes": 0,
        "ims_userinfo_calls": 0,
        "ims_faults_served": 0,
        "ims_api_calls": 0,
        "ims_client_credentials_tokens": 0,
        "ims_rejected_client_credentials": 0,
        "gateway_errors": {},
        "api_writes": dict.fromkeys(WRITE_KINDS, 0),
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

    def token_request(self, grant_type: str | None, *, ims: bool = False) -> None:
        """Count a token request under its grant type (``"other"`` for anything else)."""
        known = IMS_GRANT_TYPES if ims else LEGACY_GRANT_TYPES
        key = grant_type if grant_type is not None and grant_type in known else "other"
        with self._lock:
            self._stats["ims_token_requests" if ims else "token_requests"][key] += 1

    def gateway_error(self, error_code: str) -> None:
        """Count an API call the gateway refused, under its ``error_code``."""
        with self._lock:
            errors = self._stats["gateway_errors"]
            errors[error_code] = errors.get(error_code, 0) + 1

    def api_call(self, objcode: str | None) -> None:
        """Count a request to the REST API, and under its objCode when it names one."""
        with self._lock:
            self._stats["api_calls"] += 1
            if objcode:
                by_code = self._stats["api_calls_by_objcode"]
                by_code[objcode] = by_code.get(objcode, 0) + 1

    def api_write(self, kind: str, amount: int = 1) -> None:
        """Count a write through the API under its kind (one of ``WRITE_KINDS``)."""
        if kind not in WRITE_KINDS:
            raise KeyError(kind)
        with self._lock:
            self._stats["api_writes"][kind] += amount

    def fault(self, channel: str) -> None:
        """Count an injected fault served on ``"token"`` or ``"api"`` (or ``"ims"``)."""
        with self._lock:
            if channel == "ims":
                self._stats["ims_faults_served"] += 1
            else:
                self._stats["faults_served"][channel] += 1

    def snapshot(self) -> Stats:
        """A deep copy: later requests do not change it."""
        with self._lock:
            return copy.deepcopy(self._stats)

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._stats = _empty()
