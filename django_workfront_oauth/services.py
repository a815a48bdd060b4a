"""A connection's life: connect, refresh, disconnect. The one place that writes tokens."""

from __future__ import annotations

import enum
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connections, router, transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.debug import sensitive_variables

from .conf import DEFAULT_INSTANCE, PROVIDER_WORKFRONT, InstanceSettings, app_settings
from .exceptions import (
    InvalidCallback,
    ReauthorizationRequired,
    TokenDecryptionError,
    WorkfrontOAuthError,
    WorkfrontUnavailable,
)
from .models import PendingAuthorization, RefreshLog, WorkfrontConnection, digest
from .providers import PKCEPair, TokenSet, get_provider
from .signals import (
    connection_disconnected,
    connection_established,
    reauthorization_required,
    tokens_refreshed,
)

logger = logging.getLogger("django_workfront_oauth")

#: How long a started flow may take before its ``state`` is refused.
STATE_LIFETIME = timedelta(minutes=10)
#: Started flows kept per user; older ones are dropped (a user clicking "connect" many times).
MAX_PENDING_PER_USER = 5
#: Callback parameters longer than this are refused before anything else is done with them.
MAX_CALLBACK_PARAM_LENGTH = 4096
#: The session key holding the random value that binds flows to the browser session.
SESSION_BINDING_KEY = "_workfront_oauth_binding"

#: Backoff after transient refresh failures: first delay, cap, and jitter (a fraction removed).
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
BACKOFF_JITTER = 0.5
#: How long ``refresh_connection`` waits for another process's lock on the row (PostgreSQL).
LOCK_TIMEOUT = timedelta(seconds=15)


# -- connect ---------------------------------------------------------------------------------


def _session_binding(request: HttpRequest) -> str:
    binding = request.session.get(SESSION_BINDING_KEY)
    if not isinstance(binding, str) or len(binding) < 32:
        binding = secrets.token_urlsafe(32)
        request.session[SESSION_BINDING_KEY] = binding
    return binding


def redirect_uri_for(request: HttpRequest, instance: InstanceSettings) -> str:
    """``REDIRECT_URI`` when set, else the absolute URL of our callback view."""
    return instance.redirect_uri or request.build_absolute_uri(reverse("workfront_oauth:callback"))


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
    state = secrets.token_urlsafe(32)  # 256 random bits
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
        expires_at=now + STATE_LIFETIME,
    )
    return provider.authorization_url(
        host=instance.host,
        state=state,
        redirect_uri=redirect_uri,
        code_challenge=pkce.challenge if pkce else "",
    )


def consume_state(request: HttpRequest, state: str) -> PendingAuthorization:
    """Take the flow that ``state`` names, exactly once; :class:`InvalidCallback` otherwise."""
    if not state:
        raise InvalidCallback("The callback has no state parameter.")
    try:
        pending = PendingAuthorization.objects.get(state_digest=digest(state))
    except PendingAuthorization.DoesNotExist:
        raise InvalidCallback("The callback's state is unknown or was already used.") from None
    # Deleting is the atomic step: of two callbacks racing with one state, one deletes the row
    # and the other deletes nothing.
    deleted, _ = PendingAuthorization.objects.filter(pk=pending.pk).delete()
    if not deleted:
        raise InvalidCallback("The callback's state was already used.")
    if pending.expires_at <= timezone.now():
        raise InvalidCallback("The callback's state has expired; start connecting again.")
    binding = request.session.get(SESSION_BINDING_KEY)
    if (
        not request.user.is_authenticated
        or pending.user_id != request.user.pk
        or not isinstance(binding, str)
        or not constant_time_compare(pending.session_digest, digest(binding))
    ):
        raise InvalidCallback("The callback's state belongs to another session.")
    return pending


@dataclass(frozen=True)
class CompletedAuthorization:
    """The outcome of a successful callback."""

    connection: WorkfrontConnection
    created: bool
    next_url: str


