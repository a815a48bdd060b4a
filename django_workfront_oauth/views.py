"""The connect flow and the user's own connections page."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .conf import DEFAULT_INSTANCE, PROVIDER_ADOBE_IMS, InstanceSettings, app_settings
from .exceptions import (
    InvalidCallback,
    ReauthorizationRequired,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from .models import PendingAuthorization, WorkfrontConnection
from .offered import offered_instances, offered_names
from .providers import safe_code
from .redact import scrubbed_traceback
from .services.connect import started_flow, was_completed
from .states import Action, ConnectionState, describe, moved_to_adobe_message

__all__ = ["authorize", "callback", "connections", "disconnect", "safe_next_url"]

logger = logging.getLogger("django_workfront_oauth")

#: Friendly words for the ``error`` codes an authorization server may send back.
CALLBACK_ERRORS = {
    "access_denied": gettext_lazy("You did not allow access to your Workfront account."),
    "invalid_scope": gettext_lazy("The Workfront app is not allowed the access it asked for."),
    "invalid_request": gettext_lazy("Workfront could not understand the connection request."),
    "unauthorized_client": gettext_lazy("This site's Workfront app is not allowed to connect."),
    "server_error": gettext_lazy("Workfront had a problem; please try again."),
    "temporarily_unavailable": gettext_lazy("Workfront is busy; please try again in a moment."),
}


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """Render one of our pages with everything it uses passed in.

    Nothing is left for context processors to provide: a variable that fails to resolve makes
    the django.template logger print the whole context at DEBUG, with the request, whose URL
    carries the callback's code and state.
    """
    context = {
        "messages": get_messages(request),
        "connections_url": reverse("workfront_oauth:connections"),
        "show_connections_link": request.user.is_authenticated,
        **context,
    }
    return render(request, template, context, status=status)


#: The longest ``next`` kept (the column's size); longer ones are dropped, not stored.
MAX_NEXT_URL_LENGTH = 2000


def safe_next_url(request: HttpRequest, url: str | None) -> str:
    """``url`` when it points at this site (same host, same scheme), else an empty string.

    Over-long values and control characters (NUL, which PostgreSQL refuses to store) are
    dropped too, so a crafted ``next`` costs its sender the redirect, not the site a 500.
    """
    if not url or len(url) > MAX_NEXT_URL_LENGTH or any(ord(char) < 32 for char in url):
        return ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_http_methods(["GET", "POST"])
@csrf_protect
@xframe_options_deny
@login_required
def authorize(request: HttpRequest) -> HttpResponse:
    """Start the connect flow: remember it server-side, send the browser to Workfront.

    A GET (a link, a reload, Back) shows a page with the button: the flow itself only ever
    starts from a POST, which another site cannot make in the user's name.
    """
    if request.method == "GET":
        return _render(
            request,
            "django_workfront_oauth/authorize.html",
            {
                "instance": request.GET.get("instance") or DEFAULT_INSTANCE,
                "next": safe_next_url(request, request.GET.get("next")),
            },
        )
    instance = request.POST.get("instance") or DEFAULT_INSTANCE
    found = app_settings.find_instance(instance)
    if found is None or found.is_server_to_server:
        # A Server-to-Server instance is the site's own connection: no user signs in to it.
        return _render(
            request,
            "django_workfront_oauth/callback_error.html",
            {"message": _("This Workfront instance is not configured.")},
            status=400,
        )
    if not found.is_active:
        return _render(
            request,
            "django_workfront_oauth/callback_error.html",
            {
                "message": _(
                    "Connections to this Workfront instance are paused by the site's "
                    "administrators. Please try again later, or ask them."
                )
            },
            status=403,
        )
    # The instance is known to be active and one users sign in to: only the hook is left.
    if instance not in offered_names(request):
        # The host decides who may connect where (WORKFRONT_OAUTH_OFFERED_INSTANCES).
        return _render(
            request,
            "django_workfront_oauth/callback_error.html",
            {"message": _("You cannot connect to this Workfront instance from your account.")},
            status=403,
        )
    next_url = safe_next_url(request, request.POST.get("next"))
    url = services.begin_authorization(request, instance_name=instance, next_url=next_url)
    return HttpResponseRedirect(url)


def _private_response(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Keep pages with account data out of every cache, and their URL (the callback's code)
    out of Referer headers.

    A view may set its own ``Referrer-Policy``: under ``no-referrer`` a browser sends
    ``Origin: null`` with the page's forms, which Django's CSRF check refuses.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response.setdefault("Referrer-Policy", "no-referrer")
        return response

    return wrapper


#: Callback parameters that are secrets while the flow lasts.
SECRET_CALLBACK_PARAMS = ("code", "state")
REDACTED = "********************"


def _redact_callback_query(request: HttpRequest) -> None:
    """Hide ``code`` and ``state`` from what error reports and logs print of this request.

    Django's error reports (the emails AdminEmailHandler sends for a 5xx, for instance) print the
    GET parameters and the query string in full; ``sensitive_post_parameters`` has no GET twin.
    """
    redacted = request.GET.copy()
    for name in SECRET_CALLBACK_PARAMS:
        if name in redacted:
            redacted.setlist(name, [REDACTED] * len(redacted.getlist(name)))
    redacted._mutable = False
    request.GET = redacted  # type: ignore[assignment] # the same class, made read-only again
    request.META["QUERY_STRING"] = redacted.urlencode(safe="*")


def _callback_error(
    request: HttpRequest, message: str, status: int, flow: PendingAuthorization | None = None
) -> HttpResponse:
    """The error page, with the way forward: the connections page, and a "Try again" button
    for the instance of the flow when it is known (and still one a user can connect to)."""
    instance = app_settings.find_instance(flow.instance) if flow is not None else None
    retry = instance is not None and instance.is_active and not instance.is_server_to_server
    context = {
        "message": message,
        "retry_instance": flow.instance if retry and flow is not None else "",
        "retry_next": safe_next_url(request, flow.next_url) if retry and flow is not None else "",
    }
    response = _render(
        request, "django_workfront_oauth/callback_error.html", context, status=status
    )
    # Not no-referrer: under it the browser posts "Try again" with Origin: null, which the CSRF
    # check refuses. strict-origin sends only the origin, never this URL (its code and state),
    # so Django's CSRF check compares a real Origin and no log or report gets the code.
    response["Referrer-Policy"] = "strict-origin"
    return response


@require_GET
@never_cache
@xframe_options_deny
@_private_response
@sensitive_variables("params")
@scrubbed_traceback
def callback(request: HttpRequest) -> HttpResponse:
    """Finish the flow: check ``state``, exchange the code, save the connection."""
    params = request.GET.dict()
    _redact_callback_query(request)
    state = params.get("state", "")
    if request.user.is_authenticated and was_completed(request, state):
        # A reload of a callback this browser already completed, or Back to the authorization
        # server, which answers a used request again with an error and the same state: done.
        messages.info(
            request, _("Your Workfront account is already connected."), fail_silently=True
        )
        return HttpResponseRedirect(reverse("workfront_oauth:connections"))
    # Read before the flow is taken, so that every error page can offer to try it again.
    flow = started_flow(request, state)
    error = params.get("error")
    if error is not None:
        # Burn the state so the flow cannot be finished later; its validity does not matter.
        with contextlib.suppress(InvalidCallback):
            services.consume_state(request, state)
        code = safe_code(error)
        logger.info("Workfront authorization ended with error %r.", code or "(unreadable)")
        message = CALLBACK_ERRORS.get(code) or _("Workfront did not connect your account.")
        return _callback_error(request, str(message), 400, flow)
    try:
        result = services.complete_authorization(request, params)
    except InvalidCallback as err:
        logger.warning("Refused a Workfront OAuth callback: %s", err)
        return _callback_error(
            request,
            _("This connection link is invalid or has expired. Please start again."),
            400,
            flow,
        )
    except ReauthorizationRequired as err:
        logger.warning("Workfront refused the authorization code: %s", err)
        return _callback_error(
            request,
            _("Workfront refused the sign-in, which may have expired. Please try again."),
            400,
            flow,
        )
    except WorkfrontUnavailable as err:
        logger.warning("Could not complete a Workfront connection: %s", err)
        return _callback_error(
            request,
            _("Workfront could not be reached. Please try again in a few minutes."),
            502,
            flow,
        )
    except WorkfrontAPIError as err:
        logger.warning("Workfront would not say who the user is: %s", err)
        return _callback_error(
            request,
            _(
                "Workfront did not tell us which account you signed in with. If this happens "
                "again, please tell the site's administrators: the connection's settings may "
                "need attention."
            ),
            502,
            flow,
        )
    if result.moved_to_adobe:
        messages.success(request, moved_to_adobe_message(), fail_silently=True)
    else:
        messages.success(request, _("Your Workfront account is connected."), fail_silently=True)
    instance = app_settings.get_instance(result.connection.instance)
    return HttpResponseRedirect(
        safe_next_url(request, result.next_url)
        or safe_next_url(request, instance.success_url)
        or "/"
    )


def _successors(
    offered: list[InstanceSettings],
) -> Callable[[WorkfrontConnection | None], str]:
    """``successor_of(connection)``: the Adobe IMS instance a legacy connection moves to, or "".

    Only the instances ``offered`` to the user count: where the legacy service's successor is
    configured (and active), legacy connections to its host get one way across.
    """
    ims_by_host = {
        instance.host: instance.name
        for instance in reversed(offered)
        if instance.provider == PROVIDER_ADOBE_IMS and instance.is_active
    }

    def successor_of(connection: WorkfrontConnection | None) -> str:
        if connection is None or not connection.is_legacy:
            return ""
        return ims_by_host.get(connection.host, "")

    return successor_of


def _offered_state(
    connection: WorkfrontConnection,
    successor: str,
    instances: dict[str, InstanceSettings],
    offered: bool,
) -> ConnectionState:
    """The row's state; a button only where ``authorize`` would let the user through."""
    state = describe(connection, successor=successor, instances=instances)
    if not offered and state.action_instance == connection.instance:
        # The host no longer offers this instance to the user: a Reconnect would be a 403.
        state = dataclasses.replace(state, action=Action.NONE, action_instance="")
    return state


