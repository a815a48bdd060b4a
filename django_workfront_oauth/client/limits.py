"""The process-wide cap on concurrent requests to each Workfront host.

Workfront limits how many API threads a customer may run at once and answers 429 past it. Every
client in the process, whatever its connection, shares one set of slots per host, sized by
``MAX_CONCURRENT_REQUESTS`` (10 by default) of the first instance that reaches that host.
"""

from __future__ import annotations

import threading
from types import TracebackType

__all__ = ["HostSlots", "host_slots"]


class HostSlots:
    """A counting semaphore whose uncontended path is one C lock, not a Python condition.

    ``threading.BoundedSemaphore`` takes a Python-level condition on every acquire and release:
    measurable on every API call (the benchmark's per-call overhead). Here a call that finds a
    free slot only takes and drops a lock; only a call that must wait uses the condition.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._free = self.size
        self._waiting = 0
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)

    @property
    def free(self) -> int:
        """How many slots are free now."""
        return self._free

    def __enter__(self) -> HostSlots:
        with self._lock:
            while self._free == 0:
                self._waiting += 1
                try:
                    self._freed.wait()
                finally:
                    self._waiting -= 1
            self._free -= 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._free += 1
            if self._waiting:
                self._freed.notify()


_lock = threading.Lock()
_slots: dict[str, HostSlots] = {}


def host_slots(host: str, size: int) -> HostSlots:
    """The slots that bound this process's concurrent requests to ``host``."""
    slots = _slots.get(host)
    if slots is None:
        with _lock:
            slots = _slots.setdefault(host, HostSlots(size))
    return slots