@sensitive_variables("params", "code", "tokens")
def complete_authorization(
    request: HttpRequest, params: Mapping[str, str]
) -> CompletedAuthorization:
    """Check the callback, exchange the code and save the connection.

    Raises :class:`InvalidCallback` before any token request when the callback is not one we
    are waiting for, and the provider's errors when the exchange fails; an existing connection
    is left as it was in every failure.
    """
    for key, value in params.items():
        if len(key) > 64 or len(value) > MAX_CALLBACK_PARAM_LENGTH:
            raise InvalidCallback("The callback has an oversized parameter.")
    pending = consume_state(request, params.get("state", ""))
    if not app_settings.has_instance(pending.instance):
        raise InvalidCallback(f"The instance {pending.instance!r} is no longer configured.")
    instance = app_settings.get_instance(pending.instance)
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
    if replaced is not None:
        # The instance moved to another provider (legacy to IMS): the row is reused, but the
        # old grant is ended first, as when a legacy connection is retired.
        end_session(replaced)
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
            **_token_fields(tokens, now),
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
    if connection.provider != PROVIDER_WORKFRONT:
        retire_legacy_connections(connection)
    return CompletedAuthorization(connection=connection, created=created, next_url=pending.next_url)


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
        disconnect(connection)
        retired += 1
        logger.info(
            "Retired legacy Workfront connection %s in favour of %s.", connection.pk, successor.pk
        )
    return retired


def _token_fields(tokens: TokenSet, now: datetime) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": tokens.token_type,
        "wid": tokens.extra.get("wid", "")[:128],
        "access_token_expires_at": now + tokens.expires_in,
    }


# -- refresh ---------------------------------------------------------------------------------


class RefreshOutcome(str, enum.Enum):
    """What one refresh attempt came to."""

    REFRESHED = "refreshed"
    NOT_DUE = "not_due"  # fresh already, often because another process refreshed first
    SKIPPED = "skipped"  # locked by another process (the sweep does not wait)
    FAILED = "failed"  # transient; tokens and status untouched, retried with backoff
    REAUTH_REQUIRED = "reauth_required"
    GONE = "gone"  # the row was deleted meanwhile
    # FIELD_ENCRYPTION_KEY lacks the key the tokens were written with; nothing was tried.
    UNDECRYPTABLE = "undecryptable"


def backoff_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """Exponential, capped and jittered, and never shorter than the server's ``Retry-After``."""
    exponent = min(max(failures, 1) - 1, 16)
    ceiling = min(BACKOFF_BASE * (1 << exponent), BACKOFF_CAP)
    # Jitter spreads the retries of many connections that failed in the same outage.
    delay = ceiling * (1 - BACKOFF_JITTER * random.random())  # noqa: S311 - not for secrets
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=min(retry_after, BACKOFF_CAP.total_seconds())))
    return delay


def _is_lock_timeout(err: OperationalError) -> bool:
    # PostgreSQL's lock_not_available, raised when lock_timeout runs out.
    return getattr(getattr(err, "__cause__", None), "sqlstate", None) == "55P03" or (
        "lock timeout" in str(err).lower()
    )


def _lock_row(pk: int, *, skip_locked: bool) -> WorkfrontConnection | None:
    """Lock and re-read the row inside the caller's transaction; ``None`` if locked or gone."""
    db = router.db_for_write(WorkfrontConnection)
    if not skip_locked and connections[db].vendor == "postgresql":
        # Bound the wait: a holder stuck on a dead token endpoint must not pile workers up.
        with connections[db].cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT.total_seconds())}s'")
    return (
        WorkfrontConnection.objects.using(db)
        .select_for_update(skip_locked=skip_locked)
        .filter(pk=pk)
        .first()
    )


def _copy_state(source: WorkfrontConnection, target: WorkfrontConnection) -> None:
    """Bring the caller's instance up to date with the row as it is now."""
    if source is not target:
        for field in WorkfrontConnection._meta.concrete_fields:
            setattr(target, field.attname, getattr(source, field.attname))


@dataclass
class _Attempt:
    outcome: RefreshOutcome
    connection: WorkfrontConnection | None = None
    failure: WorkfrontOAuthError | None = None
    notify: bool = True

    def send_signals(self) -> None:
        if not self.notify or self.connection is None:
            return
        if self.outcome == RefreshOutcome.REFRESHED:
            tokens_refreshed.send(sender=WorkfrontConnection, connection=self.connection)
        elif self.outcome == RefreshOutcome.REAUTH_REQUIRED:
            reauthorization_required.send(
                sender=WorkfrontConnection, connection=self.connection, reason=str(self.failure)
            )


