"""The app's models: one module a concern.

:mod:`.connection` (a user's connection), :mod:`.history` (its refresh attempts),
:mod:`.pending` (started connect flows), :mod:`.service` (the site's own Server-to-Server
connection) and :mod:`.instance` (instances configured at run time).
"""

from __future__ import annotations

from .connection import Provider, WorkfrontConnection, WorkfrontConnectionQuerySet, digest
from .history import RefreshLog
from .instance import InstanceInUse, WorkfrontInstance, WorkfrontInstanceQuerySet
from .pending import PendingAuthorization, PendingAuthorizationQuerySet
from .service import ServiceConnection, ServiceConnectionQuerySet

__all__ = [
    "InstanceInUse",
    "PendingAuthorization",
    "PendingAuthorizationQuerySet",
    "Provider",
    "RefreshLog",
    "ServiceConnection",
    "ServiceConnectionQuerySet",
    "WorkfrontConnection",
    "WorkfrontConnectionQuerySet",
    "WorkfrontInstance",
    "WorkfrontInstanceQuerySet",
    "digest",
]
