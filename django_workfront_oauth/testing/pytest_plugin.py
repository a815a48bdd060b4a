"""pytest fixtures that run the Workfront emulator (opt-in: nothing happens unless requested)."""

from __future__ import annotations
