"""The admin's actions on connections: refresh now, require reconnection, disconnect.

Each action calls a service through a plain helper (``refresh_now`` …) that tests call too,
and reports its counts with ``ngettext``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .. import services
from ..models import WorkfrontConnection
from ..services import RefreshOutcome
from .display import TOKEN_FIELDS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _ModelAdmin = admin.ModelAdmin[WorkfrontConnection]
else:
    _ModelAdmin = object

__all__ = [
    "ConnectionActions",
    "ReconnectCounts",
    "RefreshCounts",
    "admin_reason",
    "disconnect_connections",
    "refresh_now",
    "require_reconnection",
]


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
    # An unexpected exception, logged with its traceback: reported like a transient failure.
    RefreshOutcome.ERROR: "failed",
}


def refresh_now(queryset: QuerySet[WorkfrontConnection]) -> RefreshCounts:
    """Force a refresh of every connection in ``queryset`` through the services; count outcomes."""
    counts = RefreshCounts()
    outcomes = services.refresh_many(list(queryset.values_list("pk", flat=True)), force=True)
    for value, number in outcomes.items():
        name = _OUTCOME_COUNTER[RefreshOutcome(value)]
        setattr(counts, name, getattr(counts, name) + number)
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


class ConnectionActions(_ModelAdmin):
    """The actions of :class:`~.connections.WorkfrontConnectionAdmin`, with their confirmations."""

    action_confirmation_template = (
        "admin/django_workfront_oauth/workfrontconnection/action_confirmation.html"
    )

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
        question = _(
            "The users of these connections will have to connect their Workfront account again "
            "before the app can use it. Continue?"
        )
        confirmation = self._confirm_first(request, queryset, _("Require reconnection"), question)
        if confirmation is not None:
            return confirmation
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
        question = _(
            "These connections will be logged out of Workfront (when it answers) and deleted "
            "with their refresh history. Their users can connect again. Continue?"
        )
        confirmation = self._confirm_first(request, queryset, _("Disconnect"), question)
        if confirmation is not None:
            return confirmation
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

    def _confirm_first(
        self,
        request: HttpRequest,
        queryset: QuerySet[WorkfrontConnection],
        title: StrOrPromise,
        question: StrOrPromise,
    ) -> TemplateResponse | None:
        """The confirmation page, unless this POST is the confirmation (``post`` is set)."""
        if request.POST.get("post"):
            return None
        action = request.POST.get("action", "")
        return self._confirm(request, queryset, action=action, title=title, question=question)

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
