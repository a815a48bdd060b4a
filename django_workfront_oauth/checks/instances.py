"""Checks of each instance's settings: the flat ones (``"default"``) and ``INSTANCES``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils import timezone

from ..conf import (
    DEFAULT_INSTANCE,
    INSTANCE_DEFAULTS,
    PREFIX,
    PROVIDER_ADOBE_IMS,
    PROVIDER_ADOBE_IMS_S2S,
    PROVIDER_WORKFRONT,
    TOKEN_AUTH_METHODS,
    app_settings,
    as_timedelta,
    derive_domain_lane,
    parse_scopes,
)
from ..constants import DEFAULT_SCOPES, LEGACY_SHUTDOWN
from ..providers import provider_names
from .common import ID, check_url, is_https_or_loopback, setting_name

__all__ = ["check_instance", "check_settings", "today"]

_INSTANCE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DURATIONS = ("ACCESS_TOKEN_LIFETIME", "REFRESH_MARGIN", "HTTP_TIMEOUT", "HTTP_DEADLINE")


def today() -> date:
    """The current date (a function, so tests can move it)."""
    return timezone.now().date()


def check_instance(name: str, raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Every rule for one instance's values (settings or a ``WorkfrontInstance`` row)."""
    errors: list[CheckMessage] = []
    host = str(raw["HOST"] or "")
    for key, error_id in (("HOST", "E001"), ("CLIENT_ID", "E002"), ("CLIENT_SECRET", "E003")):
        if not raw[key]:
            errors.append(
                Error(
                    f"{setting_name(name, key)} is not set.",
                    hint="Set it from the credential in Adobe Developer Console (adobe_ims, "
                    "adobe_ims_s2s), or from your legacy Workfront OAuth2 app (Setup > System > "
                    "OAuth2 Applications).",
                    id=ID(error_id),
                )
            )
    if host:
        errors += check_url(
            host, setting_name(name, "HOST"), "https://acme.my.workfront.com", ("E004", "E005")
        )
        parts = urlsplit(host)
        if parts.scheme in ("http", "https") and (
            parts.path not in ("", "/") or parts.query or parts.fragment or parts.username
        ):
            errors.append(
                Error(
                    f"{setting_name(name, 'HOST')} must be the base URL of the instance, "
                    "without a path, query or credentials.",
                    hint="Use only the scheme and host, such as https://acme.my.workfront.com.",
                    id=ID("E005"),
                )
            )
    redirect_uri = str(raw["REDIRECT_URI"] or "")
    if redirect_uri:
        errors += check_url(
            redirect_uri,
            setting_name(name, "REDIRECT_URI"),
            "https://example.com/workfront/callback/",
            ("E007", "E007"),
        )
    if raw["TOKEN_AUTH_METHOD"] not in TOKEN_AUTH_METHODS:
        errors.append(
            Error(
                f"{setting_name(name, 'TOKEN_AUTH_METHOD')} is {raw['TOKEN_AUTH_METHOD']!r}.",
                hint=f"Use one of {', '.join(TOKEN_AUTH_METHODS)}.",
                id=ID("E008"),
            )
        )
    provider = raw["PROVIDER"]
    if provider not in provider_names():
        errors.append(
            Error(
                f"{setting_name(name, 'PROVIDER')} is {provider!r}, which this version does not "
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
                    f"{setting_name(name, key)} must be a positive timedelta or number of seconds.",
                    hint="For example datetime.timedelta(minutes=15) or 900.",
                    id=ID("E013"),
                )
            )
    for key, example in (
        ("HTTP_MAX_RESPONSE_SIZE", "32 * 1024 * 1024 (bytes)"),
        ("MAX_CONCURRENT_REQUESTS", "10"),
    ):
        number = raw[key]
        if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
            errors.append(
                Error(
                    f"{setting_name(name, key)} must be a positive whole number.",
                    hint=f"For example {example}.",
                    id=ID("E013"),
                )
            )
    if raw["USE_PKCE"] is not None and not isinstance(raw["USE_PKCE"], bool):
        errors.append(
            Error(
                f"{setting_name(name, 'USE_PKCE')} must be True, False or None (the provider's "
                "default: on for adobe_ims).",
                id=ID("E013"),
            )
        )
    if provider == PROVIDER_WORKFRONT:
        errors += _check_legacy(name, raw, host)
    elif provider == PROVIDER_ADOBE_IMS and _looks_like_old_legacy_default(name, raw):
        errors.append(_old_default_error(name))
    elif provider == PROVIDER_ADOBE_IMS:
        errors += _check_ims_credential(name, raw) + _check_ims_sign_in(name, raw, redirect_uri)
    elif provider == PROVIDER_ADOBE_IMS_S2S:
        # No user signs in: no callback, PKCE or refresh token to check.
        errors += _check_ims_credential(name, raw)
    return errors


def _looks_like_old_legacy_default(name: str, raw: Mapping[str, Any]) -> bool:
    """No ``PROVIDER`` and no ``IMS_ORG_ID``: set up for the legacy app when it was the default."""
    return not app_settings.provider_is_explicit(name) and not raw["IMS_ORG_ID"]


