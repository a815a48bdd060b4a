"""The site's own Workfront connection: an Adobe IMS Server-to-Server credential's token.

One row per ``adobe_ims_s2s`` instance, shared by every process of the site: the token is
requested once and reused until it is due, instead of each process minting its own (Adobe
throttles integrations that mint too many).
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedTokenField
from .connection import Provider
from .lifetime import TokenLifetime

__all__ = ["ServiceConnection", "ServiceConnectionQuerySet"]


class ServiceConnectionQuerySet(models.QuerySet["ServiceConnection"]):
    """Queries on Server-to-Server connections."""

    def without_tokens(self) -> ServiceConnectionQuerySet:
        """Skip loading (and decrypting) the token: listings need none."""
        return self.defer("access_token")


class ServiceConnection(TokenLifetime, models.Model):
    """The token of one Server-to-Server instance, and the technical account it acts as."""

    instance = models.CharField(
        _("instance"),
        max_length=64,
        unique=True,
        help_text=_("Name of the adobe_ims_s2s instance (WORKFRONT_OAUTH_INSTANCES)."),
    )
    provider = models.CharField(
        _("provider"),
        max_length=32,
        choices=Provider.choices,
        default=Provider.ADOBE_IMS_S2S,
    )
    host = models.CharField(
        _("host"), max_length=255, help_text=_("Base URL of the Workfront instance.")
    )
    access_token = EncryptedTokenField(
        _("access token"), blank=True, default="", help_text=_("Encrypted at rest.")
    )
    token_type = models.CharField(_("token type"), max_length=32, blank=True)
    access_token_expires_at = models.DateTimeField(
        _("access token expires at"), null=True, blank=True
    )
    last_refreshed_at = models.DateTimeField(_("last renewed at"), null=True, blank=True)
    last_error = models.CharField(
        _("last error"), max_length=500, blank=True, help_text=_("What went wrong last.")
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    next_refresh_attempt_at = models.DateTimeField(
        _("next renewal attempt at"),
        null=True,
        blank=True,
        help_text=_("After a failure, no new token is requested before this time."),
    )
    workfront_user_id = models.CharField(
        _("Workfront user ID"),
        max_length=64,
        blank=True,
        help_text=_("The technical account's Workfront USER ID."),
    )
    workfront_user_name = models.CharField(_("Workfront user name"), max_length=255, blank=True)
    workfront_user_email = models.CharField(_("Workfront user email"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ServiceConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Server-to-Server connection")
        verbose_name_plural = _("Server-to-Server connections")
        ordering = ("instance",)

    def __str__(self) -> str:
        return f"{self.instance} @ {self.host or '?'} (Server-to-Server)"

    def __repr__(self) -> str:
        # Never the token: repr ends up in logs, shells and error reports.
        return f"<ServiceConnection pk={self.pk} instance={self.instance!r} host={self.host!r}>"

    def is_expired(self, now: datetime | None = None) -> bool:
        """True without a token, or when its expiry has passed (or is unknown)."""
        return not self.access_token or super().is_expired(now)
