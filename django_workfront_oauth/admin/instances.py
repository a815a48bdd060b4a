"""Instances in the database: site admins add, edit and deactivate customers' instances.

The client secret is write-only: a "set / replace" field that is never filled in, never shown
back and named (not valued) in the change history. The list says, per instance, how many
connections use it, how many need their user again and how many are still on the legacy sign-in,
from one query. A row that connections use cannot be deleted, only deactivated.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters

from ..conf import PROVIDER_WORKFRONT
from ..exceptions import TokenDecryptionError
from ..models import ServiceConnection, WorkfrontConnection, WorkfrontInstance
from ..models.instance import describe_check_message
from ..services.instance_check import InstanceCheck, check_instance
from ..services.instances import cache_is_shared

__all__ = ["WorkfrontInstanceAdmin", "WorkfrontInstanceForm", "run_checks"]


#: The fields a site rarely sets: blank keeps the app's default.
INSTANCE_DEFAULT_FIELDS = (
    "domain",
    "lane",
    "ims_host",
    "token_auth_method",
    "use_pkce",
    "api_version",
    "access_token_lifetime",
    "refresh_margin",
    "http_timeout",
    "http_deadline",
    "http_max_response_size",
    "max_concurrent_requests",
    "success_url",
)


class WriteOnlySecretField(forms.CharField):
    """A password box that is never filled in; blank keeps the secret that is stored."""

    widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})

    def has_changed(self, initial: Any, data: Any) -> bool:
        # Only a typed value changes the secret; the stored one is never the form's initial.
        return bool(data)


class WorkfrontInstanceForm(forms.ModelForm):  # type: ignore[type-arg]
    """The row's fields, with the client secret write-only."""

    client_secret = WriteOnlySecretField(
        label=_("Client secret"),
        required=False,
        strip=True,
        help_text=_(
            "Set or replace: type the secret from the credential (or the legacy app). Leave "
            "blank to keep the current one; it is stored encrypted and never shown."
        ),
    )

    class Meta:
        model = WorkfrontInstance
        # The secret is this form's own field: the model's is never read into the form (not even
        # as an initial value), so a row whose secret no longer decrypts can still be repaired.
        exclude = ("client_secret",)  # noqa: DJ006 - with fields: the one the form replaces
        fields = (
            "name",
            "provider",
            "host",
            "is_active",
            "client_id",
            "ims_org_id",
            "scopes",
            "redirect_uri",
            *INSTANCE_DEFAULT_FIELDS,
        )

    def clean(self) -> dict[str, Any]:
        """A typed secret replaces the stored one; none keeps it, if it can still be read."""
        cleaned = super().clean() or {}
        typed = str(cleaned.get("client_secret") or "")
        if typed:
            self.instance.client_secret = typed
        elif self.instance.pk:
            try:
                self.instance.client_secret  # noqa: B018 - loads (decrypts) the stored one
            except TokenDecryptionError:
                self.instance.client_secret = ""
                self.add_error(
                    "client_secret",
                    _(
                        "The stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY; type "
                        "it again."
                    ),
                )
        return cleaned


def run_checks(rows: QuerySet[WorkfrontInstance]) -> list[InstanceCheck]:
    """``manage.py workfront_check`` on each row: what each found."""
    return [check_instance(row.name) for row in rows]


