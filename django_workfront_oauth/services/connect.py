"""The connect flow: start it (``state``, PKCE, ``nonce``), finish it, save the connection."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from ..conf import (
    DEFAULT_INSTANCE,
    PROVIDER_WORKFRONT,
    InstanceSettings,
    app_settings,
    is_loopback_host,
)
from ..exceptions import InvalidCallback
from ..models import PendingAuthorization, WorkfrontConnection, digest
from ..providers import PKCEPair, get_provider
from ..redact import scrubbed_traceback
from ..signals import connection_established
from .disconnect import disconnect, end_session
from .refresh import token_fields

__all__ = [
    "MAX_CALLBACK_PARAM_LENGTH",
    "MAX_PENDING_PER_USER",
    "SESSION_BINDING_KEY",
    "STATE_LIFETIME",
    "CompletedAuthorization",
    "begin_authorization",
    "complete_authorization",
    "consume_state",
    "redirect_uri_for",
    "remember_completed",
    "retire_legacy_connections",
    "started_flow",
    "was_completed",
]

logger = logging.getLogger("django_workfront_oauth")

#: How long a started flow may take before its ``state`` is refused.
STATE_LIFETIME = timedelta(minutes=10)
#: Started flows kept per user; older ones are dropped (a user clicking "connect" many times).
MAX_PENDING_PER_USER = 5
#: Callback parameters longer than this are refused before anything else is done with them.
MAX_CALLBACK_PARAM_LENGTH = 4096
#: The session key holding the random value that binds flows to the browser session.
SESSION_BINDING_KEY = "_workfront_oauth_binding"
#: The session key holding the digests of the flows this browser completed, newest last.
SESSION_COMPLETED_KEY = "_workfront_oauth_completed"


def _session_binding(request: HttpRequest) -> str:
    binding = request.session.get(SESSION_BINDING_KEY)
    if not isinstance(binding, str) or len(binding) < 32:
        binding = secrets.token_urlsafe(32)
        request.session[SESSION_BINDING_KEY] = binding
    return binding


def redirect_uri_for(request: HttpRequest, instance: InstanceSettings) -> str:
    """``REDIRECT_URI`` when set, else the absolute URL of our callback view."""
    return instance.redirect_uri or request.build_absolute_uri(reverse("workfront_oauth:callback"))


def _warn_if_ims_would_refuse(instance: InstanceSettings, redirect_uri: str) -> None:
    parts = urlsplit(redirect_uri)
    ims = instance.provider != PROVIDER_WORKFRONT
    if ims and parts.scheme != "https" and not is_loopback_host(parts.hostname):
        # Check W009 warns about this at start-up; this says which request it hit.
        logger.warning(
            "The callback URL for instance %r was built as %s://%s…, which Adobe IMS "
            "refuses: set SECURE_PROXY_SSL_HEADER behind a TLS proxy, or REDIRECT_URI.",
            instance.name,
            parts.scheme,
            parts.netloc,
        )


@scrubbed_traceback
def begin_authorization(
    request: HttpRequest, *, instance_name: str = DEFAULT_INSTANCE, next_url: str = ""
) -> str:
    """Record a new flow for ``request.user`` and return the authorization URL to redirect to."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied("Only a logged-in user can connect a Workfront account.")
    instance = app_settings.get_instance(instance_name)
    provider = get_provider(instance)
    redirect_uri = redirect_uri_for(request, instance)
    _warn_if_ims_would_refuse(instance, redirect_uri)
    state = secrets.token_urlsafe(32)  # 256 random bits
    # The nonce (256 bits too) comes back inside the id_token: proof that the code that was
    # exchanged was issued for this flow, not injected from another browser's.
    nonce = secrets.token_urlsafe(32) if provider.uses_nonce else ""
    pkce = PKCEPair.generate() if instance.use_pkce else None
    now = timezone.now()

    PendingAuthorization.objects.expired(now).delete()
    older = PendingAuthorization.objects.filter(user=user).order_by("-created_at")
    stale = list(older.values_list("pk", flat=True)[MAX_PENDING_PER_USER - 1 :])
    if stale:
        PendingAuthorization.objects.filter(pk__in=stale).delete()

    PendingAuthorization.objects.create(
        state_digest=digest(state),
        session_digest=digest(_session_binding(request)),
        user=user,
        instance=instance.name,
        provider=instance.provider,
        host=instance.host,
        redirect_uri=redirect_uri,
        next_url=next_url,
        code_verifier=pkce.verifier if pkce else "",
        nonce=nonce,
        expires_at=now + STATE_LIFETIME,
    )
    return provider.authorization_url(
        host=instance.host,
        state=state,
        redirect_uri=redirect_uri,
        code_challenge=pkce.challenge if pkce else "",
        nonce=nonce,
    )


