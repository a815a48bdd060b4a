"""Authorization servers: where the flow starts, how codes and refresh tokens become tokens.

One module a server: :mod:`.workfront` (the legacy Workfront OAuth2 app), :mod:`.adobe_ims`
(Adobe Developer Console's OAuth Web App) and :mod:`.adobe_ims_s2s` (its OAuth Server-to-Server
credential), all behind the interface in :mod:`.base`. Providers
know nothing of Django models; a site can hold connections of both side by side.
"""

from __future__ import annotations

from ..conf import InstanceSettings
from .adobe_ims import AdobeIMSProvider
from .adobe_ims_s2s import AdobeIMSServerToServerProvider
from .base import (
    CLIENT_SECRET_POST,
    OAuthProvider,
    PKCEPair,
    TokenSet,
    WorkfrontIdentity,
    json_or_none,
    safe_code,
)
from .workfront import WorkfrontProvider

__all__ = [
    "CLIENT_SECRET_POST",
    "AdobeIMSProvider",
    "AdobeIMSServerToServerProvider",
    "OAuthProvider",
    "PKCEPair",
    "TokenSet",
    "WorkfrontIdentity",
    "WorkfrontProvider",
    "get_provider",
    "json_or_none",
    "provider_names",
    "safe_code",
]

_PROVIDER_CLASSES: dict[str, type[OAuthProvider]] = {
    provider.name: provider
    for provider in (AdobeIMSProvider, AdobeIMSServerToServerProvider, WorkfrontProvider)
}


def provider_names() -> list[str]:
    """The ``PROVIDER`` values this version supports, sorted."""
    return sorted(_PROVIDER_CLASSES)


def get_provider(instance: InstanceSettings, name: str = "") -> OAuthProvider:
    """The provider ``name`` (by default the instance's ``PROVIDER``) for ``instance``.

    A connection passes its own ``provider``: its tokens came from that server even if the
    instance has since moved to another one.
    """
    name = name or instance.provider
    try:
        provider_class = _PROVIDER_CLASSES[name]
    except KeyError:
        raise ValueError(
            f"Unknown WORKFRONT_OAUTH_PROVIDER {name!r} for instance "
            f"{instance.name!r}; expected one of {provider_names()}."
        ) from None
    return provider_class(instance)
