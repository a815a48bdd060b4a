"""The admin on the live test server, with the admin's own static files (the tests' settings
have no ``django.contrib.staticfiles``): a layout measured in a browser needs its CSS.

Served under ``/admin-static/`` (the fixture sets ``STATIC_URL``): the live server keeps
``/static/`` for a ``STATIC_ROOT`` these tests do not have.
"""

from __future__ import annotations

from pathlib import Path

import django.contrib.admin
from django.contrib import admin
from django.urls import path, re_path
from django.views.static import serve

ADMIN_STATIC = Path(django.contrib.admin.__file__).resolve().parent / "static"

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^admin-static/(?P<path>.*)$", serve, {"document_root": str(ADMIN_STATIC)}),
]
