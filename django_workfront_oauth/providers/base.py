"""The provider interface, and what every authorization server shares: token parsing, client
authentication, Workfront's own user lookup.

A provider knows one authorization server's endpoints and quirks and nothing of Django models:
views, services and the client talk to :class:`OAuthProvider` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, ClassVar, TypeGuard
from urllib.parse import quote_plus, urlencode

import requests
from django.views.decorators.debug import sensitive_variables

from ..conf import InstanceSettings, setting_name
from ..exceptions import (
    ClientCredentialsRefused,
    ReauthorizationRequired,
    UnusableTokenAnswer,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from ..http import describe_url, retry_after_seconds, send

__all__ = [
    "CLIENT_SECRET_POST",
    "OAuthProvider",
    "PKCEPair",
    "TokenSet",
    "WorkfrontIdentity",
    "is_usable_token",
    "json_or_none",
    "safe_code",
]

CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 - a method name, not a secret

#: Short, code-like values from an error body may go into messages; free text never does.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# An ``expires_in`` above this can only be milliseconds (the retired Adobe JWT exchange used
# them): no authorization server hands out tokens for more than a year.
_MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True, repr=False)
class TokenSet:
    """A normalised token response. ``refresh_token`` is empty when the server sent none."""

    access_token: str
    refresh_token: str
    expires_in: timedelta
    token_type: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Never the tokens themselves.
        return (
            f"<TokenSet type={self.token_type!r} expires_in={self.expires_in} "
            f"refresh_token={'set' if self.refresh_token else 'none'}>"
        )


@dataclass(frozen=True)
class WorkfrontIdentity:
    """Who the Workfront user behind a token is."""

    id: str
    name: str = ""
    email: str = ""
    #: The authorization server's own user id, when it has one (IMS ``sub``).
    external_id: str = ""


@dataclass(frozen=True)
class PKCEPair:
    """An S256 code verifier and its challenge (RFC 7636)."""

    verifier: str
    challenge: str

    @classmethod
    def generate(cls) -> PKCEPair:
        """A fresh pair; the verifier has 256 bits of randomness."""
        verifier = secrets.token_urlsafe(32)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return cls(verifier=verifier, challenge=challenge)


def safe_code(value: Any) -> str:
    """``value`` when it looks like an error code, else an empty string."""
    return value if isinstance(value, str) and _SAFE_CODE.match(value) else ""


#: RFC 6750's b64token and what Workfront's session IDs look like: visible ASCII, bounded.
_USABLE_TOKEN = re.compile(r"^[\x21-\x7e]{1,8192}$")


def is_usable_token(value: Any) -> TypeGuard[str]:
    """True for a string that can be stored and sent as a header value."""
    return isinstance(value, str) and _USABLE_TOKEN.match(value) is not None


def json_or_none(response: requests.Response) -> Any:
    """The JSON body, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError, RecursionError):
        # RecursionError: a body nested thousands deep is not an answer we can use either.
        return None


