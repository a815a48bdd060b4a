"""``{% workfront_connect_button %}``: the POST form that starts the connect flow;
``{% workfront_connection_state connection as state %}``: what to say about a connection."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..conf import DEFAULT_INSTANCE
from ..models import WorkfrontConnection
from ..states import ConnectionState, describe

register = template.Library()


@register.inclusion_tag("django_workfront_oauth/connect_button.html", takes_context=True)
def workfront_connect_button(
    context: template.Context,
    instance: str = DEFAULT_INSTANCE,
    next: str = "",
    label: str = "",
) -> dict[str, Any]:
    """A form that POSTs to ``workfront_oauth:authorize``; ``next`` is where to land after."""
    return {
        "csrf_token": context.get("csrf_token", ""),
        "instance": instance,
        "next": next,
        "label": label or _("Connect Workfront"),
    }


@register.simple_tag(takes_context=True)
def workfront_connection_state(
    context: template.Context, connection: WorkfrontConnection
) -> ConnectionState:
    """The connection's :class:`~django_workfront_oauth.states.ConnectionState`.

    ``{% workfront_connection_state connection as state %}{{ state.title }}: {{ state.sentence }}``
    """
    return describe(connection)
