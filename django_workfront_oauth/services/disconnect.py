"""Ending a connection: the grant at its server (best effort), then the row; its history stays."""

from __future__ import annotations

import logging

from ..conf import app_settings
from ..exceptions import WorkfrontOAuthError
from ..models import RefreshLog, WorkfrontConnection
from ..providers import get_provider
from ..redact import scrubbed_traceback
from ..signals import connection_disconnected

__all__ = ["disconnect", "end_session"]

logger = logging.getLogger("django_workfront_oauth")


@scrubbed_traceback
def end_session(connection: WorkfrontConnection) -> bool:
    """End the connection's session or grant at its server, best effort; True if it ended."""
    try:
        access_token, refresh_token = connection.access_token, connection.refresh_token
        instance = app_settings.find_instance(connection.instance)
        if instance is None:
            return False
        provider = get_provider(instance, connection.provider)
        provider.end_session(
            host=connection.host, access_token=access_token, refresh_token=refresh_token
        )
    except (WorkfrontOAuthError, ValueError) as err:
        # ValueError: a provider this version does not know (a row from a newer version).
        logger.info("Could not end the Workfront session of connection %s: %s", connection.pk, err)
        return False
    return True


def disconnect(connection: WorkfrontConnection, *, by: str = "", how: str = "") -> None:
    """End the Workfront session if we can (best effort), then delete the connection.

    Its refresh history stays, without tokens, as its audit trail (``RefreshLog``), ending
    with a row that says it was disconnected, ``by`` whom (a username; blank when unknown) and
    ``how`` (a few words: "admin action Disconnect").
    """
    ended = end_session(connection)
    detail = (
        "The session or grant was ended at its server."
        if ended
        else "The session or grant could not be ended at its server (not reached, refused, "
        "or nothing to end with); the connection was deleted anyway."
    )
    RefreshLog.record(
        connection,
        RefreshLog.DISCONNECTED,
        reason=f"{how}. {detail}" if how else detail,
        event=RefreshLog.Event.DISCONNECTED,
        actor=by,
    )
    pk = connection.pk
    connection.delete()
    connection.pk = pk  # receivers may want to know which row it was
    logger.info("Workfront connection %s disconnected.", pk)
    connection_disconnected.send(sender=WorkfrontConnection, connection=connection)
