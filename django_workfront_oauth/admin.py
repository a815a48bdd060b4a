"""Django admin: the connections' health at a glance, and never a token on screen.

Connections are made by users through the OAuth flow, so the admin only reads them and acts on
them through :mod:`~django_workfront_oauth.services`: refresh now, require reconnection,
disconnect. Token columns are never loaded by a listing, never shown (only "set / not set"),
never editable, searchable, sortable or filterable.

``PendingAuthorization`` is not registered: its rows live ten minutes, hold nothing a site admin
can act on (digests and a flow's redirect target) and are managed by the connect flow alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from . import services
from .exceptions import TokenDecryptionError
from .models import Provider, RefreshLog, WorkfrontConnection, WorkfrontConnectionQuerySet
from .services import RefreshOutcome

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The encrypted columns: never loaded by a listing, never shown, searched, sorted or filtered.
TOKEN_FIELDS = ("access_token", "refresh_token")

#: What a token's state reads as on the change page.
TOKEN_SET = _("set")
TOKEN_NOT_SET = _("not set")
TOKEN_UNREADABLE = _("set, but cannot be decrypted with the configured FIELD_ENCRYPTION_KEY")

#: Human labels of the outcomes that :class:`RefreshLog` records.
OUTCOME_LABELS: dict[str, StrOrPromise] = {
    RefreshOutcome.REFRESHED.value: _("Refreshed"),
    RefreshOutcome.FAILED.value: _("Failed (will be retried)"),
    RefreshOutcome.REAUTH_REQUIRED.value: _("Reconnection required"),
    RefreshOutcome.NOT_DUE.value: _("Not due"),
    RefreshOutcome.SKIPPED.value: _("Skipped"),
    RefreshOutcome.GONE.value: _("Gone"),
}


# -- helpers the actions use (and tests call directly) ----------------------------------------


@dataclass
class RefreshCounts:
    """How a "Refresh now" over several connections went."""

    refreshed: int = 0
    failed: int = 0
    reauth_required: int = 0
    skipped: int = 0
    #: Rows whose stored tokens the configured keys cannot decrypt: no refresh was tried.
    unreadable: int = 0


@dataclass
class ReconnectCounts:
    """How a "Require reconnection" over several connections went."""

    required: int = 0
    already: int = 0


_OUTCOME_COUNTER = {
    RefreshOutcome.REFRESHED: "refreshed",
    RefreshOutcome.FAILED: "failed",
    RefreshOutcome.REAUTH_REQUIRED: "reauth_required",
    # Forced refreshes are "not due" only when there is no refresh token yet a valid access
    # token; "skipped" is a row another process holds; "gone" was deleted meanwhile.
    RefreshOutcome.NOT_DUE: "skipped",
    RefreshOutcome.SKIPPED: "skipped",
    RefreshOutcome.GONE: "skipped",
    RefreshOutcome.UNDECRYPTABLE: "unreadable",
}


def refresh_now(queryset: QuerySet[WorkfrontConnection]) -> RefreshCounts:
    """Force a refresh of every connection in ``queryset`` through the services; count outcomes."""
    counts = RefreshCounts()
    for pk in list(queryset.values_list("pk", flat=True)):
        outcome = services.refresh_connection_by_id(pk, force=True)
        name = _OUTCOME_COUNTER[outcome]
        setattr(counts, name, getattr(counts, name) + 1)
    return counts


def require_reconnection(queryset: QuerySet[WorkfrontConnection], reason: str) -> ReconnectCounts:
    """Mark every active connection in ``queryset`` as needing its user to connect again."""
    counts = ReconnectCounts()
    for connection in queryset.defer(*TOKEN_FIELDS):
        if connection.needs_reauthorization:
            # Already said (and signalled) once; saying it again would only re-notify.
            counts.already += 1
            continue
        services.require_reauthorization(connection, reason=reason)
        counts.required += 1
    return counts


def disconnect_connections(queryset: QuerySet[WorkfrontConnection]) -> int:
    """Disconnect (best-effort logout, then delete) every connection in ``queryset``."""
    disconnected = 0
    # Tokens stay deferred: disconnect() loads them itself and copes with unreadable ones.
    for connection in list(queryset.defer(*TOKEN_FIELDS)):
        services.disconnect(connection)
        disconnected += 1
    return disconnected


def admin_reason(request: HttpRequest, action: str) -> str:
    """The reason recorded when a site admin forces a state change (names action and admin)."""
    username = request.user.get_username() if request.user.is_authenticated else "?"
    return f"Required by site admin {username!r} through the admin action {action!r}."


@dataclass(frozen=True)
class ConnectionSummary:
    """Counts shown above the connection list."""

    total: int
    #: ``(status value, label, count)`` for every status, zeros included.
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    due_now: int = 0
    #: Connections still on Workfront's legacy OAuth2 service (switched off on 2027-02-01).
    legacy: int = 0
    #: Active IMS connections without a refresh token: they lapse within 24 hours.
    without_refresh_token: int = 0


def connection_summary(now: datetime | None = None) -> ConnectionSummary:
    """How many connections there are by status, and how many are due for refresh now."""
    rows = WorkfrontConnection.objects.order_by().values("status").annotate(count=Count("pk"))
    counts: dict[str, int] = {row["status"]: row["count"] for row in rows}
    by_status = [
        (value, str(label), counts.get(value, 0))
        for value, label in WorkfrontConnection.Status.choices
    ]
    return ConnectionSummary(
        total=sum(counts.values()),
        by_status=by_status,
        due_now=services.due_connections(now).count(),
        legacy=WorkfrontConnection.objects.filter(provider=Provider.WORKFRONT).count(),
        without_refresh_token=WorkfrontConnection.objects.active()
        .exclude(provider=Provider.WORKFRONT)
        .filter(refresh_token="")
        .count(),
    )


def token_state(connection: WorkfrontConnection, field_name: str) -> str:
    """Whether a token is stored: "set", "not set" or "cannot be decrypted"; never the token."""
    stored = (
        WorkfrontConnection.objects.filter(pk=connection.pk)
        .exclude(**{field_name: ""})
        .exclude(**{f"{field_name}__isnull": True})
    )
    # Empty tokens are stored as '' unencrypted: "is it set?" needs no key.
    if not stored.exists():
        return str(TOKEN_NOT_SET)
    try:
        # Decrypted only to learn whether the keys can; the value is dropped at once.
        stored.values_list(field_name, flat=True).first()
    except TokenDecryptionError:
        # Worth telling the site admin: the key list lacks the key this row was written with.
        return str(TOKEN_UNREADABLE)
    return str(TOKEN_SET)


# -- filters ----------------------------------------------------------------------------------


class ExpiryFilter(admin.SimpleListFilter):
    """Connections by how soon their access token expires."""

    title = _("access token expiry")
    parameter_name = "expiry"

    EXPIRED = "expired"
    DUE = "due"
    WITHIN_HOUR = "1h"
    WITHIN_DAY = "24h"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, StrOrPromise]]:
        """The choices offered in the sidebar."""
        return [
            (self.EXPIRED, _("Expired")),
            # What the next sweep will refresh: active, within REFRESH_MARGIN, not backing off.
            (self.DUE, _("Due for refresh now")),
            (self.WITHIN_HOUR, _("Expires within 1 hour")),
            (self.WITHIN_DAY, _("Expires within 24 hours")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[WorkfrontConnection] | None:
        """Narrow ``queryset`` to the chosen expiry window."""
        value = self.value()
        now = timezone.now()
        if value == self.EXPIRED:
            return queryset.filter(
                Q(access_token_expires_at__isnull=True) | Q(access_token_expires_at__lte=now)
            )
        if value == self.DUE:
            return queryset.filter(pk__in=services.due_connections(now).values("pk"))
        windows = {self.WITHIN_HOUR: timedelta(hours=1), self.WITHIN_DAY: timedelta(hours=24)}
        if value in windows:
            return queryset.filter(
                access_token_expires_at__gt=now,
                access_token_expires_at__lte=now + windows[value],
            )
        return None


class OutcomeFilter(admin.SimpleListFilter):
    """Refresh attempts by outcome, with readable labels."""

    title = _("outcome")
    parameter_name = "outcome"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, StrOrPromise]]:
        """Every outcome the refresh engine records."""
        return list(OUTCOME_LABELS.items())

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[RefreshLog] | None:
        """Narrow ``queryset`` to the chosen outcome."""
        value = self.value()
        return queryset.filter(outcome=value) if value else None


# -- refresh history --------------------------------------------------------------------------


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
        return _outcome_label(obj.outcome)


def _outcome_label(outcome: str) -> str:
    label = OUTCOME_LABELS.get(outcome)
    return str(label) if label is not None else outcome


# -- connections ------------------------------------------------------------------------------


@admin.register(WorkfrontConnection)
class WorkfrontConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only metadata and service actions; connections are made through the OAuth flow."""

    change_list_template = "admin/django_workfront_oauth/workfrontconnection/change_list.html"
    action_confirmation_template = (
        "admin/django_workfront_oauth/workfrontconnection/action_confirmation.html"
    )

    list_display = (
        "user",
        "workfront_user",
        "host",
        "instance",
        "provider",
        "status",
        "access_token_expires_at",
        "last_refreshed_at",
        "last_error_short",
    )
    list_filter = ("status", "instance", "provider", ExpiryFilter)
    search_fields = (
        "user__username",
        "user__email",
        "workfront_user_id",
        "workfront_user_name",
        "workfront_user_email",
    )
    list_select_related = ("user",)
    ordering = ("-created_at",)
    actions = ("refresh_now_action", "require_reconnection_action", "disconnect_action")
    inlines = (RefreshLogInline,)
    exclude = TOKEN_FIELDS
    fieldsets = (
        (
            _("Connection"),
            {"fields": ("user", "instance", "provider", "host", "domain", "lane", "redirect_uri")},
        ),
        (
            _("Workfront user"),
            {"fields": ("workfront_user_id", "workfront_user_name", "workfront_user_email")},
        ),
        (
            _("Tokens"),
            {
                "fields": (
                    "access_token_state",
                    "refresh_token_state",
                    "token_type",
                    "wid",
                    "access_token_expires_at",
                    "expiry_state",
                    "lifetime_outlook",
                )
            },
        ),
        (
            _("Health"),
            {
                "fields": (
                    "status",
                    "last_refreshed_at",
                    "last_error",
                    "consecutive_failures",
                    "next_refresh_attempt_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
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
        "expiry_state",
        "lifetime_outlook",
        "status",
        "last_refreshed_at",
        "last_error",
        "consecutive_failures",
        "next_refresh_attempt_at",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkfrontConnection]:
        """Every row, without loading (or decrypting) the token columns."""
        # Listing and opening a row must not need the key: a row written with a key that has
        # since been dropped still lists and opens.
        queryset = cast(WorkfrontConnectionQuerySet, super().get_queryset(request))
        return queryset.without_tokens()

    # -- permissions ------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only the OAuth flow creates connections."""
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WorkfrontConnection | None = None
    ) -> bool:
        """No row is ever edited by hand; the model-level permission gates the actions."""
        # A row's page is view-only (a POST to it is refused); "Refresh now" and "Require
        # reconnection" are changes made through the services, allowed to whoever may change.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Our actions, without Django's "delete selected", which would skip the logout."""
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: WorkfrontConnection) -> None:
        """Deleting from a row's page disconnects: logout, delete, signal."""
        services.disconnect(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Bulk deletion disconnects each row too."""
        disconnect_connections(queryset)

    # -- list -------------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The list, with counts by status and how many are due above it."""
        extra_context = {**(extra_context or {}), "workfront_summary": connection_summary()}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("Workfront user"), ordering="workfront_user_name")
    def workfront_user(self, obj: WorkfrontConnection) -> str:
        """The Workfront user's name, or their ID when the name is unknown."""
        return obj.workfront_user_name or obj.workfront_user_id

    @admin.display(description=_("last error"), ordering="last_error")
    def last_error_short(self, obj: WorkfrontConnection) -> str:
        """The last error, cut short for the list (the row's page has all of it)."""
        return Truncator(obj.last_error).chars(80)

    # -- row page ---------------------------------------------------------------------------

    @admin.display(description=_("outlook"))
    def lifetime_outlook(self, obj: WorkfrontConnection) -> str:
        """What will happen to this connection without anyone acting, in plain words."""
        if obj.needs_reauthorization:
            return str(_("The user must connect again."))
        if obj.is_legacy:
            return str(
                _(
                    "Legacy Workfront OAuth2 connection: it stops working on 2027-02-01 unless "
                    "the user reconnects with Adobe."
                )
            )
        if not obj.has_refresh_token:
            return str(
                _(
                    "No refresh token (the Developer Console credential lacks offline_access): "
                    "the user will need to reconnect within 24 hours."
                )
            )
        return str(_("Refreshed automatically before the access token expires."))

    @admin.display(description=_("access token"))
    def access_token_state(self, obj: WorkfrontConnection) -> str:
        """Whether an access token is stored: set / not set / cannot be decrypted."""
        return token_state(obj, "access_token")

    @admin.display(description=_("refresh token"))
    def refresh_token_state(self, obj: WorkfrontConnection) -> str:
        """Whether a refresh token is stored: set / not set / cannot be decrypted."""
        return token_state(obj, "refresh_token")

    @admin.display(description=_("expiry"))
    def expiry_state(self, obj: WorkfrontConnection) -> str:
        """Expired, due for refresh, or valid."""
        if obj.is_expired():
            return str(_("expired"))
        if obj.is_due():
            return str(_("due for refresh"))
        return str(_("valid"))

    # -- actions ----------------------------------------------------------------------------

    def _report(self, request: HttpRequest, count: int, message: Any, level: int) -> None:
        """One message about ``count`` connections; nothing when there are none.

        ``message`` is an ``ngettext_lazy(singular, plural, "count")``, which picks its plural
        form from the ``count`` it is formatted with (and stays visible to makemessages).
        """
        if count:
            self.message_user(request, message % {"count": count}, level)

    @admin.action(description=_("Refresh now"), permissions=("change",))
    def refresh_now_action(
        self, request: HttpRequest, queryset: QuerySet[WorkfrontConnection]
    ) -> None:
        """Force a refresh of the selected connections and report how it went."""
        counts = refresh_now(queryset)
        self._report(
            request,
            counts.refreshed,
            ngettext_lazy(
                "%(count)d connection was refreshed.",
                "%(count)d connections were refreshed.",
                "count",
            ),
            messages.SUCCESS,
        )
        self._report(
            request,
            counts.failed,
            ngettext_lazy(
                "%(count)d connection could not be refreshed now (Workfront unavailable); "
                "it will be retried.",
                "%(count)d connections could not be refreshed now (Workfront unavailable); "
                "they will be retried.",
                "count",
            ),
            messages.WARNING,
        )
        self._report(
            request,
            counts.reauth_required,
            ngettext_lazy(
                "%(count)d connection needs its user to connect again.",
                "%(count)d connections need their users to connect again.",
                "count",
            ),
            messages.WARNING,
        )
        self._report(
            request,
            counts.skipped,
            ngettext_lazy(
                "%(count)d connection was skipped (busy, gone or nothing to refresh with).",
                "%(count)d connections were skipped (busy, gone or nothing to refresh with).",
                "count",
            ),
            messages.WARNING,
        )
        self._report(
            request,
            counts.unreadable,
            ngettext_lazy(
                "%(count)d connection has tokens that cannot be decrypted with the "
                "configured FIELD_ENCRYPTION_KEY.",
                "%(count)d connections have tokens that cannot be decrypted with the "
                "configured FIELD_ENCRYPTION_KEY.",
                "count",
            ),
            messages.WARNING,
        )

    @admin.action(description=_("Require reconnection"), permissions=("change",))
    def require_reconnection_action(
        self, request: HttpRequest, queryset: QuerySet[WorkfrontConnection]
    ) -> TemplateResponse | None:
        """After confirmation, make the selected connections' users connect again."""
        if not request.POST.get("post"):
            return self._confirm(
                request,
                queryset,
                action="require_reconnection_action",
                title=_("Require reconnection"),
                question=_(
                    "The users of these connections will have to connect their Workfront "
                    "account again before the app can use it. Continue?"
                ),
            )
        counts = require_reconnection(queryset, admin_reason(request, "Require reconnection"))
        self._report(
            request,
            counts.required,
            ngettext_lazy(
                "%(count)d connection now requires its user to connect again.",
                "%(count)d connections now require their users to connect again.",
                "count",
            ),
            messages.SUCCESS,
        )
        self._report(
            request,
            counts.already,
            ngettext_lazy(
                "%(count)d connection already required reconnection; left as it was.",
                "%(count)d connections already required reconnection; left as they were.",
                "count",
            ),
            messages.WARNING,
        )
        return None

    @admin.action(description=_("Disconnect (log out and delete)"), permissions=("delete",))
    def disconnect_action(
        self, request: HttpRequest, queryset: QuerySet[WorkfrontConnection]
    ) -> TemplateResponse | None:
        """After confirmation, log the selected connections out of Workfront and delete them."""
        if not request.POST.get("post"):
            return self._confirm(
                request,
                queryset,
                action="disconnect_action",
                title=_("Disconnect"),
                question=_(
                    "These connections will be logged out of Workfront (when it answers) and "
                    "deleted with their refresh history. Their users can connect again. "
                    "Continue?"
                ),
            )
        self._log_deletions(request, queryset)
        self._report(
            request,
            disconnect_connections(queryset),
            ngettext_lazy(
                "%(count)d connection was disconnected.",
                "%(count)d connections were disconnected.",
                "count",
            ),
            messages.SUCCESS,
        )
        return None

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[WorkfrontConnection],
        *,
        action: str,
        title: StrOrPromise,
        question: StrOrPromise,
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "action_name": action,
            "queryset": queryset.defer(*TOKEN_FIELDS).select_related("user"),
            "opts": opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_confirmation_template, context)

    def _log_deletions(self, request: HttpRequest, queryset: QuerySet[WorkfrontConnection]) -> None:
        # As Django's "delete selected" does, before the rows go; log_deletions is Django 5.1+.
        if hasattr(admin.ModelAdmin, "log_deletions"):
            self.log_deletions(request, queryset.defer(*TOKEN_FIELDS))
        else:  # pragma: no cover - Django < 5.1
            for obj in queryset.defer(*TOKEN_FIELDS):
                self.log_deletion(request, obj, str(obj))


# -- refresh history, on its own --------------------------------------------------------------


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
        return _outcome_label(obj.outcome)
