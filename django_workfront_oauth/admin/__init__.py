"""Django admin: the connections' health at a glance, and never a token on screen.

Connections are made by users through the OAuth flow, so the admin only reads them and acts on
them through :mod:`~django_workfront_oauth.services`: refresh now, require reconnection,
disconnect. Token columns are never loaded by a listing, never shown (only "set / not set"),
never editable, searchable, sortable or filterable.

``PendingAuthorization`` is not registered: its rows live ten minutes, hold nothing a site admin
can act on (digests and a flow's redirect target) and are managed by the connect flow alone.

One module a concern: :mod:`.connections` (the connection list and page), :mod:`.actions`,
:mod:`.filters`, :mod:`.history` (the refresh history, kept as an audit trail after a
disconnect), :mod:`.display` (what is shown) and
:mod:`.service_connections` (the site's own Server-to-Server connections) and :mod:`.instances`
(instances in the database, which site admins add and edit).
"""

from __future__ import annotations

from .actions import (
    ReconnectCounts,
    RefreshCounts,
    admin_reason,
    disconnect_connections,
    refresh_now,
    require_reconnection,
)
from .connections import WorkfrontConnectionAdmin
from .display import (
    TOKEN_FIELDS,
    ConnectionSummary,
    HealthDay,
    connection_health,
    connection_summary,
    format_timestamp,
    token_state,
)
from .filters import ConnectionGoneFilter, ExpiryFilter, OutcomeFilter
from .history import RefreshLogAdmin, RefreshLogInline
from .instances import WorkfrontInstanceAdmin
from .service_connections import ServiceConnectionAdmin

__all__ = [
    "TOKEN_FIELDS",
    "ConnectionGoneFilter",
    "ConnectionSummary",
    "ExpiryFilter",
    "HealthDay",
    "OutcomeFilter",
    "ReconnectCounts",
    "RefreshCounts",
    "RefreshLogAdmin",
    "RefreshLogInline",
    "ServiceConnectionAdmin",
    "WorkfrontConnectionAdmin",
    "WorkfrontInstanceAdmin",
    "admin_reason",
    "connection_health",
    "connection_summary",
    "disconnect_connections",
    "format_timestamp",
    "refresh_now",
    "require_reconnection",
    "token_state",
]
