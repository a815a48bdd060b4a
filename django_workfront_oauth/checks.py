"""System checks. Ids are stable and never reused; every message names the fix.

| id    | what |
| E001  | HOST missing |
| E002  | CLIENT_ID missing |
| E003  | CLIENT_SECRET missing |
| E004  | HOST is plain http:// on a host that is not loopback |
| E005  | HOST is not a bare base URL |
| E006  | FIELD_ENCRYPTION_KEY missing or invalid |
| E007  | REDIRECT_URI is not an absolute https:// URL (http:// only on loopback) |
| E008  | TOKEN_AUTH_METHOD unknown |
| E009  | sessions app or middleware missing |
| E010  | auth app or middleware missing |
| E011  | INSTANCES malformed |
| E012  | PROVIDER unknown |
| E013  | a duration or another typed setting has the wrong type |
| E014  | an instance is on the legacy Workfront OAuth2 service, which has ended |
| W001  | DOMAIN/LANE cannot be derived from HOST and are not set |
| W002  | an instance is on the legacy Workfront OAuth2 service, which ends on 2027-02-01 |
| W003  | Celery is configured but no beat entry runs the refresh task |
| E015  | PROVIDER is adobe_ims and IMS_ORG_ID is not set |
| E016  | IMS_HOST is not an https:// base URL (http:// only on loopback) |
| W004  | adobe_ims and SCOPES lacks offline_access: no refresh token, 24-hour connections |
| W005  | adobe_ims and REDIRECT_URI is not https:// (IMS requires it, even for localhost) |
| W006  | adobe_ims and SCOPES lacks openid: IMS's userinfo cannot say who the user is |
| E017  | PROVIDER and IMS_ORG_ID not set: a site set up for the old default, the legacy app |
| W007  | PROVIDER not set (now adobe_ims) but the instance has legacy connections (database) |
| W008  | a legacy instance has USE_PKCE off: nothing makes an injected authorization code useless |
| W009  | adobe_ims, no REDIRECT_URI nor SECURE_PROXY_SSL_HEADER, DEBUG off: callback may be http |
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, router
from django.utils import timezone

from .conf import (
    DEFAULT_INSTANCE,
    INSTANCE_DEFAULTS,
    PREFIX,
    PROVIDER_ADOBE_IMS,
    PROVIDER_WORKFRONT,
    TOKEN_AUTH_METHODS,
    app_settings,
    as_timedelta,
    derive_domain_lane,
    is_loopback_host,
    parse_scopes,
)
from .constants import LEGACY_SHUTDOWN
from .providers import provider_names

_INSTANCE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DURATIONS = ("ACCESS_TOKEN_LIFETIME", "REFRESH_MARGIN", "HTTP_TIMEOUT")

ID = "django_workfront_oauth.{}".format


def today() -> date:
    """The current date (a function, so tests can move it)."""
    return timezone.now().date()


def _setting_name(instance: str, key: str) -> str:
    if instance == DEFAULT_INSTANCE:
        return PREFIX + key
    return f'{PREFIX}INSTANCES["{instance}"]["{key}"]'


def _check_url(value: str, name: str, what: str, error_ids: tuple[str, str]) -> list[CheckMessage]:
    """A base URL must be https:// (http:// only on loopback)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [
            Error(
                f"{name} must be an absolute URL with a scheme, such as {what}.",
                hint=f"Set {name} to a URL such as {what}.",
                id=ID(error_ids[1]),
            )
        ]
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return [
            Error(
                f"{name} uses plain http:// on a host that is not loopback: tokens would "
                "cross the network unencrypted.",
                hint=f"Use https:// in {name}; plain http:// is only allowed for 127.0.0.1 "
                "and localhost (the local emulator).",
                id=ID(error_ids[0]),
            )
        ]
    return []


