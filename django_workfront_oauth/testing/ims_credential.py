"""The emulator's Adobe IMS side, as a mixin: the credential, its URLs and test shortcuts.

``WorkfrontEmulator`` inherits these. Each method types ``self`` as :class:`IMSHost`, the part
of the emulator it needs, so this module never imports ``emulator.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django_workfront_oauth.constants import (
    IMS_AUTHORIZE_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
    PROVIDER_ADOBE_IMS,
)

from . import oidc
from .backend import Backend
from .clients import ClientApp, EmulatedUser, ims_subject
from .codes import AuthorizationRequest
from .common import authorize_url


class IMSHost(Backend, Protocol):
    """What the IMS side needs of the emulator beyond what its endpoints need."""

    @property
    def ims_app(self) -> ClientApp:
        """The registered IMS credential."""

    def user(self, username: str | None = None) -> EmulatedUser:
        """A user by username (the default user without one)."""


class IMSCredential:
    """The Adobe Developer Console credential ("OAuth Web App") the emulator registers."""

    # URLs ----------------------------------------------------------------------------------

    @property
    def ims_token_url(self: IMSHost) -> str:
        """Adobe IMS's token endpoint (``/ims/token/v3``)."""
        return self.base_url + IMS_TOKEN_PATH

    @property
    def ims_revoke_url(self: IMSHost) -> str:
        """Adobe IMS's revoke endpoint."""
        return self.base_url + IMS_REVOKE_PATH

    @property
    def ims_userinfo_url(self: IMSHost) -> str:
        """Adobe IMS's userinfo endpoint."""
        return self.base_url + IMS_USERINFO_PATH

    def ims_authorize_url(
        self: IMSHost,
        redirect_uri: str | None = None,
        state: str | None = None,
        scope: str | None = None,
        **extra: str,
    ) -> str:
        """The IMS authorize URL (first IMS redirect URI, every allowed scope by default)."""
        app = self.ims_app
        params = {
            "client_id": app.client_id,
            "redirect_uri": redirect_uri or app.redirect_uris[0],
            "scope": ",".join(app.scopes_allowed) if scope is None else scope,
        }
        return authorize_url(self.base_url + IMS_AUTHORIZE_PATH, params, state, extra)

    # The credential --------------------------------------------------------------------------

    @property
    def ims_client_id(self: IMSHost) -> str:
        """The IMS credential's client id (also the ``x-api-key`` the API wants)."""
        return self.ims_app.client_id

    @property
    def ims_client_secret(self: IMSHost) -> str:
        """The IMS credential's client secret."""
        return self.ims_app.client_secret

    @property
    def ims_org_id(self: IMSHost) -> str:
        """The Adobe org id the API wants as ``x-gw-ims-org-id``."""
        return self.ims_app.org_id

    @property
    def ims_redirect_uris(self: IMSHost) -> list[str]:
        """The IMS credential's redirect URIs (a copy)."""
        with self.store.lock:
            return list(self.ims_app.redirect_uris)

    @property
    def ims_scopes_allowed(self: IMSHost) -> tuple[str, ...]:
        """The scopes the IMS credential may ask for."""
        return self.ims_app.scopes_allowed

    @property
    def ims_expires_in(self: IMSHost) -> int:
        """``expires_in`` of IMS token responses, and the access tokens' lifetime, in seconds."""
        return self.ims_app.expires_in

    def add_ims_redirect_uri(self: IMSHost, uri: str) -> None:
        """Register another IMS redirect URI (HTTPS, or ``http://`` on loopback only)."""
        self.store.directory.add_redirect_uri(self.ims_app.client_id, uri, PROVIDER_ADOBE_IMS)

    def ims_user_id(self: IMSHost, username: str | None = None) -> str:
        """A user's Adobe IMS id, the ``sub`` of userinfo (the default user without one)."""
        return ims_subject(self.user(username))

    # Skipping the browser ----------------------------------------------------------------------

    def ims_issue_code(
        self: IMSHost,
        username: str | None = None,
        redirect_uri: str | None = None,
        scopes: Iterable[str] | None = None,
        *,
        nonce: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """An IMS authorization code as if the user had clicked Allow (all allowed scopes).

        ``nonce`` and the PKCE challenge bind it as the authorization request's would.
        """
        request = AuthorizationRequest(
            client_id=self.ims_app.client_id,
            redirect_uri=redirect_uri or self.ims_app.redirect_uris[0],
            provider=PROVIDER_ADOBE_IMS,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            scopes=allowed_scopes(self.ims_app, scopes),
            nonce=nonce,
        )
        return self.store.codes.issue_code(request, self.user(username).username)

    def ims_issue_tokens(
        self: IMSHost, username: str | None = None, scopes: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """An IMS token response for a new grant (all allowed scopes by default)."""
        app = self.ims_app
        uri = app.redirect_uris[0] if app.redirect_uris else ""
        tokens = self.store.create_grant(
            app, self.user(username).username, uri, allowed_scopes(app, scopes)
        )
        return oidc.token_response(self, app, tokens)


def allowed_scopes(client: ClientApp, scopes: Iterable[str] | None) -> tuple[str, ...]:
    """``scopes`` (every allowed one when ``None``); ``ValueError`` for one not allowed."""
    chosen = client.scopes_allowed if scopes is None else tuple(scopes)
    unknown = [scope for scope in chosen if scope not in client.scopes_allowed]
    if unknown:
        raise ValueError(f"scopes not allowed for the IMS credential: {unknown}")
    return chosen
