"""The grant and token store: users, clients, pending authorizations, codes, grants, sessions.

Nothing here speaks HTTP or knows an endpoint's URL or wire format: the legacy Workfront
endpoints (``legacy.py``) and the Adobe IMS endpoints (``ims.py``) translate requests into these
calls and results back into responses. Both authorization servers share this store: one set of
users, and every grant belongs to a client of one of them (``ClientApp.provider``). Every method
takes the one lock it shares with the rest of the emulator, so each operation is atomic.
"""

from __future__ import annotations

import base64
import binascii
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

#: The authorization servers, by the app's ``PROVIDER`` values.
LEGACY = "workfront"
IMS = "adobe_ims"
PROVIDERS = (LEGACY, IMS)
#: The IMS scope that makes the token endpoint hand out a refresh token.
OFFLINE_ACCESS = "offline_access"


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


def ims_subject(user: EmulatedUser) -> str:
    """The user's Adobe IMS id (``sub``): derived from the username, the same on every run."""
    return workfront_id("IMS", user.username)[:24].upper() + "@AdobeID"


def counter(provider: str, key: str) -> str:
    """The stats key of ``key`` for a provider: the IMS side's counters are prefixed ``ims_``."""
    return f"ims_{key}" if provider == IMS else key


def client_credentials(authorization: str, params: dict[str, str]) -> tuple[str | None, str | None]:
    """A token request's client id and secret: from HTTP Basic, else from the body's fields."""
    if authorization[:6].lower() != "basic ":
        return params.get("client_id"), params.get("client_secret")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise OAuthError(401, "INVALID_CLIENT", "Malformed Basic credentials.")
    return client_id, client_secret


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
    #: Which authorization server the app is registered with (``LEGACY`` or ``IMS``).
    provider: str = LEGACY
    #: IMS only: the scopes the credential may ask for (anything else is ``invalid_scope``).
    scopes_allowed: tuple[str, ...] = ()
    #: IMS only: the Adobe org whose Workfront accepts this app's tokens.
    org_id: str = ""


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
    provider: str = LEGACY
    scopes: tuple[str, ...] = ()


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
    provider: str = LEGACY
    scopes: tuple[str, ...] = ()


