"""The example site's pages: a home page with the connect button and a Workfront dashboard."""

import logging

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.exceptions import (
    ReauthorizationRequired,
    TokenDecryptionError,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from django_workfront_oauth.models import WorkfrontConnection

logger = logging.getLogger(__name__)

PROJECT_FIELDS = ["ID", "name", "status"]
PROJECTS_SHOWN = 50


def _connection_of(user):
    """The user's connection to the default Workfront instance, or None."""
    if not user.is_authenticated:
        return None
    return WorkfrontConnection.objects.filter(user=user, instance="default").first()


def home(request):
    """Explain the demo; offer to log in, or to connect Workfront."""
    return render(request, "example/home.html", {"connection": _connection_of(request.user)})


@login_required
def dashboard(request):
    """The connection's state and the user's Workfront projects, fetched with their token."""
    connection = _connection_of(request.user)
    context = {"connection": connection, "projects": None, "problem": "", "reconnect": False}
    if connection is None:
        return render(request, "example/dashboard.html", context)
    if connection.needs_reauthorization:
        context["reconnect"] = True
        return render(request, "example/dashboard.html", context)
    try:
        client = WorkfrontClient(connection)  # refreshes an expired token before calling
        context["projects"] = client.search("PROJ", fields=PROJECT_FIELDS, limit=PROJECTS_SHOWN)
        context["project_count"] = client.count("PROJ")
    except (ReauthorizationRequired, TokenDecryptionError) as err:
        # Workfront no longer accepts the refresh token (or ours can't be read): only the
        # user can fix that, by connecting again.
        logger.info("Workfront connection %s needs the user: %s", connection.pk, err)
        context["reconnect"] = True
    except (WorkfrontUnavailable, WorkfrontAPIError) as err:
        logger.warning("Workfront API call failed for connection %s: %s", connection.pk, err)
        context["problem"] = (
            "Workfront could not be reached or refused the request. "
            "Your connection is kept; please try again in a minute."
        )
    return render(request, "example/dashboard.html", context)
