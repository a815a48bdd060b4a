"""Adobe IMS ("OAuth Web App" credential): authorize, token, revoke, userinfo, discovery.

Like ``legacy.py`` these functions only translate between HTTP and
:class:`~.state.GrantStore`, which holds the rules; they share its users, its login and consent
pages and its Workfront API (``api.py`` accepts the Bearer tokens issued here). What differs
from the legacy app is the wire format: form bodies, RFC 6749-style errors
(``{"error", "error_description"}``), an ``x-debug-id`` header on every response, scopes, and
a refresh token only with ``offline_access``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import pages
from .faults import IMS as IMS_LATENCY
from .faults import TOKEN
from .messages import (
    FORM_TYPE,
    Request,
    Response,
    html_response,
    ims_error,
    json_response,
    redirect,
)
from .state import (
    IMS,
    ClientApp,
    IssuedTokens,
    OAuthError,
    add_query,
    client_credentials,
    ims_subject,
)

if TYPE_CHECKING:
    from .emulator import WorkfrontEmulator

AUTHORIZE_PATH = "/ims/authorize/v2"
TOKEN_PATH = "/ims/token/v3"  # noqa: S105 - a path
REVOKE_PATH = "/ims/revoke"
USERINFO_PATH = "/ims/userinfo/v2"
DISCOVERY_PATH = "/ims/.well-known/openid-configuration"

#: What Adobe's own code asks for on Workfront's behalf (IMS.md); the default allowed scopes.
DEFAULT_SCOPES = (
    "openid",
    "AdobeID",
    "offline_access",
    "read_organizations",
    "additional_info.projectedProductContext",
    "workfront_api",
)
#: IMS documents this cap on ``state``.
MAX_STATE_LENGTH = 4096
#: Hosts where a plain ``http://`` redirect URI is accepted (real IMS wants HTTPS everywhere).
#: ``testserver`` is the host Django's test client builds URLs with.
_HTTP_HOSTS = ("localhost", "testserver")

Endpoint = Callable[["WorkfrontEmulator", Request, "re.Match[str]"], Response]


def parse_scopes(value: str) -> tuple[str, ...]:
    """``scope`` as IMS reads it: comma- or space-separated, case-sensitive, in order."""
    return tuple(dict.fromkeys(item for item in re.split(r"[\s,]+", value) if item))


def redirect_uri_allowed(uri: str) -> bool:
    """HTTPS, or plain HTTP on a loopback address (a documented deviation from IMS)."""
    parts = urlsplit(uri)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    if host in _HTTP_HOSTS or host.endswith(".localhost"):
        return True
    if re.fullmatch(r"127(?:\.\d{1,3}){3}", host):
        return True
    return host == "::1"


def _with_debug_id(endpoint: Endpoint) -> Endpoint:
    """Add an ``x-debug-id`` header to every answer, as IMS does (support asks for it)."""

    @functools.wraps(endpoint)
    def wrapped(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
        response = endpoint(emulator, request, match)
        response.headers.append(("x-debug-id", str(uuid.uuid4())))
        return response

    return wrapped


# The authorization request ----------------------------------------------------------------


def authorize(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/authorize/v2``: validate, then show the (shared) login form.

    A request whose client or redirect URI cannot be trusted is answered with a page; every
    other problem goes back to the redirect URI as ``error=…``, as IMS does.
    """
    value = request.query_value
    client = emulator.store.client(value("client_id") or "", IMS)
    redirect_uri = value("redirect_uri") or ""
    if client is None:
        return html_response(400, pages.error_page("Unknown client_id."))
    if redirect_uri not in client.redirect_uris:
        return html_response(400, pages.error_page("This redirect_uri is not registered."))
    if not redirect_uri_allowed(redirect_uri):
        return html_response(
            400, pages.error_page("The redirect_uri must use HTTPS (http:// only on loopback).")
        )
    state = value("state")

    def refuse(error: str, description: str) -> Response:
        params = {"error": error, "error_description": description}
        if state is not None and len(state) <= MAX_STATE_LENGTH:
            params["state"] = state
        return redirect(add_query(redirect_uri, params))

    if value("response_type") != "code":
        return refuse("unsupported_response_type", "response_type must be code.")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        return refuse("invalid_request", f"state is longer than {MAX_STATE_LENGTH} characters.")
    scopes = parse_scopes(value("scope") or "")
    if not scopes:
        return refuse("invalid_scope", "scope is required.")
    unknown = [scope for scope in scopes if scope not in client.scopes_allowed]
    if unknown:
        return refuse("invalid_scope", "Invalid scope: " + ",".join(unknown) + ".")
    try:
        pending = emulator.store.begin_authorization(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=value("code_challenge"),
            code_challenge_method=value("code_challenge_method"),
            provider=IMS,
            scopes=scopes,
        )
    except OAuthError as err:
        return refuse(err.error_type.lower(), err.message)
    return html_response(200, pages.login_page(pending.id, pending.client_id, ims=True))


