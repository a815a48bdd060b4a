"""URLs of the accessibility check and the screenshots: the app, the admin, and the names the
example site's layout links to (``home``, ``dashboard``, ``login``, ``logout``).

The test settings have no ``staticfiles``, so the admin's own CSS and scripts are served here,
under ``/assets/``: its pages are checked and photographed as a site admin sees them.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path, re_path
from django.views.static import serve

ADMIN_STATIC = Path(admin.__file__).resolve().parent / "static"

urlpatterns = [
    path("", lambda request: redirect("workfront_oauth:connections"), name="home"),
    path("dashboard/", lambda request: redirect("workfront_oauth:connections"), name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workfront/", include("django_workfront_oauth.urls")),
    path("admin/", admin.site.urls),
    # Not under /static/, which the live server keeps for STATIC_ROOT (app_pages.STATIC_URL).
    re_path(r"^assets/(?P<path>.*)$", serve, {"document_root": ADMIN_STATIC}),
]
