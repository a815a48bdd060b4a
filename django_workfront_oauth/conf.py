"""Settings: one object, read at access time, so ``override_settings`` just works.

Every setting is a flat ``WORKFRONT_OAUTH_<NAME>`` in the host's settings, the values of the
``"default"`` instance. ``WORKFRONT_OAUTH_INSTANCES`` adds more named instances; each of them is a
separate OAuth app, so a key that an entry omits takes the app's default, not the default
instance's value. Nothing here validates: ``checks.py`` does, and names the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .constants import (
    DEFAULT_INSTANCE,
    DEFAULT_S2S_SCOPES,
    DEFAULT_SCOPES,
    PROVIDER_ADOBE_IMS,
    PROVIDER_ADOBE_IMS_S2S,
    PROVIDER_WORKFRONT,
    PROVIDERS,
    TOKEN_AUTH_METHODS,
)
from .setting_values import (
    as_timedelta,
    derive_domain_lane,
    is_loopback_host,
    normalise_host,
    parse_scopes,
)

__all__ = [
    "DEFAULT_INSTANCE",
    "DEFAULT_SCOPES",
    "INSTANCE_DEFAULTS",
    "PREFIX",
    "PROVIDERS",
    "PROVIDER_ADOBE_IMS",
    "PROVIDER_ADOBE_IMS_S2S",
    "PROVIDER_WORKFRONT",
    "SITE_DEFAULTS",
    "TOKEN_AUTH_METHODS",
    "AppSettings",
    "InstanceSettings",
    "InstanceSource",
    "StoredInstance",
    "app_settings",
    "as_timedelta",
    "derive_domain_lane",
    "is_loopback_host",
    "normalise_host",
    "parse_scopes",
    "setting_name",
]

PREFIX = "WORKFRONT_OAUTH_"

#: Defaults of the settings that an instance may override, by name without the prefix.
INSTANCE_DEFAULTS: dict[str, Any] = {
    "HOST": "",
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "DOMAIN": "",
    "LANE": "",
    # Adobe IMS since 0.2: no legacy Workfront OAuth2 app can be created after 2026-11-01.
    "PROVIDER": PROVIDER_ADOBE_IMS,
    "IMS_HOST": "https://ims-na1.adobelogin.com",
    "IMS_ORG_ID": "",
    # None: the provider's own (DEFAULT_SCOPES for adobe_ims, DEFAULT_S2S_SCOPES for
    # adobe_ims_s2s; the legacy app has no scopes).
    "SCOPES": None,
    "REDIRECT_URI": "",
    "TOKEN_AUTH_METHOD": "client_secret_basic",
    # None: on for adobe_ims, off for workfront (its Web Application type documents no PKCE).
    "USE_PKCE": None,
    "API_VERSION": "v21.0",
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=8),
    "REFRESH_MARGIN": timedelta(minutes=15),
    "HTTP_TIMEOUT": timedelta(seconds=10),
    # The wall-clock bound of one request, body included, and the largest body read.
    "HTTP_DEADLINE": timedelta(seconds=30),
    "HTTP_MAX_RESPONSE_SIZE": 32 * 1024 * 1024,
    # Workfront caps each customer's concurrent API threads: a process-wide cap per host.
    "MAX_CONCURRENT_REQUESTS": 10,
    "SUCCESS_URL": "/",
}

#: The settings of the whole site, not of one instance, with their defaults.
SITE_DEFAULTS: dict[str, Any] = {
    "INSTANCES": {},
    # The cache alias through which processes learn that a database instance changed.
    "INSTANCE_CACHE": "default",
    # The dotted path of the hook that says which instances a user may connect to.
    "OFFERED_INSTANCES": "",
}


def setting_name(instance: str, key: str) -> str:
    """Where a site sets an instance's value: ``WORKFRONT_OAUTH_HOST``, its INSTANCES entry, or
    the field of its ``WorkfrontInstance`` row (a name the settings do not use is a database one).
    """
    if instance == DEFAULT_INSTANCE:
        return PREFIX + key
    if instance in app_settings.INSTANCES:
        return f'{PREFIX}INSTANCES["{instance}"]["{key}"]'
    return f'the {key.lower().replace("_", " ")} of the database instance "{instance}"'


@dataclass(frozen=True)
class InstanceSettings:
    """The settings of one Workfront instance, each one resolved to its effective value."""

    name: str
    host: str
    client_id: str
    client_secret: str
    domain: str
    lane: str
    provider: str
    ims_host: str
    ims_org_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    token_auth_method: str
    use_pkce: bool
    api_version: str
    access_token_lifetime: timedelta
    refresh_margin: timedelta
    http_timeout: timedelta
    http_deadline: timedelta
    http_max_response_size: int
    max_concurrent_requests: int
    success_url: str
    #: False for a database instance a site admin deactivated: no new connections, no refreshes.
    is_active: bool = True

    def __repr__(self) -> str:
        # The dataclass repr would print the client secret.
        return f"<InstanceSettings {self.name!r} {self.provider} {self.host}>"

    @property
    def expected_domain_lane(self) -> tuple[str, str] | None:
        """What the callback's ``domain``/``lane`` must equal, or ``None`` when unknown."""
        if self.domain and self.lane:
            return self.domain.lower(), self.lane.lower()
        return derive_domain_lane(self.host)

    @property
    def is_server_to_server(self) -> bool:
        """True for the site's own connection (``adobe_ims_s2s``): no user signs in."""
        return self.provider == PROVIDER_ADOBE_IMS_S2S

    @property
    def api_base_url(self) -> str:
        """``<host>/attask/api/<version>``."""
        return f"{self.host}/attask/api/{self.api_version}"

    @property
    def timeout_seconds(self) -> float:
        """The timeout of every outgoing request, for ``requests``."""
        return self.http_timeout.total_seconds()

    @property
    def http_bounds(self) -> dict[str, Any]:
        """``timeout``, ``deadline`` and ``max_bytes`` for :func:`~.http.send`."""
        return {
            "timeout": self.timeout_seconds,
            "deadline": self.http_deadline.total_seconds(),
            "max_bytes": self.http_max_response_size,
        }