@sensitive_variables("rejected_access_token")
def _refresh(
    pk: int,
    *,
    force: bool = False,
    skip_locked: bool = False,
    rejected_access_token: str | None = None,
) -> _Attempt:
    """Lock, re-check, refresh and save in one transaction; signals go out after commit."""
    db = router.db_for_write(WorkfrontConnection)
    try:
        with transaction.atomic(using=db):
            locked = _lock_row(pk, skip_locked=skip_locked)
            if locked is None:
                gone = not WorkfrontConnection.objects.using(db).filter(pk=pk).exists()
                return _Attempt(RefreshOutcome.GONE if gone else RefreshOutcome.SKIPPED)
            attempt = _refresh_locked(
                locked, force=force, rejected_access_token=rejected_access_token
            )
            # Receivers see the new state only once it is committed (and not if it never is).
            transaction.on_commit(attempt.send_signals, using=db)
    except TokenDecryptionError as err:
        # Nothing can be refreshed without the tokens, and nothing is written over them: the
        # row stays as it is until the missing key is put back into FIELD_ENCRYPTION_KEY.
        WorkfrontConnection.objects.using(db).filter(pk=pk).update(last_error=str(err)[:500])
        logger.error("Workfront connection %s cannot be refreshed: %s", pk, err)
        return _Attempt(RefreshOutcome.UNDECRYPTABLE, failure=err)
    except OperationalError as err:
        if not _is_lock_timeout(err):
            raise
        # Another process has held the row for longer than LOCK_TIMEOUT: its refresh may
        # still succeed; ours would only queue behind it.
        return _Attempt(
            RefreshOutcome.FAILED,
            failure=WorkfrontUnavailable(f"The connection {pk} is locked by another refresh."),
        )
    return attempt


@sensitive_variables("rejected_access_token")
def refresh_connection(
    connection: WorkfrontConnection,
    *,
    force: bool = False,
    rejected_access_token: str | None = None,
) -> WorkfrontConnection:
    """Refresh the tokens when due (always with ``force``); safe from any number of processes.

    The row is locked for the whole exchange, re-read and re-checked inside the lock, so of
    many callers exactly one talks to the token endpoint and the others see its result. The
    instance passed in is updated in place and returned.

    ``rejected_access_token`` is the token Workfront just refused (the API client passes it):
    the refresh is forced, unless the row already holds another token, which means that a
    concurrent caller has refreshed in the meantime.

    Raises :class:`ReauthorizationRequired` when the user must connect again and
    :class:`WorkfrontUnavailable` on a transient failure.
    """
    attempt = _refresh(connection.pk, force=force, rejected_access_token=rejected_access_token)
    if attempt.connection is not None:
        _copy_state(attempt.connection, connection)
    if attempt.outcome == RefreshOutcome.GONE:
        raise ReauthorizationRequired(f"The connection {connection.pk} no longer exists.")
    if attempt.failure is not None:
        raise attempt.failure
    return connection


def refresh_connection_by_id(pk: int, *, force: bool = False) -> RefreshOutcome:
    """Refresh one connection for the sweep: never waits for a lock, never raises for outcomes."""
    return _refresh(pk, force=force, skip_locked=True).outcome


