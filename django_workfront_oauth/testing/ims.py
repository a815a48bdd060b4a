"""Adobe IMS ("OAuth Web App" credential): authorize, token, revoke, userinfo, discovery.

Like ``legacy.py`` these functions only translate between HTTP and
:class:`~.state.GrantStore`, which holds the rules; they share its users, its login and consent
pages and its Workfront API (``api.py`` accepts the Bearer tokens issued here). What differs
from the legacy app is the wire format: form bodies, RFC 6749-style errors
(``{"error", "error_description"}``), an ``x-debug-id`` header on every response, scopes, and
a refresh token only with ``offline_access``.
"""

from __future__ import annotations

import functools
import re
import uuid
from urllib.parse import urlsplit

from django_workfront_oauth.constants import (
    IMS_AUTHORIZE_PATH,
    IMS_REVOKE_PATH,
    IMS_TOKEN_PATH,
    IMS_USERINFO_PATH,
    PROVIDER_ADOBE_IMS,
)

from . import grant_types, oidc, pages, pkce
from .backend import Backend, Endpoint
from .clients import ims_subject, parse_scopes
from .codes import AuthorizationRequest
from .common import OAuthError, add_query, invalid_request
from .faults import IMS as IMS_LATENCY
from .faults import TOKEN
from .messages import (
    FORM_TYPE,
    NO_STORE,
    Request,
    Response,
    html_response,
    ims_error,
    json_response,
    redirect,
)

#: IMS documents this cap on ``state``.
MAX_STATE_LENGTH = 4096
#: Hosts where a plain ``http://`` redirect URI is accepted (real IMS wants HTTPS everywhere).
#: ``testserver`` is the host Django's test client builds URLs with.
_HTTP_HOSTS = ("localhost", "testserver")


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


def with_debug_id(endpoint: Endpoint) -> Endpoint:
    """Add an ``x-debug-id`` header to every answer, as IMS does (support asks for it)."""

    @functools.wraps(endpoint)
    def wrapped(backend: Backend, request: Request, match: re.Match[str]) -> Response:
        response = endpoint(backend, request, match)
        response.headers.append(("x-debug-id", str(uuid.uuid4())))
        return response

    return wrapped


def oauth_error(err: OAuthError) -> Response:
    """A refusal in IMS's shape: the RFC 6749 error code is the lower-case ``kind``."""
    return ims_error(err.status, err.kind.lower(), err.message)


# The authorization request ----------------------------------------------------------------


