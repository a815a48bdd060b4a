"""The IMS token response and its OpenID Connect ID token.

The ID token carries what OpenID Connect Core 3.1.3.7 has a client check (``iss``, ``aud``,
``exp``, ``iat`` and the authorization request's ``nonce``), and is signed HS256 with the
client secret; real IMS signs RS256, so nothing should verify a signature against this one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from .backend import Backend
from .clients import ClientApp, ims_subject
from .grants import IssuedTokens

#: The scope that makes the token endpoint add an ID token.
OPENID = "openid"


def token_response(backend: Backend, client: ClientApp, tokens: IssuedTokens) -> dict[str, Any]:
    """The IMS token endpoint's body: ``refresh_token`` only with ``offline_access``,
    ``id_token`` only with ``openid`` and a user who signed in (never for ``client_credentials``,
    which authenticates no one but the client)."""
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "token_type": "bearer",
        "expires_in": tokens.expires_in,
    }
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    if OPENID in tokens.scopes and client.signs_users_in:
        body["id_token"] = id_token(backend, client, tokens)
    return body


def id_token_claims(backend: Backend, client: ClientApp, tokens: IssuedTokens) -> dict[str, Any]:
    """The ID token's claims; ``nonce`` only when the authorization request sent one."""
    user = backend.store.directory.user(tokens.username)
    now = int(backend.clock.now())
    claims: dict[str, Any] = {
        "iss": backend.base_url,
        "sub": ims_subject(user),
        "aud": client.client_id,
        "iat": now,
        "exp": now + max(tokens.expires_in, 0),
        "email": user.email_addr,
        "name": user.name,
    }
    # A refresh is no authentication request, so its ID token carries no nonce (OpenID
    # Connect errata on 12.2): only a code exchange's IssuedTokens has one.
    if tokens.nonce is not None:
        claims["nonce"] = tokens.nonce
    return claims


def id_token(backend: Backend, client: ClientApp, tokens: IssuedTokens) -> str:
    """A signed JWT of :func:`id_token_claims`."""
    header = {"alg": "HS256", "typ": "JWT", "kid": "workfront-emulator"}
    signing_input = f"{b64_json(header)}.{b64_json(id_token_claims(backend, client, tokens))}"
    signature = hmac.new(
        client.client_secret.encode(), signing_input.encode("ascii"), hashlib.sha256
    ).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def b64_json(value: dict[str, Any]) -> str:
    """Compact JSON, base64url-encoded without padding (a JWT segment)."""
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