def _refresh_locked(
    connection: WorkfrontConnection, *, force: bool, rejected_access_token: str | None
) -> _Attempt:
    """The refresh itself, on a locked row."""
    now = timezone.now()
    if connection.status == WorkfrontConnection.Status.REAUTH_REQUIRED:
        return _Attempt(
            RefreshOutcome.REAUTH_REQUIRED,
            failure=ReauthorizationRequired(
                f"The connection {connection.pk} needs the user to connect again."
            ),
            connection=connection,
            notify=False,  # said when the status changed, not again at every attempt
        )
    if rejected_access_token is not None:
        if connection.access_token != rejected_access_token:
            # Another caller already replaced the refused token.
            return _Attempt(RefreshOutcome.NOT_DUE, connection=connection)
        force = True
    if not force and not connection.is_due(now):
        # Someone refreshed while we waited for the lock.
        return _Attempt(RefreshOutcome.NOT_DUE, connection=connection)
    if not connection.refresh_token:
        if rejected_access_token is not None:
            return _require_reauthorization(
                connection, "Workfront refused the access token and there is no refresh token.", now
            )
        if not connection.is_expired(now):
            # Nothing to refresh with, but the access token still works.
            return _Attempt(RefreshOutcome.NOT_DUE, connection=connection)
        return _require_reauthorization(
            connection, "The access token expired and there is no refresh token.", now
        )
    if (
        not force
        and connection.next_refresh_attempt_at is not None
        and connection.next_refresh_attempt_at > now
    ):
        return _Attempt(
            RefreshOutcome.FAILED,
            connection=connection,
            failure=WorkfrontUnavailable(
                f"Backing off after {connection.consecutive_failures} failures; next attempt "
                f"at {connection.next_refresh_attempt_at.isoformat()}."
            ),
        )
    if not app_settings.has_instance(connection.instance):
        return _Attempt(
            RefreshOutcome.FAILED,
            connection=connection,
            failure=WorkfrontUnavailable(
                f"The instance {connection.instance!r} is not configured; cannot refresh."
            ),
        )

    sent_refresh_token = connection.refresh_token
    provider = get_provider(connection.get_instance_settings(), connection.provider)
    try:
        tokens = provider.refresh(
            host=connection.host,
            refresh_token=sent_refresh_token,
            redirect_uri=connection.redirect_uri,
        )
    except ReauthorizationRequired as err:
        current = WorkfrontConnection.objects.filter(pk=connection.pk).first()
        if current is not None and current.refresh_token != sent_refresh_token:
            # Another process rotated the token after we read it: it won, nothing is lost.
            return _Attempt(RefreshOutcome.NOT_DUE, connection=current)
        return _require_reauthorization(connection, str(err), now)
    except WorkfrontUnavailable as err:
        connection.consecutive_failures += 1
        connection.next_refresh_attempt_at = now + backoff_delay(
            connection.consecutive_failures, err.retry_after
        )
        connection.last_error = str(err)[:500]
        connection.save(
            update_fields=[
                "consecutive_failures",
                "next_refresh_attempt_at",
                "last_error",
                "updated_at",
            ]
        )
        RefreshLog.record(connection, RefreshOutcome.FAILED.value, err)
        logger.warning("Refreshing Workfront connection %s failed: %s", connection.pk, err)
        return _Attempt(RefreshOutcome.FAILED, connection=connection, failure=err)

    fields = _token_fields(tokens, now)
    if not tokens.refresh_token:
        # A non-rotating app sends no new refresh token: the one we have stays valid.
        fields["refresh_token"] = sent_refresh_token
    for name, value in fields.items():
        setattr(connection, name, value)
    connection.last_refreshed_at = now
    connection.last_error = ""
    connection.consecutive_failures = 0
    connection.next_refresh_attempt_at = None
    connection.save(
        update_fields=[
            *fields,
            "last_refreshed_at",
            "last_error",
            "consecutive_failures",
            "next_refresh_attempt_at",
            "updated_at",
        ]
    )
    RefreshLog.record(connection, RefreshOutcome.REFRESHED.value)
    logger.info("Refreshed Workfront connection %s.", connection.pk)
    return _Attempt(RefreshOutcome.REFRESHED, connection=connection)


def _require_reauthorization(
    connection: WorkfrontConnection, reason: str, now: datetime
) -> _Attempt:
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    connection.last_error = reason[:500]
    connection.next_refresh_attempt_at = None
    connection.save(update_fields=["status", "last_error", "next_refresh_attempt_at", "updated_at"])
    RefreshLog.record(connection, RefreshOutcome.REAUTH_REQUIRED.value, reason=reason)
    logger.warning("Workfront connection %s needs reauthorization: %s", connection.pk, reason)
    return _Attempt(
        RefreshOutcome.REAUTH_REQUIRED,
        connection=connection,
        failure=ReauthorizationRequired(reason),
    )


