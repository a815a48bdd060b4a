"""Plain request and response values, so endpoint code never touches sockets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

Query = dict[str, list[str]]

FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
#: The headers of every token response (RFC 6749 5.1): tokens must not be cached.
NO_STORE: Mapping[str, str] = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class Request:
    """One HTTP request as the endpoints see it; header names are lower case."""

    method: str
    path: str
    query: Query
    headers: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """A header's value (case-insensitive name), or ``None``."""
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``""`` when absent)."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def form(self) -> Query:
        """The body as form fields when it is form-encoded; empty otherwise."""
        if self.content_type != FORM_TYPE:
            return {}
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def query_value(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    """What an endpoint wants sent; ``abort`` closes the connection without answering."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    # Seconds to wait before answering (or aborting): the "timeout" fault.
    delay: float = 0.0
    abort: bool = False


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(
        status,
        json.dumps(payload).encode(),
        [("Content-Type", "application/json;charset=UTF-8"), *(headers or {}).items()],
    )


def html_response(status: int, html: str) -> Response:
    """An HTML page, never cached: a sign-in or consent page reached again with Back is asked
    for again, so the server can say that its request was answered already."""
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")]
    return Response(status, html.encode(), headers)


def redirect(location: str, status: int = 302) -> Response:
    """A redirect (302, or 303 after a form) to ``location``."""
    return Response(status, b"", [("Location", location), ("Cache-Control", "no-store")])


def token_error(status: int, error_type: str, message: str) -> Response:
    """The token endpoint's error body: not RFC 6749's shape, Workfront's own."""
    payload = {
        "statusCode": status,
        "error": HTTPStatus(status).phrase,
        "type": error_type,
        "message": message,
    }
    return json_response(status, payload, {"Cache-Control": "no-store"})


def api_error(status: int, error_class: str, message: str) -> Response:
    """The REST API's error body: ``{"error": {"class": ..., "message": ...}}``."""
    return json_response(status, {"error": {"class": error_class, "message": message}})


def ims_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Adobe IMS's error body: ``{"error": <code>, "error_description": <text>}``."""
    payload = {"error": error, "error_description": description}
    return json_response(status, payload, {"Cache-Control": "no-store", **(headers or {})})


def gateway_error(status: int, error_code: str, message: str) -> Response:
    """Adobe's API gateway error body, in front of Workfront for IMS tokens."""
    return json_response(status, {"error_code": error_code, "message": message})
