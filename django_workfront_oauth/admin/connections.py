"""The connections' admin: health at a glance, read-only metadata, never a token on screen."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import services, states
from ..conf import app_settings
from ..models import WorkfrontConnection, WorkfrontConnectionQuerySet
from .actions import (
    DISCONNECT_EXPLAINED,
    REFRESH_NOW_EXPLAINED,
    REQUIRE_RECONNECTION_EXPLAINED,
    ConnectionActions,
    acting_user,
    disconnect_connections,
    history_kept,
)
from .display import (
    HEALTH_DAYS,
    TOKEN_FIELDS,
    connection_health,
    connection_summary,
    is_token_lookup,
    timestamp_field,
    token_state,
)
from .filters import ExpiryFilter
from .history import RefreshLogInline

__all__ = ["WorkfrontConnectionAdmin"]


#: The change page's groups of fields (never a token column: token states only).
_CONNECTION = (
    "user",
    "instance",
    "provider",
    "host",
    "domain",
    "lane",
    "redirect_uri",
    "state_detail",
)
_WORKFRONT_USER = ("workfront_user_id", "workfront_user_name", "workfront_user_email")
_TOKENS = (
    "access_token_state",
    "refresh_token_state",
    "token_type",
    "wid",
    "access_token_expires_at_display",
    "expiry_state",
    "lifetime_outlook",
)
_HEALTH = (
    "status",
    "last_refreshed_at_display",
    "last_error",
    "consecutive_failures",
    "next_refresh_attempt_at_display",
    "created_at_display",
    "updated_at_display",
)


@admin.register(WorkfrontConnection)
class WorkfrontConnectionAdmin(ConnectionActions, admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only metadata and service actions; connections are made through the OAuth flow."""

    change_list_template = "admin/django_workfront_oauth/workfrontconnection/change_list.html"

    # What matters first, and narrow enough for 1280 px beside the filters: the host, the
    # provider and the last error are on the row's page (the state says when one matters).
    list_display = (
        "user_column",
        "instance",
        "state_column",
        "access_token_expires_at_display",
        "last_refreshed_at_display",
    )
    list_display_links = ("user_column",)
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
        (_("Connection"), {"fields": _CONNECTION}),
        (_("Workfront user"), {"fields": _WORKFRONT_USER}),
        (_("Tokens"), {"fields": _TOKENS}),
        (_("Health"), {"fields": _HEALTH}),
    )
    # Every field on the page is read-only: connections change only through the services.
    readonly_fields = _CONNECTION + _WORKFRONT_USER + _TOKENS + _HEALTH

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        """Never a lookup on a token column, whoever asks (``?access_token__regex=…``)."""
        if is_token_lookup(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

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

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        """Our actions, without Django's "delete selected", which would skip the confirmation
        that says the rows are logged out of Workfront.

        ``action_location`` is Django 6.1's (``ActionLocation``); the actions stay on the list,
        as before 6.1, not on a row's view-only page.
        """
        if action_location is None:
            actions = super().get_actions(request)
        elif getattr(action_location, "value", "") == "CHANGE_FORM":
            return {}
        else:
            actions = super().get_actions(  # type: ignore[call-arg] # Django 6.1+
                request, action_location=action_location
            )
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: WorkfrontConnection) -> None:
        """Deleting from a row's page disconnects: logout, delete, signal; the history stays."""
        services.disconnect(obj, by=acting_user(request), how="Deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Bulk deletion disconnects each row too."""
        disconnect_connections(queryset, by=acting_user(request), how="Deleted in the admin")

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's confirmation, saying first that deleting also signs the app out."""
        extra_context = {
            **(extra_context or {}),
            "workfront_explanation": [str(DISCONNECT_EXPLAINED), history_kept()],
        }
        return super().delete_view(request, object_id, extra_context)

    # -- list -------------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The list, with counts, the health bar and what the actions do above it."""
        health = connection_health()
        peak = max((day.total for day in health), default=0)
        extra_context = {
            **(extra_context or {}),
            "workfront_summary": connection_summary(),
            "workfront_health": [(day, *day.steps(peak)) for day in health],
            "workfront_health_days": HEALTH_DAYS,
            "workfront_actions_explained": [
                (_("Refresh now"), REFRESH_NOW_EXPLAINED),
                (_("Require reconnection"), REQUIRE_RECONNECTION_EXPLAINED),
                (_("Disconnect (log out and delete)"), f"{DISCONNECT_EXPLAINED} {history_kept()}"),
            ],
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            # The instances, read once for the page rather than once a row (the state column
            # needs each row's, and which Adobe IMS instance a legacy row can move to).
            instances = {instance.name: instance for instance in app_settings.all_instances()}
            for connection in changelist.result_list:
                connection.workfront_instances = instances
        return response

    access_token_expires_at_display = timestamp_field(
        "access_token_expires_at", _("access token expires")
    )
    last_refreshed_at_display = timestamp_field("last_refreshed_at", _("last refreshed"))
    next_refresh_attempt_at_display = timestamp_field(
        "next_refresh_attempt_at", _("next refresh attempt at")
    )
    created_at_display = timestamp_field("created_at", _("created at"))
    updated_at_display = timestamp_field("updated_at", _("updated at"))

    @admin.display(description=_("user"), ordering="user__username")
    def user_column(self, obj: WorkfrontConnection) -> str:
        """The site user, and below it who they are at Workfront."""
        workfront_user = obj.workfront_user_name or obj.workfront_user_id
        if not workfront_user:
            return format_html('<span class="workfront-oauth-user">{}</span>', obj.user)
        return format_html(
            '<span class="workfront-oauth-user">{}</span>'
            '<span class="workfront-oauth-secondary">{}</span>',
            obj.user,
            _("Workfront: %(name)s") % {"name": workfront_user},
        )

    @admin.display(description=_("state"), ordering="status")
    def state_column(self, obj: WorkfrontConnection) -> str:
        """The state's title, and the admin's sentence below it (the detail is on the page)."""
        state = states.describe(obj, instances=getattr(obj, "workfront_instances", None))
        return format_html(
            '<strong class="{}">{}</strong><span class="workfront-oauth-secondary">{}</span>',
            state.css_class,
            state.title,
            state.admin_sentence,
        )

    # -- row page ---------------------------------------------------------------------------

    @admin.display(description=_("state"))
    def state_detail(self, obj: WorkfrontConnection) -> str:
        """The state in words for site admins, with the technical detail."""
        state = states.describe(obj)
        parts = [f"{state.title}: {state.admin_sentence}"]
        if state.detail:
            parts.append(state.detail)
        return " — ".join(parts)

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
