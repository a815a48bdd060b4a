"""Django admin: the connections' health at a glance, and never a token on screen."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import WorkfrontConnection

#: Fields an admin may read; tokens are not among them.
TOKEN_FIELDS = ("access_token", "refresh_token")


@admin.register(WorkfrontConnection)
class WorkfrontConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only metadata; connections are made by users through the OAuth flow."""

    list_display = (
        "user",
        "workfront_user",
        "host",
        "instance",
        "status",
        "access_token_expires_at",
        "last_refreshed_at",
        "last_error",
    )
    list_filter = ("status", "instance", "provider")
    search_fields = (
        "user__username",
        "user__email",
        "workfront_user_id",
        "workfront_user_name",
        "workfront_user_email",
    )
    list_select_related = ("user",)
    exclude = TOKEN_FIELDS
    readonly_fields = (
        "user",
        "instance",
        "provider",
        "host",
        "domain",
        "lane",
        "redirect_uri",
        "workfront_user_id",
        "workfront_user_name",
        "workfront_user_email",
        "access_token_state",
        "refresh_token_state",
        "token_type",
        "wid",
        "access_token_expires_at",
        "status",
        "last_refreshed_at",
        "last_error",
        "consecutive_failures",
        "next_refresh_attempt_at",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkfrontConnection]:
        # Listing rows must not need the key: tokens are neither loaded nor decrypted.
        return super().get_queryset(request).defer(*TOKEN_FIELDS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Workfront user"), ordering="workfront_user_name")
    def workfront_user(self, obj: WorkfrontConnection) -> str:
        return obj.workfront_user_name or obj.workfront_user_id

    @admin.display(description=_("access token"))
    def access_token_state(self, obj: WorkfrontConnection) -> str:
        return str(_("set") if _token_is_set(obj, "access_token") else _("not set"))

    @admin.display(description=_("refresh token"))
    def refresh_token_state(self, obj: WorkfrontConnection) -> str:
        return str(_("set") if _token_is_set(obj, "refresh_token") else _("not set"))


def _token_is_set(obj: WorkfrontConnection, field: str) -> bool:
    """Whether a token is stored, asked of the database: empty tokens are stored as ''."""
    return (
        WorkfrontConnection.objects.filter(pk=obj.pk)
        .exclude(**{field: ""})
        .exclude(**{f"{field}__isnull": True})
        .exists()
    )
