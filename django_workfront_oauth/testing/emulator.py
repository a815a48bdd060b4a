"""``WorkfrontEmulator``: start, stop and steer a local Workfront stand-in."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django_workfront_oauth.constants import (
    DEFAULT_S2S_SCOPES,
    DEFAULT_SCOPES,
    LEGACY_AUTHORIZE_PATH,
    LEGACY_TOKEN_PATH,
    PROVIDER_ADOBE_IMS,
)

from .clients import ClientApp, EmulatedUser
from .codes import AuthorizationRequest
from .common import (
    Clock,
    Duration,
    Shared,
    authorize_url,
    optional_seconds,
    to_seconds,
    workfront_id,
)
from .data import build_dataset
from .fault_knobs import FaultKnobs
from .faults import FaultPlan
from .grants import GrantInfo
from .ims_credential import IMSCredential
from .objects import ObjectStore
from .persistence import PersistentState, StatePath
from .s2s_credential import (
    DEFAULT_S2S_CLIENT_ID,
    DEFAULT_S2S_CLIENT_SECRET,
    S2SCredential,
    add_technical_account,
    s2s_client,
    technical_account,
)
from .server import EmulatorHTTPServer
from .sessions import SessionInfo
from .state import GrantStore
from .stats import StatsRecorder

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"  # noqa: S105 - a well-known fake
DEFAULT_USERNAME = "wfuser"
DEFAULT_PASSWORD = "wfpass"  # noqa: S105 - a well-known fake
DEFAULT_API_VERSION = "v21.0"
DEFAULT_IMS_CLIENT_ID = "emulator-ims-client-id"
DEFAULT_IMS_CLIENT_SECRET = "emulator-ims-client-secret"  # noqa: S105 - a well-known fake
DEFAULT_IMS_ORG_ID = "0123456789ABCDEF01234567@AdobeOrg"
#: What the IMS credential may ask for by default: the app's default ``SCOPES``.
DEFAULT_IMS_SCOPES = DEFAULT_SCOPES
#: IMS access tokens last 24 hours (less a second), refresh tokens 14 days unused.
DEFAULT_IMS_EXPIRES_IN = 86399
DEFAULT_IMS_REFRESH_LIFETIME = timedelta(days=14)


class WorkfrontEmulator(IMSCredential, S2SCredential, FaultKnobs, PersistentState):
    """A local Workfront: the legacy OAuth2 app (login, consent, token endpoint) and an API subset,
    and Adobe IMS (authorize, token, revoke, userinfo) with the API accepting its tokens.

    Pure standard library and no Django, so it runs anywhere. Every knob is safe to turn from
    another thread while requests are being served. The ``ims_*`` arguments register the
    Adobe Developer Console credential ("OAuth Web App"), separate from the legacy app; those
    that default to ``None`` take the value of the legacy app's argument of the same name.
    The ``s2s_*`` arguments register an "OAuth Server-to-Server" credential on the IMS side,
    whose ``client_credentials`` tokens act as its technical account user (``techacct``);
    ``s2s_expires_in=None`` takes ``ims_expires_in``.
    Both servers are as strict as RFC 6749 and RFC 7636 by default; ``require_redirect_uri``
    and ``require_pkce`` make them more lenient or stricter.
    ``state_file`` keeps the sign-in state across restarts (``persistence.py``, saved every
    ``autosave_interval`` seconds): a restarted emulator keeps every client connected.
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
        s2s_client_id: str = DEFAULT_S2S_CLIENT_ID,
        s2s_client_secret: str = DEFAULT_S2S_CLIENT_SECRET,
        s2s_scopes: Iterable[str] = DEFAULT_S2S_SCOPES,
        s2s_expires_in: int | None = None,
        require_redirect_uri: bool = True,
        require_pkce: bool = False,
        ims_require_redirect_uri: bool | None = None,
        ims_require_pkce: bool | None = None,
        state_file: StatePath | None = None,
        autosave_interval: float = 1.0,
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
            Shared(self._lock, self.clock, self.counters),
            session_idle_timeout=to_seconds(session_idle_timeout),
        )
        self.app = self.store.directory.add_client(
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
                require_redirect_uri=require_redirect_uri,
                require_pkce=require_pkce,
            )
        )
        self.ims_app = self.store.directory.add_client(
            ClientApp(
                client_id=ims_client_id,
                client_secret=ims_client_secret,
                redirect_uris=list(ims_redirect_uris),
                # IMS rotates on every refresh; an unused refresh token lapses.
                rotate_refresh_tokens=True,
                expires_in=int(ims_expires_in),
                code_lifetime=to_seconds(code_lifetime),
                refresh_inactivity_expiry=optional_seconds(ims_refresh_lifetime),
                provider=PROVIDER_ADOBE_IMS,
                scopes_allowed=tuple(ims_scopes_allowed),
                org_id=ims_org_id,
                require_redirect_uri=(
                    require_redirect_uri
                    if ims_require_redirect_uri is None
                    else ims_require_redirect_uri
                ),
                require_pkce=require_pkce if ims_require_pkce is None else ims_require_pkce,
            )
        )
        self.s2s_app = self.store.directory.add_client(
            s2s_client(
                client_id=s2s_client_id,
                client_secret=s2s_client_secret,
                org_id=ims_org_id,
                scopes=s2s_scopes,
                expires_in=ims_expires_in if s2s_expires_in is None else s2s_expires_in,
            )
        )
        self.default_user = self.add_user(
            username, password, name="Wendy Frontier" if username == DEFAULT_USERNAME else None
        )
        for user in users:
            self.store.directory.add_user(user)
        self.faults = FaultPlan(
            self._lock,
            self._stopping,
            token_latency=latency if token_latency is None else token_latency,
            api_latency=latency if api_latency is None else api_latency,
            timeout_seconds=fault_timeout,
            retry_after=retry_after,
            ims_latency=latency if ims_latency is None else ims_latency,
        )
        owners = tuple(user.id for user in self.store.directory.users())
        seeded = build_dataset(projects, tasks_per_project, owners)
        self.dataset = ObjectStore(seeded, self._lock, self.counters, domain)
        # Added after the seeding, like a credential made in a Workfront already in use: the
        # technical account owns none of the seeded work.
        add_technical_account(
            self.store.directory, technical_account(domain, ims_org_id, s2s_client_id)
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._open_state_file(state_file, autosave_interval)

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
        self._start_autosave()
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
        self._stop_autosave()

    def __enter__(self) -> WorkfrontEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
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
        return self.base_url + LEGACY_TOKEN_PATH

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
        }
        return authorize_url(self.base_url + LEGACY_AUTHORIZE_PATH, params, state, extra)

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
        self.store.directory.add_redirect_uri(self.client_id, uri)

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
        return self.store.directory.add_user(user)

    def user(self, username: str | None = None) -> EmulatedUser:
        """A user by username (the default user without one)."""
        return self.store.directory.user(username or self.username)

    # Grants, sessions and time ---------------------------------------------------------------

    def advance(self, seconds: Duration) -> None:
        """Move the emulator's clock forward instead of sleeping."""
        self.clock.advance(seconds)

    def issue_code(
        self,
        username: str | None = None,
        redirect_uri: str | None = None,
        *,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        """An authorization code as if the user had logged in and clicked Allow.

        A PKCE challenge binds it as the authorization request's would.
        """
        request = AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=redirect_uri or self.redirect_uris[0],
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
        )
        return self.store.codes.issue_code(request, self.user(username).username)

    def issue_tokens(self, username: str | None = None) -> dict[str, Any]:
        """A token response for a new grant, skipping the browser (for setting up tests)."""
        user = self.user(username)
        uri = self.redirect_uris[0] if self.redirect_uris else ""
        return self.store.create_grant(self.app, user.username, uri).as_legacy_response()

    def active_grants(self, username: str | None = None) -> list[GrantInfo]:
        """Snapshots of the live grants (of one user, or everyone's)."""
        return self.store.grants.active(username)

    def active_sessions(self, username: str | None = None) -> list[SessionInfo]:
        """Snapshots of the live sessions (access tokens)."""
        return self.store.sessions.active(username)

    def expire_sessions(self, username: str | None = None) -> int:
        """End live sessions as if they had idled out; refresh tokens keep working."""
        return self.store.sessions.expire(username)

    def revoke_user(self, username: str) -> int:
        """End every grant of the user (refresh tokens and sessions); the number ended."""
        return self.store.grants.revoke_user(username)
