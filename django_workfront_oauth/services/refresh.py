"""Refreshing a connection: exactly once however many processes try, never losing a token.

The row is locked for the whole exchange (``SELECT … FOR UPDATE``), re-read and re-checked inside
the lock; signals go out only after the commit.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import OperationalError, router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..conf import (
    PROVIDER_ADOBE_IMS,
    PROVIDER_WORKFRONT,
    InstanceSettings,
    app_settings,
    normalise_host,
)
from ..exceptions import (
    InstancePaused,
    ReauthorizationRequired,
    TokenDecryptionError,
    UnusableTokenAnswer,
    WorkfrontOAuthError,
    WorkfrontUnavailable,
)
from ..models import RefreshLog, WorkfrontConnection
from ..providers import TokenSet, get_provider
from ..redact import scrubbed_traceback
from ..signals import reauthorization_required, tokens_refreshed
from .backoff import backoff_delay
from .locking import copy_state, is_lock_timeout, lock_row

__all__ = [
    "HOST_CHANGED_MARK",
    "LOCK_TIMEOUT",
    "MOVED_TO_IMS_MARK",
    "RefreshOutcome",
    "paused_reason",
    "provider_switched_reason",
    "refresh_connection",
    "refresh_connection_by_id",
    "require_reauthorization",
    "token_fields",
]

logger = logging.getLogger("django_workfront_oauth")

#: How long ``refresh_connection`` waits for another process's lock on the row (PostgreSQL).
LOCK_TIMEOUT = timedelta(seconds=15)


def token_fields(tokens: TokenSet, now: datetime) -> dict[str, Any]:
    """The connection fields a token set fills: tokens, type, ``wid``, expiry."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": tokens.token_type,
        "wid": tokens.extra.get("wid", "")[:128],
        "access_token_expires_at": now + tokens.expires_in,
    }


#: What a ``last_error`` says when a legacy connection's instance moved to another host.
HOST_CHANGED_MARK = "now has HOST"
#: What a ``last_error`` says when a legacy connection's instance moved to Adobe IMS in place.
MOVED_TO_IMS_MARK = "now signs in through Adobe IMS"


def provider_switched_reason(connection: WorkfrontConnection, instance: InstanceSettings) -> str:
    """The ``last_error`` of a connection whose instance now uses another provider."""
    if connection.provider == PROVIDER_WORKFRONT and instance.provider == PROVIDER_ADOBE_IMS:
        return (
            f"The instance {instance.name!r} {MOVED_TO_IMS_MARK}, but this connection was made "
            "through the legacy Workfront OAuth2 app, whose credentials are no longer "
            "configured: the user must move it to Adobe sign-in."
        )
    return (
        f"The instance {instance.name!r} now uses the provider {instance.provider!r}, but this "
        f"connection was made through {connection.provider!r}, whose credentials are no longer "
        "configured: the user must connect again."
    )


def paused_reason(instance: str) -> str:
    """The ``last_error`` of a connection whose instance a site admin deactivated."""
    return (
        f"Paused: the Workfront instance {instance!r} is deactivated, so this connection is not "
        "refreshed; it is kept, and refreshes resume when a site admin activates the instance."
    )


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
    # Something unexpected was raised (a bug, a database fault): logged, the next one goes on.
    ERROR = "error"


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
            locked = lock_row(
                WorkfrontConnection, pk, skip_locked=skip_locked, timeout=LOCK_TIMEOUT
            )
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
        if not is_lock_timeout(err):
            raise
        # Another process has held the row for longer than LOCK_TIMEOUT: its refresh may
        # still succeed; ours would only queue behind it.
        return _Attempt(
            RefreshOutcome.FAILED,
            failure=WorkfrontUnavailable(f"The connection {pk} is locked by another refresh."),
        )
    return attempt


@sensitive_variables("rejected_access_token")
@scrubbed_traceback
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
        copy_state(attempt.connection, connection)
    if attempt.outcome == RefreshOutcome.GONE:
        raise ReauthorizationRequired(f"The connection {connection.pk} no longer exists.")
    if attempt.failure is not None:
        raise attempt.failure
    return connection


