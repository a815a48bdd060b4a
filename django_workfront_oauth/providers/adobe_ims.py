"""Adobe IMS, through an Adobe Developer Console "OAuth Web App" credential: the default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from django.views.decorators.debug import sensitive_variables

from ..constants import (
    IMS_AUTHORIZE_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
    PROVIDER_ADOBE_IMS,
)
from ..exceptions import InvalidCallback, WorkfrontAPIError, WorkfrontUnavailable
from ..http import retry_after_seconds, send
from .base import OAuthProvider, TokenSet, WorkfrontIdentity, json_or_none, safe_code
from .id_token import check_id_token

__all__ = ["AdobeIMSProvider"]


def gateway_error(body: Any) -> tuple[str, str]:
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
    uses_nonce = True

    @property
    def ims_host(self) -> str:
        """IMS base URL (``IMS_HOST``)."""
        return self.instance.ims_host

    def authorization_endpoint(self, host: str) -> str:
        # IMS is one global server; the Workfront host only matters for API calls.
        return f"{self.ims_host}{IMS_AUTHORIZE_PATH}"

    def validate_callback(self, params: Mapping[str, str]) -> None:
        # RFC 9207: a server that names itself in the authorization response must be the one
        # the user was sent to (a mix-up defence where legacy and IMS share one callback).
        issuer = params.get("iss")
        if issuer is not None and issuer.rstrip("/") != self.ims_host.rstrip("/"):
            raise InvalidCallback("The callback's iss names another authorization server.")

    def authorization_params(self) -> dict[str, str]:
        # Space-separated as RFC 6749 3.3 says; IMS reads spaces and commas alike.
        return {"scope": " ".join(self.instance.scopes)}

    def error_detail(self, response: requests.Response, body: Any) -> str:
        code = safe_code(body.get("error")) if isinstance(body, Mapping) else ""
        # IMS support asks for the x-debug-id of a failed call: keep it with the error.
        debug_id = safe_code(response.headers.get("x-debug-id", ""))
        return ", ".join(part for part in (code, debug_id and f"x-debug-id {debug_id}") if part)

    @sensitive_variables()
    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = "", nonce: str = ""
    ) -> TokenSet:
        # Adobe's page lists only code and grant_type, but RFC 6749 4.1.3 requires redirect_uri
        # (the authorization request carried it) and standards-strict servers refuse without.
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            fields["code_verifier"] = code_verifier
        tokens = self.post_token_request(
            f"{self.ims_host}{IMS_TOKEN_PATH}", fields, "authorization code", json_body=False
        )
        self.check_id_token(tokens, nonce)
        return tokens

    @sensitive_variables("tokens", "nonce")
    def check_id_token(self, tokens: TokenSet, nonce: str) -> None:
        """Refuse an answer whose ``id_token`` was not issued for this flow and this client.

        With ``openid`` asked for, IMS always sends one: its absence is refused too, so a
        server (or an attacker in its place) cannot skip the nonce check by leaving it out.
        """
        id_token = tokens.extra.get("id_token", "")
        if not id_token:
            if nonce and "openid" in self.instance.scopes:
                raise InvalidCallback("The token answer has no id_token, though openid was asked.")
            return
        check_id_token(
            id_token, client_id=self.instance.client_id, issuer=self.ims_host, nonce=nonce
        )

    @sensitive_variables()
    def refresh(self, *, host: str, refresh_token: str, redirect_uri: str = "") -> TokenSet:
        return self.post_token_request(
            f"{self.ims_host}{IMS_TOKEN_PATH}",
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
        code, message = gateway_error(body)
        if status == 403:
            # The gateway refuses a bad or expired token with codes of its own.
            return code.startswith("401") or "token" in message.lower()
        return super().is_authentication_failure(status, body) or code.startswith("401")

    def configuration_problem(self, status: int, body: Any) -> str:
        if status != 403 or self.is_authentication_failure(status, body):
            return ""
        error = body.get("error") if isinstance(body, Mapping) else None
        if isinstance(error, Mapping) and error.get("class"):
            # Workfront itself answered (its own error shape): the user may not do this. Only
            # the gateway's refusals, before Workfront, are the site's settings.
            return ""
        code, message = gateway_error(body)
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
            f"{self.ims_host}{IMS_USERINFO_PATH}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            **self.instance.http_bounds,
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
        hint = "refresh_token" if refresh_token else "access_token"
        response = self.post_with_client_auth(
            f"{self.ims_host}{IMS_REVOKE_PATH}", {"token": token, "token_type_hint": hint}
        )
        if response.status_code >= 400:
            detail = self.error_detail(response, json_or_none(response))
            raise WorkfrontUnavailable(
                f"Adobe IMS revoke answered HTTP {response.status_code}"
                + (f" ({detail})." if detail else ".")
            )
