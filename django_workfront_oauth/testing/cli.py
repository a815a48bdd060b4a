"""Command-line options and the serve-until-signalled loop, shared by ``python -m`` and the
``workfront_emulator`` management command.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, Protocol

from .clients import parse_scopes
from .emulator import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_IMS_CLIENT_ID,
    DEFAULT_IMS_CLIENT_SECRET,
    DEFAULT_IMS_EXPIRES_IN,
    DEFAULT_IMS_ORG_ID,
    DEFAULT_IMS_REFRESH_LIFETIME,
    DEFAULT_IMS_SCOPES,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    WorkfrontEmulator,
)
from .s2s_credential import DEFAULT_S2S_CLIENT_ID, DEFAULT_S2S_CLIENT_SECRET

DEFAULT_PORT = 8001


class Writer(Protocol):
    """Where the banner goes: ``sys.stdout`` or a management command's ``self.stdout``."""

    def write(self, text: str, /) -> Any:
        """Write text."""

    def flush(self) -> None:
        """Flush it."""


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave the serve loop the way Ctrl-C does."""


def add_arguments(
    parser: argparse.ArgumentParser, defaults: Mapping[str, Any] | None = None
) -> None:
    """Add the emulator's options; ``defaults`` overrides built-in defaults by option dest."""
    given = dict(defaults or {})

    def default(dest: str, fallback: Any) -> Any:
        value = given.get(dest)
        return fallback if value in (None, "", []) else value

    redirect_uris = default("redirect_uris", [])
    ims_redirect_uris = default("ims_redirect_uris", [])
    parser.add_argument("--host", default=default("host", "127.0.0.1"), help="address to bind")
    parser.add_argument(
        "--port", type=int, default=default("port", DEFAULT_PORT), help="0 picks a free port"
    )
    parser.add_argument("--client-id", default=default("client_id", DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret", default=default("client_secret", DEFAULT_CLIENT_SECRET))
    parser.add_argument(
        "--redirect-uri",
        dest="redirect_uris",
        action="append",
        help="a registered redirect URI of the legacy app, compared exactly (repeat for more)",
    )
    parser.add_argument("--domain", default=default("domain", "acme"))
    parser.add_argument("--lane", default=default("lane", "my"))
    parser.add_argument(
        "--expires-in", type=int, default=0, help="expires_in of token responses (Workfront: 0)"
    )
    parser.add_argument(
        "--no-rotation",
        dest="rotate_refresh_tokens",
        action="store_false",
        help="non-rotating refresh tokens (the response then carries no refresh_token)",
    )
    parser.add_argument(
        "--echo-refresh-token",
        action="store_true",
        help="with --no-rotation, send the unchanged refresh token back",
    )
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--projects", type=int, default=2500, help="seeded projects")
    parser.add_argument("--tasks-per-project", type=int, default=2)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before token and API responses"
    )
    parser.add_argument("--code-lifetime", type=float, default=120.0, help="seconds")
    parser.add_argument("--session-idle-timeout", type=float, default=8 * 3600.0, help="seconds")
    parser.add_argument(
        "--refresh-absolute-expiry", type=float, default=None, help="seconds from consent"
    )
    parser.add_argument(
        "--refresh-inactivity-expiry", type=float, default=None, help="seconds unused"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    parser.add_argument(
        "--state-file",
        default=default("state_file", None),
        help="keep the sign-in state (users, grants, refresh tokens, sessions) in this JSON file "
        "across restarts: read at start when it exists, written while running and at the end",
    )
    parser.add_argument(
        "--require-redirect-uri",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a code exchange must repeat the authorization's redirect_uri (RFC 6749 4.1.3); "
        "with --no-require-redirect-uri one without it is accepted, a different one never",
    )
    parser.add_argument(
        "--require-pkce",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="refuse an authorization request without a PKCE code_challenge",
    )
    ims = parser.add_argument_group(
        "Adobe IMS", "the Developer Console credential (OAuth Web App), separate from the app above"
    )
    ims.add_argument("--ims-client-id", default=default("ims_client_id", DEFAULT_IMS_CLIENT_ID))
    ims.add_argument(
        "--ims-client-secret", default=default("ims_client_secret", DEFAULT_IMS_CLIENT_SECRET)
    )
    ims.add_argument(
        "--ims-org-id",
        default=default("ims_org_id", DEFAULT_IMS_ORG_ID),
        help="the org id the API wants as x-gw-ims-org-id",
    )
    ims.add_argument(
        "--ims-redirect-uri",
        dest="ims_redirect_uris",
        action="append",
        help="a registered IMS redirect URI: https://, or http:// on loopback (repeatable)",
    )
    ims.add_argument(
        "--ims-scopes",
        default=",".join(DEFAULT_IMS_SCOPES),
        help="the scopes the credential may ask for, comma-separated",
    )
    ims.add_argument(
        "--ims-expires-in",
        type=int,
        default=DEFAULT_IMS_EXPIRES_IN,
        help="lifetime of IMS access tokens, in seconds",
    )
    ims.add_argument(
        "--ims-refresh-lifetime",
        type=float,
        default=DEFAULT_IMS_REFRESH_LIFETIME.total_seconds(),
        help="seconds an IMS refresh token lives unused",
    )
    ims.add_argument(
        "--ims-require-redirect-uri",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="--require-redirect-uri for the IMS credential alone (default: as the legacy app)",
    )
    ims.add_argument(
        "--ims-require-pkce",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="--require-pkce for the IMS credential alone (default: as the legacy app)",
    )
    s2s = parser.add_argument_group(
        "Adobe IMS Server-to-Server",
        "the OAuth Server-to-Server credential: client_credentials tokens for its technical "
        "account user",
    )
    s2s.add_argument("--s2s-client-id", default=default("s2s_client_id", DEFAULT_S2S_CLIENT_ID))
    s2s.add_argument(
        "--s2s-client-secret", default=default("s2s_client_secret", DEFAULT_S2S_CLIENT_SECRET)
    )
    parser.set_defaults(
        redirect_uris=None,
        default_redirect_uris=list(redirect_uris),
        ims_redirect_uris=None,
        default_ims_redirect_uris=list(ims_redirect_uris),
    )


def redirect_uris_of(options: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The legacy app's and the IMS credential's redirect URIs: those given, else the defaults."""
    return (
        list(options["redirect_uris"] or options.get("default_redirect_uris") or ()),
        list(options.get("ims_redirect_uris") or options.get("default_ims_redirect_uris") or ()),
    )


def missing_redirect_uri(options: Mapping[str, Any]) -> str:
    """The complaint when no redirect URI is registered at all (nobody could be sent back)."""
    legacy, ims = redirect_uris_of(options)
    if legacy or ims:
        return ""
    return "give at least one --redirect-uri (legacy app) or --ims-redirect-uri (Adobe IMS)"


def emulator_from_options(options: Mapping[str, Any]) -> WorkfrontEmulator:
    """An emulator configured from parsed options (``vars(namespace)`` or Django's ``options``)."""
    redirect_uris, ims_redirect_uris = redirect_uris_of(options)
    return WorkfrontEmulator(
        client_id=options["client_id"],
        client_secret=options["client_secret"],
        redirect_uris=redirect_uris,
        domain=options["domain"],
        lane=options["lane"],
        host=options["host"],
        port=options["port"],
        expires_in=options["expires_in"],
        rotate_refresh_tokens=options["rotate_refresh_tokens"],
        echo_refresh_token=options["echo_refresh_token"],
        code_lifetime=options["code_lifetime"],
        refresh_absolute_expiry=options["refresh_absolute_expiry"],
        refresh_inactivity_expiry=options["refresh_inactivity_expiry"],
        session_idle_timeout=options["session_idle_timeout"],
        username=options["username"],
        password=options["password"],
        projects=options["projects"],
        tasks_per_project=options["tasks_per_project"],
        latency=options["latency"],
        log_requests=not options["quiet"],
        ims_client_id=options["ims_client_id"],
        ims_client_secret=options["ims_client_secret"],
        ims_org_id=options["ims_org_id"],
        ims_redirect_uris=ims_redirect_uris,
        ims_scopes_allowed=parse_scopes(options["ims_scopes"]),
        ims_expires_in=options["ims_expires_in"],
        ims_refresh_lifetime=options["ims_refresh_lifetime"],
        # .get: a caller may build options by hand, without the strictness switches.
        require_redirect_uri=options.get("require_redirect_uri", True),
        require_pkce=options.get("require_pkce", False),
        ims_require_redirect_uri=options.get("ims_require_redirect_uri"),
        ims_require_pkce=options.get("ims_require_pkce"),
        s2s_client_id=options.get("s2s_client_id") or DEFAULT_S2S_CLIENT_ID,
        s2s_client_secret=options.get("s2s_client_secret") or DEFAULT_S2S_CLIENT_SECRET,
        state_file=options.get("state_file") or None,
    )


def banner(emulator: WorkfrontEmulator) -> list[str]:
    """What the emulator says when it starts; the first line ends with the base URL."""
    account = emulator.technical_account
    return [
        f"Workfront emulator running at {emulator.base_url}",
        f"Workfront login: username {emulator.username!r}, password {emulator.password!r}",
        f"OAuth2 app client_id {emulator.client_id!r}; redirect URIs: "
        + (", ".join(emulator.redirect_uris) or "none"),
        f"Settings: WORKFRONT_OAUTH_HOST={emulator.base_url} "
        f"WORKFRONT_OAUTH_DOMAIN={emulator.domain} WORKFRONT_OAUTH_LANE={emulator.lane}",
        f"Adobe IMS client_id {emulator.ims_client_id!r}, org {emulator.ims_org_id!r}; "
        "redirect URIs: " + (", ".join(emulator.ims_redirect_uris) or "none"),
        f"IMS settings: WORKFRONT_OAUTH_PROVIDER=adobe_ims "
        f"WORKFRONT_OAUTH_HOST={emulator.base_url} WORKFRONT_OAUTH_IMS_HOST={emulator.base_url} "
        f"WORKFRONT_OAUTH_IMS_ORG_ID={emulator.ims_org_id}",
        f"Adobe IMS Server-to-Server client_id {emulator.s2s_client_id!r}; technical account "
        f"{account.username!r} ({account.name}, {account.email_addr})",
        *(
            [f"Sign-in state kept in {emulator.state_file}"]
            if emulator.state_file is not None
            else []
        ),
        "Press Ctrl-C to stop.",
    ]


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def serve(emulator: WorkfrontEmulator, out: Writer) -> int:
    """Start, print the banner, run until SIGINT or SIGTERM, stop; the exit status (0)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stop) if in_main_thread else None
    try:
        emulator.start()
        for line in banner(emulator):
            out.write(line + "\n")
        out.flush()
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    out.write("Workfront emulator stopped.\n")
    out.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m django_workfront_oauth.testing``."""
    parser = argparse.ArgumentParser(
        prog="python -m django_workfront_oauth.testing",
        description="Run a local Workfront emulator (legacy OAuth2 app, Adobe IMS and a REST "
        "API subset).",
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    problem = missing_redirect_uri(options)
    if problem:
        parser.error(problem)
    return serve(emulator_from_options(options), sys.stdout)
