"""The connection between a Django user and a Workfront account."""

from __future__ import annotations

import hashlib
import warnings
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..conf import (
    DEFAULT_INSTANCE,
    PROVIDER_ADOBE_IMS,
    PROVIDER_ADOBE_IMS_S2S,
    PROVIDER_WORKFRONT,
)
from ..fields import EncryptedTokenField
from .lifetime import TokenLifetime

if TYPE_CHECKING:
    from ..client import WorkfrontClient

__all__ = ["Provider", "WorkfrontConnection", "WorkfrontConnectionQuerySet", "digest"]


def digest(value: str) -> str:
    """A SHA-256 hex digest: what we store of single-use secrets such as ``state``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Provider(models.TextChoices):
    """The authorization server that issued a connection's tokens."""

    WORKFRONT = PROVIDER_WORKFRONT, _("Workfront (legacy OAuth2 app)")
    ADOBE_IMS = PROVIDER_ADOBE_IMS, _("Adobe IMS (Developer Console)")
    ADOBE_IMS_S2S = PROVIDER_ADOBE_IMS_S2S, _("Adobe IMS Server-to-Server (Developer Console)")


class WorkfrontConnectionQuerySet(models.QuerySet["WorkfrontConnection"]):
    """Queries on connections."""

    def active(self) -> WorkfrontConnectionQuerySet:
        """Connections whose tokens are believed to work."""
        return self.filter(status=WorkfrontConnection.Status.ACTIVE)

    def without_tokens(self) -> WorkfrontConnectionQuerySet:
        """Skip loading (and decrypting) the token columns: listings need no tokens.

        Whether a refresh token is stored is still known (``refresh_token_set``): empty tokens
        are stored unencrypted as ``''``.
        """
        return self.defer("access_token", "refresh_token").annotate(
            refresh_token_set=models.ExpressionWrapper(
                ~models.Q(refresh_token=""), output_field=models.BooleanField()
            )
        )


