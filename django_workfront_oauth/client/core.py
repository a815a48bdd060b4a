"""The client's core: one authenticated call, its refresh-and-retry, and Workfront's errors.

While the access token is fresh an API call costs no SQL query: the connection in memory has
everything. An expired token is refreshed first; a token Workfront refuses is refreshed once
and the call retried once. A user's connection is refreshed with its refresh token; the site's
own Server-to-Server connection (:func:`service_client`) gets a new token instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import requests

from ..exceptions import WorkfrontAPIError, WorkfrontOAuthError, WorkfrontUnavailable, api_error_for
from ..http import retry_after_seconds, send
from ..models import ServiceConnection
from ..providers import OAuthProvider, get_provider, json_or_none, safe_code
from ..redact import scrubbed_traceback
from ..services import refresh_connection, renew_service_token
from .limits import host_slots

if TYPE_CHECKING:
    from ..models import WorkfrontConnection

__all__ = ["MAX_MESSAGE_LENGTH", "MAX_PAGE_SIZE", "MAX_URL_LENGTH", "ClientCore"]

#: Workfront's largest page (``$$LIMIT``).
MAX_PAGE_SIZE = 2000
#: Workfront caps URLs at 8,892 bytes; longer queries go as a POST with ``method=GET``.
MAX_URL_LENGTH = 8000
#: How much of Workfront's own error message is kept in exceptions.
MAX_MESSAGE_LENGTH = 300


_MISSING = object()


def _query_may_be_long(url: str, query: Mapping[str, Any]) -> bool:
    """A cheap upper bound before the exact length: percent-encoding at most triples a byte."""
    bound = len(url) + sum(
        3 * (len(str(key)) + len(str(value))) + 2 for key, value in query.items()
    )
    return bound > MAX_URL_LENGTH


class ClientCore:
    """Calls Workfront's REST API (``/attask/api/<version>/``) with a connection's token."""

    def __init__(
        self,
        connection: WorkfrontConnection | ServiceConnection,
        *,
        busy_retries: int = 2,
        max_retry_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.connection = connection
        #: How many times a 429 or 503 is retried, and the longest wait before a retry.
        self.busy_retries = busy_retries
        self.max_retry_wait = max_retry_wait
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"<WorkfrontClient connection={self.connection.pk} host={self.connection.host!r}>"

    @cached_property
    def provider(self) -> OAuthProvider:
        """The connection's provider, which knows the headers to send.

        Worked out once per client: rebuilding the instance's settings on every call would
        cost more than the rest of the client's own work.
        """
        try:
            instance = self.connection.get_instance_settings()
        except KeyError:
            raise WorkfrontOAuthError(
                f"The instance {self.connection.instance!r} is no longer configured."
            ) from None
        return get_provider(instance, self.connection.provider)

    @property
    def base_url(self) -> str:
        """``<host>/attask/api/<version>``."""
        return self.provider.api_url(self.connection.host, "").rstrip("/")

    # -- the generic call --------------------------------------------------------------------

    @scrubbed_traceback
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call ``<base_url>/<path>`` and return the response's ``data``."""
        provider = self.provider
        if self._expired():
            self._renew()
        used_token = self.connection.access_token
        response = self._send(provider, method, path, params, data, files)
        body = json_or_none(response)  # parsed once: a page can be a megabyte
        if response.status_code == 200 and type(body) is dict and "error" not in body:
            # The common answer, {"data": …}: no refusal or error to look for.
            data_of_body = body.get("data", _MISSING)
            if data_of_body is not _MISSING:
                return data_of_body
        if provider.is_authentication_failure(response.status_code, body):
            self._renew(rejected_access_token=used_token)
            response = self._send(provider, method, path, params, data, files)
            body = json_or_none(response)
        return self._unwrap(provider, response, body)

    def get(self, path: str, **params: Any) -> Any:
        """``GET`` with query parameters."""
        return self.request("GET", path, params=params)

    def post(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """``POST`` with query parameters and an optional form body."""
        return self.request("POST", path, params=params, data=data)

    def put(self, path: str, data: Mapping[str, Any] | None = None, **params: Any) -> Any:
        """``PUT`` with query parameters and an optional form body."""
        return self.request("PUT", path, params=params, data=data)

    def delete(self, path: str, **params: Any) -> Any:
        """``DELETE`` with query parameters."""
        return self.request("DELETE", path, params=params)

    # -- plumbing ----------------------------------------------------------------------------

    def _expired(self) -> bool:
        """``connection.is_expired()``, worked out once per token and expiry, then a float compare.

        On every call: Django's ``timezone.now()`` and an aware-datetime comparison cost more
        than the rest of the client's own work on a fresh token (the benchmark's overhead).
        """
        connection = self.connection
        key = (connection.access_token, connection.access_token_expires_at)
        cached = self.__dict__.get("_expiry")
        if cached is None or cached[0] != key:
            expires = connection.access_token_expires_at
            at = (
                float("-inf") if connection.is_expired() or expires is None else expires.timestamp()
            )
            cached = (key, at)
            self.__dict__["_expiry"] = cached
        return time.time() >= cached[1]

    @cached_property
    def _api_root(self) -> str:
        return self.provider.api_url(self.connection.host, "")

    def _renew(self, rejected_access_token: str | None = None) -> None:
        """A fresh token: refreshed for a user's connection, re-minted for the site's own."""
        if isinstance(self.connection, ServiceConnection):
            renew_service_token(self.connection, rejected_access_token=rejected_access_token)
        else:
            refresh_connection(self.connection, rejected_access_token=rejected_access_token)

    def _send(
        self,
        provider: OAuthProvider,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        files: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        url = self._api_root + path.lstrip("/")
        query: Mapping[str, Any] = params or {}
        body: Mapping[str, Any] | None = data
        if (
            files is None
            and _query_may_be_long(url, query)
            and (len(url) + len(urlencode(query, doseq=True)) + 1 > MAX_URL_LENGTH)
        ):
            # Too long for Workfront's URL limit (a long filter, a big ID list): the same
            # request POSTed with the parameters in the body, the real method as method=.
            body = {**query, **(body or {}), "method": method.upper()}
            method, query = "POST", {}
        slots = host_slots(self.connection.host, provider.instance.max_concurrent_requests)
        headers = self._headers(provider)
        for attempt in range(self.busy_retries + 1):
            with slots:
                response = send(
                    method,
                    url,
                    params=query or None,
                    data=body,
                    files=files,
                    headers=headers,
                    **self._bounds,
                )
            if response.status_code not in (429, 503) or attempt == self.busy_retries:
                return response
            wait = retry_after_seconds(response)
            if wait is None:
                wait = float(2**attempt)
            if wait > self.max_retry_wait:
                break  # Asked to wait longer than we may: give up now, say how long.
            self._sleep(wait)
        raise WorkfrontUnavailable(
            f"Workfront is busy (HTTP {response.status_code}).",
            retry_after=retry_after_seconds(response),
        )

    @cached_property
    def _bounds(self) -> dict[str, Any]:
        return self.provider.instance.http_bounds

    def _headers(self, provider: OAuthProvider) -> dict[str, str]:
        """The call's headers, built again only when the token changed (a refresh)."""
        token = self.connection.access_token
        cached = self.__dict__.get("_headers_cache")
        if cached is None or cached[0] != token:
            cached = (token, provider.api_headers(token))
            self.__dict__["_headers_cache"] = cached
        return cached[1]

    @staticmethod
    def _error_of(body: Any) -> tuple[str, str] | None:
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return None
        message = str(error.get("message") or "")[:MAX_MESSAGE_LENGTH]
        return str(error.get("class") or ""), message

    def _unwrap(self, provider: OAuthProvider, response: requests.Response, body: Any) -> Any:
        error = self._error_of(body)
        status = response.status_code
        problem = provider.configuration_problem(status, body)
        if problem:
            # A setting is wrong: no refresh or retry can fix that.
            raise WorkfrontAPIError(problem, status=status, error_class="configuration")
        if error is not None:
            error_class, message = error
            raise api_error_for(
                message or "Workfront returned an error.",
                status=status,
                error_class=safe_code(error_class) or error_class[:100],
            )
        if status == 429 or status >= 500:
            raise WorkfrontUnavailable(
                f"Workfront answered HTTP {status}.", retry_after=retry_after_seconds(response)
            )
        if status >= 300:
            raise api_error_for(f"Workfront answered HTTP {status}.", status=status)
        if not isinstance(body, Mapping) or "data" not in body:
            raise WorkfrontAPIError("Workfront's answer is not a JSON data object.", status=status)
        return body["data"]
