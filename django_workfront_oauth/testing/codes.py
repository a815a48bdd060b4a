"""The authorization request: pending sign-ins, the consent decision and one-time codes.

A pending request lives on the server between the login page and the consent answer (the pages
only carry its random id), and a code remembers everything the exchange must match: client,
redirect URI, PKCE challenge, scopes and the OpenID Connect ``nonce``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from django_workfront_oauth.constants import PROVIDER_WORKFRONT

from . import pkce
from .clients import ClientApp, Directory, EmulatedUser
from .common import OAuthError, Shared, StorePart, counter, invalid_grant, invalid_request

#: How long a user has between opening the authorize URL and answering the consent page.
PENDING_LIFETIME = 600.0
#: How long a used or expired code is remembered before it is forgotten.
CODE_MEMORY = 3600.0


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
            del self._pending[request_id]
            if not allow:
                self.stats.add(counter(pending.request.provider, "consents_denied"))
                return pending, None
            return pending, self.issue_code(pending.request, pending.username)

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
