"""The refresh history of a connection, for site admins."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .connection import WorkfrontConnection

__all__ = ["RefreshLog"]


class RefreshLog(models.Model):
    """One attempt to refresh a connection's tokens, for site admins: when, outcome, error.

    Never a token. Old rows are trimmed by the refresh sweep (:data:`HISTORY_PER_CONNECTION`).
    """

    #: How many attempts are kept per connection.
    HISTORY_PER_CONNECTION = 20

    connection = models.ForeignKey(
        WorkfrontConnection,
        on_delete=models.CASCADE,
        related_name="refresh_log",
        verbose_name=_("connection"),
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=32)
    error_class = models.CharField(_("error class"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("refresh attempt")
        verbose_name_plural = _("refresh attempts")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.outcome} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(
        cls,
        connection: WorkfrontConnection,
        outcome: str,
        error: BaseException | None = None,
        *,
        reason: str = "",
    ) -> None:
        """Add one attempt; ``error`` messages are ours and carry no secrets."""
        cls.objects.create(
            connection_id=connection.pk,
            outcome=outcome,
            error_class=type(error).__name__ if error is not None else "",
            error=(str(error) if error is not None else reason)[:500],
        )