def _check_instance(name: str, raw: Mapping[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    host = str(raw["HOST"] or "")
    for key, error_id in (("HOST", "E001"), ("CLIENT_ID", "E002"), ("CLIENT_SECRET", "E003")):
        if not raw[key]:
            errors.append(
                Error(
                    f"{_setting_name(name, key)} is not set.",
                    hint="Set it from your Workfront OAuth2 app (Setup > System > OAuth2 "
                    "Applications), or from Adobe Developer Console for adobe_ims.",
                    id=ID(error_id),
                )
            )
    if host:
        errors += _check_url(
            host, _setting_name(name, "HOST"), "https://acme.my.workfront.com", ("E004", "E005")
        )
        parts = urlsplit(host)
        if parts.scheme in ("http", "https") and (
            parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
        ):
            errors.append(
                Error(
                    f"{_setting_name(name, 'HOST')} must be the base URL of the instance, "
                    "without a path, query or credentials.",
                    hint="Use only the scheme and host, such as https://acme.my.workfront.com.",
                    id=ID("E005"),
                )
            )
    redirect_uri = str(raw["REDIRECT_URI"] or "")
    if redirect_uri:
        errors += _check_url(
            redirect_uri,
            _setting_name(name, "REDIRECT_URI"),
            "https://example.com/workfront/callback/",
            ("E007", "E007"),
        )
    if raw["TOKEN_AUTH_METHOD"] not in TOKEN_AUTH_METHODS:
        errors.append(
            Error(
                f"{_setting_name(name, 'TOKEN_AUTH_METHOD')} is {raw['TOKEN_AUTH_METHOD']!r}.",
                hint=f"Use one of {', '.join(TOKEN_AUTH_METHODS)}.",
                id=ID("E008"),
            )
        )
    provider = raw["PROVIDER"]
    if provider not in provider_names():
        errors.append(
            Error(
                f"{_setting_name(name, 'PROVIDER')} is {provider!r}, which this version does not "
                "support.",
                hint=f"Use one of {', '.join(provider_names())}.",
                id=ID("E012"),
            )
        )
    for key in _DURATIONS:
        try:
            if as_timedelta(raw[key]).total_seconds() <= 0:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(
                Error(
                    f"{_setting_name(name, key)} must be a positive timedelta or number of "
                    "seconds.",
                    hint="For example datetime.timedelta(minutes=15) or 900.",
                    id=ID("E013"),
                )
            )
    if raw["USE_PKCE"] is not None and not isinstance(raw["USE_PKCE"], bool):
        errors.append(
            Error(
                f"{_setting_name(name, 'USE_PKCE')} must be True, False or None (the provider's "
                "default: on for adobe_ims).",
                id=ID("E013"),
            )
        )
    if provider == PROVIDER_WORKFRONT:
        errors += _check_legacy(name, raw, host)
    elif provider == PROVIDER_ADOBE_IMS and _looks_like_old_legacy_default(name, raw):
        errors.append(_old_default_error(name))
    elif provider == PROVIDER_ADOBE_IMS:
        errors += _check_ims(name, raw, redirect_uri)
    return errors


def _looks_like_old_legacy_default(name: str, raw: Mapping[str, Any]) -> bool:
    """No ``PROVIDER`` and no ``IMS_ORG_ID``: set up for the legacy app when it was the default."""
    return not app_settings.provider_is_explicit(name) and not raw["IMS_ORG_ID"]


def _old_default_error(name: str) -> CheckMessage:
    # One error that says what happened, instead of the IMS errors of a site that never chose
    # IMS: the site is told, not silently switched to another authorization server.
    return Error(
        f"{_setting_name(name, 'PROVIDER')} is not set, so the instance {name!r} now uses "
        "Adobe IMS (the default since 0.2), but it has no "
        f"{_setting_name(name, 'IMS_ORG_ID')}: it looks set up for the legacy Workfront "
        "OAuth2 app, the old default.",
        hint=f"To keep the legacy app until {LEGACY_SHUTDOWN.isoformat()}, set "
        f"{_setting_name(name, 'PROVIDER')} = 'workfront'. To move, create an OAuth Web App "
        "credential in Adobe Developer Console and set CLIENT_ID, CLIENT_SECRET and IMS_ORG_ID "
        "from it (docs: Moving to Adobe IMS).",
        id=ID("E017"),
    )


def _check_ims(name: str, raw: Mapping[str, Any], redirect_uri: str) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not raw["IMS_ORG_ID"]:
        messages.append(
            Error(
                f"{_setting_name(name, 'IMS_ORG_ID')} is not set; Workfront's API needs it "
                "(x-gw-ims-org-id) with Adobe IMS tokens.",
                hint="Copy the organization ID (…@AdobeOrg) from Adobe Developer Console.",
                id=ID("E015"),
            )
        )
    ims_host = str(raw["IMS_HOST"] or "")
    messages += _check_url(
        ims_host,
        _setting_name(name, "IMS_HOST"),
        "https://ims-na1.adobelogin.com",
        ("E016", "E016"),
    )
    try:
        scopes = parse_scopes(raw["SCOPES"])
    except TypeError:
        scopes = ()
    if "offline_access" not in scopes:
        messages.append(
            Warning(
                f"{_setting_name(name, 'SCOPES')} lacks offline_access: Adobe IMS then issues "
                "no refresh token, and every connection needs the user again within 24 hours.",
                hint="Add offline_access to the scopes here and to the credential in Adobe "
                "Developer Console.",
                id=ID("W004"),
            )
        )
    if "openid" not in scopes:
        messages.append(
            Warning(
                f"{_setting_name(name, 'SCOPES')} lacks openid: Adobe IMS's userinfo, which "
                "identifies the user when they connect, then refuses the token.",
                hint="Add openid to the scopes here and to the credential in Adobe Developer "
                "Console.",
                id=ID("W006"),
            )
        )
    if redirect_uri and not _is_https_or_loopback(redirect_uri):
        messages.append(
            Warning(
                f"{_setting_name(name, 'REDIRECT_URI')} is not https://; Adobe IMS only redirects "
                "to HTTPS URLs, even for localhost.",
                hint="Serve the callback over HTTPS and register it in Developer Console (a "
                r"pattern such as https://example\.com/workfront/callback/ is allowed).",
                id=ID("W005"),
            )
        )
    if (
        not redirect_uri
        and not settings.DEBUG
        and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    ):
        messages.append(
            Warning(
                f"{_setting_name(name, 'REDIRECT_URI')} is not set, so the callback URL is built "
                "from each request; behind a proxy that terminates TLS, without "
                "SECURE_PROXY_SSL_HEADER, it is built as http://, which Adobe IMS refuses.",
                hint="Set SECURE_PROXY_SSL_HEADER as your proxy requires, or set "
                f"{_setting_name(name, 'REDIRECT_URI')} to the https:// callback URL registered "
                "in Developer Console.",
                id=ID("W009"),
            )
        )
    return messages


def _is_https_or_loopback(url: str) -> bool:
    """IMS redirects only to HTTPS; plain HTTP on loopback is the local emulator's."""
    parts = urlsplit(url)
    return parts.scheme == "https" or is_loopback_host(parts.hostname)


def _check_legacy(name: str, raw: Mapping[str, Any], host: str) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if host and not (raw["DOMAIN"] and raw["LANE"]) and derive_domain_lane(host) is None:
        messages.append(
            Warning(
                f"The callback's domain and lane cannot be checked: {_setting_name(name, 'HOST')} "
                "is not of the form <domain>.<lane>.workfront[.adobe].com and DOMAIN/LANE are "
                "not set.",
                hint=f"Set {_setting_name(name, 'DOMAIN')} and {_setting_name(name, 'LANE')} to "
                "the values Workfront sends back (e.g. 'acme' and 'my').",
                id=ID("W001"),
            )
        )
    hint = (
        "Create an OAuth Web App credential in Adobe Developer Console and set "
        f"{_setting_name(name, 'PROVIDER')} = 'adobe_ims' (see the README's migration guide)."
    )
    if not _use_pkce(raw, PROVIDER_WORKFRONT):
        messages.append(
            Warning(
                f"The legacy instance {name!r} does not use PKCE: a leaked authorization code "
                "(from a log or a browser history) could be replayed by another user to link "
                "the victim's Workfront account to theirs (code injection, RFC 9700 4.5).",
                hint=f"If your Workfront accepts it, set {_setting_name(name, 'USE_PKCE')} = True "
                "(Workfront documents no PKCE for its Web Application type); better, move to "
                "Adobe IMS, where PKCE and an OpenID Connect nonce are on by default.",
                id=ID("W008"),
            )
        )
    if today() < LEGACY_SHUTDOWN:
        messages.append(
            Warning(
                f"The instance {name!r} uses Workfront's legacy OAuth2 apps, which Adobe switches "
                f"off on {LEGACY_SHUTDOWN.isoformat()}.",
                hint=hint,
                id=ID("W002"),
            )
        )
    else:
        messages.append(
            Error(
                f"The instance {name!r} uses Workfront's legacy OAuth2 apps, which Adobe switched "
                f"off on {LEGACY_SHUTDOWN.isoformat()}.",
                hint=hint,
                id=ID("E014"),
            )
        )
    return messages


def _use_pkce(raw: Mapping[str, Any], provider: str) -> bool:
    value = raw["USE_PKCE"]
    return provider == PROVIDER_ADOBE_IMS if value is None else bool(value)


def _check_instances_setting() -> tuple[list[CheckMessage], list[str]]:
    """Errors in ``INSTANCES`` itself, and the names of the entries that can be checked further."""
    value = getattr(settings, PREFIX + "INSTANCES", None)
    if value is None:
        return [], []
    if not isinstance(value, Mapping):
        return [
            Error(
                f"{PREFIX}INSTANCES must be a dict of instance name to settings.",
                hint='For example {"sandbox": {"HOST": "https://acme.sb01.workfront.com", ...}}.',
                id=ID("E011"),
            )
        ], []
    errors: list[CheckMessage] = []
    names: list[str] = []
    for name, entry in value.items():
        if not isinstance(name, str) or not _INSTANCE_NAME.match(name) or name == DEFAULT_INSTANCE:
            errors.append(
                Error(
                    f"{PREFIX}INSTANCES has an invalid instance name {name!r}.",
                    hint="Use 1 to 64 letters, digits, '-' or '_'; 'default' is the flat settings.",
                    id=ID("E011"),
                )
            )
            continue
        if not isinstance(entry, Mapping):
            errors.append(
                Error(
                    f'{PREFIX}INSTANCES["{name}"] must be a dict of settings.',
                    hint='Give it at least "HOST", "CLIENT_ID" and "CLIENT_SECRET".',
                    id=ID("E011"),
                )
            )
            continue
        unknown = sorted(str(key) for key in entry if key not in INSTANCE_DEFAULTS)
        if unknown:
            errors.append(
                Error(
                    f'{PREFIX}INSTANCES["{name}"] has unknown keys: {", ".join(unknown)}.',
                    hint="Use the setting names without the WORKFRONT_OAUTH_ prefix: "
                    + ", ".join(INSTANCE_DEFAULTS),
                    id=ID("E011"),
                )
            )
        names.append(name)
    return errors, names


@register(Tags.security)
def check_settings(
    app_configs: Iterable[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """The instances' settings."""
    errors, names = _check_instances_setting()
    for name in [DEFAULT_INSTANCE, *names]:
        errors += _check_instance(name, app_settings.raw_instance(name))
    return errors


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
    from .models import WorkfrontConnection

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
                    f"{_setting_name(name, 'PROVIDER')} is not set and now defaults to "
                    "'adobe_ims': users who connect again sign in through Adobe IMS.",
                    hint=f"If that is your plan, set {_setting_name(name, 'PROVIDER')} = "
                    "'adobe_ims' to say so; to stay on the legacy app until "
                    f"{LEGACY_SHUTDOWN.isoformat()}, set it to 'workfront'.",
                    id=ID("W007"),
                )
            )
    return messages
