"""``{% workfront_connect_button %}``: the POST form that starts the connect flow."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from ..conf import DEFAULT_INSTANCE

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