def consume_state(request: HttpRequest, state: str) -> PendingAuthorization:
    """Take the flow that ``state`` names, exactly once; :class:`InvalidCallback` otherwise.

    The flow must belong to this browser session and user before anything happens to it:
    someone who learns a victim's ``state`` cannot cancel the victim's flow with it.
    """
    if not state:
        raise InvalidCallback("The callback has no state parameter.")
    try:
        pending = PendingAuthorization.objects.get(state_digest=digest(state))
    except PendingAuthorization.DoesNotExist:
        raise InvalidCallback("The callback's state is unknown or was already used.") from None
    binding = request.session.get(SESSION_BINDING_KEY)
    if (
        not request.user.is_authenticated
        or pending.user_id != request.user.pk
        or not isinstance(binding, str)
        or not constant_time_compare(pending.session_digest, digest(binding))
    ):
        raise InvalidCallback("The callback's state belongs to another session.")
    # Deleting is the atomic step: of two callbacks racing with one state, one deletes the row
    # and the other deletes nothing.
    deleted, _ = PendingAuthorization.objects.filter(pk=pending.pk).delete()
    if not deleted:
        raise InvalidCallback("The callback's state was already used.")
    if pending.expires_at <= timezone.now():
        raise InvalidCallback("The callback's state has expired; start connecting again.")
    return pending


def remember_completed(request: HttpRequest, state: str) -> None:
    """Note in the session that this browser finished the flow of ``state`` (a digest only)."""
    completed = request.session.get(SESSION_COMPLETED_KEY)
    completed = (
        [item for item in completed if isinstance(item, str)] if isinstance(completed, list) else []
    )
    request.session[SESSION_COMPLETED_KEY] = [*completed, digest(state)][-MAX_PENDING_PER_USER:]


def was_completed(request: HttpRequest, state: str) -> bool:
    """True when this browser already finished the flow of ``state``: a reload of the callback."""
    completed = request.session.get(SESSION_COMPLETED_KEY)
    return bool(state) and isinstance(completed, list) and digest(state) in completed


def started_flow(request: HttpRequest, state: str) -> PendingAuthorization | None:
    """The flow that ``state`` names when this browser started it, without taking it.

    What an error page needs to offer "try again" for the same instance; ``None`` for a state
    this session did not start (or one already used).
    """
    if not state or len(state) > MAX_CALLBACK_PARAM_LENGTH or not request.user.is_authenticated:
        return None
    binding = request.session.get(SESSION_BINDING_KEY)
    pending = PendingAuthorization.objects.filter(
        state_digest=digest(state), user=request.user.pk
    ).first()
    if (
        pending is None
        or not isinstance(binding, str)
        or not constant_time_compare(pending.session_digest, digest(binding))
    ):
        return None
    return pending


@dataclass(frozen=True)
class CompletedAuthorization:
    """The outcome of a successful callback."""

    connection: WorkfrontConnection
    created: bool
    next_url: str
    #: True when the connection replaced a legacy one (the cut-over to Adobe IMS).
    moved_to_adobe: bool = False


