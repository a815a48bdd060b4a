"""A minimal host site for the browser tests: login, the app's URLs and a project dashboard."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import include, path

from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.exceptions import (
    ReauthorizationRequired,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from django_workfront_oauth.models import WorkfrontConnection


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The connection and the first projects, fetched through the app's API client."""
    connection = WorkfrontConnection.objects.filter(user=request.user).first()
    context: dict[str, object] = {"connection": connection, "projects": None, "problem": ""}
    if connection is not None:
        try:
            context["projects"] = WorkfrontClient(connection).search(
                "PROJ", fields=["ID", "name", "status"], limit=50
            )
        except ReauthorizationRequired:
            context["problem"] = "reconnect"
        except (WorkfrontUnavailable, WorkfrontAPIError):
            context["problem"] = "unavailable"
    return render(request, "browser/dashboard.html", context)


urlpatterns = [
    path("", lambda request: redirect("dashboard")),
    path("dashboard/", dashboard, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="browser/login.html"),
        name="login",
    ),
    path("workfront/", include("django_workfront_oauth.urls")),
]