class OAuthProvider(ABC):
    """One authorization server, configured for one instance."""

    #: The value of the ``PROVIDER`` setting that selects this class.
    name: ClassVar[str]

    def __init__(self, instance: InstanceSettings) -> None:
        self.instance = instance

    def __repr__(self) -> str:
        return f"<{type(self).__name__} instance={self.instance.name!r}>"

    # -- the authorization request ---------------------------------------------------------

    @abstractmethod
    def authorization_endpoint(self, host: str) -> str:
        """The URL of the server's authorization endpoint."""

    def authorization_params(self) -> dict[str, str]:
        """Parameters of the authorization request beyond the standard ones (``scope``…)."""
        return {}

    #: Whether the authorization request carries an OpenID Connect ``nonce`` (RFC 9700 4.5).
    uses_nonce: ClassVar[bool] = False

    def authorization_url(
        self,
        *,
        host: str,
        state: str,
        redirect_uri: str,
        code_challenge: str = "",
        nonce: str = "",
    ) -> str:
        """Where the user's browser goes to log in and consent."""
        params = {
            "client_id": self.instance.client_id,
            "redirect_uri": redirect_uri,
            **self.authorization_params(),
            "response_type": "code",
            "state": state,
        }
        if nonce:
            params["nonce"] = nonce
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.authorization_endpoint(host)}?{urlencode(params)}"

    def validate_callback(self, params: Mapping[str, str]) -> None:  # noqa: B027 - optional hook
        """Raise :class:`InvalidCallback` when the callback's extra parameters do not fit."""

    def callback_identity(self, params: Mapping[str, str]) -> tuple[str, str]:
        """The ``(domain, lane)`` to record for a callback (blank where the server has none)."""
        return "", ""

    # -- the token endpoint ----------------------------------------------------------------

    @abstractmethod
    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = "", nonce: str = ""
    ) -> TokenSet:
        """Trade an authorization code for tokens.

        ``redirect_uri`` is always sent: RFC 6749 4.1.3 requires it whenever the authorization
        request carried one, and ours always does. Raises :class:`InvalidCallback` when the
        answer's ``id_token`` does not belong to this flow (``nonce``).
        """

    @abstractmethod
    def refresh(self, *, host: str, refresh_token: str, redirect_uri: str = "") -> TokenSet:
        """Trade a refresh token for new tokens."""

    # -- after the flow --------------------------------------------------------------------

    @abstractmethod
    def api_headers(self, access_token: str) -> dict[str, str]:
        """The headers that authenticate a Workfront API call."""

    @abstractmethod
    def identify(self, *, host: str, access_token: str) -> WorkfrontIdentity:
        """Who the Workfront user is."""

    @abstractmethod
    def end_session(self, *, host: str, access_token: str, refresh_token: str) -> None:
        """End the server-side session or grant; raises on failure (callers decide)."""

    # -- shared helpers --------------------------------------------------------------------

    @property
    def timeout(self) -> float:
        """Seconds before any request to this server gives up."""
        return self.instance.timeout_seconds

    def api_url(self, host: str, path: str) -> str:
        """The absolute URL of a Workfront API path (``USER/search``, ``logout``)."""
        return f"{host}/attask/api/{self.instance.api_version}/{path.lstrip('/')}"

    def parse_expires_in(self, value: Any) -> timedelta:
        """``expires_in`` as a duration; 0, missing or junk means ``ACCESS_TOKEN_LIFETIME``."""
        if isinstance(value, bool):
            return self.instance.access_token_lifetime
        try:
            seconds = float(value)
        except (TypeError, ValueError, OverflowError):
            return self.instance.access_token_lifetime
        if not seconds > 0 or seconds != seconds or seconds == float("inf"):
            return self.instance.access_token_lifetime
        if seconds > _MAX_EXPIRES_IN_SECONDS:
            seconds /= 1000
        if seconds > _MAX_EXPIRES_IN_SECONDS:
            # Neither seconds nor milliseconds: junk, like 1e15.
            return self.instance.access_token_lifetime
        return timedelta(seconds=seconds)

    def parse_token_response(self, response: requests.Response, *, grant: str) -> TokenSet:
        """Turn a token endpoint response into a :class:`TokenSet`, or raise by failure kind.

        400 and 401 mean the grant (code or refresh token) was refused: the user must connect
        again. Everything else that is not a usable token response is transient: status and
        tokens are left alone and the next attempt may succeed.
        """
        where = describe_url(response.url or "")
        status = response.status_code
        body = json_or_none(response)
        code = self.error_detail(response, body)
        detail = f" ({code})" if code else ""
        if code.split(",")[0] == "invalid_client":
            # Our own credentials were refused: a setting to fix, not a reason to give up on
            # every user's grant. Status and tokens stay as they are.
            name = self.instance.name
            raise ClientCredentialsRefused(
                f"The token endpoint {where} refused this site's client credentials: HTTP "
                f"{status}{detail}. Check {setting_name(name, 'CLIENT_ID')} and "
                f"{setting_name(name, 'CLIENT_SECRET')}."
            )
        if status in (400, 401):
            raise ReauthorizationRequired(
                f"The token endpoint {where} refused the {grant}: HTTP {status}{detail}."
            )
        if status == 429 or status >= 500:
            raise WorkfrontUnavailable(
                f"The token endpoint {where} is unavailable: HTTP {status}{detail}.",
                retry_after=retry_after_seconds(response),
            )
        if status != 200:
            raise WorkfrontUnavailable(
                f"The token endpoint {where} answered HTTP {status}{detail}; expected 200."
            )
        if not isinstance(body, Mapping):
            raise WorkfrontUnavailable(f"The token endpoint {where} answered with a non-JSON body.")
        access_token = body.get("access_token")
        refresh_token = body.get("refresh_token")
        usable_refresh_token = refresh_token if is_usable_token(refresh_token) else ""
        if not isinstance(access_token, str) or not access_token:
            raise UnusableTokenAnswer(
                f"The token endpoint {where} answered without an access token{detail}.",
                refresh_token=usable_refresh_token,
            )
        if not is_usable_token(access_token):
            # Sent as a header it would fail (a character outside visible ASCII) or be absurd.
            raise UnusableTokenAnswer(
                f"The token endpoint {where} answered with an access token that cannot be used "
                "(characters outside visible ASCII, or over 8 kB).",
                refresh_token=usable_refresh_token,
            )
        if refresh_token and not usable_refresh_token:
            raise UnusableTokenAnswer(
                f"The token endpoint {where} answered with a refresh token that cannot be used."
            )
        extra = {
            key: str(body[key])
            for key in self.extra_token_fields
            if key in body and isinstance(body[key], (str, int))
        }
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token if isinstance(refresh_token, str) else "",
            expires_in=self.parse_expires_in(body.get("expires_in")),
            token_type=str(body.get("token_type") or "")[:32],
            extra=extra,
        )

    #: Token response fields kept beside the tokens.
    extra_token_fields: ClassVar[tuple[str, ...]] = ()

    def error_detail(self, response: requests.Response, body: Any) -> str:
        """A short, secret-free description of a token endpoint error: its code."""
        if isinstance(body, Mapping):
            return safe_code(body.get("error")) or safe_code(body.get("type"))
        return ""

    # -- Workfront's API, as every provider's tokens reach it ------------------------------

    def is_authentication_failure(self, status: int, body: Any) -> bool:
        """True when an API answer means "this token is no good": refresh once and retry."""
        if status == 401:
            return True
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return False
        return str(error.get("class") or "").endswith("AuthenticationException") or (
            "not currently logged in" in str(error.get("message") or "").lower()
        )

    def configuration_problem(self, status: int, body: Any) -> str:
        """A message naming the setting to fix when an API answer is a configuration error."""
        return ""

    @sensitive_variables()
    def workfront_user(self, *, host: str, access_token: str) -> WorkfrontIdentity:
        """``USER/search?ID=$$USER.ID``: the Workfront user behind a token."""
        response = send(
            "GET",
            self.api_url(host, "USER/search"),
            params={"ID": "$$USER.ID", "fields": "ID,name,emailAddr"},
            headers=self.api_headers(access_token),
            **self.instance.http_bounds,
        )
        body = json_or_none(response)
        if response.status_code >= 500 or response.status_code == 429:
            raise WorkfrontUnavailable(
                f"Workfront could not say who the user is: HTTP {response.status_code}.",
                retry_after=retry_after_seconds(response),
            )
        problem = self.configuration_problem(response.status_code, body)
        if problem:
            raise WorkfrontAPIError(problem, status=response.status_code)
        rows = body.get("data") if isinstance(body, Mapping) else None
        if response.status_code != 200 or not isinstance(rows, list) or not rows:
            error = body.get("error") if isinstance(body, Mapping) else None
            error_class = safe_code(error.get("class")) if isinstance(error, Mapping) else ""
            raise WorkfrontAPIError(
                "Workfront did not return the current user.",
                status=response.status_code,
                error_class=error_class,
            )
        row = rows[0] if isinstance(rows[0], Mapping) else {}
        user_id = row.get("ID")
        if not isinstance(user_id, str) or not user_id:
            raise WorkfrontAPIError(
                "Workfront returned a user without an ID.", status=response.status_code
            )
        return WorkfrontIdentity(
            id=user_id,
            name=str(row.get("name") or "")[:255],
            email=str(row.get("emailAddr") or "")[:254],
        )

    @sensitive_variables()
    def post_with_client_auth(
        self, url: str, fields: dict[str, str], *, json_body: bool = False
    ) -> requests.Response:
        """POST to the token or revoke endpoint, authenticated as ``TOKEN_AUTH_METHOD`` says.

        ``client_secret_basic`` sends HTTP Basic credentials, each form-urlencoded before the
        base64 step as RFC 6749 2.3.1 requires (a no-op for the usual letters, digits and
        ``-``), and a JSON body when ``json_body``; ``client_secret_post`` puts them in the form
        body. RFC 7009 2.1 asks the revoke endpoint for the same client authentication.
        """
        headers = {"Accept": "application/json"}
        if self.instance.token_auth_method == CLIENT_SECRET_POST:
            body = {
                **fields,
                "client_id": self.instance.client_id,
                "client_secret": self.instance.client_secret,
            }
            return send("POST", url, data=body, headers=headers, **self.instance.http_bounds)
        credentials = (
            quote_plus(self.instance.client_id),
            quote_plus(self.instance.client_secret),
        )
        return send(
            "POST",
            url,
            auth=credentials,
            headers=headers,
            json=fields if json_body else None,
            data=None if json_body else fields,
            **self.instance.http_bounds,
        )

    @sensitive_variables()
    def post_token_request(
        self, url: str, fields: dict[str, str], description: str, *, json_body: bool
    ) -> TokenSet:
        """POST to a token endpoint with the client's credentials; the answer as a token set."""
        response = self.post_with_client_auth(url, fields, json_body=json_body)
        return self.parse_token_response(response, grant=description)
