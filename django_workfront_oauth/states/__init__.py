"""One vocabulary for a connection's state: what users, site admins and commands are told.

:func:`describe` turns a :class:`~django_workfront_oauth.models.WorkfrontConnection` into a
:class:`ConnectionState`: a stable key, a short title and one plain sentence for the user, the
one action the user can take, a sentence for site admins with the technical detail (for them
only), and when the connection renews. Every page, the example project and the management
commands say what they say through it, so no two places can tell a different story.
"""

from __future__ import annotations

from .describe import adobe_successor, describe, describe_service
from .vocabulary import Action, ConnectionState, Reason, StateKey, moved_to_adobe_message

__all__ = [
    "Action",
    "ConnectionState",
    "Reason",
    "StateKey",
    "adobe_successor",
    "describe",
    "describe_service",
    "moved_to_adobe_message",
]
