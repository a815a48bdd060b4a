"""The app's configuration."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkfrontOAuthConfig(AppConfig):
    """Registers the system checks; nothing else happens at start-up."""

    name = "django_workfront_oauth"
    verbose_name = _("Workfront OAuth")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