def _old_default_error(name: str) -> CheckMessage:
    # One error that says what happened, instead of the IMS errors of a site that never chose
    # IMS: the site is told, not silently switched to another authorization server.
    return Error(
        f"{setting_name(name, 'PROVIDER')} is not set, so the instance {name!r} now uses "
        "Adobe IMS (the default since 0.2), but it has no "
        f"{setting_name(name, 'IMS_ORG_ID')}: it looks set up for the legacy Workfront "
        "OAuth2 app, the old default.",
        hint=f"To keep the legacy app until {LEGACY_SHUTDOWN.isoformat()}, set "
        f"{setting_name(name, 'PROVIDER')} = 'workfront'. To move, create an OAuth Web App "
        "credential in Adobe Developer Console and set CLIENT_ID, CLIENT_SECRET and IMS_ORG_ID "
        "from it (docs: Moving to Adobe IMS).",
        id=ID("E017"),
    )


def _check_ims_credential(name: str, raw: Mapping[str, Any]) -> list[CheckMessage]:
    """What every Developer Console credential needs: the org id and an HTTPS IMS host."""
    messages: list[CheckMessage] = []
    if not raw["IMS_ORG_ID"]:
        messages.append(
            Error(
                f"{setting_name(name, 'IMS_ORG_ID')} is not set; Workfront's API needs it "
                "(x-gw-ims-org-id) with Adobe IMS tokens.",
                hint="Copy the organization ID (…@AdobeOrg) from Adobe Developer Console.",
                id=ID("E015"),
            )
        )
    ims_host = str(raw["IMS_HOST"] or "")
    messages += check_url(
        ims_host,
        setting_name(name, "IMS_HOST"),
        "https://ims-na1.adobelogin.com",
        ("E016", "E016"),
    )
    return messages


def _check_ims_sign_in(name: str, raw: Mapping[str, Any], redirect_uri: str) -> list[CheckMessage]:
    """What an OAuth Web App credential needs for users to sign in and stay connected."""
    messages: list[CheckMessage] = []
    try:
        scopes = DEFAULT_SCOPES if raw["SCOPES"] is None else parse_scopes(raw["SCOPES"])
    except TypeError:
        scopes = ()
    if "offline_access" not in scopes:
        messages.append(
            Warning(
                f"{setting_name(name, 'SCOPES')} lacks offline_access: Adobe IMS then issues "
                "no refresh token, and every connection needs the user again within 24 hours.",
                hint="Add offline_access to the scopes here and to the credential in Adobe "
                "Developer Console.",
                id=ID("W004"),
            )
        )
    if "openid" not in scopes:
        messages.append(
            Warning(
                f"{setting_name(name, 'SCOPES')} lacks openid: Adobe IMS's userinfo, which "
                "identifies the user when they connect, then refuses the token.",
                hint="Add openid to the scopes here and to the credential in Adobe Developer "
                "Console.",
                id=ID("W006"),
            )
        )
    if redirect_uri and not is_https_or_loopback(redirect_uri):
        messages.append(
            Warning(
                f"{setting_name(name, 'REDIRECT_URI')} is not https://; Adobe IMS only redirects "
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
                f"{setting_name(name, 'REDIRECT_URI')} is not set, so the callback URL is built "
                "from each request; behind a proxy that terminates TLS, without "
                "SECURE_PROXY_SSL_HEADER, it is built as http://, which Adobe IMS refuses.",
                hint="Set SECURE_PROXY_SSL_HEADER as your proxy requires, or set "
                f"{setting_name(name, 'REDIRECT_URI')} to the https:// callback URL registered "
                "in Developer Console.",
                id=ID("W009"),
            )
        )
    return messages


def _check_legacy(name: str, raw: Mapping[str, Any], host: str) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if host and not (raw["DOMAIN"] and raw["LANE"]) and derive_domain_lane(host) is None:
        messages.append(
            Warning(
                f"The callback's domain and lane cannot be checked: {setting_name(name, 'HOST')} "
                "is not of the form <domain>.<lane>.workfront[.adobe].com and DOMAIN/LANE are "
                "not set.",
                hint=f"Set {setting_name(name, 'DOMAIN')} and {setting_name(name, 'LANE')} to "
                "the values Workfront sends back (e.g. 'acme' and 'my').",
                id=ID("W001"),
            )
        )
    hint = (
        "Create an OAuth Web App credential in Adobe Developer Console and set "
        f"{setting_name(name, 'PROVIDER')} = 'adobe_ims' (see the docs: Moving to Adobe IMS)."
    )
    if not _use_pkce(raw, PROVIDER_WORKFRONT):
        messages.append(
            Warning(
                f"The legacy instance {name!r} does not use PKCE: a leaked authorization code "
                "(from a log or a browser history) could be replayed by another user to link "
                "the victim's Workfront account to theirs (code injection, RFC 9700 4.5).",
                hint=f"If your Workfront accepts it, set {setting_name(name, 'USE_PKCE')} = True "
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
    # The settings' instances only: checks run before the database is there. Database instances
    # are checked when saved (WorkfrontInstance.clean) and by check_database_instances.
    errors, names = _check_instances_setting()
    for name in [DEFAULT_INSTANCE, *names]:
        errors += check_instance(name, app_settings.raw_instance(name))
    return errors
