"""Refresh history: on a connection's page (newest first) and as the audit list of its own.

Each row says in words what happened ("Renewed automatically", "Workfront refused the
renewal: reconnection required") with the technical detail beside it; rows of connections
that are gone stay, as their audit trail (bounds: :class:`~..models.RefreshLog`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import RefreshLog
from .display import TOKEN_FIELDS, format_timestamp, is_token_lookup, outcome_label
from .filters import ConnectionGoneFilter, OutcomeFilter

__all__ = [
    "NewestHistoryFormSet",
    "RefreshLogAdmin",
    "RefreshLogInline",
    "entry_detail",
    "entry_sentence",
]

Event = RefreshLog.Event

#: How much of the technical detail a list shows (the row's page shows all of it).
DETAIL_CHARS = 120


def entry_sentence(entry: RefreshLog) -> str:
    """What happened, in words a site admin reads at a glance."""
    actor = {"actor": entry.actor}
    event = entry.event
    if event == Event.RENEWED:
        if entry.actor:
            return gettext("Renewed at the request of %(actor)s") % actor
        return gettext("Renewed automatically")
    if event == Event.RENEWAL_FAILED:
        if entry.retry_at is not None:
            return gettext("Renewal failed, will retry at %(when)s") % {
                "when": format_timestamp(entry.retry_at)
            }
        return gettext("Renewal failed, will be retried")
    if event == Event.RENEWAL_REFUSED:
        return gettext("Workfront refused the renewal: reconnection required")
    if event == Event.NO_REFRESH_TOKEN:
        return gettext(
            "The sign-in ended and cannot be renewed (no refresh token): reconnection required"
        )
    if event == Event.RECONNECTION_REQUIRED:
        return gettext("Reconnection required by %(actor)s") % actor
    if event == Event.DISCONNECTED:
        if entry.actor:
            return gettext("Disconnected by %(actor)s") % actor
        return gettext("Disconnected")
    # Rows written before events were recorded: their outcome says it.
    return outcome_label(entry.outcome)


def entry_detail(entry: RefreshLog, *, chars: int | None = DETAIL_CHARS) -> str:
    """The technical detail (error class and message), cut to ``chars`` unless ``None``."""
    detail = f"{entry.error_class}: {entry.error}" if entry.error_class else entry.error
    return Truncator(detail).chars(chars) if chars is not None else detail


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


class _EntryColumns:
    """The columns an entry shows, wherever it is listed."""

    @admin.display(description=_("when"), ordering="created_at")
    def when(self, obj: RefreshLog) -> str | None:
        """The time, to the second, with the time zone."""
        return format_timestamp(obj.created_at)

    @admin.display(description=_("what happened"))
    def what_happened(self, obj: RefreshLog) -> str:
        """The event in words."""
        return entry_sentence(obj)

    @admin.display(description=_("technical detail"))
    def detail(self, obj: RefreshLog) -> str:
        """The error class and message, shortened."""
        return entry_detail(obj)


class RefreshLogInline(_EntryColumns, admin.TabularInline):  # type: ignore[type-arg]
    """The refresh history on a connection's page: when, what happened, detail; read-only."""

    model = RefreshLog
    formset = NewestHistoryFormSet
    fields = ("when", "what_happened", "detail")
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


_ENTRY_FIELDS = (
    "when",
    "what_happened",
    "outcome_label",
    "actor",
    "connection_link",
    "username",
    "instance",
    "host",
    "workfront_user_id",
    "workfront_user_name",
    "full_detail",
)


@admin.register(RefreshLog)
class RefreshLogAdmin(_EntryColumns, admin.ModelAdmin):  # type: ignore[type-arg]
    """The refresh history of every connection, those since disconnected included; read-only.

    Never a token: rows hold none, and the connections they link to are loaded without theirs.
    """

    list_display = ("when", "what_happened", "connection_link", "instance", "detail")
    list_filter = (OutcomeFilter, ConnectionGoneFilter, "instance", "error_class")
    search_fields = (
        "username",
        "actor",
        "host",
        "workfront_user_id",
        "workfront_user_name",
        "connection__user__username",
        "connection__user__email",
        "connection__workfront_user_email",
    )
    list_select_related = ("connection__user",)
    date_hierarchy = "created_at"
    fields = _ENTRY_FIELDS
    readonly_fields = _ENTRY_FIELDS

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Never a lookup through to a connection's token columns."""
        if is_token_lookup(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RefreshLog]:
        """Entries with their connection, whose token columns are left unloaded."""
        return (
            super()
            .get_queryset(request)
            .select_related("connection__user")
            .defer(*(f"connection__{name}" for name in TOKEN_FIELDS))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Written by the refresh engine and the disconnect only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: RefreshLog | None = None) -> bool:
        """History is never edited."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RefreshLog | None = None) -> bool:
        """An audit trail is not deleted by hand: the sweep and the disconnect keep it bounded."""
        return False

    @admin.display(description=_("connection"), ordering="connection_ref")
    def connection_link(self, obj: RefreshLog) -> str:
        """The connection, linked to its page; who it was about once it is gone."""
        if obj.connection is None:
            who = obj.username or "?"
            return gettext("%(user)s @ %(host)s (disconnected)") % {
                "user": who,
                "host": obj.host or "?",
            }
        url = reverse(
            f"{self.admin_site.name}:django_workfront_oauth_workfrontconnection_change",
            args=[obj.connection_id],
        )
        return format_html('<a href="{}">{}</a>', url, obj.connection)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, obj: RefreshLog) -> str:
        """The refresh engine's outcome in words."""
        return outcome_label(obj.outcome)

    @admin.display(description=_("technical detail"))
    def full_detail(self, obj: RefreshLog) -> str:
        """The error class and message, whole."""
        return entry_detail(obj, chars=None)
