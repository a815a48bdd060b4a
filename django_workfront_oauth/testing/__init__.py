"""A local stand-in for Workfront (legacy OAuth2 app, Adobe IMS and a REST API subset), for tests
and demos.

Standard library only: importing this package needs neither Django settings nor a database.
The names below load on first use, so the pytest plugin (imported by every pytest run of a
project that installs this package) costs next to nothing when no test asks for the emulator.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clients import EmulatedUser
    from .data import format_workfront_date
    from .emulator import (
        DEFAULT_API_VERSION,
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_IMS_CLIENT_ID,
        DEFAULT_IMS_CLIENT_SECRET,
        DEFAULT_IMS_ORG_ID,
        DEFAULT_IMS_SCOPES,
        DEFAULT_PASSWORD,
        DEFAULT_USERNAME,
        WorkfrontEmulator,
    )
    from .faults import API_FAULTS, TOKEN_FAULTS
    from .grants import GrantInfo
    from .sessions import SessionInfo
    from .stats import Stats

_EXPORTS = {
    "API_FAULTS": "faults",
    "DEFAULT_API_VERSION": "emulator",
    "DEFAULT_CLIENT_ID": "emulator",
    "DEFAULT_CLIENT_SECRET": "emulator",
    "DEFAULT_IMS_CLIENT_ID": "emulator",
    "DEFAULT_IMS_CLIENT_SECRET": "emulator",
    "DEFAULT_IMS_ORG_ID": "emulator",
    "DEFAULT_IMS_SCOPES": "emulator",
    "DEFAULT_PASSWORD": "emulator",
    "DEFAULT_USERNAME": "emulator",
    "TOKEN_FAULTS": "faults",
    "EmulatedUser": "clients",
    "GrantInfo": "grants",
    "SessionInfo": "sessions",
    "Stats": "stats",
    "WorkfrontEmulator": "emulator",
    "format_workfront_date": "data",
}

__all__ = [
    "API_FAULTS",
    "DEFAULT_API_VERSION",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_IMS_CLIENT_ID",
    "DEFAULT_IMS_CLIENT_SECRET",
    "DEFAULT_IMS_ORG_ID",
    "DEFAULT_IMS_SCOPES",
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


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
