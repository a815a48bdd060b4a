"""The emulator's Adobe IMS "OAuth Server-to-Server" credential, as a mixin: the client, its
technical account user and a test shortcut.

Adobe adds a Workfront user ``techacct`` when such a credential is made (IMS.md); the
credential's tokens come from ``grant_type=client_credentials`` at ``/ims/token/v3`` (``ims.py``
and ``grant_types.py`` serve it) and act as that user at the API. Like ``ims_credential.py``,
each method types ``self`` as the part of the emulator it needs, so this module never imports
``emulator.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any, Protocol

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS

from . import oidc
from .backend import Backend
from .clients import ClientApp, Directory, EmulatedUser
from .common import CLIENT_CREDENTIALS, workfront_id

DEFAULT_S2S_CLIENT_ID = "s2s-client-id"
DEFAULT_S2S_CLIENT_SECRET = "s2s-client-secret-not-a-secret"  # noqa: S105 - a well-known fake
#: The Workfront username Adobe gives a Server-to-Server credential's user.
TECHNICAL_ACCOUNT_USERNAME = "techacct"
TECHNICAL_ACCOUNT_NAME = "Technical Account"
#: Where the technical account's e-mail address lives (``<24 hex digits>@techacct.adobe.com``).
TECHNICAL_ACCOUNT_DOMAIN = "techacct.adobe.com"


def technical_account(domain: str, org_id: str, client_id: str) -> EmulatedUser:
    """The Workfront user that comes with the credential; the same on every run."""
    return EmulatedUser(
        username=TECHNICAL_ACCOUNT_USERNAME,
        # Nobody signs in as the technical account at the login page: a password nobody knows.
        password=secrets.token_urlsafe(32),
        id=workfront_id("USER", domain, TECHNICAL_ACCOUNT_USERNAME),
        name=TECHNICAL_ACCOUNT_NAME,
        email_addr=(
            workfront_id("techacct", org_id, client_id)[:24].upper()
            + "@"
            + TECHNICAL_ACCOUNT_DOMAIN
        ),
    )


def add_technical_account(directory: Directory, account: EmulatedUser) -> None:
    """Register the technical account; ``ValueError`` when a user already has its username."""
    if directory.find_user(account.username) is not None:
        raise ValueError(f"the username {account.username!r} is the technical account's")
    directory.add_user(account)


def s2s_client(
    *,
    client_id: str,
    client_secret: str,
    org_id: str,
    scopes: Iterable[str],
    expires_in: int,
) -> ClientApp:
    """The credential as the IMS side registers it: ``client_credentials`` only, no redirect
    URI, no refresh token, its tokens acting as the technical account."""
    return ClientApp(
        client_id=client_id,
        client_secret=client_secret,
        rotate_refresh_tokens=False,
        expires_in=int(expires_in),
        provider=PROVIDER_ADOBE_IMS,
        scopes_allowed=tuple(scopes),
        org_id=org_id,
        grant_types=(CLIENT_CREDENTIALS,),
        service_user=TECHNICAL_ACCOUNT_USERNAME,
    )


class S2SHost(Backend, Protocol):
    """What the Server-to-Server side needs of the emulator beyond what its endpoints need."""

    @property
    def s2s_app(self) -> ClientApp:
        """The registered Server-to-Server credential."""


class S2SCredential:
    """The Adobe Developer Console "OAuth Server-to-Server" credential the emulator registers."""

    @property
    def s2s_client_id(self: S2SHost) -> str:
        """The credential's client id (also the ``x-api-key`` its tokens go with)."""
        return self.s2s_app.client_id

    @property
    def s2s_client_secret(self: S2SHost) -> str:
        """The credential's client secret."""
        return self.s2s_app.client_secret

    @property
    def s2s_scopes(self: S2SHost) -> tuple[str, ...]:
        """The scopes the credential has: a token request may name these only."""
        return self.s2s_app.scopes_allowed

    @property
    def s2s_expires_in(self: S2SHost) -> int:
        """``expires_in`` of its token responses, and the tokens' lifetime, in seconds."""
        return self.s2s_app.expires_in

    @property
    def technical_account(self: S2SHost) -> EmulatedUser:
        """The Workfront user its tokens act as (``techacct``)."""
        return self.store.directory.user(self.s2s_app.service_user)

    def s2s_issue_token(self: S2SHost, scopes: Iterable[str] | None = None) -> dict[str, Any]:
        """A ``client_credentials`` token response, without HTTP (every scope by default)."""
        app = self.s2s_app
        chosen = app.scopes_allowed if scopes is None else tuple(scopes)
        unknown = [scope for scope in chosen if scope not in app.scopes_allowed]
        if unknown or not chosen:
            raise ValueError(f"scopes not allowed for the Server-to-Server credential: {unknown}")
        return oidc.token_response(self, app, self.store.client_credentials(app, chosen))
