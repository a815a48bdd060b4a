"""The app's models: one module a concern.

:mod:`.connection` (a user's connection), :mod:`.history` (its refresh attempts),
:mod:`.pending` (started connect flows) and :mod:`.service` (the site's own Server-to-Server
connection).
"""

from __future__ import annotations

from .connection import Provider, WorkfrontConnection, WorkfrontConnectionQuerySet, digest
from .history import RefreshLog
from .pending import PendingAuthorization, PendingAuthorizationQuerySet
from .service import ServiceConnection, ServiceConnectionQuerySet

__all__ = [
    "PendingAuthorization",
    "PendingAuthorizationQuerySet",
    "Provider",
    "RefreshLog",
    "ServiceConnection",
    "ServiceConnectionQuerySet",
    "WorkfrontConnection",
    "WorkfrontConnectionQuerySet",
    "digest",
]
