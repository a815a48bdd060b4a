"""``WorkfrontEmulator``: start, stop and steer a local Workfront stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from . import faults, ims
from .data import Dataset, build_dataset
from .faults import FaultPlan
from .legacy import AUTHORIZE_PATH, TOKEN_PATH
from .server import EmulatorHTTPServer
from .state import (
    IMS,
    LEGACY,
    ClientApp,
    Clock,
    Duration,
    EmulatedUser,
    GrantInfo,
    GrantStore,
    SessionInfo,
    ims_subject,
    optional_seconds,
    to_seconds,
    workfront_id,
)
from .stats import Stats, StatsRecorder

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"  # noqa: S105 - a well-known fake
DEFAULT_USERNAME = "wfuser"
DEFAULT_PASSWORD = "wfpass"  # noqa: S105 - a well-known fake
DEFAULT_API_VERSION = "v21.0"
DEFAULT_IMS_CLIENT_ID = "emulator-ims-client-id"
DEFAULT_IMS_CLIENT_SECRET = "emulator-ims-client-secret"  # noqa: S105 - a well-known fake
DEFAULT_IMS_ORG_ID = "0123456789ABCDEF01234567@AdobeOrg"
DEFAULT_IMS_SCOPES = ims.DEFAULT_SCOPES
#: IMS access tokens last 24 hours (less a second), refresh tokens 14 days unused.
DEFAULT_IMS_EXPIRES_IN = 86399
DEFAULT_IMS_REFRESH_LIFETIME = timedelta(days=14)


class WorkfrontEmulator:
    """A local Workfront: the legacy OAuth2 app (login, consent, token endpoint) and an API subset,
    and Adobe IMS (authorize, token, revoke, userinfo) with the API accepting its tokens.

    Pure standard library and no Django, so it runs anywhere. Every knob is safe to turn from
    another thread while requests are being served. The ``ims_*`` arguments register the
    Adobe Developer Console credential ("OAuth Web App"), separate from the legacy app.
    """

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: Iterable[str] = (),
        domain: str = "acme",
        lane: str = "my",
        host: str = "127.0.0.1",
        port: int = 0,
        expires_in: int = 0,
        rotate_refresh_tokens: bool = True,
        echo_refresh_token: bool = False,
        code_lifetime: Duration = 120,
        refresh_absolute_expiry: Duration | None = None,
        refresh_inactivity_expiry: Duration | None = None,
        session_idle_timeout: Duration = timedelta(hours=8),
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        users: Iterable[EmulatedUser] = (),
        projects: int = 2500,
        tasks_per_project: int = 2,
        latency: float = 0.0,
        token_latency: float | None = None,
        api_latency: float | None = None,
        fault_timeout: float = 15.0,
        retry_after: int = 1,
        log_requests: bool = False,
        ims_client_id: str = DEFAULT_IMS_CLIENT_ID,
        ims_client_secret: str = DEFAULT_IMS_CLIENT_SECRET,
        ims_org_id: str = DEFAULT_IMS_ORG_ID,
        ims_redirect_uris: Iterable[str] = (),
        ims_scopes_allowed: Iterable[str] = DEFAULT_IMS_SCOPES,
        ims_expires_in: int = DEFAULT_IMS_EXPIRES_IN,
        ims_refresh_lifetime: Duration | None = DEFAULT_IMS_REFRESH_LIFETIME,
        ims_latency: float | None = None,
    ) -> None:
        self.domain = domain
        self.lane = lane
        self.host = host
        self.requested_port = port
        self.log_requests = log_requests
        # One lock for all mutable state: the store, the clock, the counters and the knobs.
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self.clock = Clock(self._lock)
        self.counters = StatsRecorder(self._lock)
        self.store = GrantStore(
            lock=self._lock,
            clock=self.clock,
            stats=self.counters,
            session_idle_timeout=to_seconds(session_idle_timeout),
        )
        self.app = self.store.add_client(
            ClientApp(
                client_id=client_id,
                client_secret=client_secret,
                redirect_uris=list(redirect_uris),
                rotate_refresh_tokens=rotate_refresh_tokens,
                echo_refresh_token=echo_refresh_token,
                expires_in=int(expires_in),
                code_lifetime=to_seconds(code_lifetime),
                refresh_absolute_expiry=optional_seconds(refresh_absolute_expiry),
                refresh_inactivity_expiry=optional_seconds(refresh_inactivity_expiry),
                wid=workfront_id("customer", domain),
            )
        )
        self.ims_app = self.store.add_client(
            ClientApp(
                client_id=ims_client_id,
                client_secret=ims_client_secret,
                redirect_uris=list(ims_redirect_uris),
                # IMS rotates on every refresh; an unused refresh token lapses.
                rotate_refresh_tokens=True,
                expires_in=int(ims_expires_in),
                code_lifetime=to_seconds(code_lifetime),
                refresh_inactivity_expiry=optional_seconds(ims_refresh_lifetime),
                provider=IMS,
                scopes_allowed=tuple(ims_scopes_allowed),
                org_id=ims_org_id,
            )
        )
        self.default_user = self.add_user(
            username, password, name="Wendy Frontier" if username == DEFAULT_USERNAME else None
        )
        for user in users:
            self.store.add_user(user)
        self.faults = FaultPlan(
            self._lock,
            self._stopping,
            token_latency=latency if token_latency is None else token_latency,
            api_latency=latency if api_latency is None else api_latency,
            timeout_seconds=fault_timeout,
            retry_after=retry_after,
            ims_latency=latency if ims_latency is None else ims_latency,
        )
        owners = tuple(user.id for user in self.store.users())
        self.dataset: Dataset = build_dataset(projects, tasks_per_project, owners)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.base_url if self._server else "stopped"
        return f"<WorkfrontEmulator {self.domain}.{self.lane} {where}>"

    # Life cycle ----------------------------------------------------------------------------

    def start(self) -> WorkfrontEmulator:
        """Bind (port 0 picks a free one) and serve from a background thread."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        server = EmulatorHTTPServer(
            (self.host, self.requested_port), self, log_requests=self.log_requests
        )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how fast stop() returns
            name=f"workfront-emulator-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and free the port; requests still sleeping are woken and dropped."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> WorkfrontEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (only while running)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: what ``WORKFRONT_OAUTH_HOST`` should be."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # URLs ----------------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return self.base_url + TOKEN_PATH

    def api_url(self, version: str = DEFAULT_API_VERSION) -> str:
        """``<base_url>/attask/api/<version>``."""
        return f"{self.base_url}/attask/api/{version}"

    def authorize_url(
        self, redirect_uri: str | None = None, state: str | None = None, **extra: str
    ) -> str:
        """The authorize URL a client would send a user to (first redirect URI by default)."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri or self.redirect_uris[0],
            "response_type": "code",
        }
        if state is not None:
            params["state"] = state
        params.update(extra)
        return f"{self.base_url}{AUTHORIZE_PATH}?{urlencode(params)}"

    @property
    def ims_token_url(self) -> str:
        """Adobe IMS's token endpoint (``/ims/token/v3``)."""
        return self.base_url + ims.TOKEN_PATH

    @property
    def ims_revoke_url(self) -> str:
        """Adobe IMS's revoke endpoint."""
        return self.base_url + ims.REVOKE_PATH

    @property
    def ims_userinfo_url(self) -> str:
        """Adobe IMS's userinfo endpoint."""
        return self.base_url + ims.USERINFO_PATH

    def ims_authorize_url(
        self,
        redirect_uri: str | None = None,
        state: str | None = None,
        scope: str | None = None,
        **extra: str,
    ) -> str:
        """The IMS authorize URL (first IMS redirect URI, every allowed scope by default)."""
        params = {
            "client_id": self.ims_client_id,
            "redirect_uri": redirect_uri or self.ims_redirect_uris[0],
            "scope": ",".join(self.ims_scopes_allowed) if scope is None else scope,
            "response_type": "code",
        }
        if state is not None:
            params["state"] = state
        params.update(extra)
        return f"{self.base_url}{ims.AUTHORIZE_PATH}?{urlencode(params)}"

    # The OAuth2 app --------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The registered app's client id."""
        return self.app.client_id

    @property
    def client_secret(self) -> str:
        """The registered app's client secret."""
        return self.app.client_secret

    @property
    def redirect_uris(self) -> list[str]:
        """The registered redirect URIs (a copy)."""
        with self._lock:
            return list(self.app.redirect_uris)

    def add_redirect_uri(self, uri: str) -> None:
        """Register another redirect URI (e.g. ``live_server.url + "/workfront/callback/"``)."""
        self.store.add_redirect_uri(self.client_id, uri)

    # The Adobe IMS credential ------------------------------------------------------------------

    @property
    def ims_client_id(self) -> str:
        """The IMS credential's client id (also the ``x-api-key`` the API wants)."""
        return self.ims_app.client_id

    @property
    def ims_client_secret(self) -> str:
        """The IMS credential's client secret."""
        return self.ims_app.client_secret

    @property
    def ims_org_id(self) -> str:
        """The Adobe org id the API wants as ``x-gw-ims-org-id``."""
        return self.ims_app.org_id

    @property
    def ims_redirect_uris(self) -> list[str]:
        """The IMS credential's redirect URIs (a copy)."""
        with self._lock:
            return list(self.ims_app.redirect_uris)

    @property
    def ims_scopes_allowed(self) -> tuple[str, ...]:
        """The scopes the IMS credential may ask for."""
        return self.ims_app.scopes_allowed

    @property
    def ims_expires_in(self) -> int:
        """``expires_in`` of IMS token responses, and the access tokens' lifetime, in seconds."""
        return self.ims_app.expires_in

    def add_ims_redirect_uri(self, uri: str) -> None:
        """Register another IMS redirect URI (HTTPS, or ``http://`` on loopback only)."""
        self.store.add_redirect_uri(self.ims_client_id, uri, IMS)

    def ims_user_id(self, username: str | None = None) -> str:
        """A user's Adobe IMS id, the ``sub`` of userinfo (the default user without one)."""
        return ims_subject(self.user(username))

    # Users -----------------------------------------------------------------------------------

    @property
    def username(self) -> str:
        """The default user's username."""
        return self.default_user.username

    @property
    def password(self) -> str:
        """The default user's password."""
        return self.default_user.password

    def add_user(
        self,
        username: str,
        password: str,
        *,
        name: str | None = None,
        email_addr: str | None = None,
        id: str | None = None,
    ) -> EmulatedUser:
        """Seed another user who can log in; their ID is derived from the username by default."""
        user = EmulatedUser(
            username=username,
            password=password,
            id=id or workfront_id("USER", self.domain, username),
            name=name or username.replace(".", " ").title(),
            email_addr=email_addr or f"{username}@{self.domain}.example.com",
        )
        return self.store.add_user(user)

    def user(self, username: str | None = None) -> EmulatedUser:
        """A user by username (the default user without one)."""
        return self.store.user(username or self.username)

    # Grants, sessions and time ---------------------------------------------------------------

    def advance(self, seconds: Duration) -> None:
        """Move the emulator's clock forward instead of sleeping."""
        self.clock.advance(seconds)

    def issue_code(self, username: str | None = None, redirect_uri: str | None = None) -> str:
        """An authorization code as if the user had logged in and clicked Allow."""
        return self.store.issue_code(
            client_id=self.client_id,
            redirect_uri=redirect_uri or self.redirect_uris[0],
            username=self.user(username).username,
        )

    def issue_tokens(self, username: str | None = None) -> dict[str, Any]:
        """A token response for a new grant, skipping the browser (for setting up tests)."""
        user = self.user(username)
        uri = self.redirect_uris[0] if self.redirect_uris else ""
        return self.store.create_grant(self.app, user.username, uri).as_legacy_response()

    def ims_issue_code(
        self,
        username: str | None = None,
        redirect_uri: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> str:
        """An IMS authorization code as if the user had clicked Allow (all allowed scopes)."""
        return self.store.issue_code(
            client_id=self.ims_client_id,
            redirect_uri=redirect_uri or self.ims_redirect_uris[0],
            username=self.user(username).username,
            provider=IMS,
            scopes=self._ims_scopes(scopes),
        )

    def ims_issue_tokens(
        self, username: str | None = None, scopes: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """An IMS token response for a new grant (all allowed scopes by default)."""
        user = self.user(username)
        uri = self.ims_redirect_uris[0] if self.ims_redirect_uris else ""
        tokens = self.store.create_grant(self.ims_app, user.username, uri, self._ims_scopes(scopes))
        return ims.token_response(self, self.ims_app, tokens)

    def _ims_scopes(self, scopes: Iterable[str] | None) -> tuple[str, ...]:
        chosen = self.ims_scopes_allowed if scopes is None else tuple(scopes)
        unknown = [scope for scope in chosen if scope not in self.ims_scopes_allowed]
        if unknown:
            raise ValueError(f"scopes not allowed for the IMS credential: {unknown}")
        return chosen

    def active_grants(self, username: str | None = None) -> list[GrantInfo]:
        """Snapshots of the live grants (of one user, or everyone's)."""
        return self.store.active_grants(username)

    def active_sessions(self, username: str | None = None) -> list[SessionInfo]:
        """Snapshots of the live sessions (access tokens)."""
        return self.store.active_sessions(username)

    def expire_sessions(self, username: str | None = None) -> int:
        """End live sessions as if they had idled out; refresh tokens keep working."""
        return self.store.expire_sessions(username)

    def revoke_user(self, username: str) -> int:
        """End every grant of the user (refresh tokens and sessions); the number ended."""
        return self.store.revoke_user(username)

    # Faults, latency, counters ---------------------------------------------------------------

    def inject_token_fault(
        self,
        kind: str,
        count: int = 1,
        *,
        grant_type: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Answer the next ``count`` token requests (of ``grant_type`` only) with a fault.

        ``provider="workfront"`` or ``"adobe_ims"`` limits it to one token endpoint; by
        default it is served by whichever token endpoint is asked first.
        """
        if provider not in (None, LEGACY, IMS):
            raise ValueError(f"unknown provider {provider!r}; use 'workfront' or 'adobe_ims'")
        self.faults.inject(faults.TOKEN, kind, count, grant_type, provider)

    def inject_api_fault(self, kind: str, count: int = 1) -> None:
        """Answer the next ``count`` API requests with a fault."""
        self.faults.inject(faults.API, kind, count)

    def clear_faults(self) -> None:
        """Drop every fault not served yet."""
        self.faults.clear()

    @property
    def token_latency(self) -> float:
        """Seconds added before every token response."""
        return self.faults.latency(faults.TOKEN)

    @token_latency.setter
    def token_latency(self, seconds: float) -> None:
        self.faults.set_latency(faults.TOKEN, seconds)

    @property
    def api_latency(self) -> float:
        """Seconds added before every API response."""
        return self.faults.latency(faults.API)

    @api_latency.setter
    def api_latency(self, seconds: float) -> None:
        self.faults.set_latency(faults.API, seconds)

    @property
    def ims_latency(self) -> float:
        """Seconds added before every IMS token, revoke and userinfo response."""
        return self.faults.latency(faults.IMS)

    @ims_latency.setter
    def ims_latency(self, seconds: float) -> None:
        self.faults.set_latency(faults.IMS, seconds)

    @property
    def stats(self) -> Stats:
        """A snapshot of the counters."""
        return self.counters.snapshot()

    def reset_stats(self) -> None:
        """Zero every counter."""
        self.counters.reset()