# The token endpoint -----------------------------------------------------------------------


@_with_debug_id
def token(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``POST /ims/token/v3``: the ``authorization_code`` and ``refresh_token`` grants."""
    if request.method != "POST":
        return ims_error(405, "invalid_request", "Use POST.")
    params = _form(request)
    grant_type = params.get("grant_type")
    emulator.counters.token_request(grant_type, ims=True)
    fault = _fault(emulator, grant_type)
    if fault is not None:
        return fault
    if request.content_type != FORM_TYPE:
        return ims_error(400, "invalid_request", "Send application/x-www-form-urlencoded.")
    try:
        client = _client(emulator, request, params)
        if not grant_type:
            raise OAuthError(400, "INVALID_REQUEST", "grant_type is required.")
        if grant_type == "authorization_code":
            tokens = emulator.store.exchange_code(
                client,
                code=params.get("code"),
                redirect_uri=params.get("redirect_uri"),
                code_verifier=params.get("code_verifier"),
                # IMS's token request need not repeat the redirect URI; when it does, it must match.
                check_redirect_uri=False,
            )
        elif grant_type == "refresh_token":
            tokens = emulator.store.refresh(client, params.get("refresh_token"))
        else:
            raise OAuthError(400, "UNSUPPORTED_GRANT_TYPE", "Unsupported grant_type.")
    except OAuthError as err:
        return ims_error(err.status, err.error_type.lower(), err.message)
    return json_response(
        200,
        token_response(emulator, client, tokens),
        {"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def token_response(
    emulator: WorkfrontEmulator, client: ClientApp, tokens: IssuedTokens
) -> dict[str, Any]:
    """The token endpoint's body: ``refresh_token`` only with ``offline_access``,
    ``id_token`` only with ``openid``."""
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "token_type": "bearer",
        "expires_in": tokens.expires_in,
    }
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    if "openid" in tokens.scopes:
        body["id_token"] = id_token(emulator, client, tokens)
    return body


def id_token(emulator: WorkfrontEmulator, client: ClientApp, tokens: IssuedTokens) -> str:
    """An OpenID Connect ID token, HS256-signed with the client secret (real IMS uses RS256)."""
    user = emulator.store.user(tokens.username)
    now = int(emulator.clock.now())
    header = {"alg": "HS256", "typ": "JWT", "kid": "workfront-emulator"}
    claims = {
        "iss": emulator.base_url,
        "sub": ims_subject(user),
        "aud": client.client_id,
        "iat": now,
        "exp": now + max(tokens.expires_in, 0),
        "email": user.email_addr,
        "name": user.name,
    }
    signing_input = f"{_b64(header)}.{_b64(claims)}"
    signature = hmac.new(
        client.client_secret.encode(), signing_input.encode("ascii"), hashlib.sha256
    ).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _b64(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _fault(emulator: WorkfrontEmulator, grant_type: str | None) -> Response | None:
    """IMS latency, then the queued token fault meant for IMS, in IMS's own shapes."""
    plan = emulator.faults
    plan.sleep(plan.latency(IMS_LATENCY))
    kind = plan.take(TOKEN, grant_type, target=IMS)
    if kind is None:
        return None
    emulator.counters.fault(IMS_LATENCY)
    if kind == "400":
        if grant_type == "refresh_token":
            emulator.counters.add("ims_rejected_refreshes")
        what = "authorization code" if grant_type == "authorization_code" else "refresh token"
        return ims_error(400, "invalid_grant", f"Invalid or expired {what}.")
    if kind == "401":
        return ims_error(401, "invalid_client", "Invalid client credentials.")
    if kind == "429":
        return ims_error(
            429,
            "too_many_requests",
            "Too many requests.",
            {"Retry-After": str(plan.retry_after)},
        )
    return plan.response(TOKEN, kind, grant_type)


def _form(request: Request) -> dict[str, str]:
    return {key: values[0] for key, values in request.form().items()}


def _client(emulator: WorkfrontEmulator, request: Request, params: dict[str, str]) -> ClientApp:
    """Authenticate the IMS client by HTTP Basic, or by ``client_id``/``client_secret`` fields."""
    client_id, client_secret = client_credentials(request.header("authorization") or "", params)
    return emulator.store.authenticate_client(client_id, client_secret, IMS)


# Revoke, userinfo, discovery ---------------------------------------------------------------


@_with_debug_id
def revoke(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``POST /ims/revoke``: ``token=`` a refresh or access token; ends its whole grant.

    An unknown or already revoked token is answered 200 as well (RFC 7009): the caller's goal,
    a dead token, holds either way.
    """
    if request.method != "POST":
        return ims_error(405, "invalid_request", "Use POST.")
    emulator.faults.sleep(emulator.faults.latency(IMS_LATENCY))
    params = _form(request)
    try:
        client = _client(emulator, request, params)
        token_value = params.get("token")
        if not token_value:
            raise OAuthError(400, "INVALID_REQUEST", "token is required.")
        emulator.store.revoke_token(client, token_value)
    except OAuthError as err:
        return ims_error(err.status, err.error_type.lower(), err.message)
    emulator.counters.add("ims_revokes")
    return Response(200, b"", [("Cache-Control", "no-store")])


@_with_debug_id
def userinfo(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/userinfo/v2`` with a Bearer token: who the user is (``sub`` is stable)."""
    if request.method not in ("GET", "POST"):
        return ims_error(405, "invalid_request", "Use GET.")
    emulator.faults.sleep(emulator.faults.latency(IMS_LATENCY))
    emulator.counters.add("ims_userinfo_calls")
    header = request.header("authorization") or ""
    access_token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    info = emulator.store.bearer(access_token)
    if info is None:
        return ims_error(
            401,
            "invalid_token",
            "The access token is missing, invalid or expired.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if "openid" not in info.scopes:
        return ims_error(403, "insufficient_scope", "The token was not granted openid.")
    user = info.user
    given, _space, family = user.name.partition(" ")
    return json_response(
        200,
        {
            "sub": ims_subject(user),
            "email": user.email_addr,
            "email_verified": True,
            "name": user.name,
            "given_name": given,
            "family_name": family,
            "account_type": "type3",
        },
        {"Cache-Control": "no-store"},
    )


@_with_debug_id
def discovery(emulator: WorkfrontEmulator, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/.well-known/openid-configuration``: where everything is."""
    base = emulator.base_url
    return json_response(
        200,
        {
            "issuer": base,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "userinfo_endpoint": base + USERINFO_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "scopes_supported": list(emulator.ims_scopes_allowed),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "id_token_signing_alg_values_supported": ["HS256"],
        },
    )
