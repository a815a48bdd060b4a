"""Grants: a user's consent to a client, its refresh token (rotation, reuse, expiry) and revoke.

Every refresh token ever issued stays indexed to its grant, so a rotated-away token that comes
back is recognised as a copy and ends the whole grant (with every access token it issued).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT

from .clients import ClientApp
from .common import REFRESH_TOKEN, OAuthError, Shared, StorePart, counter, invalid_grant
from .sessions import SessionTable

#: The IMS scope that makes the token endpoint hand out a refresh token.
OFFLINE_ACCESS = "offline_access"


@dataclass
class Grant:
    """A user's consent to a client: its current refresh token, the rotated-away ones, sessions."""

    id: str
    client_id: str
    username: str
    redirect_uri: str
    created_at: float
    refresh_token: str
    refresh_used_at: float
    refresh_count: int = 0
    retired_tokens: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    alive: bool = True
    ended_reason: str = ""
    provider: str = PROVIDER_WORKFRONT
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GrantInfo:
    """A read-only snapshot of a live grant, for tests."""

    id: str
    username: str
    client_id: str
    redirect_uri: str
    created_at: float
    refresh_token: str
    refresh_count: int
    last_refreshed_at: float
    access_tokens: tuple[str, ...]
    #: ``"workfront"`` (the legacy app) or ``"adobe_ims"``.
    provider: str = PROVIDER_WORKFRONT
    #: The granted IMS scopes (empty for the legacy app).
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful token request hands out."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    wid: str
    username: str = ""
    scopes: tuple[str, ...] = ()
    #: The authorization request's OpenID Connect ``nonce``: only a code exchange has one.
    nonce: str | None = None

    def as_legacy_response(self) -> dict[str, Any]:
        """The documented body of the legacy token endpoint."""
        body: dict[str, Any] = {
            "token_type": "sessionID",
            "access_token": self.access_token,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        body["expires_in"] = self.expires_in
        body["wid"] = self.wid
        return body


def new_refresh_token(client: ClientApp) -> str:
    """A fresh refresh token in the shape of its server's."""
    # IMS tokens are long opaque strings; the legacy app's are 64 hex digits.
    if client.provider == PROVIDER_ADOBE_IMS:
        return secrets.token_urlsafe(48)
    return secrets.token_hex(32)


class GrantLedger(StorePart):
    """Grants and their refresh tokens, behind the emulator's one lock."""

    def __init__(self, shared: Shared, sessions: SessionTable) -> None:
        super().__init__(shared)
        self.sessions = sessions
        self._grants: dict[str, Grant] = {}
        # Every refresh token ever issued (live or rotated away) -> its grant, for reuse detection.
        self._refresh_index: dict[str, str] = {}

    def create(
        self,
        client: ClientApp,
        username: str,
        redirect_uri: str,
        scopes: tuple[str, ...] = (),
        nonce: str | None = None,
    ) -> IssuedTokens:
        """A new grant and its first access token (and refresh token, when it gets one)."""
        now = self.clock.now()
        # IMS hands out a refresh token only when offline_access was granted, and never to a
        # client that may not refresh (a Server-to-Server credential mints a new token instead).
        refreshable = client.provider == PROVIDER_WORKFRONT or (
            OFFLINE_ACCESS in scopes and REFRESH_TOKEN in client.grant_types
        )
        grant = Grant(
            id=secrets.token_hex(8),
            client_id=client.client_id,
            username=username,
            redirect_uri=redirect_uri,
            created_at=now,
            refresh_token=new_refresh_token(client) if refreshable else "",
            refresh_used_at=now,
            provider=client.provider,
            scopes=scopes,
        )
        with self.lock:
            self._grants[grant.id] = grant
            if grant.refresh_token:
                self._refresh_index[grant.refresh_token] = grant.id
            session = self.sessions.open(client, username, grant.id, scopes)
            grant.sessions.add(session.id)
        return IssuedTokens(
            session.id,
            grant.refresh_token or None,
            client.expires_in,
            client.wid,
            username,
            scopes,
            nonce,
        )

    def refresh(
        self, client: ClientApp, refresh_token: str | None, scopes: tuple[str, ...] = ()
    ) -> IssuedTokens:
        """A new access token (and, when rotating, a new refresh token) for a live refresh token.

        ``scopes`` (RFC 6749 6) narrows the new access token to some of the granted scopes; the
        grant and its refresh token keep them all.
        """
        with self.lock:
            try:
                grant = self._live_grant_for(client, refresh_token or "")
                unknown = [scope for scope in scopes if scope not in grant.scopes]
                if unknown:
                    raise OAuthError(
                        400, "INVALID_SCOPE", "Not granted: " + ",".join(unknown) + "."
                    )
            except OAuthError:
                self.stats.add(counter(client.provider, "rejected_refreshes"))
                raise
            grant.refresh_used_at = self.clock.now()
            grant.refresh_count += 1
            returned: str | None
            if client.rotate_refresh_tokens:
                # The old token dies at once; presenting it again is treated as theft.
                grant.retired_tokens.add(grant.refresh_token)
                grant.refresh_token = new_refresh_token(client)
                self._refresh_index[grant.refresh_token] = grant.id
                returned = grant.refresh_token
            else:
                returned = grant.refresh_token if client.echo_refresh_token else None
            granted = scopes or grant.scopes
            session = self.sessions.open(client, grant.username, grant.id, granted)
            grant.sessions.add(session.id)
            self.stats.add(counter(client.provider, "successful_refreshes"))
            return IssuedTokens(
                session.id, returned, client.expires_in, client.wid, grant.username, granted
            )

    def _live_grant_for(self, client: ClientApp, refresh_token: str) -> Grant:
        dead = invalid_grant("Invalid or expired refresh token.")
        grant = self._grants.get(self._refresh_index.get(refresh_token, ""))
        if (
            grant is None
            or grant.client_id != client.client_id
            or grant.provider != client.provider
            or not grant.alive
        ):
            raise dead
        if refresh_token != grant.refresh_token:
            # A rotated-away token came back: someone holds a copy. Kill the whole family.
            self.stats.add(counter(client.provider, "reuse_detections"))
            self._end(grant, "refresh token reuse")
            raise dead
        now = self.clock.now()
        absolute, idle = client.refresh_absolute_expiry, client.refresh_inactivity_expiry
        if absolute is not None and now - grant.created_at >= absolute:
            self._end(grant, "absolute expiry")
            raise dead
        if idle is not None and now - grant.refresh_used_at >= idle:
            self._end(grant, "inactivity expiry")
            raise dead
        return grant

    def _end(self, grant: Grant, reason: str) -> None:
        grant.alive = False
        grant.ended_reason = reason
        self.sessions.end_all(grant.sessions)

    def _grant_of_token(self, token: str, hint: str | None) -> Grant | None:
        by_refresh = self._refresh_index.get(token)
        by_access = self.sessions.grant_of(token)
        # The hint only says where to look first (RFC 7009 2.1): a miss there looks further.
        found = (by_access, by_refresh) if hint == "access_token" else (by_refresh, by_access)
        grant_id = next((item for item in found if item is not None), None)
        return None if grant_id is None else self._grants.get(grant_id)

    def revoke_token(self, client: ClientApp, token: str, hint: str | None = None) -> bool:
        """End the grant that a refresh or access token belongs to (IMS ``/ims/revoke``).

        ``False`` when the token is unknown or its grant already ended (nothing to do);
        ``OAuthError`` when it belongs to another client.
        """
        with self.lock:
            grant = self._grant_of_token(token, hint)
            if grant is None:
                return False
            if grant.client_id != client.client_id or grant.provider != client.provider:
                raise OAuthError(400, "UNAUTHORIZED_CLIENT", "The token belongs to another client.")
            if not grant.alive:
                return False
            self._end(grant, "revoked")
            return True

    def revoke_user(self, username: str) -> int:
        """End every grant of a user, with their sessions; the number of grants ended."""
        with self.lock:
            grants = [g for g in self._grants.values() if g.alive and g.username == username]
            for grant in grants:
                self._end(grant, "revoked")
            self.sessions.expire(username)
            return len(grants)

    def active(self, username: str | None = None) -> list[GrantInfo]:
        """Snapshots of live grants, oldest first (grants past their expiry included until used)."""
        with self.lock:
            return [
                GrantInfo(
                    id=grant.id,
                    username=grant.username,
                    client_id=grant.client_id,
                    redirect_uri=grant.redirect_uri,
                    created_at=grant.created_at,
                    refresh_token=grant.refresh_token,
                    refresh_count=grant.refresh_count,
                    last_refreshed_at=grant.refresh_used_at,
                    access_tokens=self.sessions.live_ids(grant.sessions),
                    provider=grant.provider,
                    scopes=grant.scopes,
                )
                for grant in self._grants.values()
                if grant.alive and username in (None, grant.username)
            ]

    def export_state(self) -> dict[str, Any]:
        """Every grant (ended ones too: their tokens stay known) and the refresh token index."""
        with self.lock:
            grants = []
            for grant in self._grants.values():
                fields = asdict(grant)
                fields["retired_tokens"] = sorted(grant.retired_tokens)
                fields["sessions"] = sorted(grant.sessions)
                grants.append(fields)
            return {"grants": grants, "refresh_index": dict(self._refresh_index)}

    def import_state(self, state: dict[str, Any]) -> None:
        """Take back saved grants; their sessions come back through the session table."""
        with self.lock:
            for fields in state.get("grants", []):
                grant = Grant(
                    **{
                        **fields,
                        "retired_tokens": set(fields.get("retired_tokens", ())),
                        "sessions": set(fields.get("sessions", ())),
                        "scopes": tuple(fields.get("scopes", ())),
                    }
                )
                self._grants[grant.id] = grant
            self._refresh_index.update(state.get("refresh_index", {}))

    def ended(self, username: str | None = None) -> list[tuple[str, str]]:
        """``(grant id, reason)`` of every ended grant, for tests that check why."""
        with self.lock:
            return [
                (grant.id, grant.ended_reason)
                for grant in self._grants.values()
                if not grant.alive and username in (None, grant.username)
            ]
