"""A local stand-in for Workfront (legacy OAuth2 app and a REST API subset), for tests and demos.

Standard library only: importing this package needs neither Django settings nor a database.
"""

from __future__ import annotations

from .data import format_workfront_date
from .emulator import (
    DEFAULT_API_VERSION,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    WorkfrontEmulator,
)
from .faults import API_FAULTS, TOKEN_FAULTS
from .state import EmulatedUser, GrantInfo, SessionInfo
from .stats import Stats

__all__ = [
    "API_FAULTS",
    "DEFAULT_API_VERSION",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "TOKEN_FAULTS",
    "EmulatedUser",
    "GrantInfo",
    "SessionInfo",
    "Stats",
    "WorkfrontEmulator",
    "format_workfront_date",
]
