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
| E015  | PROVIDER is adobe_ims or adobe_ims_s2s and IMS_ORG_ID is not set |
| E016  | IMS_HOST is not an https:// base URL (http:// only on loopback) |
| W004  | adobe_ims and SCOPES lacks offline_access: no refresh token, 24-hour connections |
| W005  | adobe_ims and REDIRECT_URI is not https:// (IMS requires it; loopback is exempt) |
| W006  | adobe_ims and SCOPES lacks openid: IMS's userinfo cannot say who the user is |
| E017  | PROVIDER and IMS_ORG_ID not set: a site set up for the old default, the legacy app |
| W007  | PROVIDER not set (now adobe_ims) but the instance has legacy connections (database) |
| W008  | a legacy instance has USE_PKCE off: nothing makes an injected authorization code useless |
| W009  | adobe_ims, no REDIRECT_URI nor SECURE_PROXY_SSL_HEADER, DEBUG off: callback may be http |
| E018  | a database instance has the name of a settings instance, which wins (database) |
| W010  | database instances and a process-local INSTANCE_CACHE: a query per lookup (database) |
"""

from __future__ import annotations

from .common import ID
from .database_instances import check_database_instances
from .instances import check_settings, today
from .site import (
    REFRESH_TASK,
    check_beat_schedule,
    check_dependencies,
    check_encryption_key,
    check_legacy_connections_after_default_change,
)

__all__ = [
    "ID",
    "REFRESH_TASK",
    "check_beat_schedule",
    "check_database_instances",
    "check_dependencies",
    "check_encryption_key",
    "check_legacy_connections_after_default_change",
    "check_settings",
    "today",
]