@require_GET
@xframe_options_deny
@_private_response
@login_required
def connections(request: HttpRequest) -> HttpResponse:
    """The user's own connections, with connect, reconnect and disconnect buttons."""
    rows = WorkfrontConnection.objects.without_tokens().filter(user=request.user.pk)
    by_instance = {row.instance: row for row in rows}
    # The instances the host offers this user, then those of the user's other connections (a
    # paused instance, one the host no longer offers): each says its state. Connections to
    # instances that are gone entirely are listed apart, to be removed.
    all_instances = app_settings.all_instances()  # one read for the page
    configured = offered_instances(request, all_instances)
    offered = {instance.name for instance in configured}
    # Only an offered instance can be moved to: authorize refuses the others.
    successor_of = _successors(configured)
    every = {instance.name: instance for instance in all_instances}
    for name in by_instance:
        found = every.get(name) if name not in offered else None
        if found is not None and not found.is_server_to_server:
            configured.append(found)
    instances = []
    for instance in configured:
        connection = by_instance.pop(instance.name, None)
        successor = successor_of(connection)
        instances.append(
            {
                "name": instance.name,
                "host": instance.host,
                "provider": instance.provider,
                "is_active": instance.is_active,
                "connection": connection,
                "successor": successor,
                # What the row says and its one action, in the words of states.describe().
                "state": (
                    _offered_state(connection, successor, every, instance.name in offered)
                    if connection is not None
                    else None
                ),
            }
        )
    response = _render(
        request,
        "django_workfront_oauth/connections.html",
        {
            "instances": instances,
            # Connections to instances that are no longer configured can still be removed.
            "orphans": list(by_instance.values()),
            "multiple_instances": len(instances) > 1,
        },
    )
    # Its URL holds no secret, and its forms POST here: Origin must be sent for CSRF.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
@csrf_protect
@xframe_options_deny
@login_required
def disconnect(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the user's own connections (another user's is a 404).

    A GET asks first, saying that disconnecting also signs the user out at Workfront.
    """
    connection = get_object_or_404(
        WorkfrontConnection.objects.without_tokens(), pk=pk, user=request.user
    )
    if request.method == "GET":
        next_url = safe_next_url(request, request.GET.get("next"))
        return _render(
            request,
            "django_workfront_oauth/disconnect.html",
            {"connection": connection, "next": next_url},
        )
    services.disconnect(
        connection, by=request.user.get_username(), how="the connections page's Disconnect"
    )
    messages.success(request, _("Your Workfront account is disconnected."), fail_silently=True)
    return HttpResponseRedirect(
        safe_next_url(request, request.POST.get("next")) or reverse("workfront_oauth:connections")
    )
