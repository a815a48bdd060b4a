"""A connection's life: connect, refresh, disconnect. The one place that writes tokens.

Views, the admin, tasks, management commands and the client call these functions; they call
providers and models. One module a stage: :mod:`.connect`, :mod:`.refresh`, :mod:`.sweep`,
:mod:`.disconnect`, :mod:`.server_to_server` (the site's own connection), :mod:`.locking` and
:mod:`.backoff`, the one retry policy.
"""

from __future__ import annotations

from .backoff import backoff_delay
from .connect import (
    CompletedAuthorization,
    begin_authorization,
    complete_authorization,
    consume_state,
    redirect_uri_for,
    retire_legacy_connections,
)
from .disconnect import disconnect, end_session
from .refresh import (
    RefreshOutcome,
    refresh_connection,
    refresh_connection_by_id,
    require_reauthorization,
)
from .server_to_server import (
    ServiceCredentialRefused,
    renew_due_service_tokens,
    renew_service_token,
    service_connection,
)
from .sweep import due_connections, refresh_many, sweep, trim_refresh_log

__all__ = [
    "CompletedAuthorization",
    "RefreshOutcome",
    "ServiceCredentialRefused",
    "backoff_delay",
    "begin_authorization",
    "complete_authorization",
    "consume_state",
    "disconnect",
    "due_connections",
    "end_session",
    "redirect_uri_for",
    "refresh_connection",
    "refresh_connection_by_id",
    "refresh_many",
    "renew_due_service_tokens",
    "renew_service_token",
    "require_reauthorization",
    "retire_legacy_connections",
    "service_connection",
    "sweep",
    "trim_refresh_log",
]
