"""The token endpoint's grant types, for both servers: which store operation a request asks for.

Each endpoint reads its own wire format into a flat ``{name: value}`` mapping, authenticates the
client, and hands both here; the answer is the tokens, or an :class:`~.common.OAuthError` the
endpoint shows in its own error format. A new grant type is one more branch of :func:`issue`.
"""

from __future__ import annotations

from collections.abc import Mapping

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS, PROVIDER_WORKFRONT

from .clients import ClientApp, parse_scopes
from .common import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    REFRESH_TOKEN,
    OAuthError,
    invalid_request,
)
from .grants import IssuedTokens
from .messages import Query
from .state import GrantStore

__all__ = [
    "AUTHORIZATION_CODE",
    "CLIENT_CREDENTIALS",
    "REFRESH_TOKEN",
    "SUPPORTED",
    "issue",
    "requested_scopes",
    "single_values",
]

#: What each authorization server knows; a client may use only its own ``grant_types`` of them.
SUPPORTED: dict[str, tuple[str, ...]] = {
    PROVIDER_WORKFRONT: (AUTHORIZATION_CODE, REFRESH_TOKEN),
    PROVIDER_ADOBE_IMS: (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS),
}


def single_values(form: Query) -> dict[str, str]:
    """A form's parameters; RFC 6749 3.1: none repeated, and an empty one counts as omitted."""
    repeated = sorted(name for name, values in form.items() if len(values) > 1)
    if repeated:
        raise invalid_request("Repeated parameters: " + ", ".join(repeated) + ".")
    return {name: values[0] for name, values in form.items() if values[0]}


def issue(store: GrantStore, client: ClientApp, params: Mapping[str, str]) -> IssuedTokens:
    """Tokens for an authenticated client's token request."""
    # Again here for the legacy app's JSON bodies: an empty value counts as absent there too.
    params = {name: value for name, value in params.items() if value}
    grant_type = params.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    if grant_type not in SUPPORTED[client.provider]:
        raise OAuthError(400, "UNSUPPORTED_GRANT_TYPE", "Unsupported grant_type.")
    if grant_type not in client.grant_types:
        # RFC 6749 5.2: a Web App credential may not mint tokens for itself, nor a
        # Server-to-Server credential take a user's code or a refresh token.
        raise OAuthError(
            400, "UNAUTHORIZED_CLIENT", f"This client may not use the {grant_type} grant."
        )
    if grant_type == AUTHORIZATION_CODE:
        return store.exchange_code(
            client,
            code=params.get("code"),
            redirect_uri=params.get("redirect_uri"),
            code_verifier=params.get("code_verifier"),
        )
    if grant_type == REFRESH_TOKEN:
        # The legacy form style also sends redirect_uri on refresh; Workfront's use of it is
        # undocumented, so the emulator accepts any value rather than invent a rule.
        return store.grants.refresh(
            client, params.get("refresh_token"), requested_scopes(client, params)
        )
    # CLIENT_CREDENTIALS, the one grant type left: no user, the client's own account.
    return store.client_credentials(client, requested_scopes(client, params))


def requested_scopes(client: ClientApp, params: Mapping[str, str]) -> tuple[str, ...]:
    """The ``scope`` of a request, comma- or space-separated as IMS reads it.

    The legacy app has no scopes: it ignores the parameter, as Workfront ignores unknown ones.
    """
    if client.provider != PROVIDER_ADOBE_IMS:
        return ()
    return parse_scopes(params.get("scope", ""))
