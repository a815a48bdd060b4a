"""The grant and token store: the parts below, on one lock, and what spans more than one.

Nothing here speaks HTTP or knows an endpoint's URL or wire format: the legacy Workfront
endpoints (``legacy.py``) and the Adobe IMS endpoints (``ims.py``) translate requests into these
calls and results back into responses. Both authorization servers share this store: one set of
users, and every grant belongs to a client of one of them (``ClientApp.provider``).

==================  ==============================================================
``directory``       users and clients (``clients.py``)
``codes``           pending authorizations and authorization codes (``codes.py``)
``grants``          grants and refresh tokens (``grants.py``)
``sessions``        access tokens: Workfront sessions, IMS Bearer tokens (``sessions.py``)
==================  ==============================================================
"""

from __future__ import annotations

from typing import Any

from .clients import ClientApp, Directory, EmulatedUser
from .codes import CodeDesk
from .common import OAuthError, Shared, invalid_request
from .grants import GrantInfo, GrantLedger, IssuedTokens
from .sessions import SessionInfo, SessionTable

__all__ = ["EmulatedUser", "GrantInfo", "GrantStore", "SessionInfo"]


class GrantStore:
    """Users, clients, codes, grants, refresh tokens and sessions, behind one lock.

    Every part takes the lock it shares with the rest of the emulator, so each operation is
    atomic, including those here that span two parts.
    """

    def __init__(self, shared: Shared, *, session_idle_timeout: float) -> None:
        self.lock = shared.lock
        self.directory = Directory(shared.lock)
        self.sessions = SessionTable(shared, self.directory, session_idle_timeout)
        self.grants = GrantLedger(shared, self.sessions)
        self.codes = CodeDesk(shared, self.directory)

    def exchange_code(
        self,
        client: ClientApp,
        *,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
    ) -> IssuedTokens:
        """Trade a code for tokens: once, within its lifetime, with the same redirect URI."""
        with self.lock:
            record = self.codes.redeem(
                client, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
            )
            bound = record.request
            return self.grants.create(
                client, record.username, bound.redirect_uri, bound.scopes, bound.nonce
            )

    def create_grant(
        self,
        client: ClientApp,
        username: str,
        redirect_uri: str,
        scopes: tuple[str, ...] = (),
    ) -> IssuedTokens:
        """Tokens for a user as if they had just consented (tests skip the browser this way)."""
        with self.lock:
            self.directory.user(username)  # KeyError for a user who does not exist
            return self.grants.create(client, username, redirect_uri, tuple(scopes))

    def client_credentials(self, client: ClientApp, scopes: tuple[str, ...]) -> IssuedTokens:
        """A token for the client's own account (RFC 6749 4.4): no user signs in, no refresh token.

        Every token is a grant of its own, so revoking one leaves the others alive. ``scope`` is
        required (Adobe documents it so) and may name only scopes the credential has.
        """
        if not scopes:
            raise invalid_request("scope is required.")
        unknown = [scope for scope in scopes if scope not in client.scopes_allowed]
        if unknown:
            raise OAuthError(400, "INVALID_SCOPE", "Invalid scope: " + ",".join(unknown) + ".")
        with self.lock:
            self.directory.user(client.service_user)  # KeyError: a client without an account
            return self.grants.create(client, client.service_user, "", scopes)

    def export_state(self) -> dict[str, Any]:
        """Everything a restart would lose, as JSON-ready values, in one consistent moment."""
        with self.lock:
            return {
                "directory": self.directory.export_state(),
                "codes": self.codes.export_state(),
                "grants": self.grants.export_state(),
                "sessions": self.sessions.export_state(),
            }

    def import_state(self, state: dict[str, Any]) -> None:
        """Take back what :meth:`export_state` gave."""
        with self.lock:
            self.directory.import_state(state.get("directory", {}))
            self.codes.import_state(state.get("codes", {}))
            self.grants.import_state(state.get("grants", {}))
            self.sessions.import_state(state.get("sessions", []))

    def ended_grants(self, username: str | None = None) -> list[tuple[str, str]]:
        """``(grant id, reason)`` of every ended grant, for tests that check why."""
        return self.grants.ended(username)
