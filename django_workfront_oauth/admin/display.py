"""What the admin shows of a connection: token states (never a token), outcomes, counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import TokenDecryptionError
from ..models import Provider, RefreshLog, WorkfrontConnection
from ..services import RefreshOutcome

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "HEALTH_DAYS",
    "OUTCOME_LABELS",
    "TOKEN_FIELDS",
    "ConnectionSummary",
    "HealthDay",
    "connection_health",
    "connection_summary",
    "format_timestamp",
    "is_token_lookup",
    "outcome_label",
    "timestamp_field",
    "token_state",
]

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
    RefreshLog.DISCONNECTED: _("Disconnected"),
}

#: How many days the health bar above the connection list covers, today included.
HEALTH_DAYS = 14


def format_timestamp(value: datetime | None) -> str | None:
    """A time as the admin shows it: to the second, in the site's current time zone, named.

    "2026-12-01 14:03:27 UTC": a demo token lives minutes, and a site admin may sit in another
    zone than the server. ``None`` stays ``None`` (the admin's empty value).
    """
    if value is None:
        return None
    return format_date(timezone.localtime(value), "Y-m-d H:i:s T")


def timestamp_field(name: str, description: StrOrPromise) -> Callable[[Any, Any], str]:
    """An admin column or read-only field showing the datetime ``name`` with seconds and zone."""

    @admin.display(description=description, ordering=name)
    def show(model_admin: Any, obj: Any) -> str:
        # A read-only field's page would print None as "None": the admin's "-" instead.
        shown = format_timestamp(getattr(obj, name))
        return shown if shown is not None else str(model_admin.get_empty_value_display())

    show.__name__ = f"{name}_display"
    return show


@dataclass(frozen=True)
class HealthDay:
    """One day of the health bar: the refresh history's outcomes that day."""

    day: date
    renewed: int = 0
    failed: int = 0
    reconnect: int = 0

    @property
    def total(self) -> int:
        """Every attempt of the day that the bar shows."""
        return self.renewed + self.failed + self.reconnect

    @property
    def label(self) -> str:
        """The day as the bar's axis shows it (``12-01``)."""
        return self.day.strftime("%m-%d")

    def steps(self, peak: int) -> tuple[int, int, int]:
        """The bar's three parts as heights in 5 % steps (0-20) of the busiest day's ``peak``.

        Steps, not free heights: the template names them as CSS classes, so the bar needs no
        inline style (which a strict Content-Security-Policy refuses).
        """
        if peak <= 0:
            return (0, 0, 0)
        return (
            _step(self.renewed, peak),
            _step(self.failed, peak),
            _step(self.reconnect, peak),
        )


def _step(count: int, peak: int) -> int:
    """``count`` as a share of ``peak`` in twentieths, at least one for a non-zero count."""
    return max(1, round(20 * count / peak)) if count else 0


#: Which outcomes the health bar counts, and as what.
_HEALTH_OUTCOMES = {
    RefreshOutcome.REFRESHED.value: "renewed",
    RefreshOutcome.FAILED.value: "failed",
    RefreshOutcome.REAUTH_REQUIRED.value: "reconnect",
}


def connection_health(days: int = HEALTH_DAYS, now: datetime | None = None) -> list[HealthDay]:
    """Renewals succeeded, failed and ending in "reconnect" per day, oldest first; one query.

    Days are the site's current time zone's; rows of connections since disconnected count
    too (they happened). A day without attempts is there with zeros.
    """
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    rows = (
        RefreshLog.objects.filter(created_at__gte=start, outcome__in=list(_HEALTH_OUTCOMES))
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .order_by()
        .values("day", "outcome")
        .annotate(count=Count("pk"))
    )
    counts: dict[date, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["day"], {})[_HEALTH_OUTCOMES[row["outcome"]]] = row["count"]
    return [
        HealthDay(
            day=first + timedelta(days=offset), **counts.get(first + timedelta(days=offset), {})
        )
        for offset in range(days)
    ]


def outcome_label(outcome: str) -> str:
    """An outcome value in words (the value itself when it has no label)."""
    label = OUTCOME_LABELS.get(outcome)
    return str(label) if label is not None else outcome


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


def is_token_lookup(lookup: str) -> bool:
    """True for a lookup that reaches a token column (``access_token__regex``, …).

    Such a lookup answers questions about the ciphertext (its length, its characters) to
    anyone who may view the list; the admin refuses it.
    """
    parts = lookup.split("__")
    return any(part in TOKEN_FIELDS for part in parts)


def token_state(connection: models.Model, field_name: str) -> str:
    """Whether a token is stored: "set", "not set" or "cannot be decrypted"; never the token.

    For any model with encrypted token columns: a user's connection or the site's own.
    """
    stored = (
        type(connection)
        ._default_manager.filter(pk=connection.pk)
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
