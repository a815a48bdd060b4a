"""Signals sent over a connection's life; receivers get the connection, never raw tokens."""

from __future__ import annotations

from django.dispatch import Signal

__all__ = [
    "connection_disconnected",
    "connection_established",
    "reauthorization_required",
    "tokens_refreshed",
]

#: A user completed the connect flow. Arguments: ``connection``, ``request``, ``created``.
connection_established = Signal()

#: New tokens were saved (sent after the transaction commits). Arguments: ``connection``.
tokens_refreshed = Signal()

#: The connection needs the user to connect again. Arguments: ``connection``, ``reason``.
reauthorization_required = Signal()

#: The connection was removed. Arguments: ``connection`` (no longer in the database).
connection_disconnected = Signal()