def _count_of(condition: Q, model: Any = WorkfrontConnection) -> Coalesce:
    counted = (
        model.objects.filter(condition, instance=OuterRef("name"))
        .order_by()
        .values("instance")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@admin.register(WorkfrontInstance)
class WorkfrontInstanceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Add, edit, deactivate and check database instances; delete only unused ones."""

    form = WorkfrontInstanceForm
    list_display = (
        "name",
        "provider",
        "host",
        "is_active",
        "connections",
        "needing_user",
        "on_legacy",
    )
    list_filter = ("provider", "is_active")
    search_fields = ("name", "host", "ims_org_id")
    actions = ("check_selected", "deactivate", "activate")
    fieldsets = (
        (None, {"fields": ("name", "provider", "host", "is_active")}),
        (
            _("Credential"),
            {
                "fields": ("client_id", "client_secret", "ims_org_id", "scopes", "redirect_uri"),
                "description": _(
                    "From the customer's Adobe Developer Console credential (adobe_ims, "
                    "adobe_ims_s2s) or their legacy Workfront OAuth2 app."
                ),
            },
        ),
        (
            _("Defaults you may override"),
            {
                "classes": ("collapse",),
                "fields": INSTANCE_DEFAULT_FIELDS,
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkfrontInstance]:
        needing_user = Q(status=WorkfrontConnection.Status.REAUTH_REQUIRED)
        rows: QuerySet[WorkfrontInstance] = super().get_queryset(request)
        return rows.defer("client_secret").annotate(
            # The site's own connection counts too: it protects the row from deletion as well.
            connection_total=_count_of(Q()) + _count_of(Q(), ServiceConnection),
            needing_user_total=_count_of(needing_user),
            legacy_total=_count_of(Q(provider=PROVIDER_WORKFRONT)),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Connections find their instance by name: renaming would orphan them.
        if obj is not None and obj.connection_count():
            return ("name",)
        return ()

    @method_decorator(sensitive_post_parameters("client_secret"))
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Add and change pages; the typed secret is hidden from error reports."""
        return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The list; says so when changes cannot reach other processes through the cache."""
        if not cache_is_shared() and WorkfrontInstance.objects.exists():
            self.message_user(
                request,
                _(
                    "WORKFRONT_OAUTH_INSTANCE_CACHE is a cache of one process, so each use of a "
                    "database instance reads its row (check W010). Point it at a shared cache."
                ),
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # What the checks only warn about is still worth saying when saving.
        for message in obj.check_messages():
            if not message.is_serious():
                self.message_user(request, describe_check_message(message), messages.WARNING)

    # -- deletion: only of unused rows ---------------------------------------------------------

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Django's confirmation; the connections of an instance are listed as protecting it."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        names = [obj.name for obj in objs]
        in_use = [
            *WorkfrontConnection.objects.without_tokens().filter(instance__in=names)[:100],
            # The site's own (Server-to-Server) connection protects its instance too.
            *ServiceConnection.objects.without_tokens().filter(instance__in=names)[:100],
        ]
        protected = list(protected) + [
            _("%(connection)s (uses the instance %(instance)s)")
            % {"connection": connection, "instance": connection.instance}
            for connection in in_use
        ]
        return deleted, counts, perms_needed, protected

    # -- the columns ---------------------------------------------------------------------------

    @admin.display(description=_("connections"), ordering="connection_total")
    def connections(self, obj: Any) -> int:
        return int(obj.connection_total)

    @admin.display(description=_("need their user"), ordering="needing_user_total")
    def needing_user(self, obj: Any) -> int:
        return int(obj.needing_user_total)

    @admin.display(description=_("on the legacy sign-in"), ordering="legacy_total")
    def on_legacy(self, obj: Any) -> int:
        return int(obj.legacy_total)

    # -- actions -------------------------------------------------------------------------------

    @admin.action(description=_("Run workfront_check on the selected instances"))
    def check_selected(self, request: HttpRequest, queryset: QuerySet[WorkfrontInstance]) -> None:
        for result in run_checks(queryset):
            text = " ".join(result.lines)
            if result.ok:
                self.message_user(request, f"{result.instance}: OK. {text}", messages.SUCCESS)
            else:
                self.message_user(
                    request, f"{result.instance}: {result.problem} {text}", messages.ERROR
                )

    @admin.action(description=_("Deactivate: no new connections, refreshes paused"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[WorkfrontInstance]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description=_("Activate: connections and refreshes resume"))
    def activate(self, request: HttpRequest, queryset: QuerySet[WorkfrontInstance]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[WorkfrontInstance], *, active: bool
    ) -> None:
        changed = 0
        for row in queryset.filter(is_active=not active):
            row.is_active = active
            # save(), not update(): the signals tell every process and reset the backoff.
            row.save(update_fields=["is_active", "updated_at"])
            self.log_change(request, row, "Activated." if active else "Deactivated.")
            changed += 1
        if active:
            text = ngettext(
                "%(count)d instance activated.", "%(count)d instances activated.", changed
            )
        else:
            text = ngettext(
                "%(count)d instance deactivated.", "%(count)d instances deactivated.", changed
            )
        self.message_user(request, text % {"count": changed}, messages.SUCCESS)
