"""Durations as people read them, for the management commands' output."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["human_duration"]

_UNITS = (("day", 86400), ("h", 3600), ("min", 60), ("s", 1))


def human_duration(delta: timedelta) -> str:
    """``2 min 58 s``, ``3 h 5 min``, ``2 days 4 h``: the two largest units, no microseconds."""
    seconds = int(abs(delta.total_seconds()))
    if seconds == 0:
        return "0 s"
    parts = []
    for name, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            label = f"{name}s" if name == "day" and amount != 1 else name
            parts.append(f"{amount} {label}")
    return " ".join(parts[:2])