@dataclass
class Session:
    """An access token: a Workfront session (legacy) or an IMS Bearer token (``bearer``).

    A Workfront session idles out; an IMS access token lives exactly ``expires_in`` seconds.
    Neither kind is accepted where the other is expected.
    """

    id: str
    username: str
    grant_id: str | None
    created_at: float
    last_used_at: float
    hard_expires_at: float | None
    alive: bool = True
    bearer: bool = False


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
    provider: str = LEGACY
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
    provider: str = LEGACY
    #: The granted IMS scopes (empty for the legacy app).
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


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful token request hands out."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    wid: str
    username: str = ""
    scopes: tuple[str, ...] = ()

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
        # By (provider, client id): a legacy app and an IMS credential may share an id.
        self._clients: dict[tuple[str, str], ClientApp] = {}
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        # Every refresh token ever issued (live or rotated away) -> its grant, for reuse detection.
        self._refresh_index: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}

    def _count(self, provider: str, key: str) -> None:
        self.stats.add(counter(provider, key))

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
        """Register an OAuth2 application (of its ``provider``)."""
        if client.provider not in PROVIDERS:
            raise ValueError(f"unknown provider {client.provider!r}; known: {PROVIDERS}")
        with self.lock:
            self._clients[(client.provider, client.client_id)] = client
        return client

    def client(self, client_id: str, provider: str = LEGACY) -> ClientApp | None:
        """The application of ``provider`` with that client id, if any."""
        with self.lock:
            return self._clients.get((provider, client_id))

    def add_redirect_uri(self, client_id: str, uri: str, provider: str = LEGACY) -> None:
        """Register one more redirect URI (compared exactly, like Workfront and IMS)."""
        with self.lock:
            client = self._clients[(provider, client_id)]
            if uri not in client.redirect_uris:
                client.redirect_uris.append(uri)

    def authenticate_client(
        self, client_id: str | None, client_secret: str | None, provider: str = LEGACY
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

    # The authorization request -----------------------------------------------------------

    def begin_authorization(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        state: str | None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        provider: str = LEGACY,
        scopes: tuple[str, ...] = (),
    ) -> PendingAuthorization:
        """Validate an authorize request and remember it server-side until the user decides."""
        client = self.client(client_id, provider)
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
            provider=provider,
            scopes=tuple(scopes),
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
                self._count(pending.provider, "login_failures")
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
                self._count(pending.provider, "consents_denied")
                return pending, None
            code = self.issue_code(
                client_id=pending.client_id,
                redirect_uri=pending.redirect_uri,
                username=pending.username,
                code_challenge=pending.code_challenge,
                code_challenge_method=pending.code_challenge_method,
                provider=pending.provider,
                scopes=pending.scopes,
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
        provider: str = LEGACY,
        scopes: tuple[str, ...] = (),
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
            provider=provider,
            scopes=tuple(scopes),
        )
        with self.lock:
            # Forget codes nobody can use any more so a long demo does not grow without bound.
            self._codes = {
                key: value
                for key, value in self._codes.items()
                if not value.used and now - value.issued_at < 3600
            }
            self._codes[code.code] = code
            self._count(provider, "codes_issued")
        return code.code

    # The token endpoint -----------------------------------------------------------------

    def exchange_code(
        self,
        client: ClientApp,
        *,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
        check_redirect_uri: bool = True,
    ) -> IssuedTokens:
        """Trade a code for tokens: once, within its lifetime, with the same redirect URI.

        ``check_redirect_uri=False`` (IMS, whose token request need not repeat it) skips the
        redirect URI comparison when the request sent none.
        """
        with self.lock:
            try:
                record = self._check_code(
                    client,
                    code,
                    redirect_uri,
                    code_verifier,
                    check_redirect_uri=check_redirect_uri or redirect_uri is not None,
                )
            except OAuthError:
                self._count(client.provider, "rejected_code_exchanges")
                raise
            record.used = True
            self._count(client.provider, "code_exchanges")
            return self._new_grant(client, record.username, record.redirect_uri, record.scopes)

    def _check_code(
        self,
        client: ClientApp,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
        *,
        check_redirect_uri: bool = True,
    ) -> AuthorizationCode:
        record = self._codes.get(code or "")
        if (
            record is None
            or record.used
            or record.client_id != client.client_id
            or record.provider != client.provider
            or self.clock.now() - record.issued_at >= client.code_lifetime
        ):
            raise OAuthError(400, "INVALID_GRANT", "Invalid or expired authorization code.")
        if check_redirect_uri and redirect_uri != record.redirect_uri:
            raise OAuthError(400, "INVALID_GRANT", "redirect_uri does not match the authorization.")
        if record.code_challenge is not None and (
            not code_verifier
            or not _pkce_matches(code_verifier, record.code_challenge, record.code_challenge_method)
        ):
            raise OAuthError(400, "INVALID_GRANT", "code_verifier does not match the challenge.")
        return record

    def create_grant(
        self,
        client: ClientApp,
        username: str,
        redirect_uri: str,
        scopes: tuple[str, ...] = (),
    ) -> IssuedTokens:
        """Tokens for a user as if they had just consented (tests skip the browser this way)."""
        with self.lock:
            if username not in self._users:
                raise KeyError(username)
            return self._new_grant(client, username, redirect_uri, tuple(scopes))

    def _new_grant(
        self, client: ClientApp, username: str, redirect_uri: str, scopes: tuple[str, ...] = ()
    ) -> IssuedTokens:
        now = self.clock.now()
        # IMS hands out a refresh token only when offline_access was granted.
        refreshable = client.provider == LEGACY or OFFLINE_ACCESS in scopes
        grant = Grant(
            id=secrets.token_hex(8),
            client_id=client.client_id,
            username=username,
            redirect_uri=redirect_uri,
            created_at=now,
            refresh_token=_new_refresh_token(client) if refreshable else "",
            refresh_used_at=now,
            provider=client.provider,
            scopes=scopes,
        )
        self._grants[grant.id] = grant
        if grant.refresh_token:
            self._refresh_index[grant.refresh_token] = grant.id
        session = self._new_session(client, grant)
        return IssuedTokens(
            session.id,
            grant.refresh_token or None,
            client.expires_in,
            client.wid,
            username,
            scopes,
        )

    def refresh(self, client: ClientApp, refresh_token: str | None) -> IssuedTokens:
        """A new session (and, when rotating, a new refresh token) for a live refresh token."""
        with self.lock:
            try:
                grant = self._live_grant_for(client, refresh_token or "")
            except OAuthError:
                self._count(client.provider, "rejected_refreshes")
                raise
            now = self.clock.now()
            grant.refresh_used_at = now
            grant.refresh_count += 1
            returned: str | None
            if client.rotate_refresh_tokens:
                # The old token dies at once; presenting it again is treated as theft.
                grant.retired_tokens.add(grant.refresh_token)
                grant.refresh_token = _new_refresh_token(client)
                self._refresh_index[grant.refresh_token] = grant.id
                returned = grant.refresh_token
            else:
                returned = grant.refresh_token if client.echo_refresh_token else None
            session = self._new_session(client, grant)
            self._count(client.provider, "successful_refreshes")
            return IssuedTokens(
                session.id, returned, client.expires_in, client.wid, grant.username, grant.scopes
            )

    def _live_grant_for(self, client: ClientApp, refresh_token: str) -> Grant:
        dead = OAuthError(400, "INVALID_GRANT", "Invalid or expired refresh token.")
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
            self._count(client.provider, "reuse_detections")
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

    def revoke_token(self, client: ClientApp, token: str) -> bool:
        """End the grant that a refresh or access token belongs to (IMS ``/ims/revoke``).

        ``False`` when the token is unknown or its grant already ended (nothing to do);
        ``OAuthError`` when it belongs to another client.
        """
        with self.lock:
            grant = self._grants.get(self._refresh_index.get(token, ""))
            if grant is None:
                session = self._sessions.get(token)
                if session is not None and session.grant_id is not None:
                    grant = self._grants.get(session.grant_id)
            if grant is None:
                return False
            if grant.client_id != client.client_id or grant.provider != client.provider:
                raise OAuthError(400, "UNAUTHORIZED_CLIENT", "The token belongs to another client.")
            if not grant.alive:
                return False
            self._end_grant(grant, "revoked")
            return True

    # Sessions ------------------------------------------------------------------------------

    def _new_session(self, client: ClientApp, grant: Grant) -> Session:
        now = self.clock.now()
        bearer = client.provider == IMS
        session = Session(
            id=_new_access_token(client),
            username=grant.username,
            grant_id=grant.id,
            created_at=now,
            last_used_at=now,
            # A non-zero expires_in is a promise: keep it, on top of the idle timeout.
            hard_expires_at=now + client.expires_in if client.expires_in > 0 else None,
            bearer=bearer,
        )
        self._sessions[session.id] = session
        grant.sessions.add(session.id)
        return session

    def _live_session(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is None or not session.alive:
            return None
        now = self.clock.now()
        # An IMS access token does not idle out: it lives exactly expires_in seconds.
        idled_out = not session.bearer and now - session.last_used_at >= self.session_idle_timeout
        if idled_out or (session.hard_expires_at is not None and now >= session.hard_expires_at):
            session.alive = False
            return None
        return session

    def session_user(self, session_id: str | None) -> EmulatedUser | None:
        """The user of a live session, extending its idle timeout; ``None`` when not logged in.

        Only Workfront sessions count: an IMS access token is not a ``SessionID``.
        """
        with self.lock:
            session = self._live_session(session_id or "")
            if session is None or session.bearer:
                return None
            session.last_used_at = self.clock.now()
            return self._users.get(session.username)

    def bearer(self, access_token: str | None) -> BearerInfo | None:
        """Who a live IMS access token belongs to; ``None`` when unknown, expired or ended."""
        with self.lock:
            session = self._live_session(access_token or "")
            if session is None or not session.bearer:
                return None
            grant = self._grants.get(session.grant_id or "")
            user = self._users.get(session.username)
            if grant is None or user is None:
                return None
            session.last_used_at = self.clock.now()
            return BearerInfo(
                user=user,
                client_id=grant.client_id,
                scopes=grant.scopes,
                expires_at=session.hard_expires_at or float("inf"),
            )

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
                    provider=grant.provider,
                    scopes=grant.scopes,
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
                if username in (None, session.username) and self._live_session(session.id)
            ]


def _new_refresh_token(client: ClientApp) -> str:
    # IMS tokens are long opaque strings; the legacy app's are 64 hex digits.
    return secrets.token_urlsafe(48) if client.provider == IMS else secrets.token_hex(32)


def _new_access_token(client: ClientApp) -> str:
    return secrets.token_urlsafe(48) if client.provider == IMS else secrets.token_hex(16)
