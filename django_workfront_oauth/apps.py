"""The app's configuration."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkfrontOAuthConfig(AppConfig):
    """Registers the system checks, where database instances are found, the audit receiver."""

    name = "django_workfront_oauth"
    verbose_name = _("Workfront OAuth")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import checks  # noqa: F401 - registers the checks
        from .models import WorkfrontConnection
        from .models.history import retire_history

        # However a connection goes, its refresh history stays as its audit trail.
        pre_delete.connect(
            retire_history, sender=WorkfrontConnection, dispatch_uid="workfront_oauth_audit"
        )
        from .services import instances

        instances.install()
