"""What the admin shows of a connection: token states (never a token), outcomes, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .. import services
from ..exceptions import TokenDecryptionError
from ..models import Provider, WorkfrontConnection
from ..services import RefreshOutcome

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "OUTCOME_LABELS",
    "TOKEN_FIELDS",
    "ConnectionSummary",
    "connection_summary",
    "is_token_lookup",
    "outcome_label",
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
}


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
