"""The authorization request: pending sign-ins, the consent decision and one-time codes.

A pending request lives on the server between the login page and the consent answer (the pages
only carry its random id), and a code remembers everything the exchange must match: client,
redirect URI, PKCE challenge, scopes and the OpenID Connect ``nonce``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from django_workfront_oauth.constants import PROVIDER_WORKFRONT

from . import pkce
from .clients import ClientApp, Directory, EmulatedUser
from .common import OAuthError, Shared, StorePart, counter, invalid_grant, invalid_request

#: How long a user has between opening the authorize URL and answering the consent page.
PENDING_LIFETIME = 600.0
#: How long a used or expired code is remembered before it is forgotten.
CODE_MEMORY = 3600.0
#: How long an answered (or lapsed) authorization request is remembered: a consent page reached
#: again with Back in that time sends the user back to the client instead of to a dead end.
ANSWERED_MEMORY = 3600.0


@dataclass(frozen=True)
class AuthorizationRequest:
    """What an authorization request asks for, and so what its code is bound to."""

    client_id: str
    redirect_uri: str
    provider: str = PROVIDER_WORKFRONT
    state: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    scopes: tuple[str, ...] = ()
    #: OpenID Connect: echoed in the ID token of the code's exchange.
    nonce: str | None = None


@dataclass
class PendingAuthorization:
    """An authorize request between the login page and the consent decision."""

    id: str
    request: AuthorizationRequest
    created_at: float
    username: str | None = None


@dataclass
class AuthorizationCode:
    """A one-time code, bound to its authorization request."""

    code: str
    request: AuthorizationRequest
    username: str
    issued_at: float
    used: bool = False


class FinishedRequest(OAuthError):
    """A pending request that was answered already, or lapsed: still known, no longer usable.

    It carries the request, so the endpoint can send the user back to the client (RFC 6749
    4.1.2.1: the redirect URI was validated when the request began) rather than show a page
    with nowhere to go.
    """

    def __init__(self, message: str, request: AuthorizationRequest) -> None:
        super().__init__(400, "INVALID_REQUEST", message)
        self.request = request


def _request(fields: dict[str, Any]) -> AuthorizationRequest:
    """The saved ``request`` of a pending request or a code (lists back to tuples)."""
    saved = fields["request"]
    return AuthorizationRequest(**{**saved, "scopes": tuple(saved.get("scopes", ()))})


def with_checked_pkce(request: AuthorizationRequest, *, required: bool) -> AuthorizationRequest:
    """``request`` with its PKCE pair checked and normalised (``OAuthError`` when malformed)."""
    challenge, method = pkce.checked_challenge(
        request.code_challenge, request.code_challenge_method, required=required
    )
    return replace(
        request, code_challenge=challenge, code_challenge_method=method, nonce=request.nonce or None
    )


class CodeDesk(StorePart):
    """Pending authorizations and authorization codes, behind the emulator's one lock."""

    def __init__(self, shared: Shared, directory: Directory) -> None:
        super().__init__(shared)
        self.directory = directory
        self._pending: dict[str, PendingAuthorization] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        #: Request id -> (the request, when it was answered or lapsed).
        self._answered: dict[str, tuple[AuthorizationRequest, float]] = {}

    def begin_authorization(self, request: AuthorizationRequest) -> PendingAuthorization:
        """Validate an authorize request and remember it server-side until the user decides."""
        client = self.directory.client(request.client_id, request.provider)
        if client is None:
            raise OAuthError(400, "INVALID_CLIENT", "Unknown client_id.")
        # Exact string comparison, and never a redirect to an unregistered URI.
        if request.redirect_uri not in client.redirect_uris:
            raise OAuthError(400, "INVALID_REDIRECT_URI", "This redirect_uri is not registered.")
        now = self.clock.now()
        pending = PendingAuthorization(
            id=secrets.token_urlsafe(24),
            request=with_checked_pkce(request, required=client.require_pkce),
            created_at=now,
        )
        with self.lock:
            for key, value in list(self._pending.items()):
                if now - value.created_at >= PENDING_LIFETIME:
                    self._finish(key, value.request, now)
            self._answered = {
                key: value
                for key, value in self._answered.items()
                if now - value[1] < ANSWERED_MEMORY
            }
            self._pending[pending.id] = pending
        return pending

    def _finish(self, request_id: str, request: AuthorizationRequest, now: float) -> None:
        del self._pending[request_id]
        self._answered[request_id] = (request, now)

    def pending(self, request_id: str) -> PendingAuthorization:
        """A pending authorization by its id; ``OAuthError`` when unknown, and
        :class:`FinishedRequest` when answered already or stale."""
        with self.lock:
            now = self.clock.now()
            pending = self._pending.get(request_id)
            if pending is not None and now - pending.created_at >= PENDING_LIFETIME:
                self._finish(request_id, pending.request, now)
                pending = None
            if pending is None:
                answered = self._answered.get(request_id)
                if answered is not None:
                    raise FinishedRequest(
                        "This sign-in request was already answered, or has expired.",
                        answered[0],
                    )
                raise invalid_request(
                    "This sign-in request has expired. Start again from the application."
                )
            return pending

    def log_in(self, request_id: str, username: str, password: str) -> EmulatedUser | None:
        """Check the password and attach the user to the pending request; ``None`` if wrong."""
        with self.lock:
            pending = self.pending(request_id)
            user = self.directory.check_password(username, password)
            if user is None:
                self.stats.add(counter(pending.request.provider, "login_failures"))
                return None
            pending.username = user.username
            return user

    def decide(self, request_id: str, *, allow: bool) -> tuple[PendingAuthorization, str | None]:
        """End a logged-in pending request; the code when allowed, ``None`` when denied."""
        with self.lock:
            pending = self.pending(request_id)
            if pending.username is None:
                raise invalid_request("Log in before answering the consent.")
            self._finish(request_id, pending.request, self.clock.now())
            if not allow:
                self.stats.add(counter(pending.request.provider, "consents_denied"))
                return pending, None
            return pending, self.issue_code(pending.request, pending.username)

    def export_state(self) -> dict[str, Any]:
        """Pending and answered requests and unused codes, as JSON-ready values."""
        with self.lock:
            return {
                "pending": [asdict(item) for item in self._pending.values()],
                "answered": [
                    [key, asdict(request), at] for key, (request, at) in self._answered.items()
                ],
                "codes": [asdict(code) for code in self._codes.values() if not code.used],
            }

    def import_state(self, state: dict[str, Any]) -> None:
        """Take back saved requests and codes."""
        with self.lock:
            for fields in state.get("pending", []):
                pending = PendingAuthorization(**{**fields, "request": _request(fields)})
                self._pending[pending.id] = pending
            for key, request, at in state.get("answered", []):
                self._answered[key] = (_request({"request": request}), at)
            for fields in state.get("codes", []):
                code = AuthorizationCode(**{**fields, "request": _request(fields)})
                self._codes[code.code] = code

    def issue_code(self, request: AuthorizationRequest, username: str) -> str:
        """A fresh authorization code for a user who consented to ``request``.

        Its PKCE pair is checked as at the authorization request (``OAuthError`` when
        malformed), since tests call this directly to skip the browser.
        """
        now = self.clock.now()
        code = AuthorizationCode(
            code=secrets.token_hex(16),
            request=with_checked_pkce(request, required=False),
            username=username,
            issued_at=now,
        )
        with self.lock:
            # Forget codes nobody can use any more so a long demo does not grow without bound.
            self._codes = {
                key: value
                for key, value in self._codes.items()
                if not value.used and now - value.issued_at < CODE_MEMORY
            }
            self._codes[code.code] = code
            self.stats.add(counter(request.provider, "codes_issued"))
        return code.code

    def redeem(
        self,
        client: ClientApp,
        *,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None = None,
    ) -> AuthorizationCode:
        """Use up a code: once, within its lifetime, with its redirect URI and PKCE verifier.

        A refused exchange leaves the code usable, so a client that got a parameter wrong can
        still finish within the code's lifetime.
        """
        with self.lock:
            try:
                record = self._check(client, code, redirect_uri, code_verifier)
            except OAuthError:
                self.stats.add(counter(client.provider, "rejected_code_exchanges"))
                raise
            record.used = True
            self.stats.add(counter(client.provider, "code_exchanges"))
            return record

    def _check(
        self,
        client: ClientApp,
        code: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> AuthorizationCode:
        if not code:
            raise invalid_request("code is required.")
        pkce.check_verifier_syntax(code_verifier)
        record = self._codes.get(code)
        if (
            record is None
            or record.used
            or record.request.client_id != client.client_id
            or record.request.provider != client.provider
            or self.clock.now() - record.issued_at >= client.code_lifetime
        ):
            raise invalid_grant("Invalid or expired authorization code.")
        bound = record.request
        if redirect_uri is None:
            if client.require_redirect_uri:
                # RFC 6749 4.1.3: required whenever the authorization request carried one,
                # which every request to the emulator does.
                raise invalid_grant("redirect_uri is required: repeat the authorization's.")
        elif redirect_uri != bound.redirect_uri:
            raise invalid_grant("redirect_uri does not match the authorization.")
        problem = pkce.verification_error(
            code_verifier, bound.code_challenge, bound.code_challenge_method
        )
        if problem is not None:
            raise problem
        return record
