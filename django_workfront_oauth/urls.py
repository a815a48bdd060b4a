"""URLs of the connect flow; include them under any prefix."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "workfront_oauth"

urlpatterns = [
    path("connect/", views.authorize, name="authorize"),
    path("callback/", views.callback, name="callback"),
    path("connections/", views.connections, name="connections"),
    path("connections/<int:pk>/disconnect/", views.disconnect, name="disconnect"),
]
