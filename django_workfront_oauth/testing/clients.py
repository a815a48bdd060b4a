"""Who may use the emulator: its users, the registered OAuth2 clients and their credentials.

Both authorization servers share one :class:`Directory`: one set of users, and clients keyed by
``(provider, client id)``, so a legacy app and an IMS credential may share an id.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from django_workfront_oauth.constants import PROVIDER_WORKFRONT

from .common import (
    AUTHORIZATION_CODE,
    REFRESH_TOKEN,
    SERVERS,
    OAuthError,
    workfront_id,
)


@dataclass(frozen=True)
class EmulatedUser:
    """A Workfront user who can log in to the emulator."""

    username: str
    password: str = field(repr=False)
    id: str = ""
    name: str = ""
    email_addr: str = ""


@dataclass
class ClientApp:
    """A registered OAuth2 application and the options a Workfront admin sets on it."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)
    rotate_refresh_tokens: bool = True
    # Only for non-rotating apps: send the unchanged refresh token back instead of omitting it.
    echo_refresh_token: bool = False
    expires_in: int = 0
    code_lifetime: float = 120.0
    refresh_absolute_expiry: float | None = None
    refresh_inactivity_expiry: float | None = None
    wid: str = ""
    #: Which authorization server the app is registered with (``"workfront"``, ``"adobe_ims"``).
    provider: str = PROVIDER_WORKFRONT
    #: IMS only: the scopes the credential may ask for (anything else is ``invalid_scope``).
    scopes_allowed: tuple[str, ...] = ()
    #: IMS only: the Adobe org whose Workfront accepts this app's tokens.
    org_id: str = ""
    #: RFC 6749 4.1.3: a code exchange must repeat the authorization's ``redirect_uri``.
    #: ``False`` accepts an exchange without one; a different one is refused either way.
    require_redirect_uri: bool = True
    #: ``True`` refuses an authorization request without a PKCE ``code_challenge``.
    require_pkce: bool = False
    #: The grant types the client may use (RFC 7591's ``grant_types``); any other that its
    #: server supports is ``unauthorized_client``.
    grant_types: tuple[str, ...] = (AUTHORIZATION_CODE, REFRESH_TOKEN)
    #: ``client_credentials`` only: the username its tokens act as (IMS's technical account).
    service_user: str = ""

    @property
    def signs_users_in(self) -> bool:
        """True for a client of the authorization code flow (a user signs in and consents)."""
        return AUTHORIZATION_CODE in self.grant_types


def ims_subject(user: EmulatedUser) -> str:
    """The user's Adobe IMS id (``sub``): derived from the username, the same on every run."""
    return workfront_id("IMS", user.username)[:24].upper() + "@AdobeID"


def parse_scopes(value: str) -> tuple[str, ...]:
    """``scope`` as IMS reads it: comma- or space-separated, case-sensitive, in order."""
    return tuple(dict.fromkeys(item for item in re.split(r"[\s,]+", value) if item))


def client_credentials(
    authorization: str, params: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """A token request's client id and secret: from HTTP Basic, else from the body's fields.

    RFC 6749 2.3.1: each half of the Basic pair is form-urlencoded before the pair is
    base64-encoded, so ``+`` and ``%XX`` in them are decoded here; a client that skips the
    encoding is refused as soon as its secret holds one of those characters.
    """
    if authorization[:6].lower() != "basic ":
        return params.get("client_id"), params.get("client_secret")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise OAuthError(401, "INVALID_CLIENT", "Malformed Basic credentials.")
    return unquote_plus(client_id), unquote_plus(client_secret)


class Directory:
    """Users and registered clients, behind the emulator's one lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._users: dict[str, EmulatedUser] = {}
        self._clients: dict[tuple[str, str], ClientApp] = {}

    def add_user(self, user: EmulatedUser) -> EmulatedUser:
        """Register (or replace) a user by username."""
        with self.lock:
            self._users[user.username] = user
        return user

    def user(self, username: str) -> EmulatedUser:
        """The user with that username; ``KeyError`` when there is none."""
        with self.lock:
            return self._users[username]

    def find_user(self, username: str) -> EmulatedUser | None:
        """The user with that username, if any."""
        with self.lock:
            return self._users.get(username)

    def users(self) -> list[EmulatedUser]:
        """Every user, in the order they were added."""
        with self.lock:
            return list(self._users.values())

    def check_password(self, username: str, password: str) -> EmulatedUser | None:
        """The user when the password is theirs; ``None`` otherwise."""
        user = self.find_user(username)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return None
        return user

    def add_client(self, client: ClientApp) -> ClientApp:
        """Register an OAuth2 application (of its ``provider``); a server knows an id once."""
        if client.provider not in SERVERS:
            raise ValueError(f"unknown provider {client.provider!r}; known: {SERVERS}")
        key = (client.provider, client.client_id)
        with self.lock:
            if key in self._clients:
                raise ValueError(f"{client.provider} already has a client {client.client_id!r}")
            self._clients[key] = client
        return client

    def client(self, client_id: str, provider: str = PROVIDER_WORKFRONT) -> ClientApp | None:
        """The application of ``provider`` with that client id, if any."""
        with self.lock:
            return self._clients.get((provider, client_id))

    def add_redirect_uri(
        self, client_id: str, uri: str, provider: str = PROVIDER_WORKFRONT
    ) -> None:
        """Register one more redirect URI (compared exactly, like Workfront and IMS)."""
        with self.lock:
            client = self._clients[(provider, client_id)]
            if uri not in client.redirect_uris:
                client.redirect_uris.append(uri)

    def export_state(self) -> dict[str, Any]:
        """Users and each client's redirect URIs, as JSON-ready values (``persistence.py``)."""
        with self.lock:
            return {
                "users": [asdict(user) for user in self._users.values()],
                "redirect_uris": [
                    [provider, client_id, list(client.redirect_uris)]
                    for (provider, client_id), client in self._clients.items()
                ],
            }

    def import_state(self, state: dict[str, Any]) -> None:
        """Add the saved users and redirect URIs to those configured (which win over them)."""
        with self.lock:
            for fields in state.get("users", []):
                if fields["username"] not in self._users:
                    self.add_user(EmulatedUser(**fields))
            for provider, client_id, uris in state.get("redirect_uris", []):
                client = self._clients.get((provider, client_id))
                if client is None:  # a client no longer configured
                    continue
                client.redirect_uris.extend(u for u in uris if u not in client.redirect_uris)

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, provider: str = PROVIDER_WORKFRONT
    ) -> ClientApp:
        """The client, when the secret matches; ``OAuthError`` 401 otherwise."""
        client = self.client(client_id or "", provider)
        if (
            client is None
            or client_secret is None
            or not hmac.compare_digest(client.client_secret.encode(), client_secret.encode())
        ):
            raise OAuthError(401, "INVALID_CLIENT", "Invalid client credentials.")
        return client

    def authenticate(
        self, authorization: str, params: Mapping[str, str], provider: str = PROVIDER_WORKFRONT
    ) -> ClientApp:
        """The client of a token or revoke request: by HTTP Basic, or by the body's fields."""
        client_id, client_secret = client_credentials(authorization, params)
        return self.authenticate_client(client_id, client_secret, provider)
