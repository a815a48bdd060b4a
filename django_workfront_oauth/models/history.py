"""The refresh history of a connection, for site admins, kept in an audit form after it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

from .connection import WorkfrontConnection

__all__ = ["RefreshLog", "RefreshLogQuerySet", "retire_history"]

#: Who is behind the rows being recorded (a site admin's username; blank for automatic ones),
#: and whether a "reconnection required" is that person's decision rather than a refusal.
_ACTOR: ContextVar[tuple[str, bool]] = ContextVar(
    "workfront_oauth_history_actor", default=("", False)
)


class RefreshLogQuerySet(models.QuerySet["RefreshLog"]):
    """Queries on the refresh history."""

    def retired(self) -> RefreshLogQuerySet:
        """Rows of connections that no longer exist: the audit trail."""
        return self.filter(connection__isnull=True)

    def prune_retired(self, now: datetime | None = None) -> int:
        """Delete audit rows older than :data:`RefreshLog.AUDIT_RETENTION`; how many went."""
        cutoff = (now or timezone.now()) - RefreshLog.AUDIT_RETENTION
        return self.retired().filter(created_at__lt=cutoff).delete()[0]


class RefreshLog(models.Model):
    """One event in a connection's life, for site admins: a refresh attempt, or its end.

    Never a token. Each row also carries who and what it was about (the user, the instance,
    the host, the Workfront user), so that it still says so once the connection is gone: a
    disconnect detaches the rows instead of deleting them. The bounds: the newest
    :data:`HISTORY_PER_CONNECTION` rows a connection (the sweep trims live ones, a disconnect
    trims the leaving one), plus the row that says it was disconnected; rows of connections
    that are gone are deleted after :data:`AUDIT_RETENTION`.
    """

    #: How many attempts are kept per connection.
    HISTORY_PER_CONNECTION = 20
    #: How long rows of a connection that no longer exists are kept.
    AUDIT_RETENTION = timedelta(days=365)
    #: The outcome of the row that a disconnect writes (the refresh outcomes are the others).
    DISCONNECTED = "disconnected"

    class Event(models.TextChoices):
        """What happened, finer than the outcome: what a row says in words."""

        RENEWED = "renewed", _("Renewed")
        RENEWAL_FAILED = "renewal_failed", _("Renewal failed")
        RENEWAL_REFUSED = "renewal_refused", _("Renewal refused")
        NO_REFRESH_TOKEN = "no_refresh_token", _("No refresh token")
        RECONNECTION_REQUIRED = "reconnection_required", _("Reconnection required by an admin")
        DISCONNECTED = "disconnected", _("Disconnected")

    connection = models.ForeignKey(
        WorkfrontConnection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="refresh_log",
        verbose_name=_("connection"),
        help_text=_("Empty once the connection is gone; the row then stays as its audit trail."),
    )
    connection_ref = models.PositiveBigIntegerField(
        _("connection ID"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The connection's ID, kept after the connection is gone."),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=32)
    event = models.CharField(_("event"), max_length=32, choices=Event.choices, blank=True)
    actor = models.CharField(
        _("by"),
        max_length=150,
        blank=True,
        help_text=_("The person behind it (a site admin or the user); blank when automatic."),
    )
    retry_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        help_text=_("After a failed renewal: when the next one is tried."),
    )
    username = models.CharField(_("user"), max_length=150, blank=True)
    instance = models.CharField(_("instance"), max_length=64, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    workfront_user_id = models.CharField(_("Workfront user ID"), max_length=64, blank=True)
    workfront_user_name = models.CharField(_("Workfront user name"), max_length=255, blank=True)
    error_class = models.CharField(_("error class"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    objects = RefreshLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("refresh history entry")
        verbose_name_plural = _("refresh history")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        # In words, as the admin shows it above each row of a connection's history.
        label = self.get_event_display() if self.event else _OUTCOME_WORDS.get(self.outcome)
        when = format_date(timezone.localtime(self.created_at), "Y-m-d H:i:s T")
        return f"{label or self.outcome} — {when}" if self.created_at else str(label or "")

    @staticmethod
    @contextmanager
    def acting(actor: str, *, requiring: bool = False) -> Iterator[None]:
        """Rows recorded inside this block name ``actor`` (a site admin's username) as the cause.

        ``requiring``: a "reconnection required" recorded inside is ``actor``'s decision.
        """
        token = _ACTOR.set((actor, requiring))
        try:
            yield
        finally:
            _ACTOR.reset(token)

    @classmethod
    def record(
        cls,
        connection: WorkfrontConnection,
        outcome: str,
        error: BaseException | None = None,
        *,
        reason: str = "",
        event: str = "",
        actor: str | None = None,
    ) -> RefreshLog:
        """Add one row; ``error`` messages are ours and carry no secrets."""
        acting, requiring = _ACTOR.get()
        actor = acting if actor is None else actor
        return cls.objects.create(
            connection_id=connection.pk,
            connection_ref=connection.pk,
            outcome=outcome,
            event=event or _event_of(connection, outcome, requiring),
            actor=actor[:150],
            retry_at=connection.next_refresh_attempt_at if outcome == "failed" else None,
            **_identity(connection),
            error_class=type(error).__name__ if error is not None else "",
            error=(str(error) if error is not None else reason)[:500],
        )


#: What rows written before events were recorded read as.
_OUTCOME_WORDS = {
    "refreshed": RefreshLog.Event.RENEWED.label,
    "failed": RefreshLog.Event.RENEWAL_FAILED.label,
    "reauth_required": _("Reconnection required"),
    RefreshLog.DISCONNECTED: RefreshLog.Event.DISCONNECTED.label,
}


def _event_of(connection: WorkfrontConnection, outcome: str, requiring: bool) -> str:
    """The event an outcome of the refresh engine stands for."""
    if outcome == "refreshed":
        return RefreshLog.Event.RENEWED
    if outcome == "failed":
        return RefreshLog.Event.RENEWAL_FAILED
    if outcome == "reauth_required":
        if requiring:
            return RefreshLog.Event.RECONNECTION_REQUIRED
        # Without a refresh token there was nothing for Workfront to refuse.
        if connection.has_refresh_token:
            return RefreshLog.Event.RENEWAL_REFUSED
        return RefreshLog.Event.NO_REFRESH_TOKEN
    return ""


def _identity(connection: WorkfrontConnection) -> dict[str, Any]:
    """What a row keeps of its connection (no query: the user's name only when loaded)."""
    identity: dict[str, Any] = {
        "instance": connection.instance[:64],
        "host": connection.host[:255],
        "workfront_user_id": connection.workfront_user_id[:64],
        "workfront_user_name": connection.workfront_user_name[:255],
    }
    if WorkfrontConnection.user.is_cached(connection):
        identity["username"] = connection.user.get_username()[:150]
    return identity


def retire_history(sender: Any, instance: WorkfrontConnection, **kwargs: Any) -> None:
    """``pre_delete`` of a connection: keep its history, bounded, as its audit trail.

    Runs for every way a connection goes (a disconnect, the admin, its user's deletion): the
    newest :data:`~RefreshLog.HISTORY_PER_CONNECTION` rows (and a disconnect's own row) are kept
    and stamped with who and what they were about; the foreign key is then set to NULL by the
    deletion itself. Audit rows past :data:`~RefreshLog.AUDIT_RETENTION` are pruned by the
    sweep (``trim_refresh_log``), not at each deletion: a bulk disconnect would prune once a row.
    """
    rows = RefreshLog.objects.filter(connection_id=instance.pk)
    newest = list(
        rows.exclude(outcome=RefreshLog.DISCONNECTED).values_list("pk", flat=True)[
            : RefreshLog.HISTORY_PER_CONNECTION
        ]
    )
    rows.exclude(outcome=RefreshLog.DISCONNECTED).exclude(pk__in=newest).delete()
    identity = _identity(instance)
    identity.setdefault("username", _username(instance))
    rows.update(connection_ref=instance.pk, **identity)


def _username(connection: WorkfrontConnection) -> str:
    """The connection's user's login name, read without loading the user object."""
    model = get_user_model()
    names = model._default_manager.filter(pk=connection.user_id)
    return str(names.values_list(model.USERNAME_FIELD, flat=True).first() or "")[:150]
