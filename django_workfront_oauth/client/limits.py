"""The process-wide cap on concurrent requests to each Workfront host.

Workfront limits how many API threads a customer may run at once and answers 429 past it. Every
client in the process, whatever its connection, shares one bounded semaphore per host, sized by
``MAX_CONCURRENT_REQUESTS`` (10 by default) of the first instance that reaches that host.
"""

from __future__ import annotations

import threading

__all__ = ["host_slots"]

_lock = threading.Lock()
_slots: dict[str, threading.BoundedSemaphore] = {}


def host_slots(host: str, size: int) -> threading.BoundedSemaphore:
    """The semaphore that bounds this process's concurrent requests to ``host``."""
    slots = _slots.get(host)
    if slots is None:
        with _lock:
            slots = _slots.setdefault(host, threading.BoundedSemaphore(max(1, size)))
    return slots
