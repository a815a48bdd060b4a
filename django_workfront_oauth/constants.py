"""Names shared by the app and the emulator: provider names, endpoint paths, default scopes.

Nothing here imports Django, so the emulator (``django_workfront_oauth.testing``) can use it from
a plain Python process, and a path changed here changes on both sides of the wire at once.
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "DEFAULT_INSTANCE",
    "DEFAULT_S2S_SCOPES",
    "DEFAULT_SCOPES",
    "IMS_AUTHORIZE_PATH",
    "IMS_DISCOVERY_PATH",
    "IMS_REVOKE_PATH",
    "IMS_TOKEN_PATH",
    "IMS_USERINFO_PATH",
    "LEGACY_AUTHORIZE_PATH",
    "LEGACY_SHUTDOWN",
    "LEGACY_TOKEN_PATH",
    "PROVIDERS",
    "PROVIDER_ADOBE_IMS",
    "PROVIDER_ADOBE_IMS_S2S",
    "PROVIDER_WORKFRONT",
    "TOKEN_AUTH_METHODS",
    "USER_PROVIDERS",
]

#: The name of the instance that the flat ``WORKFRONT_OAUTH_*`` settings describe.
DEFAULT_INSTANCE = "default"

#: Adobe Developer Console's "OAuth Web App": users sign in through Adobe IMS.
PROVIDER_ADOBE_IMS = "adobe_ims"
#: Adobe Developer Console's "OAuth Server-to-Server": the site's own technical account.
PROVIDER_ADOBE_IMS_S2S = "adobe_ims_s2s"
#: Workfront's legacy OAuth2 app, which Adobe switches off on :data:`LEGACY_SHUTDOWN`.
PROVIDER_WORKFRONT = "workfront"
PROVIDERS = (PROVIDER_ADOBE_IMS, PROVIDER_ADOBE_IMS_S2S, PROVIDER_WORKFRONT)
#: The providers through which users sign in (the connect flow); the others serve the site.
USER_PROVIDERS = (PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT)

#: The day Adobe switches the legacy Workfront OAuth2 apps off, "no extension planned".
LEGACY_SHUTDOWN = date(2027, 2, 1)

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

#: What Adobe's own code asks for on Workfront's behalf for a user sign-in (IMS.md).
DEFAULT_SCOPES = (
    "openid",
    "AdobeID",
    "offline_access",
    "read_organizations",
    "additional_info.projectedProductContext",
    "workfront_api",
)
#: What a Server-to-Server credential with the Workfront API asks for. [guess] Adobe documents
#: no list for Workfront: these are the user scopes without the user-only ones (offline_access,
#: the projected product context); the credential's page in Developer Console shows its own.
DEFAULT_S2S_SCOPES = ("openid", "AdobeID", "read_organizations", "workfront_api")

LEGACY_AUTHORIZE_PATH = "/integrations/oauth2/authorize"
LEGACY_TOKEN_PATH = "/integrations/oauth2/api/v1/token"  # noqa: S105 - a path

IMS_AUTHORIZE_PATH = "/ims/authorize/v2"
IMS_TOKEN_PATH = "/ims/token/v3"  # noqa: S105 - a path
IMS_REVOKE_PATH = "/ims/revoke"
IMS_USERINFO_PATH = "/ims/userinfo/v2"
IMS_DISCOVERY_PATH = "/ims/.well-known/openid-configuration"
