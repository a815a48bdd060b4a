"""Which instances a user may connect to: every active one, or what the host's hook says.

A site with many customers maps its own tenants to instances. It names a function in
``WORKFRONT_OAUTH_OFFERED_INSTANCES`` that takes the request and returns the names of the
instances this user may connect to; the connections page lists those, and ``authorize`` refuses
any other, whatever a crafted form posts. Names the hook returns that are unknown, deactivated or
the site's own Server-to-Server instances are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .conf import InstanceSettings, app_settings

__all__ = ["every_active_instance", "is_offered", "offered_instances", "offered_names"]


def every_active_instance(request: HttpRequest) -> list[str]:
    """The default hook: every instance's name (:func:`offered_instances` then keeps those that
    are active and that users sign in to)."""
    return app_settings.instance_names()


def _hook() -> Callable[[HttpRequest], Iterable[str]]:
    path = app_settings.OFFERED_INSTANCES
    if not path:
        return every_active_instance
    try:
        hook = import_string(path)
    except ImportError as err:
        raise ImproperlyConfigured(
            f"WORKFRONT_OAUTH_OFFERED_INSTANCES is {path!r}, which cannot be imported: {err}"
        ) from err
    if not callable(hook):
        raise ImproperlyConfigured(f"WORKFRONT_OAUTH_OFFERED_INSTANCES ({path!r}) is not callable.")
    return hook  # type: ignore[no-any-return]


def offered_instances(
    request: HttpRequest, instances: list[InstanceSettings] | None = None
) -> list[InstanceSettings]:
    """The instances ``request.user`` may connect to, in the hook's order, each once.

    ``instances`` is :meth:`~.conf.AppSettings.all_instances` when the caller has it already.
    """
    # Every instance in one read, not one lookup per name the hook gives.
    instances = app_settings.all_instances() if instances is None else instances
    every = {instance.name: instance for instance in instances}
    offered: list[InstanceSettings] = []
    seen: set[str] = set()
    for name in _hook()(request):
        name = str(name)
        if name in seen:
            continue
        seen.add(name)
        instance = every.get(name)
        if instance is not None and _may_sign_in(instance):
            offered.append(instance)
    return offered


def offered_names(request: HttpRequest) -> set[str]:
    """The names the hook gives for ``request.user``, unchecked (see :func:`is_offered`)."""
    return {str(offered) for offered in _hook()(request)}


def is_offered(request: HttpRequest, name: str) -> bool:
    """True when ``request.user`` may start a connect flow for the instance ``name``."""
    if name not in offered_names(request):
        return False
    instance = app_settings.find_instance(name)
    return instance is not None and _may_sign_in(instance)


def _may_sign_in(instance: InstanceSettings) -> bool:
    return instance.is_active and not instance.is_server_to_server
