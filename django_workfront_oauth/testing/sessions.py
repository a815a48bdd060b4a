"""Access tokens: Workfront sessions (legacy ``SessionID``) and Adobe IMS Bearer tokens.

A Workfront session idles out; an IMS access token lives exactly ``expires_in`` seconds.
Neither kind is accepted where the other is expected.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS

from .clients import ClientApp, Directory, EmulatedUser
from .common import Shared, StorePart


@dataclass
class Session:
    """One access token and what it grants."""

    id: str
    username: str
    grant_id: str | None
    created_at: float
    last_used_at: float
    hard_expires_at: float | None
    alive: bool = True
    bearer: bool = False
    client_id: str = ""
    #: What the token may do: the grant's scopes, or fewer when a refresh asked for fewer.
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionInfo:
    """A read-only snapshot of a live session, for tests."""

    id: str
    username: str
    grant_id: str | None
    created_at: float
    last_used_at: float


@dataclass(frozen=True)
class BearerInfo:
    """Who a live IMS access token belongs to, for the API gateway and userinfo."""

    user: EmulatedUser
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


def new_access_token(client: ClientApp) -> str:
    """A fresh access token in the shape of its server's."""
    # IMS tokens are long opaque strings; Workfront session ids are 32 hex digits.
    if client.provider == PROVIDER_ADOBE_IMS:
        return secrets.token_urlsafe(48)
    return secrets.token_hex(16)


class SessionTable(StorePart):
    """Every access token ever issued, behind the emulator's one lock."""

    def __init__(self, shared: Shared, directory: Directory, idle_timeout: float) -> None:
        super().__init__(shared)
        self.directory = directory
        self.idle_timeout = idle_timeout
        self._sessions: dict[str, Session] = {}

    def open(
        self, client: ClientApp, username: str, grant_id: str, scopes: tuple[str, ...]
    ) -> Session:
        """A new access token for a grant of ``client``."""
        now = self.clock.now()
        session = Session(
            id=new_access_token(client),
            username=username,
            grant_id=grant_id,
            created_at=now,
            last_used_at=now,
            # A non-zero expires_in is a promise: keep it, on top of the idle timeout.
            hard_expires_at=now + client.expires_in if client.expires_in > 0 else None,
            bearer=client.provider == PROVIDER_ADOBE_IMS,
            client_id=client.client_id,
            scopes=scopes,
        )
        with self.lock:
            self._sessions[session.id] = session
        return session

    def _live(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None or not session.alive:
            return None
        now = self.clock.now()
        # An IMS access token does not idle out: it lives exactly expires_in seconds.
        idled_out = not session.bearer and now - session.last_used_at >= self.idle_timeout
        if idled_out or (session.hard_expires_at is not None and now >= session.hard_expires_at):
            session.alive = False
            return None
        return session

    def grant_of(self, session_id: str) -> str | None:
        """The grant id of an access token ever issued (live or not), if any."""
        with self.lock:
            session = self._sessions.get(session_id)
            return None if session is None else session.grant_id

    def live_ids(self, session_ids: Iterable[str]) -> tuple[str, ...]:
        """Those of ``session_ids`` still live, sorted."""
        with self.lock:
            return tuple(sid for sid in sorted(session_ids) if self._live(sid))

    def session_user(self, session_id: str | None) -> EmulatedUser | None:
        """The user of a live session, extending its idle timeout; ``None`` when not logged in.

        Only Workfront sessions count: an IMS access token is not a ``SessionID``.
        """
        with self.lock:
            session = self._live(session_id or "")
            if session is None or session.bearer:
                return None
            session.last_used_at = self.clock.now()
            return self.directory.find_user(session.username)

    def bearer(self, access_token: str | None) -> BearerInfo | None:
        """Who a live IMS access token belongs to; ``None`` when unknown, expired or ended."""
        with self.lock:
            session = self._live(access_token or "")
            if session is None or not session.bearer:
                return None
            user = self.directory.find_user(session.username)
            if user is None:
                return None
            session.last_used_at = self.clock.now()
            return BearerInfo(
                user=user,
                client_id=session.client_id,
                scopes=session.scopes,
                expires_at=session.hard_expires_at or float("inf"),
            )

    def end(self, session_id: str) -> bool:
        """Log a session out; ``False`` when it was not live."""
        with self.lock:
            session = self._live(session_id)
            if session is None:
                return False
            session.alive = False
            return True

    def end_all(self, session_ids: Iterable[str]) -> None:
        """End these sessions, live or not (their grant ended)."""
        with self.lock:
            for session_id in session_ids:
                session = self._sessions.get(session_id)
                if session is not None:  # not one that lapsed before a save (persistence.py)
                    session.alive = False

    def expire(self, username: str | None = None) -> int:
        """End every live session (of one user, or everyone's); the number ended."""
        with self.lock:
            ended = 0
            for session in self._sessions.values():
                if session.alive and username in (None, session.username):
                    session.alive = False
                    ended += 1
            return ended

    def export_state(self) -> list[dict[str, Any]]:
        """Every live session, as JSON-ready values (``persistence.py``)."""
        with self.lock:
            return [
                asdict(session)
                for session in self._sessions.values()
                if self._live(session.id) is not None
            ]

    def import_state(self, state: list[dict[str, Any]]) -> None:
        """Take back saved sessions."""
        with self.lock:
            for fields in state:
                session = Session(**{**fields, "scopes": tuple(fields.get("scopes", ()))})
                self._sessions[session.id] = session

    def active(self, username: str | None = None) -> list[SessionInfo]:
        """Snapshots of live sessions (Workfront sessions and IMS access tokens)."""
        with self.lock:
            return [
                SessionInfo(
                    session.id,
                    session.username,
                    session.grant_id,
                    session.created_at,
                    session.last_used_at,
                )
                for session in list(self._sessions.values())
                if username in (None, session.username) and self._live(session.id)
            ]
