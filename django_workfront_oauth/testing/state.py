"""The grant and token store: users, clients, pending authorizations, codes, grants, sessions.

Nothing here speaks HTTP or knows an endpoint's URL or wire format: the legacy Workfront
endpoints (``legacy.py``) translate requests into these calls and results back into responses, so
another authorization server (Adobe IMS) can sit on the same store later. Every method takes the
one lock it shares with the rest of the emulator, so each operation is atomic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .stats import StatsRecorder

Duration = float | int | timedelta

#: How long a user has between opening the authorize URL and answering the consent page.
PENDING_LIFETIME = 600.0


def to_seconds(value: Duration) -> float:
    """Seconds from a number or a ``timedelta``."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def optional_seconds(value: Duration | None) -> float | None:
    """Like :func:`to_seconds`, keeping ``None`` (never)."""
    return None if value is None else to_seconds(value)


def workfront_id(*parts: object) -> str:
    """A deterministic 32-hex-digit Workfront ID, so seeded data is the same on every run."""
    seed = ":".join(str(part) for part in parts).encode()
    return hashlib.blake2b(seed, digest_size=16).hexdigest()


def add_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` appended to whatever query string it already has."""
    parts = urlsplit(uri)
    query = "&".join(item for item in (parts.query, urlencode(params)) if item)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class Clock:
    """Wall-clock seconds plus an offset that tests move forward instead of sleeping."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._offset = 0.0

    def now(self) -> float:
        """The emulator's current time, in seconds since the epoch."""
        return time.time() + self._offset

    def advance(self, seconds: Duration) -> None:
        """Move the clock forward (codes, sessions and refresh tokens age accordingly)."""
        with self._lock:
            self._offset += to_seconds(seconds)


class OAuthError(Exception):
    """A refused authorization or token request; the endpoint decides how to show it."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


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


@dataclass
class PendingAuthorization:
    """An authorize request between the login page and the consent decision."""

    id: str
    client_id: str
    redirect_uri: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    created_at: float
    username: str | None = None


@dataclass
class AuthorizationCode:
    """A one-time code, bound to the client, the redirect URI and the PKCE challenge."""

    code: str
    client_id: str
    redirect_uri: str
    username: str
    issued_at: float
    code_challenge: str | None
    code_challenge_method: str | None
    used: bool = False


@dataclass
class Session:
    """A Workfront session: the legacy app's access token is one of these."""

    id: str
    username: str
    grant_id: str | None
    created_at: float
    last_used_at: float
    hard_expires_at: float | None
    alive: bool = True


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


@dataclass(frozen=True)
class SessionInfo:
    """A read-only snapshot of a live session, for tests."""

    id: str
    username: str
    grant_id: str | None
    created_at: float
    last_used_at: float


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful token request hands out."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    wid: str

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


def _pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if (method or "plain").upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, challenge)


class GrantStore:
    """Users, clients, codes, grants, refresh tokens and sessions, behind one lock."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        clock: Clock,
        stats: StatsRecorder,
        session_idle_timeout: float,
    ) -> None:
        self.lock = lock
        self.clock = clock
        self.stats = stats
        self.session_idle_timeout = session_idle_timeout
        self._users: dict[str, EmulatedUser] = {}
        self._clients: dict[str, ClientApp] = {}
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        # Every refresh token ever issued (live or rotated away) -> its grant, for reuse detection.
        self._refresh_index: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}

    # Users and clients ---------------------------------------------------------------------

    def add_user(self, user: EmulatedUser) -> EmulatedUser:
        """Register (or replace) a user by username."""
        with self.lock:
            self._users[user.username] = user
        return user

    def user(self, username: str) -> EmulatedUser:
        """The user with that username; ``KeyError`` when there is none."""
        with self.lock:
            return self._users[username]

    def users(self) -> list[EmulatedUser]:
        """Every user, in the order they were added."""
        with self.lock:
            return list(self._users.values())

    def add_client(self, client: ClientApp) -> ClientApp:
        """Register an OAuth2 application."""
        with self.lock:
            self._clients[client.client_id] = client
        return client

    def client(self, client_id: str) -> ClientApp | None:
        """The application with that client id, if any."""
        with self.lock:
            return self._clients.get(client_id)

    def add_redirect_uri(self, client_id: str, uri: str) -> None:
        """Register one more redirect URI (compared exactly, like Workfront)."""
        with self.lock:
            client = self._clients[client_id]
            if uri not in client.redirect_uris:
                client.redirect_uris.append(uri)

    def authenticate_client(self, client_id: str | None, client_secret: str | None) -> ClientApp:
        """The client, when the secret matches; ``OAuthError`` 401 otherwise."""
        client = self.client(client_id or "")
        if (
            client is None
            or client_secret is None
            or not hmac.compare_digest(client.client_secret.encode(), client_secret.encode())
        ):
            raise OAuthError(401, "INVALID_CLIENT", "Invalid client credentials.")
        return client

    # The authorization request -----------------------------------------------------------

    def begin_authorization(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        state: str | None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> PendingAuthorization:
        """Validate an authorize request and remember it server-side until the user decides."""
        client = self.client(client_id)
        if client is None:
            raise OAuthError(400, "INVALID_CLIENT", "Unknown client_id.")
        # Exact string comparison, and never a redirect to an unregistered URI.
        if redirect_uri not in client.redirect_uris:
            raise OAuthError(400, "INVALID_REDIRECT_URI", "This redirect_uri is not registered.")
        if code_challenge_method and code_challenge_method.upper() not in ("S256", "PLAIN"):
            raise OAuthError(400, "INVALID_REQUEST", "Unsupported code_challenge_method.")
        now = self.clock.now()
        pending = PendingAuthorization(
            id=secrets.token_urlsafe(24),
            client_id=client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=code_challenge or None,
            code_challenge_method=code_challenge_method or None,
            created_at=now,
        )
        with self.lock:
            self._pending = {
                key: value
                for key, value in self._pending.items()
                if now - value.created_at < PENDING_LIFETIME
            }
            self._pending[pending.id] = pending
        return pending

    def pending(self, request_id: str) -> PendingAuthorization:
        """A pending authorization by its id; ``OAuthError`` when unknown, used or stale."""
        with self.lock:
            pending = self._pending.get(request_id)
            if pending is None or self.clock.now() - pending.created_at >= PENDING_LIFETIME:
                raise OAuthError(
                    400,
                    "INVALID_REQUEST",
                    "This sign-in request has expired. Start again from the application.",
                )
            return pending

    def log_in(self, request_id: str, username: str, password: str) -> EmulatedUser | None:
        """Check the password and attach the user to the pending request; ``None`` if wrong."""
        with self.lock:
            pending = self.pending(request_id)
            user = self._users.get(username)
            if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
                self.stats.add("login_failures")
                return None
            pending.username = user.username
            return user

    def decide(self, request_id: str, *, allow: bool) -> tuple[PendingAuthorization, str | None]:
        """End a logged-in pending request; the code when allowed, ``None`` when denied."""
        with self.lock:
            pending = self.pending(request_id)
            if pending.username is None:
                raise OAuthError(400, "INVALID_REQUEST", "Log in before answering the consent.")
            del self._pending[request_id]
            if not allow:
                self.stats.add("consents_denied")
                return pending, None
            code = self.issue_code(
                client_id=pending.client_id,
                redirect_uri=pending.redirect_uri,
                username=pending.username,
                code_challenge=pending.code_challenge,
                code_challenge_method=pending.code_challenge_method,
            )
            return pending, code

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        username: str,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """A fresh authorization code for a user who consented."""
        now = self.clock.now()
        code = AuthorizationCode(
            code=secrets.token_hex(16),
            client_id=client_id,
            redirect_uri=redirect_uri,
            username=username,
            issued_at=now,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )
        with self.lock:
            # Forget codes nobody can use any more so a long demo does not grow without bound.
            self._codes = {
                key: value
                for key, value in self._codes.items()
                if not value.used and now - value.issued_at < 3600
            }
            self._codes[code.code] = code
            self.stats.add("codes_issued")
        return code.code

    # The token endpoint -----------------------------------------------------------------

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
            try:
                record = self._check_code(client, code, redirect_uri, code_verifier)
            except OAuthError:
                self.stats.add("rejected_code_exchanges")
                raise
            record.used = True
            self.stats.add("code_exchanges")
            return self._new_grant(client, record.username, record.redirect_uri)

    def _check_code(
        self,
        client: ClientApp,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> AuthorizationCode:
        record = self._codes.get(code or "")
        if (
            record is None
            or record.used
            or record.client_id != client.client_id
            or self.clock.now() - record.issued_at >= client.code_lifetime
        ):
            raise OAuthError(400, "INVALID_GRANT", "Invalid or expired authorization code.")
        if redirect_uri != record.redirect_uri:
            raise OAuthError(400, "INVALID_GRANT", "redirect_uri does not match the authorization.")
        if record.code_challenge is not None and (
            not code_verifier
            or not _pkce_matches(code_verifier, record.code_challenge, record.code_challenge_method)
        ):
            raise OAuthError(400, "INVALID_GRANT", "code_verifier does not match the challenge.")
        return record

    def create_grant(self, client: ClientApp, username: str, redirect_uri: str) -> IssuedTokens:
        """Tokens for a user as if they had just consented (tests skip the browser this way)."""
        with self.lock:
            if username not in self._users:
                raise KeyError(username)
            return self._new_grant(client, username, redirect_uri)

    def _new_grant(self, client: ClientApp, username: str, redirect_uri: str) -> IssuedTokens:
        now = self.clock.now()
        grant = Grant(
            id=secrets.token_hex(8),
            client_id=client.client_id,
            username=username,
            redirect_uri=redirect_uri,
            created_at=now,
            refresh_token=secrets.token_hex(32),
            refresh_used_at=now,
        )
        self._grants[grant.id] = grant
        self._refresh_index[grant.refresh_token] = grant.id
        session = self._new_session(client, grant)
        return IssuedTokens(session.id, grant.refresh_token, client.expires_in, client.wid)

    def refresh(self, client: ClientApp, refresh_token: str | None) -> IssuedTokens:
        """A new session (and, when rotating, a new refresh token) for a live refresh token."""
        with self.lock:
            try:
                grant = self._live_grant_for(client, refresh_token or "")
            except OAuthError:
                self.stats.add("rejected_refreshes")
                raise
            now = self.clock.now()
            grant.refresh_used_at = now
            grant.refresh_count += 1
            returned: str | None
            if client.rotate_refresh_tokens:
                # The old token dies at once; presenting it again is treated as theft.
                grant.retired_tokens.add(grant.refresh_token)
                grant.refresh_token = secrets.token_hex(32)
                self._refresh_index[grant.refresh_token] = grant.id
                returned = grant.refresh_token
            else:
                returned = grant.refresh_token if client.echo_refresh_token else None
            session = self._new_session(client, grant)
            self.stats.add("successful_refreshes")
            return IssuedTokens(session.id, returned, client.expires_in, client.wid)

    def _live_grant_for(self, client: ClientApp, refresh_token: str) -> Grant:
        dead = OAuthError(400, "INVALID_GRANT", "Invalid or expired refresh token.")
        grant = self._grants.get(self._refresh_index.get(refresh_token, ""))
        if grant is None or grant.client_id != client.client_id or not grant.alive:
            raise dead
        if refresh_token != grant.refresh_token:
            # A rotated-away token came back: someone holds a copy. Kill the whole family.
            self.stats.add("reuse_detections")
            self._end_grant(grant, "refresh token reuse")
            raise dead
        now = self.clock.now()
        absolute, idle = client.refresh_absolute_expiry, client.refresh_inactivity_expiry
        if absolute is not None and now - grant.created_at >= absolute:
            self._end_grant(grant, "absolute expiry")
            raise dead
        if idle is not None and now - grant.refresh_used_at >= idle:
            self._end_grant(grant, "inactivity expiry")
            raise dead
        return grant

    def _end_grant(self, grant: Grant, reason: str) -> None:
        grant.alive = False
        grant.ended_reason = reason
        for session_id in grant.sessions:
            self._sessions[session_id].alive = False

    # Sessions ------------------------------------------------------------------------------

    def _new_session(self, client: ClientApp, grant: Grant) -> Session:
        now = self.clock.now()
        session = Session(
            id=secrets.token_hex(16),
            username=grant.username,
            grant_id=grant.id,
            created_at=now,
            last_used_at=now,
            # A non-zero expires_in is a promise: keep it, on top of the idle timeout.
            hard_expires_at=now + client.expires_in if client.expires_in > 0 else None,
        )
        self._sessions[session.id] = session
        grant.sessions.add(session.id)
        return session

    def _live_session(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None or not session.alive:
            return None
        now = self.clock.now()
        if now - session.last_used_at >= self.session_idle_timeout or (
            session.hard_expires_at is not None and now >= session.hard_expires_at
        ):
            session.alive = False
            return None
        return session

    def session_user(self, session_id: str | None) -> EmulatedUser | None:
        """The user of a live session, extending its idle timeout; ``None`` when not logged in."""
        with self.lock:
            session = self._live_session(session_id or "")
            if session is None:
                return None
            session.last_used_at = self.clock.now()
            return self._users.get(session.username)

    def end_session(self, session_id: str) -> bool:
        """Log a session out; ``False`` when it was not live."""
        with self.lock:
            session = self._live_session(session_id)
            if session is None:
                return False
            session.alive = False
            return True

    def expire_sessions(self, username: str | None = None) -> int:
        """End every live session (of one user, or everyone's); grants stay refreshable."""
        with self.lock:
            ended = 0
            for session in self._sessions.values():
                if session.alive and username in (None, session.username):
                    session.alive = False
                    ended += 1
            return ended

    def revoke_user(self, username: str) -> int:
        """End every grant of a user, with their sessions; the number of grants ended."""
        with self.lock:
            grants = [g for g in self._grants.values() if g.alive and g.username == username]
            for grant in grants:
                self._end_grant(grant, "revoked")
            self.expire_sessions(username)
            return len(grants)

    # Inspection -------------------------------------------------------------------------

    def active_grants(self, username: str | None = None) -> list[GrantInfo]:
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
                    access_tokens=tuple(
                        sid for sid in sorted(grant.sessions) if self._live_session(sid)
                    ),
                )
                for grant in self._grants.values()
                if grant.alive and username in (None, grant.username)
            ]

    def ended_grants(self, username: str | None = None) -> list[tuple[str, str]]:
        """``(grant id, reason)`` of every ended grant, for tests that check why."""
        with self.lock:
            return [
                (grant.id, grant.ended_reason)
                for grant in self._grants.values()
                if not grant.alive and username in (None, grant.username)
            ]

    def active_sessions(self, username: str | None = None) -> list[SessionInfo]:
        """Snapshots of live sessions."""
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
                if username in (None, session.username) and self._live_session(session.id)
            ]