class WorkfrontConnection(TokenLifetime, models.Model):
    """One Django user's OAuth connection to one Workfront instance."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REAUTH_REQUIRED = "reauth_required", _("Reconnection required")

    class ReauthReason(models.TextChoices):
        """Why a connection needs its user again (what the pages tell), beside ``last_error``."""

        NONE = "", _("(none)")
        ADMIN_REQUIRED = "admin_required", _("Required by a site admin")
        RENEWAL_REFUSED = "renewal_refused", _("The renewal was refused")
        NO_REFRESH_TOKEN = "no_refresh_token", _("No refresh token to renew with")
        PROVIDER_CHANGED = "provider_changed", _("The instance moved to another sign-in")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="workfront_connections",
        verbose_name=_("user"),
    )
    instance = models.CharField(
        _("instance"),
        max_length=64,
        default=DEFAULT_INSTANCE,
        help_text=_("Name of the configured Workfront instance (WORKFRONT_OAUTH_INSTANCES)."),
    )
    provider = models.CharField(
        _("provider"),
        max_length=32,
        choices=Provider.choices,
        default=Provider.ADOBE_IMS,
        help_text=_("The authorization server that issued the tokens."),
    )
    host = models.CharField(
        _("host"),
        max_length=255,
        help_text=_("Base URL of the Workfront instance, scheme included."),
    )
    redirect_uri = models.CharField(
        _("redirect URI"),
        max_length=2000,
        blank=True,
        help_text=_("The callback URL the connection was made with; form-style refreshes send it."),
    )
    domain = models.CharField(_("domain"), max_length=100, blank=True)
    lane = models.CharField(_("lane"), max_length=50, blank=True)
    workfront_user_id = models.CharField(
        _("Workfront user ID"), max_length=64, help_text=_("The ID of the Workfront USER object.")
    )
    workfront_user_name = models.CharField(_("Workfront user name"), max_length=255, blank=True)
    workfront_user_email = models.CharField(_("Workfront user email"), max_length=254, blank=True)
    ims_user_id = models.CharField(
        _("Adobe IMS user ID"),
        max_length=255,
        blank=True,
        help_text=_("The IMS subject (sub) of an Adobe IMS connection; blank for legacy ones."),
    )
    access_token = EncryptedTokenField(
        _("access token"), blank=True, default="", help_text=_("Encrypted at rest.")
    )
    refresh_token = EncryptedTokenField(
        _("refresh token"), blank=True, default="", help_text=_("Encrypted at rest.")
    )
    token_type = models.CharField(_("token type"), max_length=32, blank=True)
    wid = models.CharField(
        _("wid"),
        max_length=128,
        blank=True,
        help_text=_("Undocumented value of Workfront's token response, kept as received."),
    )
    access_token_expires_at = models.DateTimeField(_("access token expires at"), null=True)
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    reauth_reason = models.CharField(
        _("reconnection reason"),
        max_length=32,
        blank=True,
        default="",
        choices=ReauthReason.choices,
        help_text=_("Why the user must connect again, when they must."),
    )
    last_refreshed_at = models.DateTimeField(_("last refreshed at"), null=True, blank=True)
    last_error = models.CharField(
        _("last error"),
        max_length=500,
        blank=True,
        help_text=_("What went wrong last, without secrets."),
    )
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failures"),
        default=0,
        help_text=_("Transient refresh failures since the last success."),
    )
    next_refresh_attempt_at = models.DateTimeField(
        _("next refresh attempt at"),
        null=True,
        blank=True,
        help_text=_("After a transient failure, no refresh is tried before this time."),
    )
    moved_to_adobe_at = models.DateTimeField(
        _("moved to Adobe sign-in at"),
        null=True,
        blank=True,
        help_text=_("When this connection replaced a legacy Workfront sign-in with Adobe IMS."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WorkfrontConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Workfront connection")
        verbose_name_plural = _("Workfront connections")
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("user", "instance"), name="workfront_oauth_one_connection_per_instance"
            )
        ]
        indexes = [
            models.Index(
                fields=("status", "access_token_expires_at"), name="workfront_oauth_due_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id and self.user} @ {self.host or '?'} ({self.instance})"

    def __repr__(self) -> str:
        # Never the tokens: repr ends up in logs, shells and error reports.
        return (
            f"<WorkfrontConnection pk={self.pk} user_id={self.user_id} instance={self.instance!r} "
            f"host={self.host!r} status={self.status!r}>"
        )

    @property
    def has_refresh_token(self) -> bool:
        """Whether a refresh token is stored (asked of the annotation when tokens are deferred)."""
        annotated = self.__dict__.get("refresh_token_set")
        if annotated is not None:
            return bool(annotated)
        if "refresh_token" in self.get_deferred_fields():
            # Ask the database rather than load (and decrypt) the token: empty ones are ''.
            manager = type(self)._default_manager
            return manager.filter(pk=self.pk).exclude(refresh_token="").exists()
        return bool(self.refresh_token)

    @property
    def is_legacy(self) -> bool:
        """True for connections made with Workfront's legacy OAuth2 apps (ending 2027-02-01)."""
        return self.provider == Provider.WORKFRONT

    @property
    def needs_reauthorization(self) -> bool:
        """True when only the user can bring this connection back, by connecting again."""
        return self.status == self.Status.REAUTH_REQUIRED

    def client(self) -> WorkfrontClient:
        """Deprecated: use :class:`~django_workfront_oauth.client.WorkfrontClient` (connection).

        Kept so that existing callers work; the model layer otherwise knows nothing of the
        client above it (the layers contract lists this one import as the exception).
        """
        warnings.warn(
            "WorkfrontConnection.client() is deprecated; use "
            "django_workfront_oauth.client.WorkfrontClient(connection).",
            DeprecationWarning,
            stacklevel=2,
        )
        from ..client import WorkfrontClient

        return WorkfrontClient(self)
