"""DOT's views where Adobe IMS has its endpoints, a login page and a Workfront API stand-in."""

from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.urls import include, path
from oauth2_provider import views as dot

from django_workfront_oauth.constants import (
    IMS_AUTHORIZE_PATH,
    IMS_DISCOVERY_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
)
from tests.interop.server.views import user_search


def _route(ims_path: str) -> str:
    return ims_path.lstrip("/")


# Named as in oauth2_provider.urls, in its namespace, so that DOT's discovery document finds them.
ims_patterns = [
    path(_route(IMS_AUTHORIZE_PATH), dot.AuthorizationView.as_view(), name="authorize"),
    path(_route(IMS_TOKEN_PATH), dot.TokenView.as_view(), name="token"),
    path(_route(IMS_REVOKE_PATH), dot.RevokeTokenView.as_view(), name="revoke-token"),
    path(_route(IMS_USERINFO_PATH), dot.UserInfoView.as_view(), name="user-info"),
    path(
        _route(IMS_DISCOVERY_PATH),
        dot.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("ims/keys", dot.JwksInfoView.as_view(), name="jwks-info"),
]

urlpatterns = [
    path("", include((ims_patterns, "oauth2_provider"))),
    path("login/", LoginView.as_view(), name="login"),
    path("attask/api/<str:version>/USER/search", user_search),
]
