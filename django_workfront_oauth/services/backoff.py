"""The one retry policy: how long to wait after the n-th transient failure.

The refresh service records its result as ``next_refresh_attempt_at``; the Celery task waits
until then before it retries. Both use this function, so they cannot disagree.
"""

from __future__ import annotations

import random
from datetime import timedelta

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "BACKOFF_JITTER", "backoff_delay"]

#: Backoff after transient failures: first delay, cap, and jitter (a fraction removed).
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
BACKOFF_JITTER = 0.5


def backoff_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """Exponential, capped and jittered, and never shorter than the server's ``Retry-After``."""
    exponent = min(max(failures, 1) - 1, 16)
    ceiling = min(BACKOFF_BASE * (1 << exponent), BACKOFF_CAP)
    # Jitter spreads the retries of many connections that failed in the same outage.
    delay = ceiling * (1 - BACKOFF_JITTER * random.random())  # noqa: S311 - not for secrets
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, BACKOFF_CAP.total_seconds())))
    return delay
