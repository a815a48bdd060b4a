"""Authorization servers: where the flow starts, how codes and refresh tokens become tokens.

A provider knows one authorization server's endpoints and quirks and nothing of Django models:
views, services and the client talk to :class:`OAuthProvider` only, so that a second server
(Adobe IMS, Workfront's successor) fits beside the legacy Workfront OAuth2 app.
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
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests
from django.views.decorators.debug import sensitive_variables

from .conf import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT, InstanceSettings
from .exceptions import (
    InvalidCallback,
    ReauthorizationRequired,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from .http import describe_url, retry_after_seconds, send

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


def json_or_none(response: requests.Response) -> Any:
    """The JSON body, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
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

    def authorization_url(
        self, *, host: str, state: str, redirect_uri: str, code_challenge: str = ""
    ) -> str:
        """Where the user's browser goes to log in and consent."""
        params = {
            "client_id": self.instance.client_id,
            "redirect_uri": redirect_uri,
            **self.authorization_params(),
            "response_type": "code",
            "state": state,
        }
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
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        """Trade an authorization code for tokens."""

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
        except (TypeError, ValueError):
            return self.instance.access_token_lifetime
        if not seconds > 0 or seconds != seconds or seconds == float("inf"):
            return self.instance.access_token_lifetime
        if seconds > _MAX_EXPIRES_IN_SECONDS:
            seconds /= 1000
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
            raise WorkfrontUnavailable(
                f"The token endpoint {where} refused this site's client credentials: HTTP "
                f"{status}{detail}. Check WORKFRONT_OAUTH_CLIENT_ID and "
                "WORKFRONT_OAUTH_CLIENT_SECRET."
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
        if not isinstance(access_token, str) or not access_token:
            raise WorkfrontUnavailable(
                f"The token endpoint {where} answered without an access token{detail}."
            )
        refresh_token = body.get("refresh_token")
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
            timeout=self.timeout,
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
    def post_token_request(
        self, url: str, fields: dict[str, str], description: str, *, json_body: bool
    ) -> TokenSet:
        """POST to a token endpoint with the client's credentials, as ``TOKEN_AUTH_METHOD`` says.

        ``client_secret_basic`` sends HTTP Basic credentials (and a JSON body when
        ``json_body``); ``client_secret_post`` sends them in a form body.
        """
        headers = {"Accept": "application/json"}
        if self.instance.token_auth_method == CLIENT_SECRET_POST:
            body = {
                **fields,
                "client_id": self.instance.client_id,
                "client_secret": self.instance.client_secret,
            }
            response = send("POST", url, data=body, headers=headers, timeout=self.timeout)
        else:
            credentials = (self.instance.client_id, self.instance.client_secret)
            payload = {"json": fields} if json_body else {"data": fields}
            response = send(
                "POST", url, auth=credentials, headers=headers, timeout=self.timeout, **payload
            )
        return self.parse_token_response(response, grant=description)


class WorkfrontProvider(OAuthProvider):
    """Workfront's legacy OAuth2 app (``/integrations/oauth2``), retired on 2027-02-01."""

    name = PROVIDER_WORKFRONT
    extra_token_fields = ("wid",)

    def authorization_endpoint(self, host: str) -> str:
        return f"{host}/integrations/oauth2/authorize"

    def validate_callback(self, params: Mapping[str, str]) -> None:
        # domain and lane are chosen by whoever crafted the callback URL: only ever compared
        # with what we expect, never used to build a URL.
        # Without an expectation (a host of another form and no DOMAIN/LANE set, which a
        # system check warns about) there is nothing to compare with.
        expected = self.instance.expected_domain_lane
        if expected is None:
            return
        for index, key in enumerate(("domain", "lane")):
            value = params.get(key)
            if value is not None and value.lower() != expected[index]:
                raise InvalidCallback(
                    f"The callback's {key} does not match the instance {self.instance.name!r}."
                )

    def callback_identity(self, params: Mapping[str, str]) -> tuple[str, str]:
        return self.instance.expected_domain_lane or ("", "")

    @sensitive_variables()
    def _token_request(
        self, host: str, grant: str, fields: dict[str, str], description: str
    ) -> TokenSet:
        # Documented example 1 is JSON with HTTP Basic; example 2 is a form with credentials.
        return self.post_token_request(
            f"{host}/integrations/oauth2/api/v1/token",
            {"grant_type": grant, **fields},
            description,
            json_body=True,
        )

    @sensitive_variables()
    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        fields = {"code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            fields["code_verifier"] = code_verifier
        return self._token_request(host, "authorization_code", fields, "authorization code")

    @sensitive_variables()
    def refresh(self, *, host: str, refresh_token: str, redirect_uri: str = "") -> TokenSet:
        fields = {"refresh_token": refresh_token}
        # The documented form-style refresh also carries redirect_uri; the JSON style does not.
        if self.instance.token_auth_method == CLIENT_SECRET_POST and redirect_uri:
            fields["redirect_uri"] = redirect_uri
        return self._token_request(host, "refresh_token", fields, "refresh token")

    @sensitive_variables()
    def api_headers(self, access_token: str) -> dict[str, str]:
        return {"SessionID": access_token, "Accept": "application/json"}

    def identify(self, *, host: str, access_token: str) -> WorkfrontIdentity:
        return self.workfront_user(host=host, access_token=access_token)

    @sensitive_variables()
    def end_session(self, *, host: str, access_token: str, refresh_token: str) -> None:
        # There is no revoke endpoint; logging the session out is all Workfront offers.
        if not access_token:
            return
        response = send(
            "GET",
            self.api_url(host, "logout"),
            headers=self.api_headers(access_token),
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise WorkfrontUnavailable(f"Workfront logout answered HTTP {response.status_code}.")


def _gateway_error(body: Any) -> tuple[str, str]:
    """``(error_code, message)`` of an Adobe API gateway error body (``{"error_code", …}``)."""
    if not isinstance(body, Mapping):
        return "", ""
    code = body.get("error_code") or body.get("errorcode") or ""
    return str(code), str(body.get("message") or "")


class AdobeIMSProvider(OAuthProvider):
    """Adobe IMS, through an Adobe Developer Console "OAuth Web App" credential.

    IMS issues the tokens; Workfront's API (at the instance's ``HOST``) accepts them as a
    Bearer token with the org id and the client id as API key.
    """

    name = PROVIDER_ADOBE_IMS
    extra_token_fields = ("id_token",)

    @property
    def ims_host(self) -> str:
        """IMS base URL (``IMS_HOST``)."""
        return self.instance.ims_host

    def authorization_endpoint(self, host: str) -> str:
        # IMS is one global server; the Workfront host only matters for API calls.
        return f"{self.ims_host}/ims/authorize/v2"

    def authorization_params(self) -> dict[str, str]:
        return {"scope": ",".join(self.instance.scopes)}

    def error_detail(self, response: requests.Response, body: Any) -> str:
        code = safe_code(body.get("error")) if isinstance(body, Mapping) else ""
        # IMS support asks for the x-debug-id of a failed call: keep it with the error.
        debug_id = safe_code(response.headers.get("x-debug-id", ""))
        return ", ".join(part for part in (code, debug_id and f"x-debug-id {debug_id}") if part)

    @sensitive_variables()
    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = ""
    ) -> TokenSet:
        fields = {"grant_type": "authorization_code", "code": code}
        if code_verifier:
            fields["code_verifier"] = code_verifier
        return self.post_token_request(
            f"{self.ims_host}/ims/token/v3", fields, "authorization code", json_body=False
        )

    @sensitive_variables()
    def refresh(self, *, host: str, refresh_token: str, redirect_uri: str = "") -> TokenSet:
        return self.post_token_request(
            f"{self.ims_host}/ims/token/v3",
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            "refresh token",
            json_body=False,
        )

    @sensitive_variables()
    def api_headers(self, access_token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {access_token}",
            "x-gw-ims-org-id": self.instance.ims_org_id,
            "x-api-key": self.instance.client_id,
            "Accept": "application/json",
        }

    def is_authentication_failure(self, status: int, body: Any) -> bool:
        code, message = _gateway_error(body)
        if status == 403:
            # The gateway refuses a bad or expired token with codes of its own.
            return code.startswith("401") or "token" in message.lower()
        return super().is_authentication_failure(status, body) or code.startswith("401")

    def configuration_problem(self, status: int, body: Any) -> str:
        if status != 403 or self.is_authentication_failure(status, body):
            return ""
        code, message = _gateway_error(body)
        text = f"{code} {message}".lower()
        if "api key" in text or "api_key" in text or code == "403003":
            return (
                "Workfront's API gateway refused the API key (HTTP 403): check "
                "WORKFRONT_OAUTH_CLIENT_ID, which is sent as x-api-key, and that the Workfront "
                "API is added to the Developer Console project."
            )
        if "org" in text:
            return (
                "Workfront's API gateway refused the organisation (HTTP 403): check "
                "WORKFRONT_OAUTH_IMS_ORG_ID, which is sent as x-gw-ims-org-id."
            )
        return (
            "Workfront refused the Adobe IMS credentials (HTTP 403): check "
            "WORKFRONT_OAUTH_IMS_ORG_ID and WORKFRONT_OAUTH_CLIENT_ID, and that the Workfront "
            "instance is enabled for Adobe IMS."
        )

    @sensitive_variables()
    def identify(self, *, host: str, access_token: str) -> WorkfrontIdentity:
        response = send(
            "GET",
            f"{self.ims_host}/ims/userinfo/v2",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=self.timeout,
        )
        body = json_or_none(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise WorkfrontUnavailable(
                f"Adobe IMS could not say who the user is: HTTP {response.status_code}.",
                retry_after=retry_after_seconds(response),
            )
        subject = body.get("sub") if isinstance(body, Mapping) else None
        if response.status_code != 200 or not isinstance(subject, str) or not subject:
            raise WorkfrontAPIError(
                "Adobe IMS did not return the user.",
                status=response.status_code,
                error_class=self.error_detail(response, body),
            )
        user = self.workfront_user(host=host, access_token=access_token)
        return WorkfrontIdentity(
            id=user.id,
            name=user.name or str(body.get("name") or "")[:255],
            email=user.email or str(body.get("email") or "")[:254],
            external_id=subject[:255],
        )

    @sensitive_variables()
    def end_session(self, *, host: str, access_token: str, refresh_token: str) -> None:
        # Revoking the refresh token ends the grant; the access token then only lives out its day.
        token = refresh_token or access_token
        if not token:
            return
        response = send(
            "POST",
            f"{self.ims_host}/ims/revoke",
            data={"token": token},
            auth=(self.instance.client_id, self.instance.client_secret),
            headers={"Accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            detail = self.error_detail(response, json_or_none(response))
            raise WorkfrontUnavailable(
                f"Adobe IMS revoke answered HTTP {response.status_code}"
                + (f" ({detail})." if detail else ".")
            )


_PROVIDERS: dict[str, type[OAuthProvider]] = {
    WorkfrontProvider.name: WorkfrontProvider,
    AdobeIMSProvider.name: AdobeIMSProvider,
}


def get_provider(instance: InstanceSettings, name: str = "") -> OAuthProvider:
    """The provider ``name`` (by default the instance's ``PROVIDER``) for ``instance``.

    A connection passes its own ``provider``: its tokens came from that server even if the
    instance has since moved to another one.
    """
    name = name or instance.provider
    try:
        provider_class = _PROVIDERS[name]
    except KeyError:
        raise ValueError(
            f"Unknown WORKFRONT_OAUTH_PROVIDER {name!r} for instance "
            f"{instance.name!r}; expected one of {sorted(_PROVIDERS)}."
        ) from None
    return provider_class(instance)