_T = TypeVar("_T")


class _BadSetting(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _typed(raw: Mapping[str, Any], key: str, convert: Callable[[Any], _T]) -> _T:
    try:
        return convert(raw[key])
    except (TypeError, ValueError, OverflowError):
        raise _BadSetting(key) from None


def _instance_settings(name: str, raw: Mapping[str, Any]) -> InstanceSettings:
    provider = str(raw["PROVIDER"])
    use_pkce = provider == PROVIDER_ADOBE_IMS if raw["USE_PKCE"] is None else raw["USE_PKCE"]
    return InstanceSettings(
        name=name,
        host=normalise_host(str(raw["HOST"])) if raw["HOST"] else "",
        client_id=str(raw["CLIENT_ID"]),
        client_secret=str(raw["CLIENT_SECRET"]),
        domain=str(raw["DOMAIN"]),
        lane=str(raw["LANE"]),
        provider=provider,
        ims_host=normalise_host(str(raw["IMS_HOST"])),
        ims_org_id=str(raw["IMS_ORG_ID"]),
        scopes=_default_scopes(provider)
        if raw["SCOPES"] is None
        else _typed(raw, "SCOPES", parse_scopes),
        redirect_uri=str(raw["REDIRECT_URI"] or ""),
        token_auth_method=str(raw["TOKEN_AUTH_METHOD"]),
        use_pkce=bool(use_pkce),
        api_version=str(raw["API_VERSION"]),
        access_token_lifetime=_typed(raw, "ACCESS_TOKEN_LIFETIME", as_timedelta),
        refresh_margin=_typed(raw, "REFRESH_MARGIN", as_timedelta),
        http_timeout=_typed(raw, "HTTP_TIMEOUT", as_timedelta),
        http_deadline=_typed(raw, "HTTP_DEADLINE", as_timedelta),
        http_max_response_size=_typed(raw, "HTTP_MAX_RESPONSE_SIZE", _positive_int),
        max_concurrent_requests=_typed(raw, "MAX_CONCURRENT_REQUESTS", _positive_int),
        success_url=str(raw["SUCCESS_URL"]),
    )


def _converted(name: str, raw: dict[str, Any]) -> InstanceSettings:
    """``_instance_settings``, with a value of the wrong type as ``ImproperlyConfigured``."""
    try:
        return _instance_settings(name, raw)
    except _BadSetting as err:
        key = err.key
    # Dropped before raising: error reports and trackers print every frame's locals, and these
    # hold CLIENT_SECRET.
    raw = {}
    raise ImproperlyConfigured(
        f"{setting_name(name, key)} has a value of the wrong type (check E013)."
    )


def _default_scopes(provider: str) -> tuple[str, ...]:
    if provider == PROVIDER_ADOBE_IMS_S2S:
        return DEFAULT_S2S_SCOPES
    return DEFAULT_SCOPES if provider == PROVIDER_ADOBE_IMS else ()


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TypeError("expected a positive number")
    return int(value)


@dataclass(frozen=True, repr=False)
class StoredInstance:
    """An instance kept outside the settings (a ``WorkfrontInstance`` row), as settings values."""

    #: By setting name without the prefix, defaults filled in, unconverted (as ``raw_instance``).
    raw: Mapping[str, Any]
    is_active: bool = True

    def __repr__(self) -> str:
        # The values hold CLIENT_SECRET.
        return f"<StoredInstance {self.raw.get('PROVIDER')} {self.raw.get('HOST')}>"


class InstanceSource(Protocol):
    """Where instances beyond the settings come from: the database, once the app is ready."""

    def get(self, name: str) -> StoredInstance | None:
        """The instance of that name, or ``None``."""

    def names(self) -> list[str]:
        """Every instance name it knows, in a stable order."""

    def all(self) -> Mapping[str, StoredInstance]:
        """Every instance it knows, by name, in one go."""


class AppSettings:
    """Typed access to the ``WORKFRONT_OAUTH_*`` settings, read at every access.

    Instances come from the settings first, then from the source the app registers when it is
    ready (:class:`~django_workfront_oauth.models.WorkfrontInstance` rows): a settings name
    always wins, so a row can never change an instance a deploy configured.
    """

    def __init__(self) -> None:
        self._source: InstanceSource | None = None

    def use_instance_source(self, source: InstanceSource | None) -> None:
        """Find instances that the settings do not name in ``source`` (``None``: nowhere)."""
        self._source = source

    def _get(self, name: str) -> Any:
        return getattr(settings, PREFIX + name, INSTANCE_DEFAULTS[name])

    @property
    def INSTANCES(self) -> Mapping[str, Mapping[str, Any]]:
        """The extra named instances, as configured (unvalidated)."""
        value = getattr(settings, PREFIX + "INSTANCES", None) or {}
        return value if isinstance(value, Mapping) else {}

    @property
    def INSTANCE_CACHE(self) -> str:
        """The cache alias through which processes learn that a database instance changed."""
        return str(getattr(settings, PREFIX + "INSTANCE_CACHE", SITE_DEFAULTS["INSTANCE_CACHE"]))

    @property
    def OFFERED_INSTANCES(self) -> str:
        """Dotted path of the hook that says which instances a user may connect to, or ``""``."""
        return str(getattr(settings, PREFIX + "OFFERED_INSTANCES", "") or "")

    def settings_instance_names(self) -> list[str]:
        """The instances of the settings: ``"default"`` first, then ``INSTANCES``."""
        names = [DEFAULT_INSTANCE]
        names.extend(str(name) for name in self.INSTANCES if name != DEFAULT_INSTANCE)
        return names

    def instance_names(self) -> list[str]:
        """Every instance: the settings' (``"default"`` first), then the database's."""
        names = self.settings_instance_names()
        if self._source is not None:
            taken = set(names)
            names.extend(name for name in self._source.names() if name not in taken)
        return names

    def all_instances(self) -> list[InstanceSettings]:
        """Every instance's effective settings, the settings' first: one read of the database
        instances for pages and the sweep, instead of one lookup per name."""
        found = [self.get_instance(name) for name in self.settings_instance_names()]
        if self._source is not None:
            taken = {instance.name for instance in found}
            for name, stored in self._source.all().items():
                if name not in taken:
                    found.append(self._from_stored(name, stored))
        return found

    def _stored(self, name: str) -> StoredInstance | None:
        if self._source is None or self.is_settings_instance(name):
            return None
        return self._source.get(name)

    def is_settings_instance(self, name: str) -> bool:
        """True for ``"default"`` and the names of ``INSTANCES``."""
        return name == DEFAULT_INSTANCE or name in self.INSTANCES

    def is_database_instance(self, name: str) -> bool:
        """True when ``name`` is an instance of the database (and not shadowed by the settings)."""
        return self._stored(name) is not None

    def raw_instance(self, name: str = DEFAULT_INSTANCE) -> dict[str, Any]:
        """The instance's settings by name without the prefix, defaults filled in, unconverted."""
        if name == DEFAULT_INSTANCE:
            return {key: self._get(key) for key in INSTANCE_DEFAULTS}
        if name in self.INSTANCES:
            entry = self.INSTANCES[name]
            if not isinstance(entry, Mapping):
                raise KeyError(name)
            values = dict(INSTANCE_DEFAULTS)
            values.update({key: entry[key] for key in INSTANCE_DEFAULTS if key in entry})
            return values
        stored = self._stored(name)
        if stored is None:
            raise KeyError(name)
        return dict(stored.raw)

    def get_instance(self, name: str = DEFAULT_INSTANCE) -> InstanceSettings:
        """The effective settings of one instance; ``KeyError`` for an unknown name.

        A value of the wrong type raises ``ImproperlyConfigured`` naming the setting (check
        E013 says so at start-up too), never a bare ``TypeError`` from deep inside.
        """
        found = self.find_instance(name)
        if found is None:
            raise KeyError(name)
        return found

    def find_instance(self, name: str) -> InstanceSettings | None:
        """The effective settings of one instance, or ``None``: one lookup, for hot paths."""
        if self.is_settings_instance(name):
            # Not bound to a local: this frame would show CLIENT_SECRET in an error report.
            try:
                return _converted(name, self.raw_instance(name))
            except KeyError:
                return None
        stored = self._stored(name)
        return None if stored is None else self._from_stored(name, stored)

    @staticmethod
    def _from_stored(name: str, stored: StoredInstance) -> InstanceSettings:
        found = _converted(name, dict(stored.raw))
        return found if stored.is_active else replace(found, is_active=False)

    def provider_is_explicit(self, name: str = DEFAULT_INSTANCE) -> bool:
        """True when the instance's settings name its ``PROVIDER`` rather than take the default.

        The default changed from ``"workfront"`` to ``"adobe_ims"``: the checks tell a site that
        relied on the old default instead of switching it silently. A database instance always
        names its provider.
        """
        if name == DEFAULT_INSTANCE:
            return hasattr(settings, PREFIX + "PROVIDER")
        if name in self.INSTANCES:
            entry = self.INSTANCES.get(name)
            return isinstance(entry, Mapping) and "PROVIDER" in entry
        return True

    def has_instance(self, name: str) -> bool:
        """True when ``name`` is ``"default"``, a configured instance or a database one."""
        if name == DEFAULT_INSTANCE or isinstance(self.INSTANCES.get(name), Mapping):
            return True
        return self._stored(name) is not None


app_settings = AppSettings()
