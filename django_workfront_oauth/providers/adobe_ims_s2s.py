"""Adobe IMS, through a Developer Console "OAuth Server-to-Server" credential: the site's own
technical account, no user.

Tokens come from the client credentials grant (no refresh token: a new one is minted near
expiry); Workfront sees the calls as the credential's technical account user (``techacct``).
API calls carry the same headers as an IMS user token's.
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from ..constants import IMS_TOKEN_PATH, PROVIDER_ADOBE_IMS_S2S
from .adobe_ims import AdobeIMSProvider
from .base import TokenSet, WorkfrontIdentity

__all__ = ["AdobeIMSServerToServerProvider"]

_NO_USER = "A Server-to-Server instance has no user sign-in; use client.service_client()."


class AdobeIMSServerToServerProvider(AdobeIMSProvider):
    """The client credentials grant at ``<IMS_HOST>/ims/token/v3``."""

    name = PROVIDER_ADOBE_IMS_S2S
    uses_nonce = False

    def authorization_endpoint(self, host: str) -> str:
        raise ValueError(_NO_USER)

    def exchange_code(
        self, *, host: str, code: str, redirect_uri: str, code_verifier: str = "", nonce: str = ""
    ) -> TokenSet:
        raise ValueError(_NO_USER)

    def refresh(self, *, host: str, refresh_token: str, redirect_uri: str = "") -> TokenSet:
        raise ValueError("Server-to-Server tokens are not refreshed: request_token() mints one.")

    @sensitive_variables()
    def request_token(self) -> TokenSet:
        """A new access token for the technical account (client credentials grant)."""
        # Comma-separated, as Adobe's Server-to-Server reference shows (IMS reads both).
        fields = {"grant_type": "client_credentials", "scope": ",".join(self.instance.scopes)}
        return self.post_token_request(
            f"{self.ims_host}{IMS_TOKEN_PATH}",
            fields,
            "Server-to-Server client credentials",
            json_body=False,
        )

    def identify(self, *, host: str, access_token: str) -> WorkfrontIdentity:
        # No IMS userinfo for a technical account: Workfront says who it is.
        return self.workfront_user(host=host, access_token=access_token)