@scrubbed_traceback
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
                connection,
                "Workfront refused the access token and there is no refresh token.",
                now,
                WorkfrontConnection.ReauthReason.NO_REFRESH_TOKEN,
            )
        if not connection.is_expired(now):
            # Nothing to refresh with, but the access token still works.
            return _Attempt(RefreshOutcome.NOT_DUE, connection=connection)
        return _require_reauthorization(
            connection,
            "The access token expired and there is no refresh token.",
            now,
            WorkfrontConnection.ReauthReason.NO_REFRESH_TOKEN,
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
    instance = app_settings.find_instance(connection.instance)
    if instance is None:
        return _Attempt(
            RefreshOutcome.FAILED,
            connection=connection,
            failure=WorkfrontUnavailable(
                f"The instance {connection.instance!r} is not configured; cannot refresh."
            ),
        )
    if not instance.is_active:
        paused = InstancePaused(paused_reason(instance.name))
        if connection.last_error != str(paused):
            connection.last_error = str(paused)
            connection.save(update_fields=["last_error", "updated_at"])
        return _Attempt(RefreshOutcome.FAILED, connection=connection, failure=paused)
    if connection.provider != instance.provider:
        # The instance was switched to another authorization server in place (the legacy app
        # to Adobe IMS, say): the client credentials configured now are that server's, and
        # sending this grant's refresh token with them would only be refused (invalid_client),
        # backing off for ever. The user connects again through the new server.
        return _require_reauthorization(
            connection,
            provider_switched_reason(connection, instance),
            now,
            WorkfrontConnection.ReauthReason.PROVIDER_CHANGED,
        )
    if (
        connection.provider == PROVIDER_WORKFRONT
        and normalise_host(connection.host) != instance.host
    ):
        # The legacy token endpoint is on the Workfront host: refreshing would send this
        # site's client secret (and the refresh token) to a host it no longer trusts.
        reason = (
            f"The instance {instance.name!r} {HOST_CHANGED_MARK} {instance.host}, but this "
            f"connection was made with {normalise_host(connection.host)}; its refresh token is "
            "not sent there with the new settings. Set HOST back, or have the user connect again."
        )
        connection.last_error = reason[:500]
        connection.save(update_fields=["last_error", "updated_at"])
        return _Attempt(
            RefreshOutcome.FAILED, connection=connection, failure=WorkfrontUnavailable(reason)
        )
    sent_refresh_token = connection.refresh_token
    provider = get_provider(instance, connection.provider)
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
        return _require_reauthorization(
            connection, str(err), now, WorkfrontConnection.ReauthReason.RENEWAL_REFUSED
        )
    except WorkfrontUnavailable as err:
        saved = ["consecutive_failures", "next_refresh_attempt_at", "last_error", "updated_at"]
        if isinstance(err, UnusableTokenAnswer) and err.refresh_token:
            # The answer was unusable but carried a new refresh token: the server has retired
            # the one we sent, so keep the new one (the access token counts as expired).
            connection.refresh_token = err.refresh_token
            connection.access_token_expires_at = now
            saved += ["refresh_token", "access_token_expires_at"]
        connection.consecutive_failures += 1
        connection.next_refresh_attempt_at = now + backoff_delay(
            connection.consecutive_failures, err.retry_after
        )
        connection.last_error = str(err)[:500]
        connection.save(update_fields=saved)
        RefreshLog.record(connection, RefreshOutcome.FAILED.value, err)
        logger.warning("Refreshing Workfront connection %s failed: %s", connection.pk, err)
        return _Attempt(RefreshOutcome.FAILED, connection=connection, failure=err)

    fields = token_fields(tokens, now)
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
    connection: WorkfrontConnection, reason: str, now: datetime, why: str
) -> _Attempt:
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    connection.reauth_reason = why
    connection.last_error = reason[:500]
    connection.next_refresh_attempt_at = None
    connection.save(
        update_fields=[
            "status",
            "reauth_reason",
            "last_error",
            "next_refresh_attempt_at",
            "updated_at",
        ]
    )
    RefreshLog.record(connection, RefreshOutcome.REAUTH_REQUIRED.value, reason=reason)
    logger.warning("Workfront connection %s needs reauthorization: %s", connection.pk, reason)
    return _Attempt(
        RefreshOutcome.REAUTH_REQUIRED,
        connection=connection,
        failure=ReauthorizationRequired(reason),
    )


def require_reauthorization(
    connection: WorkfrontConnection,
    reason: str,
    *,
    why: str = WorkfrontConnection.ReauthReason.ADMIN_REQUIRED,
) -> None:
    """Mark a connection as needing the user to connect again (by default, an admin's
    decision; ``why`` is a :class:`~.models.WorkfrontConnection.ReauthReason`)."""
    with transaction.atomic():
        WorkfrontConnection.objects.filter(pk=connection.pk).update(
            status=WorkfrontConnection.Status.REAUTH_REQUIRED,
            reauth_reason=why,
            last_error=reason[:500],
            next_refresh_attempt_at=None,
            updated_at=timezone.now(),
        )
        RefreshLog.record(connection, RefreshOutcome.REAUTH_REQUIRED.value, reason=reason)
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    connection.reauth_reason = why
    connection.last_error = reason[:500]
    connection.next_refresh_attempt_at = None
    reauthorization_required.send(sender=WorkfrontConnection, connection=connection, reason=reason)
