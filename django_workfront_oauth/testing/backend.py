"""What an endpoint may use of the emulator, and the shape of an endpoint.

The endpoint modules (``legacy.py``, ``consent.py``, ``ims.py``, ``api.py``) type their first
argument as :class:`Backend` rather than as the emulator class, so they never import
``emulator.py``: the emulator imports the server, the server the route table, the route table
the endpoints, and nothing points back up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from .clients import EmulatedUser
from .common import Clock
from .faults import FaultPlan
from .messages import Request, Response
from .objects import ObjectStore
from .state import GrantStore
from .stats import StatsRecorder


class Backend(Protocol):
    """The emulator as its endpoints see it (``WorkfrontEmulator`` is one)."""

    #: Users, clients, codes, grants and sessions.
    store: GrantStore
    #: The emulator's clock, which tests move forward.
    clock: Clock
    #: The counters behind ``stats``.
    counters: StatsRecorder
    #: Latency and queued faults.
    faults: FaultPlan
    #: The API's objects: the seeded projects and tasks, and what the API wrote.
    dataset: ObjectStore
    #: The emulated customer's first host label (``acme``), sent on the legacy callback.
    domain: str
    #: The emulated environment (``my``, ``preview``, ``sb01``…).
    lane: str
    #: The user whose login the index page shows.
    default_user: EmulatedUser

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``: the emulator's address, and its IMS issuer."""

    @property
    def ims_scopes_allowed(self) -> tuple[str, ...]:
        """The scopes the IMS credential may ask for."""


#: An endpoint: the backend, the request and the match of its route's path pattern.
Endpoint = Callable[[Backend, Request, "re.Match[str]"], Response]