@sensitive_variables("params", "code", "tokens", "pending")
@scrubbed_traceback
def complete_authorization(
    request: HttpRequest, params: Mapping[str, str]
) -> CompletedAuthorization:
    """Check the callback, exchange the code and save the connection.

    Raises :class:`InvalidCallback` before any token request when the callback is not one we
    are waiting for (and after it when the answer's ``id_token`` is not this flow's), and the
    provider's errors when the exchange fails; an existing connection is left as it was in
    every failure.
    """
    for key, value in params.items():
        if len(key) > 64 or len(value) > MAX_CALLBACK_PARAM_LENGTH:
            raise InvalidCallback("The callback has an oversized parameter.")
    pending = consume_state(request, params.get("state", ""))
    instance = app_settings.find_instance(pending.instance)
    if instance is None:
        raise InvalidCallback(f"The instance {pending.instance!r} is no longer configured.")
    if not instance.is_active:
        raise InvalidCallback(
            f"Connections to the instance {pending.instance!r} were paused while connecting."
        )
    if instance.host != pending.host or instance.provider != pending.provider:
        raise InvalidCallback("The instance's settings changed while connecting; start again.")
    provider = get_provider(instance)
    provider.validate_callback(params)
    code = params.get("code", "")
    if not code:
        raise InvalidCallback("The callback has no authorization code.")

    tokens = provider.exchange_code(
        host=pending.host,
        code=code,
        redirect_uri=pending.redirect_uri,
        code_verifier=pending.code_verifier,
        nonce=pending.nonce,
    )
    identity = provider.identify(host=pending.host, access_token=tokens.access_token)
    domain, lane = provider.callback_identity(params)
    now = timezone.now()
    replaced = (
        WorkfrontConnection.objects.without_tokens()
        .filter(user=request.user.pk, instance=instance.name)
        .exclude(provider=instance.provider)
        .first()
    )
    fresh_grant: dict[str, datetime | None] = {}
    if replaced is not None:
        # The instance moved to another provider (legacy to IMS): the row is reused, but the
        # old grant is ended first, as when a legacy connection is retired, and the row's
        # timeline starts again: nothing of the old grant's refreshes is this grant's.
        end_session(replaced)
        fresh_grant = {"last_refreshed_at": None, "created_at": now}
    # Without loading the old tokens: a row written with a lost key is repaired, not fatal.
    connection, created = WorkfrontConnection.objects.without_tokens().update_or_create(
        user=request.user,
        instance=instance.name,
        defaults={
            "provider": instance.provider,
            "host": pending.host,
            "domain": domain,
            "lane": lane,
            "redirect_uri": pending.redirect_uri,
            "workfront_user_id": identity.id,
            "workfront_user_name": identity.name,
            "workfront_user_email": identity.email,
            "ims_user_id": identity.external_id,
            "status": WorkfrontConnection.Status.ACTIVE,
            "last_error": "",
            "consecutive_failures": 0,
            "next_refresh_attempt_at": None,
            "moved_to_adobe_at": None,
            "reauth_reason": "",
            **fresh_grant,
            **token_fields(tokens, now),
        },
    )
    logger.info(
        "Workfront connection %s %s for user %s (instance %r).",
        connection.pk,
        "created" if created else "renewed",
        request.user.pk,
        instance.name,
    )
    connection_established.send(
        sender=WorkfrontConnection, connection=connection, request=request, created=created
    )
    moved = replaced is not None and replaced.provider == PROVIDER_WORKFRONT
    if connection.provider != PROVIDER_WORKFRONT:
        moved = retire_legacy_connections(connection) > 0 or moved
    if moved:
        # Kept on the row, so every page (the admin and the commands too) can tell the move.
        connection.moved_to_adobe_at = now
        connection.save(update_fields=["moved_to_adobe_at", "updated_at"])
    remember_completed(request, params.get("state", ""))
    return CompletedAuthorization(
        connection=connection, created=created, next_url=pending.next_url, moved_to_adobe=moved
    )


def retire_legacy_connections(successor: WorkfrontConnection) -> int:
    """Disconnect the user's legacy connections to the host that ``successor`` now serves.

    Called when a user completes an Adobe IMS connection: the legacy one would stop working on
    2027-02-01 anyway, and two connections to one Workfront would confuse every caller.
    """
    legacy = (
        WorkfrontConnection.objects.without_tokens()
        .filter(user_id=successor.user_id, provider=PROVIDER_WORKFRONT, host=successor.host)
        .exclude(pk=successor.pk)
    )
    retired = 0
    for connection in legacy:
        disconnect(
            connection,
            by=successor.user.get_username(),
            how="moved to Adobe sign-in (the legacy connection retired)",
        )
        retired += 1
        logger.info(
            "Retired legacy Workfront connection %s in favour of %s.", connection.pk, successor.pk
        )
    return retired
