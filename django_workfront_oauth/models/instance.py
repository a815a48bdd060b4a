"""Workfront instances kept in the database, for sites that add customers while they run.

A row holds what a ``WORKFRONT_OAUTH_INSTANCES`` entry holds, one field a key; a blank field
(``NULL`` for numbers, durations and PKCE) keeps the app's default, as a key an entry omits does.
The client secret is encrypted like the tokens. Rows share the settings' namespace: the settings
win, so a row whose name the settings use is refused when validated and ignored if it exists.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.checks import CheckMessage
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import Signal, receiver
from django.utils.translation import gettext_lazy as _

from ..conf import DEFAULT_INSTANCE, INSTANCE_DEFAULTS, StoredInstance, app_settings
from ..constants import TOKEN_AUTH_METHODS
from ..fields import EncryptedTokenField
from ..redact import scrubbed_traceback
from .connection import Provider, WorkfrontConnection
from .service import ServiceConnection

__all__ = [
    "InstanceInUse",
    "WorkfrontInstance",
    "WorkfrontInstanceQuerySet",
    "describe_check_message",
    "refuse_if_used",
]

INSTANCE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_BLANK_IS_DEFAULT = _("Blank: the app's default.")


#: Sent when rows change without ``post_save``/``post_delete`` (update, bulk_create,
#: bulk_update); :mod:`~django_workfront_oauth.services.instances` tells every process.
instances_changed = Signal()


class InstanceInUse(models.ProtectedError):
    """A ``WorkfrontInstance`` that connections still use cannot be deleted."""


class WorkfrontInstanceQuerySet(models.QuerySet["WorkfrontInstance"]):
    """Queries on database instances."""

    def active(self) -> WorkfrontInstanceQuerySet:
        """Those a site admin has not deactivated."""
        return self.filter(is_active=True)

    def delete(self) -> tuple[int, dict[str, int]]:
        """Refused (:class:`InstanceInUse`) while connections use any of the rows."""
        # Before the delete's own atomic block: raised inside it (by the pre_delete receiver
        # alone), the error would leave the caller's transaction unusable.
        refuse_if_used(list(self.values_list("name", flat=True)))
        return super().delete()

    # Writes that send no post_save still tell every process (services.instances listens).
    def update(self, **kwargs: Any) -> int:
        """``QuerySet.update()``, then every process is told that instances changed."""
        rows = super().update(**kwargs)
        instances_changed.send(sender=WorkfrontInstance)
        return rows

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[WorkfrontInstance]:
        """``QuerySet.bulk_create()``, then every process is told that instances changed."""
        created = super().bulk_create(*args, **kwargs)
        instances_changed.send(sender=WorkfrontInstance)
        return created

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        """``QuerySet.bulk_update()``, then every process is told that instances changed."""
        rows = super().bulk_update(*args, **kwargs)
        instances_changed.send(sender=WorkfrontInstance)
        return rows


class WorkfrontInstance(models.Model):
    """One Workfront instance (a customer's) configured at run time instead of in the settings."""

    name = models.CharField(
        _("name"),
        max_length=64,
        unique=True,
        validators=[RegexValidator(INSTANCE_NAME, _("Use 1 to 64 letters, digits, '-' or '_'."))],
        help_text=_(
            "What connections, the connect button (instance=…) and service_client() call it; "
            "it cannot change once connections use it."
        ),
    )
    provider = models.CharField(
        _("provider"), max_length=32, choices=Provider.choices, default=Provider.ADOBE_IMS
    )
    host = models.CharField(
        _("host"), max_length=255, help_text=_("Base URL, such as https://acme.my.workfront.com.")
    )
    client_id = models.CharField(_("client ID"), max_length=255)
    client_secret = EncryptedTokenField(
        _("client secret"), blank=True, default="", help_text=_("Encrypted at rest.")
    )
    ims_org_id = models.CharField(
        _("IMS organization ID"),
        max_length=255,
        blank=True,
        help_text=_("…@AdobeOrg, from Adobe Developer Console (adobe_ims, adobe_ims_s2s)."),
    )
    scopes = models.CharField(
        _("scopes"),
        max_length=1000,
        blank=True,
        help_text=_("Comma- or space-separated. Blank: the provider's own."),
    )
    domain = models.CharField(
        _("domain"), max_length=100, blank=True, help_text=_("Blank: derived from the host.")
    )
    lane = models.CharField(
        _("lane"), max_length=50, blank=True, help_text=_("Blank: derived from the host.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Off: no new connections and no refreshes; existing connections are kept, paused."
        ),
    )
    ims_host = models.CharField(
        _("IMS host"), max_length=255, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    redirect_uri = models.CharField(
        _("redirect URI"),
        max_length=2000,
        blank=True,
        help_text=_("The callback URL registered with the credential. Blank: built per request."),
    )
    token_auth_method = models.CharField(
        _("token auth method"),
        max_length=32,
        blank=True,
        choices=[(method, method) for method in TOKEN_AUTH_METHODS],
        help_text=_BLANK_IS_DEFAULT,
    )
    use_pkce = models.BooleanField(
        _("use PKCE"), null=True, blank=True, help_text=_("Unknown: the provider's default.")
    )
    api_version = models.CharField(
        _("API version"), max_length=16, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    access_token_lifetime = models.DurationField(
        _("access token lifetime"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    refresh_margin = models.DurationField(
        _("refresh margin"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    http_timeout = models.DurationField(
        _("HTTP timeout"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    http_deadline = models.DurationField(
        _("HTTP deadline"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    http_max_response_size = models.PositiveIntegerField(
        _("largest response (bytes)"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    max_concurrent_requests = models.PositiveIntegerField(
        _("most concurrent requests"), null=True, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    success_url = models.CharField(
        _("success URL"), max_length=2000, blank=True, help_text=_BLANK_IS_DEFAULT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WorkfrontInstanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("Workfront instance")
        verbose_name_plural = _("Workfront instances")
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.host or '?'})"

    def __repr__(self) -> str:
        # Never the client secret.
        return f"<WorkfrontInstance {self.name!r} {self.provider} {self.host!r}>"

    def settings_values(self, *, client_secret: str | None = None) -> dict[str, Any]:
        """The row as an ``INSTANCES`` entry would give it: defaults for what is blank.

        ``client_secret`` stands in for the stored one (which is then not read): ``""`` for a
        row whose secret cannot be decrypted.
        """
        values = dict(INSTANCE_DEFAULTS)
        for key in INSTANCE_DEFAULTS:
            if key == "CLIENT_SECRET" and client_secret is not None:
                value: Any = client_secret
            else:
                value = getattr(self, key.lower())
            if value is not None and value != "":
                values[key] = value
        return values

    def as_stored(self, *, client_secret: str | None = None) -> StoredInstance:
        """What :data:`~django_workfront_oauth.conf.app_settings` finds for this name."""
        return StoredInstance(
            raw=self.settings_values(client_secret=client_secret), is_active=self.is_active
        )

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Refused (:class:`InstanceInUse`) while connections use the instance."""
        refuse_if_used([self.name])
        return super().delete(*args, **kwargs)

    def connection_count(self) -> int:
        """The connections (users' and the site's own) that use this instance."""
        return (
            WorkfrontConnection.objects.filter(instance=self.name).count()
            + ServiceConnection.objects.filter(instance=self.name).count()
        )

    def clean_fields(self, exclude: Any = None) -> None:
        """The fields one by one, and the name against the settings' namespace."""
        super().clean_fields(exclude=exclude)
        if exclude and "name" in exclude:
            return
        if self.name == DEFAULT_INSTANCE or app_settings.is_settings_instance(self.name):
            raise ValidationError(
                {
                    "name": _(
                        "The settings already define an instance called %(name)s; choose "
                        "another name."
                    )
                    % {"name": repr(self.name)}
                }
            )

    def clean(self) -> None:
        """The rules the system checks apply to a settings instance, with the same messages."""
        errors: dict[str, list[str]] = {}
        for message in self.check_messages():
            if not message.is_serious():
                continue
            field = _FIELD_OF_CHECK.get(str(message.id).rsplit(".", 1)[-1], NON_FIELD_ERRORS)
            if field in _REQUIRED_FIELDS and not getattr(self, field):
                continue  # the field's own "This field is required." says it already
            errors.setdefault(field, []).append(describe_check_message(message))
        if errors:
            raise ValidationError(errors)

    @scrubbed_traceback  # the rules see CLIENT_SECRET: no frame below is for error reports
    def check_messages(self) -> list[CheckMessage]:
        """What the system checks would say of this row if it were a settings instance."""
        # The checks sit above the models (they read them); the rules are theirs, so they are
        # looked up when a row is validated rather than copied here.
        from ..checks.instances import check_instance

        return check_instance(self.name, self.settings_values())


#: Fields the form requires itself (not blank=True): their "not set" checks would repeat it.
_REQUIRED_FIELDS = ("host", "client_id")

#: The field a check message is about, by check id.
_FIELD_OF_CHECK = {
    "E001": "host",
    "E002": "client_id",
    "E003": "client_secret",
    "E004": "host",
    "E005": "host",
    "E007": "redirect_uri",
    "E008": "token_auth_method",
    "E012": "provider",
    "E014": "provider",
    "E015": "ims_org_id",
    "E016": "ims_host",
}


def describe_check_message(message: CheckMessage) -> str:
    """A check message as one sentence for a form: the message, then its hint."""
    text = str(message.msg)
    text = text[:1].upper() + text[1:]
    return f"{text} {message.hint}" if message.hint else text


#: How many of the connections that protect an instance an ``InstanceInUse`` carries.
PROTECTED_SHOWN = 100


def refuse_if_used(names: list[str]) -> None:
    """Raise :class:`InstanceInUse` when connections (users' or the site's own) use ``names``."""
    users = WorkfrontConnection.objects.without_tokens().filter(instance__in=names)
    service = ServiceConnection.objects.without_tokens().filter(instance__in=names)
    if not users.exists() and not service.exists():
        return
    # Enough to say which, not every row of a big customer.
    protected: set[Any] = set(users[:PROTECTED_SHOWN]) | set(service[:PROTECTED_SHOWN])
    used = sorted({str(connection.instance) for connection in protected})
    raise InstanceInUse(
        f"The Workfront instance {', '.join(map(repr, used))} still has connections; "
        "disconnect them first, or deactivate the instance instead.",
        protected,
    )


@receiver(pre_delete, sender=WorkfrontInstance, dispatch_uid="workfront_instance_in_use")
def _refuse_deleting_used_instance(sender: Any, instance: WorkfrontInstance, **kwargs: Any) -> None:
    # The safety net under delete(): whatever deletes a row (a cascade, a custom collector),
    # it is refused too.
    refuse_if_used([instance.name])
