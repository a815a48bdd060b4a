"""``WorkfrontClient``: Workfront's REST API on behalf of one connection.

While the access token is fresh an API call costs no SQL query: the connection in memory has
everything. An expired token is refreshed first; a token Workfront refuses is refreshed once
and the call retried once. A user's connection is refreshed with its refresh token; the site's
own Server-to-Server connection (:func:`service_client`) gets a new token instead.

One module a concern: :mod:`.core` (one call, its retry and errors), :mod:`.reading`,
:mod:`.writing` and :mod:`.limits` (the cap on concurrent requests per host).
"""

from __future__ import annotations

from typing import Any

from ..services import service_connection
from .core import MAX_PAGE_SIZE, MAX_URL_LENGTH
from .reading import ReadOperations
from .writing import MAX_BULK, BatchRequest, WriteOperations

__all__ = [
    "MAX_BULK",
    "MAX_PAGE_SIZE",
    "MAX_URL_LENGTH",
    "BatchRequest",
    "WorkfrontClient",
    "service_client",
]


class WorkfrontClient(ReadOperations, WriteOperations):
    """Calls Workfront's REST API (``/attask/api/<version>/``) with a connection's token:
    everything Workfront's own SDK offers, with its limits and errors handled."""


def service_client(instance: str, **options: Any) -> WorkfrontClient:
    """A client for the site's own Workfront connection: an ``adobe_ims_s2s`` instance.

    Usable from any process (web, Celery, a management command, a shell). The token is stored
    encrypted and shared by every process; a new one is requested only when the stored one is
    missing, due or refused, by exactly one process at a time. ``options`` go to
    :class:`WorkfrontClient`. An instance of another provider raises ``ValueError``.
    """
    return WorkfrontClient(service_connection(instance), **options)
