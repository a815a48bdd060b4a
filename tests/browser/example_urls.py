"""The example project's own pages (home, dashboard), for the browser tests of the state story.

Its ``views.py`` is loaded from its file, not imported as ``example.views``: the package's
``__init__`` creates the example's Celery app, which a test process must not get.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from django.contrib.auth import views as auth_views
from django.urls import include, path

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project" / "example"
TEMPLATES = EXAMPLE / "templates"

_spec = importlib.util.spec_from_file_location("example_views_under_test", EXAMPLE / "views.py")
assert _spec is not None and _spec.loader is not None
views = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(views)

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workfront/", include("django_workfront_oauth.urls")),
]
