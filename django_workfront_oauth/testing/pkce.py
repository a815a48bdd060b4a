"""PKCE (RFC 7636) as a strict server checks it: at the authorization request and at the exchange.

Both authorization servers use these rules; only how a refusal is shown differs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .common import OAuthError, invalid_grant, invalid_request

S256 = "S256"
PLAIN = "plain"
#: RFC 7636 4.3: the method names are case-sensitive; no method means ``plain``.
METHODS = (S256, PLAIN)

#: RFC 7636 4.1: 43 to 128 characters of the unreserved set.
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
#: RFC 7636 4.2: an S256 challenge is the unpadded base64url of a SHA-256 digest.
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def s256(verifier: str) -> str:
    """The S256 challenge of a verifier (what a client sends at the authorization request)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def checked_challenge(
    challenge: str | None, method: str | None, *, required: bool
) -> tuple[str | None, str | None]:
    """The ``(challenge, method)`` an authorization request binds its code to.

    ``(None, None)`` without PKCE; ``OAuthError`` ``invalid_request`` when the pair is
    malformed, or missing while ``required``.
    """
    if not challenge:
        if method:
            raise invalid_request("code_challenge_method was sent without a code_challenge.")
        if required:
            raise invalid_request("code_challenge is required (PKCE, RFC 7636).")
        return None, None
    method = method or PLAIN
    if method not in METHODS:
        raise invalid_request("Unsupported code_challenge_method: use S256 or plain.")
    pattern = S256_CHALLENGE if method == S256 else VERIFIER
    if not pattern.fullmatch(challenge):
        raise invalid_request(f"code_challenge is not a valid {method} challenge.")
    return challenge, method


def check_verifier_syntax(verifier: str | None) -> None:
    """Refuse a ``code_verifier`` that no client could have made (``invalid_request``)."""
    if verifier is not None and not VERIFIER.fullmatch(verifier):
        raise invalid_request(
            "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~'."
        )


def verification_error(
    verifier: str | None, challenge: str | None, method: str | None
) -> OAuthError | None:
    """Why a code exchange fails PKCE, or ``None`` when it passes.

    A challenge needs its verifier; a verifier for a code issued without a challenge is refused
    too (RFC 9700 4.8.2: otherwise an attacker can downgrade a client's PKCE away).
    """
    if challenge is None:
        if verifier is not None:
            return invalid_grant("code_verifier was sent, but the authorization had no challenge.")
        return None
    if verifier is None:
        return invalid_grant("code_verifier is required: the authorization sent a challenge.")
    computed = s256(verifier) if method == S256 else verifier
    if not hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii")):
        return invalid_grant("code_verifier does not match the challenge.")
    return None
