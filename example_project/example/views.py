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
from django_workfront_oauth.states import describe

logger = logging.getLogger(__name__)

PROJECT_FIELDS = ["ID", "name", "status"]
PROJECTS_SHOWN = 50


def _connection_of(user):
    """The user's connection to the default Workfront instance, or None.

    Without its tokens: a page that only shows the state needs none (and a token that the
    configured keys cannot decrypt must not break the page).
    """
    if not user.is_authenticated:
        return None
    return (
        WorkfrontConnection.objects.without_tokens().filter(user=user, instance="default").first()
    )


def home(request):
    """Explain the demo; offer to log in, or to connect Workfront."""
    connection = _connection_of(request.user)
    state = describe(connection) if connection is not None else None
    return render(request, "example/home.html", {"connection": connection, "state": state})


@login_required
def dashboard(request):
    """The connection's state and the user's Workfront projects, fetched with their token.

    What the page says of the connection comes from ``states.describe``, as on the app's
    connections page, so the two never disagree.
    """
    connection = _connection_of(request.user)
    context = {"connection": connection, "state": None, "projects": None, "problem": ""}
    if connection is None:
        return render(request, "example/dashboard.html", context)
    context["state"] = state = describe(connection)
    if not state.is_usable:
        # Paused, or only the user can bring it back: no API call would succeed.
        return render(request, "example/dashboard.html", context)
    try:
        client = WorkfrontClient(connection)  # refreshes an expired token before calling
        context["projects"] = client.search("PROJ", fields=PROJECT_FIELDS, limit=PROJECTS_SHOWN)
        context["project_count"] = client.count("PROJ")
    except (ReauthorizationRequired, TokenDecryptionError) as err:
        # Workfront no longer accepts the refresh token (or ours can't be read): only the
        # user can fix that, by connecting again. The refresh saved why; say it the same way.
        logger.info("Workfront connection %s needs the user: %s", connection.pk, err)
        context["state"] = describe(connection, failure=err)
    except (WorkfrontUnavailable, WorkfrontAPIError) as err:
        logger.warning("Workfront API call failed for connection %s: %s", connection.pk, err)
        context["problem"] = (
            "Workfront could not be reached or refused the request. "
            "Your connection is kept; please try again in a minute."
        )
    else:
        # A refresh before the call may have changed what there is to say (renewed, refused).
        context["state"] = describe(connection)
    return render(request, "example/dashboard.html", context)
