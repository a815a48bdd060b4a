"""Checks of the site around the app: the encryption key, sessions and auth, Celery beat, and
(with ``--database``) connections left on the old default provider."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, router

from ..conf import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT, app_settings
from ..constants import LEGACY_SHUTDOWN
from .common import ID, setting_name

__all__ = [
    "REFRESH_TASK",
    "check_beat_schedule",
    "check_dependencies",
    "check_encryption_key",
    "check_legacy_connections_after_default_change",
]


@register(Tags.security)
def check_encryption_key(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``FIELD_ENCRYPTION_KEY`` must hold usable Fernet keys."""
    from cryptography.fernet import Fernet

    configured = getattr(settings, "FIELD_ENCRYPTION_KEY", None)
    keys = configured if isinstance(configured, (list, tuple)) else [configured]
    problem = ""
    if configured is None or configured == "" or not keys:
        problem = "FIELD_ENCRYPTION_KEY is not set: tokens cannot be encrypted."
    else:
        for key in keys:
            try:
                Fernet(key)
            except (TypeError, ValueError):
                problem = "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key."
                break
    if not problem:
        return []
    return [
        Error(
            problem,
            hint='Generate a key with `python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"` and keep it out of the repository; for '
            "rotation use a list with the new key first.",
            id=ID("E006"),
        )
    ]


@register()
def check_dependencies(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The flow needs sessions (for ``state``) and authentication (to know whose connection)."""
    errors: list[CheckMessage] = []
    middleware = list(getattr(settings, "MIDDLEWARE", []) or [])
    if not apps.is_installed("django.contrib.sessions") or not any(
        "SessionMiddleware" in entry for entry in middleware
    ):
        errors.append(
            Error(
                "django_workfront_oauth needs sessions to bind the OAuth state to the browser.",
                hint="Add 'django.contrib.sessions' to INSTALLED_APPS and "
                "'django.contrib.sessions.middleware.SessionMiddleware' to MIDDLEWARE.",
                id=ID("E009"),
            )
        )
    if not apps.is_installed("django.contrib.auth") or not any(
        "AuthenticationMiddleware" in entry for entry in middleware
    ):
        errors.append(
            Error(
                "django_workfront_oauth needs authentication: a connection belongs to a user.",
                hint="Add 'django.contrib.auth' to INSTALLED_APPS and "
                "'django.contrib.auth.middleware.AuthenticationMiddleware' to MIDDLEWARE.",
                id=ID("E010"),
            )
        )
    return errors


REFRESH_TASK = "django_workfront_oauth.tasks.refresh_due_connections"


@register()
def check_beat_schedule(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """With Celery configured, some beat entry must run the refresh sweep."""
    celery_configured = any(
        getattr(settings, name, None) for name in ("CELERY_BROKER_URL", "CELERY_BEAT_SCHEDULE")
    )
    if not celery_configured:
        return []
    schedule = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    entries = schedule.values() if isinstance(schedule, Mapping) else []
    if any(isinstance(entry, Mapping) and entry.get("task") == REFRESH_TASK for entry in entries):
        return []
    return [
        Warning(
            "Celery is configured but no CELERY_BEAT_SCHEDULE entry runs the Workfront token "
            "refresh: tokens will expire unless something else calls it.",
            hint='Add {"workfront-oauth-refresh": {"task": '
            f'"{REFRESH_TASK}", "schedule": 300}}}} to CELERY_BEAT_SCHEDULE, or run '
            "`manage.py workfront_refresh` from cron (then silence this check).",
            id=ID("W003"),
        )
    ]


@register(Tags.database)
def check_legacy_connections_after_default_change(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Legacy connections on an instance that now takes the new default provider.

    A database check: it runs with ``check --database default`` (and ``migrate``), where the
    table may not exist yet.
    """
    from ..models import WorkfrontConnection

    database = router.db_for_read(WorkfrontConnection)
    if database not in (kwargs.get("databases") or ()):
        return []
    messages: list[CheckMessage] = []
    for name in app_settings.instance_names():
        raw = app_settings.raw_instance(name)
        if app_settings.provider_is_explicit(name) or raw["PROVIDER"] != PROVIDER_ADOBE_IMS:
            continue
        try:
            legacy = (
                WorkfrontConnection.objects.using(database)
                .filter(instance=name, provider=PROVIDER_WORKFRONT)
                .count()
            )
        except DatabaseError:
            return []  # not migrated yet: nothing to say
        if legacy:
            messages.append(
                Warning(
                    f"The instance {name!r} has {legacy} legacy Workfront connection(s), but "
                    f"{setting_name(name, 'PROVIDER')} is not set and now defaults to "
                    "'adobe_ims': users who connect again sign in through Adobe IMS.",
                    hint=f"If that is your plan, set {setting_name(name, 'PROVIDER')} = "
                    "'adobe_ims' to say so; to stay on the legacy app until "
                    f"{LEGACY_SHUTDOWN.isoformat()}, set it to 'workfront'.",
                    id=ID("W007"),
                )
            )
    return messages