def require_reauthorization(connection: WorkfrontConnection, reason: str) -> None:
    """Mark a connection as needing the user to connect again (an admin's decision)."""
    with transaction.atomic():
        WorkfrontConnection.objects.filter(pk=connection.pk).update(
            status=WorkfrontConnection.Status.REAUTH_REQUIRED,
            last_error=reason[:500],
            next_refresh_attempt_at=None,
            updated_at=timezone.now(),
        )
        RefreshLog.record(connection, RefreshOutcome.REAUTH_REQUIRED.value, reason=reason)
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    connection.last_error = reason[:500]
    connection.next_refresh_attempt_at = None
    reauthorization_required.send(sender=WorkfrontConnection, connection=connection, reason=reason)


def due_connections(now: datetime | None = None) -> QuerySet[WorkfrontConnection]:
    """Active connections whose token expires within their instance's margin (or has)."""
    now = now or timezone.now()
    names = app_settings.instance_names()
    due = Q(access_token_expires_at__isnull=True)
    for name in names:
        margin = app_settings.get_instance(name).refresh_margin
        due |= Q(instance=name, access_token_expires_at__lte=now + margin)
    default_margin = app_settings.get_instance(DEFAULT_INSTANCE).refresh_margin
    due |= ~Q(instance__in=names) & Q(access_token_expires_at__lte=now + default_margin)
    not_backing_off = Q(next_refresh_attempt_at__isnull=True) | Q(next_refresh_attempt_at__lte=now)
    return WorkfrontConnection.objects.active().filter(due & not_backing_off)


def sweep(
    *, dispatch: Callable[[int], object] | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Refresh every due connection once: the beat task's and the cron command's body.

    With ``dispatch`` (a Celery task's ``delay``), each connection is handed to it and the sweep
    only counts; without, each is refreshed here. IDs are streamed, not loaded at once, and a
    row locked by someone else is skipped, so two sweeps at once are harmless.
    """
    counts: dict[str, int] = {"due": 0}
    ids = due_connections(now).order_by("access_token_expires_at").values_list("pk", flat=True)
    for pk in ids.iterator(chunk_size=500):
        counts["due"] += 1
        if dispatch is not None:
            dispatch(pk)
            key = "dispatched"
        else:
            key = refresh_connection_by_id(pk).value
        counts[key] = counts.get(key, 0) + 1
    counts["history_trimmed"] = trim_refresh_log()
    return counts


def trim_refresh_log(keep: int = RefreshLog.HISTORY_PER_CONNECTION) -> int:
    """Keep the newest ``keep`` attempts of each connection; returns how many were deleted."""
    crowded = (
        RefreshLog.objects.values("connection_id")
        .annotate(attempts=Count("id"))
        .filter(attempts__gt=keep)
        .values_list("connection_id", flat=True)
    )
    deleted = 0
    for connection_id in crowded.iterator():
        newest = RefreshLog.objects.filter(connection_id=connection_id).values_list(
            "pk", flat=True
        )[:keep]
        deleted += (
            RefreshLog.objects.filter(connection_id=connection_id)
            .exclude(pk__in=list(newest))
            .delete()[0]
        )
    return deleted


# -- disconnect ------------------------------------------------------------------------------


def end_session(connection: WorkfrontConnection) -> bool:
    """End the connection's session or grant at its server, best effort; True if it ended."""
    try:
        access_token, refresh_token = connection.access_token, connection.refresh_token
        if not app_settings.has_instance(connection.instance):
            return False
        provider = get_provider(connection.get_instance_settings(), connection.provider)
        provider.end_session(
            host=connection.host, access_token=access_token, refresh_token=refresh_token
        )
    except (WorkfrontOAuthError, ValueError) as err:
        # ValueError: a provider this version does not know (a row from a newer version).
        logger.info("Could not end the Workfront session of connection %s: %s", connection.pk, err)
        return False
    return True


def disconnect(connection: WorkfrontConnection) -> None:
    """End the Workfront session if we can (best effort), then delete the connection."""
    end_session(connection)
    pk = connection.pk
    connection.delete()
    connection.pk = pk  # receivers may want to know which row it was
    logger.info("Workfront connection %s disconnected.", pk)
    connection_disconnected.send(sender=WorkfrontConnection, connection=connection)
