"""Refresh history: on a connection's page (newest first) and as a list of its own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import RefreshLog
from .display import TOKEN_FIELDS, is_token_lookup, outcome_label
from .filters import OutcomeFilter

__all__ = ["NewestHistoryFormSet", "RefreshLogAdmin", "RefreshLogInline"]


class NewestHistoryFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """A connection's newest refresh attempts, at most ``RefreshLog.HISTORY_PER_CONNECTION``."""

    def get_queryset(self) -> QuerySet[RefreshLog]:
        """The filtered queryset, newest first and sliced (once, so that forms share it)."""
        if not hasattr(self, "_newest"):
            # Sliced here, not in the inline's get_queryset: the formset filters by connection
            # after that, and a sliced queryset cannot be filtered.
            self._newest: QuerySet[RefreshLog] = (
                super()
                .get_queryset()
                .order_by("-created_at", "-id")[: RefreshLog.HISTORY_PER_CONNECTION]
            )
        return self._newest


class RefreshLogInline(admin.TabularInline):  # type: ignore[type-arg]
    """The refresh history on a connection's page: when, outcome, error; read-only."""

    model = RefreshLog
    formset = NewestHistoryFormSet
    fields = ("created_at", "outcome_label", "error_class", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("refresh history (newest first)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """History is written by the refresh engine only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """History is never edited."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """History is trimmed by the sweep, not by hand."""
        return False

    @admin.display(description=_("outcome"))
    def outcome_label(self, obj: RefreshLog) -> str:
        """The outcome in words."""
        return outcome_label(obj.outcome)


@admin.register(RefreshLog)
class RefreshLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every connection's recent refresh attempts, read-only; never a token."""

    list_display = ("created_at", "connection_link", "outcome_label", "error_class", "error")
    list_filter = (OutcomeFilter, "error_class", "connection__instance")
    search_fields = (
        "connection__user__username",
        "connection__user__email",
        "connection__workfront_user_id",
        "connection__workfront_user_name",
        "connection__workfront_user_email",
    )
    list_select_related = ("connection__user",)
    date_hierarchy = "created_at"
    fields = ("created_at", "connection_link", "outcome_label", "error_class", "error")
    readonly_fields = fields

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Never a lookup through to a connection's token columns."""
        if is_token_lookup(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefreshLog]:
        """Attempts with their connection, whose token columns are left unloaded."""
        return (
            super()
            .get_queryset(request)
            .select_related("connection__user")
            .defer(*(f"connection__{name}" for name in TOKEN_FIELDS))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Written by the refresh engine only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: RefreshLog | None = None) -> bool:
        """History is never edited."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RefreshLog | None = None) -> bool:
        """History is trimmed by the sweep, not by hand."""
        return False

    @admin.display(description=_("connection"), ordering="connection")
    def connection_link(self, obj: RefreshLog) -> str:
        """The connection, linked to its page."""
        url = reverse(
            f"{self.admin_site.name}:django_workfront_oauth_workfrontconnection_change",
            args=[obj.connection_id],
        )
        return format_html('<a href="{}">{}</a>', url, obj.connection)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, obj: RefreshLog) -> str:
        """The outcome in words."""
        return outcome_label(obj.outcome)
