"""Sidebar filters: connections by expiry, history by outcome and by whether it is an audit."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import RefreshLog, WorkfrontConnection
from .display import OUTCOME_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["ConnectionGoneFilter", "ExpiryFilter", "OutcomeFilter"]


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


class ConnectionGoneFilter(admin.SimpleListFilter):
    """History of connections that still exist, or the audit trail of those that are gone."""

    title = _("connection")
    parameter_name = "connection_state"

    CURRENT = "current"
    GONE = "gone"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, StrOrPromise]]:
        """Still there, or disconnected."""
        return [(self.CURRENT, _("Still connected")), (self.GONE, _("Disconnected (audit)"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> QuerySet[RefreshLog] | None:
        """Narrow ``queryset`` to rows whose connection exists, or is gone."""
        value = self.value()
        if value == self.CURRENT:
            return queryset.filter(connection__isnull=False)
        if value == self.GONE:
            return queryset.filter(connection__isnull=True)
        return None
