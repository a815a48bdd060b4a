"""The admin's actions on connections: refresh now, require reconnection, disconnect.

Each action calls a service through a plain helper (``refresh_now`` …) that tests call too,
reports its counts with ``ngettext``, and leaves an entry in Django's admin log (``LogEntry``,
with who did it) for every connection it touched: the row's History page and the admin's
Recent actions show it. A confirmation says everything an action does (``*_EXPLAINED``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import RefreshLog, WorkfrontConnection
from ..services import RefreshOutcome
from .display import TOKEN_FIELDS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _ModelAdmin = admin.ModelAdmin[WorkfrontConnection]
else:
    _ModelAdmin = object

__all__ = [
    "DISCONNECT_EXPLAINED",
    "HISTORY_KEPT",
    "REFRESH_NOW_EXPLAINED",
    "REQUIRE_RECONNECTION_EXPLAINED",
    "ConnectionActions",
    "ReconnectCounts",
    "RefreshCounts",
    "acting_user",
    "admin_reason",
    "disconnect_connections",
    "history_kept",
    "refresh_now",
    "require_reconnection",
]

#: What "Refresh now" does, in full (the changelist's "What the actions do").
REFRESH_NOW_EXPLAINED = _(
    "Refresh now asks the authorization server (Workfront, or Adobe IMS) for a new access "
    "token for each selected connection at once, even when the current one is still valid, "
    "with the stored refresh token, which the server may replace. If the server refuses the "
    "refresh token, the connection needs its user to connect again; if the server cannot be "
    "reached, the renewal is retried later by itself. Connections that already need "
    "reconnecting are left as they are."
)
#: What "Require reconnection" does, in full (its confirmation page).
REQUIRE_RECONNECTION_EXPLAINED = _(
    "The users of these connections must connect their Workfront account again: each "
    "connection is marked “Reconnection required”, it is no longer renewed, and the "
    "reauthorization_required signal is sent (a site may tell its users with it). Nothing is "
    "ended at Workfront and the stored tokens are not revoked there: the current access token "
    "stays stored, and the app may use it until it expires; the user's next connection "
    "replaces both tokens. The refresh history records who required it."
)
#: What "Disconnect" and deleting a connection do, in full (their confirmation pages).
DISCONNECT_EXPLAINED = _(
    "Disconnecting also signs the app out at the authorization server before the connection "
    "is deleted: a legacy Workfront connection has its Workfront API session logged out; an "
    "Adobe IMS connection has its refresh token revoked at Adobe IMS, which ends the grant "
    "(an access token issued before stays valid until it expires). This is best effort: if "
    "the server cannot be reached or refuses, the connection is deleted anyway. The user's "
    "own sign-in to Workfront in their browser is not ended, and they can connect again at "
    "any time."
)
#: What happens to a deleted connection's refresh history.
HISTORY_KEPT = _(
    "The connection's refresh history is kept as its audit trail, without any token: the "
    "newest %(rows)d entries, a last one saying who disconnected it, for %(days)d days "
    "(Refresh history list, filter “Disconnected (audit)”)."
)


def history_kept() -> str:
    """:data:`HISTORY_KEPT` with the bounds filled in."""
    return str(HISTORY_KEPT) % {
        "rows": RefreshLog.HISTORY_PER_CONNECTION,
        "days": RefreshLog.AUDIT_RETENTION.days,
    }


@dataclass
class RefreshCounts:
    """How a "Refresh now" over several connections went."""

    refreshed: int = 0
    failed: int = 0
    reauth_required: int = 0
    skipped: int = 0
    #: Rows whose stored tokens the configured keys cannot decrypt: no refresh was tried.
    unreadable: int = 0
    #: Each connection's outcome, by primary key (for the admin log).
    outcomes: dict[int, RefreshOutcome] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class ReconnectCounts:
    """How a "Require reconnection" over several connections went."""

    required: int = 0
    already: int = 0
    #: The connections that now require reconnection (for the admin log).
    required_pks: list[int] = field(default_factory=list, compare=False, repr=False)


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
    outcomes = services.refresh_many(
        list(queryset.values_list("pk", flat=True)),
        force=True,
        progress=lambda pk, outcome: counts.outcomes.__setitem__(pk, outcome),
    )
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
        counts.required_pks.append(connection.pk)
    return counts


def disconnect_connections(
    queryset: QuerySet[WorkfrontConnection], *, by: str = "", how: str = ""
) -> int:
    """Disconnect (best-effort logout, then delete) every connection in ``queryset``.

    ``by`` and ``how`` are what the audit trail's last row says (``services.disconnect``).
    """
    disconnected = 0
    # Tokens stay deferred: disconnect() loads them itself and copes with unreadable ones.
    for connection in list(queryset.defer(*TOKEN_FIELDS)):
        services.disconnect(connection, by=by, how=how)
        disconnected += 1
    return disconnected


def acting_user(request: HttpRequest) -> str:
    """The username of who acts in ``request``, as the history records it."""
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else "?"


#: What the admin log says a "Refresh now" came to for one connection.
_REFRESH_LOGGED = {
    RefreshOutcome.REFRESHED: _("Refresh now (admin action): renewed."),
    RefreshOutcome.FAILED: _(
        "Refresh now (admin action): the server could not be reached; retried later."
    ),
    RefreshOutcome.REAUTH_REQUIRED: _(
        "Refresh now (admin action): refused; the user must connect again."
    ),
    RefreshOutcome.NOT_DUE: _("Refresh now (admin action): nothing to renew with; skipped."),
    RefreshOutcome.SKIPPED: _("Refresh now (admin action): busy elsewhere; skipped."),
    RefreshOutcome.GONE: _("Refresh now (admin action): the connection was gone."),
    RefreshOutcome.UNDECRYPTABLE: _(
        "Refresh now (admin action): the stored tokens cannot be decrypted; not tried."
    ),
    RefreshOutcome.ERROR: _("Refresh now (admin action): an unexpected error (see the logs)."),
}


def admin_reason(request: HttpRequest, action: str) -> str:
    """The reason recorded when a site admin forces a state change (names action and admin)."""
    return f"Required by site admin {acting_user(request)!r} through the admin action {action!r}."


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
        """Force a refresh of the selected connections, log and report how it went."""
        connections = list(queryset.defer(*TOKEN_FIELDS))
        with RefreshLog.acting(acting_user(request)):
            counts = refresh_now(queryset)
        for connection in connections:
            outcome = counts.outcomes.get(connection.pk, RefreshOutcome.GONE)
            self.log_change(request, connection, str(_REFRESH_LOGGED[outcome]))
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
        confirmation = self._confirm_first(
            request, queryset, _("Require reconnection"), [str(REQUIRE_RECONNECTION_EXPLAINED)]
        )
        if confirmation is not None:
            return confirmation
        with RefreshLog.acting(acting_user(request), requiring=True):
            counts = require_reconnection(queryset, admin_reason(request, "Require reconnection"))
        message = gettext(
            "Require reconnection (admin action): the user must connect again; no renewals "
            "until then."
        )
        for connection in queryset.defer(*TOKEN_FIELDS).filter(pk__in=counts.required_pks):
            self.log_change(request, connection, message)
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
        confirmation = self._confirm_first(
            request, queryset, _("Disconnect"), [str(DISCONNECT_EXPLAINED), history_kept()]
        )
        if confirmation is not None:
            return confirmation
        # As Django's "delete selected" does, before the rows go.
        self.log_deletions(request, queryset.defer(*TOKEN_FIELDS))
        self._report(
            request,
            disconnect_connections(
                queryset, by=acting_user(request), how="Admin action Disconnect"
            ),
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
        explanation: list[str],
    ) -> TemplateResponse | None:
        """The confirmation page, unless this POST is the confirmation (``post`` is set)."""
        if request.POST.get("post"):
            return None
        action = request.POST.get("action", "")
        return self._confirm(request, queryset, action=action, title=title, explanation=explanation)

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[WorkfrontConnection],
        *,
        action: str,
        title: StrOrPromise,
        explanation: list[str],
    ) -> TemplateResponse:
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "question": _("Continue?"),
            "action_name": action,
            "queryset": queryset.defer(*TOKEN_FIELDS).select_related("user"),
            "opts": opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_confirmation_template, context)
