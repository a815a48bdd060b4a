"""The claims check of an OpenID Connect ``id_token`` received from the token endpoint.

OIDC Core 3.1.3.7: a token that came straight from the token endpoint over TLS may skip the
signature check, but ``iss``, ``aud``, ``exp`` and ``nonce`` must be checked. The ``nonce``
check is what makes an injected authorization code useless (RFC 9700 4.5): a code that was
issued to another browser's flow carries that flow's nonce, not ours.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from ..exceptions import InvalidCallback

__all__ = ["MAX_ID_TOKEN_LENGTH", "check_id_token"]

#: Larger id_tokens are refused unread: a real one is a few kilobytes.
MAX_ID_TOKEN_LENGTH = 16 * 1024


def _claims(id_token: str) -> Mapping[str, Any]:
    """The payload of a compact JWS, unverified; :class:`InvalidCallback` when it is not one."""
    parts = id_token.split(".")
    if len(id_token) > MAX_ID_TOKEN_LENGTH or len(parts) != 3:
        raise InvalidCallback("The id_token is not a JSON Web Token.")
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise InvalidCallback("The id_token's claims cannot be read.") from None
    if not isinstance(claims, Mapping):
        raise InvalidCallback("The id_token's claims are not a JSON object.")
    return claims


def _same_issuer(claimed: Any, expected: str) -> bool:
    return isinstance(claimed, str) and claimed.rstrip("/") == expected.rstrip("/")


@sensitive_variables("id_token", "nonce")
def check_id_token(
    id_token: str, *, client_id: str, issuer: str, nonce: str, now: float | None = None
) -> Mapping[str, Any]:
    """The id_token's claims once ``iss``, ``aud``, ``azp``, ``exp`` and ``nonce`` fit this flow.

    Raises :class:`InvalidCallback` (nothing is saved, the callback answers 4xx) otherwise.
    Messages name the claim, never its value.
    """
    claims = _claims(id_token)
    if not _same_issuer(claims.get("iss"), issuer):
        raise InvalidCallback("The id_token was issued by another server (iss).")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or client_id not in audiences:
        raise InvalidCallback("The id_token was issued to another client (aud).")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise InvalidCallback("The id_token names another authorized party (azp).")
    expires = claims.get("exp")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise InvalidCallback("The id_token has no expiry (exp).")
    if expires <= (time.time() if now is None else now):
        raise InvalidCallback("The id_token has expired (exp).")
    claimed_nonce = claims.get("nonce")
    if not isinstance(claimed_nonce, str) or not constant_time_compare(claimed_nonce, nonce):
        raise InvalidCallback("The id_token belongs to another sign-in (nonce).")
    return claims