def authorize(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/authorize/v2``: validate, then show the (shared) login form.

    A request whose client or redirect URI cannot be trusted is answered with a page; every
    other problem goes back to the redirect URI as ``error=…``, as IMS does.
    """
    value = request.query_value
    client = backend.store.directory.client(value("client_id") or "", PROVIDER_ADOBE_IMS)
    redirect_uri = value("redirect_uri") or ""
    if client is None:
        return html_response(400, pages.error_page("Unknown client_id."))
    if not client.signs_users_in:
        # A Server-to-Server credential has no users and no redirect URI to send one back to.
        return html_response(
            400, pages.error_page("unauthorized_client: this credential signs no user in.")
        )
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
        pending = backend.store.codes.begin_authorization(
            AuthorizationRequest(
                client_id=client.client_id,
                redirect_uri=redirect_uri,
                provider=PROVIDER_ADOBE_IMS,
                state=state,
                code_challenge=value("code_challenge"),
                code_challenge_method=value("code_challenge_method"),
                scopes=scopes,
                nonce=value("nonce"),
            )
        )
    except OAuthError as err:
        return refuse(err.kind.lower(), err.message)
    return html_response(200, pages.login_page(pending.id, client.client_id, ims=True))


# The token endpoint -----------------------------------------------------------------------


def form_params(request: Request) -> tuple[dict[str, str], OAuthError | None]:
    """The form body's parameters, or why they cannot be read (a repeated parameter)."""
    try:
        return grant_types.single_values(request.form()), None
    except OAuthError as err:
        return {}, err


@with_debug_id
def token(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``POST /ims/token/v3``: the ``authorization_code``, ``refresh_token`` and (for the
    Server-to-Server credential) ``client_credentials`` grants."""
    if request.method != "POST":
        return ims_error(405, "invalid_request", "Use POST.")
    params, problem = form_params(request)
    grant_type = params.get("grant_type")
    backend.counters.token_request(grant_type, ims=True)
    fault = served_fault(backend, grant_type)
    if fault is not None:
        return fault
    if request.content_type != FORM_TYPE:
        return ims_error(400, "invalid_request", "Send application/x-www-form-urlencoded.")
    try:
        if problem is not None:
            raise problem
        client = backend.store.directory.authenticate(
            request.header("authorization") or "", params, PROVIDER_ADOBE_IMS
        )
        tokens = grant_types.issue(backend.store, client, params)
    except OAuthError as err:
        if grant_type == grant_types.CLIENT_CREDENTIALS:
            # The client's credentials are this grant, so a refused client counts too.
            backend.counters.add("ims_rejected_client_credentials")
        return oauth_error(err)
    if grant_type == grant_types.CLIENT_CREDENTIALS:
        backend.counters.add("ims_client_credentials_tokens")
    return json_response(200, oidc.token_response(backend, client, tokens), NO_STORE)


def served_fault(backend: Backend, grant_type: str | None) -> Response | None:
    """IMS latency, then the queued token fault meant for IMS, in IMS's own shapes."""
    plan = backend.faults
    plan.sleep(plan.latency(IMS_LATENCY))
    kind = plan.take(TOKEN, grant_type, target=PROVIDER_ADOBE_IMS)
    if kind is None:
        return None
    backend.counters.fault(IMS_LATENCY)
    s2s = grant_type == grant_types.CLIENT_CREDENTIALS
    if s2s and kind in ("400", "401"):
        backend.counters.add("ims_rejected_client_credentials")
    if kind == "400":
        if grant_type == grant_types.REFRESH_TOKEN:
            backend.counters.add("ims_rejected_refreshes")
        if s2s:
            # No code or refresh token to be dead: the credential lost the scope it asks for.
            return ims_error(400, "invalid_scope", "The credential does not have this scope.")
        what = (
            "authorization code"
            if grant_type == grant_types.AUTHORIZATION_CODE
            else "refresh token"
        )
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


# Revoke, userinfo, discovery ---------------------------------------------------------------


@with_debug_id
def revoke(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``POST /ims/revoke``: ``token=`` a refresh or access token; ends its whole grant.

    The client authenticates as at the token endpoint (RFC 7009 2.1): HTTP Basic, or
    ``client_id`` and ``client_secret`` in the form. ``token_type_hint`` only says where to
    look first; an unknown hint is ignored (RFC 7009 2.2). An unknown or already revoked token
    is answered 200 as well: the caller's goal, a dead token, holds either way.
    """
    if request.method != "POST":
        return ims_error(405, "invalid_request", "Use POST.")
    backend.faults.sleep(backend.faults.latency(IMS_LATENCY))
    params, problem = form_params(request)
    try:
        if problem is not None:
            raise problem
        client = backend.store.directory.authenticate(
            request.header("authorization") or "", params, PROVIDER_ADOBE_IMS
        )
        token_value = params.get("token")
        if not token_value:
            raise invalid_request("token is required.")
        backend.store.grants.revoke_token(client, token_value, params.get("token_type_hint"))
    except OAuthError as err:
        return oauth_error(err)
    backend.counters.add("ims_revokes")
    return Response(200, b"", [("Cache-Control", "no-store")])


@with_debug_id
def userinfo(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/userinfo/v2`` with a Bearer token: who the user is (``sub`` is stable)."""
    if request.method not in ("GET", "POST"):
        return ims_error(405, "invalid_request", "Use GET.")
    backend.faults.sleep(backend.faults.latency(IMS_LATENCY))
    backend.counters.add("ims_userinfo_calls")
    header = request.header("authorization") or ""
    access_token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    info = backend.store.sessions.bearer(access_token)
    if info is None:
        return ims_error(
            401,
            "invalid_token",
            "The access token is missing, invalid or expired.",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if oidc.OPENID not in info.scopes:
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


@with_debug_id
def discovery(backend: Backend, request: Request, match: re.Match[str]) -> Response:
    """``GET /ims/.well-known/openid-configuration``: where everything is."""
    base = backend.base_url
    return json_response(
        200,
        {
            "issuer": base,
            "authorization_endpoint": base + IMS_AUTHORIZE_PATH,
            "token_endpoint": base + IMS_TOKEN_PATH,
            "userinfo_endpoint": base + IMS_USERINFO_PATH,
            "revocation_endpoint": base + IMS_REVOKE_PATH,
            "response_types_supported": ["code"],
            "grant_types_supported": list(grant_types.SUPPORTED[PROVIDER_ADOBE_IMS]),
            "scopes_supported": list(backend.ims_scopes_allowed),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": list(pkce.METHODS),
            "id_token_signing_alg_values_supported": ["HS256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "exp", "nonce", "email", "name"],
        },
    )
