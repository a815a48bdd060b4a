"""The site's Server-to-Server connections: their health, "Renew now", never a token.

"Renew now" leaves an entry in Django's admin log for each row, with who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import WorkfrontOAuthError
from ..models import ServiceConnection
from .display import timestamp_field, token_state

__all__ = ["ServiceConnectionAdmin", "renew_now"]

_FIELDS = (
    "instance",
    "host",
    "technical_account",
    "workfront_user_id",
    "workfront_user_email",
    "token_state",
    "access_token_expires_at_display",
    "last_refreshed_at_display",
    "last_error",
    "consecutive_failures",
    "next_refresh_attempt_at_display",
    "created_at_display",
    "updated_at_display",
)


def renew_now(
    queryset: QuerySet[ServiceConnection],
    each: Callable[[ServiceConnection, bool], object] | None = None,
) -> tuple[int, list[str]]:
    """Request a new token for each row; ``(renewed, problems)``.

    ``each(row, renewed)`` is called after each row (the admin logs it).
    """
    renewed, problems = 0, []
    for connection in queryset.defer("access_token"):
        try:
            services.renew_service_token(connection, force=True)
        except (WorkfrontOAuthError, ValueError) as err:
            problems.append(f"{connection.instance}: {err}")
            ok = False
        else:
            renewed += 1
            ok = True
        if each is not None:
            each(connection, ok)
    return renewed, problems


@admin.register(ServiceConnection)
class ServiceConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: rows are made by ``service_client()`` and renewed by the sweep."""

    list_display = (
        "instance",
        "host",
        "technical_account",
        "access_token_expires_at_display",
        "last_refreshed_at_display",
        "last_error_short",
    )
    search_fields = ("instance", "host", "workfront_user_name", "workfront_user_email")
    fields = _FIELDS
    readonly_fields = _FIELDS
    exclude = ("access_token",)
    actions = ("renew_now_action",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceConnection]:
        """Rows without their token: listing and opening one never decrypts it."""
        return super().get_queryset(request).defer("access_token")

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Never a lookup on the token column."""
        if "access_token" in lookup.split("__"):
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Rows appear when the site first uses the instance."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never edited by hand; "Renew now" is allowed to whoever may change rows."""
        if obj is not None:
            return False
        return super().has_change_permission(request)

    access_token_expires_at_display = timestamp_field(
        "access_token_expires_at", _("access token expires")
    )
    last_refreshed_at_display = timestamp_field("last_refreshed_at", _("last renewed"))
    next_refresh_attempt_at_display = timestamp_field(
        "next_refresh_attempt_at", _("next renewal attempt at")
    )
    created_at_display = timestamp_field("created_at", _("created at"))
    updated_at_display = timestamp_field("updated_at", _("updated at"))

    @admin.display(description=_("technical account"), ordering="workfront_user_name")
    def technical_account(self, obj: ServiceConnection) -> str:
        """Who Workfront sees: the credential's ``techacct`` user."""
        return obj.workfront_user_name or obj.workfront_user_id or "?"

    @admin.display(description=_("access token"))
    def token_state(self, obj: ServiceConnection) -> str:
        """Whether a token is stored: set / not set / cannot be decrypted; never the token."""
        return token_state(obj, "access_token")

    @admin.display(description=_("last error"), ordering="last_error")
    def last_error_short(self, obj: ServiceConnection) -> str:
        """The last error, cut short for the list."""
        return Truncator(obj.last_error).chars(60)

    @admin.action(description=_("Renew now"), permissions=("change",))
    def renew_now_action(self, request: HttpRequest, queryset: QuerySet[ServiceConnection]) -> None:
        """Request a new token for the selected instances, log and say how it went."""

        def log(connection: ServiceConnection, ok: bool) -> None:
            # The error itself is in the row's last error; the log names the outcome only.
            message = (
                gettext("Renew now (admin action): a new token was stored.")
                if ok
                else gettext("Renew now (admin action): failed; see the last error.")
            )
            self.log_change(request, connection, message)

        renewed, problems = renew_now(queryset, log)
        if renewed:
            message = ngettext(
                "%(count)d Server-to-Server token was renewed.",
                "%(count)d Server-to-Server tokens were renewed.",
                renewed,
            )
            self.message_user(request, message % {"count": renewed}, messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
