"""The route table: which endpoint serves which path, for both servers and the API.

Its own module so that the server (sockets) and the endpoints (HTTP semantics) do not know each
other: ``server.py`` imports this table, this table imports the endpoints, and none of them
imports the emulator class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django_workfront_oauth.constants import (
    IMS_AUTHORIZE_PATH,
    IMS_DISCOVERY_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
    LEGACY_AUTHORIZE_PATH,
    LEGACY_TOKEN_PATH,
)

from . import api, consent, ims, legacy, pages
from .backend import Backend, Endpoint
from .messages import Request, Response, html_response

GET = frozenset({"GET"})
POST = frozenset({"POST"})


@dataclass(frozen=True)
class Route:
    """A path pattern (matched in full), the endpoint that serves it, the methods it accepts."""

    pattern: re.Pattern[str]
    endpoint: Endpoint
    #: How the index page lists it.
    label: str
    # None: any method, the endpoint answers for itself (the token endpoints and the API
    # reply in their own error format).
    methods: frozenset[str] | None = None


def exact(path: str, endpoint: Endpoint, methods: frozenset[str] | None = None) -> Route:
    """A route for one literal path."""
    label = f"{'|'.join(sorted(methods))} {path}" if methods else path
    return Route(re.compile(re.escape(path)), endpoint, label, methods)


def index(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``GET /``: what this server is, how to log in and what it serves."""
    labels = [route.label for route in ROUTES if route.endpoint is not index]
    page = pages.index_page(backend.domain, backend.lane, backend.default_user.username, labels)
    return html_response(200, page)


# Both authorization servers on one GrantStore; the login and consent forms are shared.
ROUTES: tuple[Route, ...] = (
    exact(LEGACY_AUTHORIZE_PATH, legacy.authorize, GET),
    exact(pages.LOGIN_PATH, consent.login, POST),
    exact(pages.CONSENT_PATH, consent.consent, GET | POST),
    exact(LEGACY_TOKEN_PATH, legacy.token),
    exact(IMS_AUTHORIZE_PATH, ims.authorize, GET),
    exact(IMS_TOKEN_PATH, ims.token),
    exact(IMS_REVOKE_PATH, ims.revoke),
    exact(IMS_USERINFO_PATH, ims.userinfo),
    exact(IMS_DISCOVERY_PATH, ims.discovery, GET),
    Route(
        re.compile(api.API_PATH),
        api.api,
        "/attask/api/<version>/<objCode>[/search|count|report|metadata|<query>|<ID>[/<action>]],"
        " /attask/api/<version>/metadata|upload|batch|logout",
    ),
    exact("/", index, GET),
)


def route(backend: Backend, request: Request) -> Response:
    """The response of the endpoint whose path matches, or a 404 or 405 page."""
    for candidate in ROUTES:
        match = candidate.pattern.fullmatch(request.path)
        if match is None:
            continue
        if candidate.methods is not None and request.method not in candidate.methods:
            return html_response(405, pages.error_page("Method not allowed."))
        return candidate.endpoint(backend, request, match)
    return html_response(404, pages.not_found_page())
