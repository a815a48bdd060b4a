"""Workfront's legacy OAuth2 app (``/integrations/oauth2``), switched off on 2027-02-01."""

from __future__ import annotations

from collections.abc import Mapping

from django.views.decorators.debug import sensitive_variables

from ..constants import LEGACY_AUTHORIZE_PATH, LEGACY_TOKEN_PATH, PROVIDER_WORKFRONT
from ..exceptions import InvalidCallback, WorkfrontUnavailable
from ..http import send
from .base import CLIENT_SECRET_POST, OAuthProvider, TokenSet, WorkfrontIdentity

__all__ = ["WorkfrontProvider"]


class WorkfrontProvider(OAuthProvider):
    """Workfront's legacy OAuth2 app, retired on 2027-02-01: kept for existing sites."""

    name = PROVIDER_WORKFRONT
    extra_token_fields = ("wid",)

    def authorization_endpoint(self, host: str) -> str:
        return f"{host}{LEGACY_AUTHORIZE_PATH}"

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
            f"{host}{LEGACY_TOKEN_PATH}",
            {"grant_type": grant, **fields},
            description,
            json_body=True,
        )

    @sensitive_variables()
    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = "", nonce: str = ""
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
            **self.instance.http_bounds,
        )
        if response.status_code >= 400:
            raise WorkfrontUnavailable(f"Workfront logout answered HTTP {response.status_code}.")
