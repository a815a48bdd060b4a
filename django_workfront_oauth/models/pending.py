"""Connect flows that have been started and not yet completed: the server side of ``state``."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedTokenField
from .connection import Provider

__all__ = ["PendingAuthorization", "PendingAuthorizationQuerySet"]


class PendingAuthorizationQuerySet(models.QuerySet["PendingAuthorization"]):
    """Queries on pending authorizations."""

    def expired(self, now: datetime | None = None) -> PendingAuthorizationQuerySet:
        """Those whose ``state`` may no longer be used."""
        return self.filter(expires_at__lte=now or timezone.now())


class PendingAuthorization(models.Model):
    """A connect flow that has been started and not yet completed: the server side of ``state``.

    Only a digest of ``state`` is stored, so the table is no use to someone who can read it. A row
    is consumed by deleting it; the delete that removes it is the one callback allowed to go on.
    """

    state_digest = models.CharField(_("state digest"), max_length=64, unique=True)
    session_digest = models.CharField(
        _("session digest"),
        max_length=64,
        help_text=_("Binds the flow to the browser session that started it."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    instance = models.CharField(_("instance"), max_length=64)
    provider = models.CharField(_("provider"), max_length=32, choices=Provider.choices)
    host = models.CharField(_("host"), max_length=255)
    redirect_uri = models.CharField(_("redirect URI"), max_length=2000)
    next_url = models.CharField(_("next URL"), max_length=2000, blank=True)
    code_verifier = EncryptedTokenField(_("PKCE code verifier"), blank=True, default="")
    nonce = EncryptedTokenField(
        _("OpenID Connect nonce"),
        blank=True,
        default="",
        help_text=_("Sent with the authorization request; the id_token must carry it back."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    objects = PendingAuthorizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("pending authorization")
        verbose_name_plural = _("pending authorizations")

    def __str__(self) -> str:
        return f"{self.user_id and self.user} → {self.host} ({self.instance})"

    def __repr__(self) -> str:
        return (
            f"<PendingAuthorization pk={self.pk} user_id={self.user_id} instance={self.instance!r}>"
        )
