"""The site's own Workfront connection (``adobe_ims_s2s``): one token, shared by every process.

The token lives encrypted in its :class:`~django_workfront_oauth.models.ServiceConnection` row.
A process keeps the row it read in memory, so while the token is fresh a call costs no SQL
query; a new token is requested only when the stored one is missing, due or refused, under the
row's lock, so however many processes ask at once exactly one talks to Adobe IMS and the others
take its token. Refused client credentials are a configuration error that backs off: no retry
storm, and no more token requests than one per backoff step.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta

from django.db import IntegrityError, OperationalError, router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..conf import PROVIDER_ADOBE_IMS_S2S, InstanceSettings, app_settings, setting_name
from ..exceptions import (
    InstancePaused,
    ReauthorizationRequired,
    TokenDecryptionError,
    WorkfrontOAuthError,
    WorkfrontUnavailable,
)
from ..models import ServiceConnection
from ..providers import AdobeIMSServerToServerProvider, get_provider
from ..redact import scrubbed_traceback
from .backoff import backoff_delay
from .locking import copy_state, is_lock_timeout, lock_row

__all__ = [
    "ServiceCredentialRefused",
    "forget_service_connections",
    "renew_due_service_tokens",
    "renew_service_token",
    "server_to_server_instances",
    "service_connection",
    "stored_service_connection",
]

logger = logging.getLogger("django_workfront_oauth")

#: How long a process waits for another process's lock on the row (PostgreSQL).
LOCK_TIMEOUT = timedelta(seconds=15)

_cache_lock = threading.Lock()
#: The row each process read, by database alias and instance name: the token in memory.
_rows: dict[tuple[str, str], ServiceConnection] = {}


#: How a refused credential's ``last_error`` begins: its backoff repeats the same error class.
_REFUSED_MARK = "Adobe IMS refused the Server-to-Server credential of"


class ServiceCredentialRefused(WorkfrontOAuthError):
    """Adobe IMS refused the Server-to-Server credential: a setting to fix, not to retry."""


def server_to_server_instances() -> list[str]:
    """The names of the configured ``adobe_ims_s2s`` instances."""
    return [
        instance.name
        for instance in app_settings.all_instances()
        if instance.provider == PROVIDER_ADOBE_IMS_S2S
    ]


def _settings_of(instance: str) -> InstanceSettings:
    found = app_settings.find_instance(instance)
    if found is None:
        raise ValueError(f"No Workfront instance is configured as {instance!r}.")
    settings = found
    if not settings.is_active:
        raise InstancePaused(
            f"The Workfront instance {instance!r} is deactivated: a site admin must activate it "
            "before the site's own connection can get a token."
        )
    if not settings.is_server_to_server:
        raise ValueError(
            f"The instance {instance!r} is not an adobe_ims_s2s instance (its PROVIDER is "
            f"{settings.provider!r}): service_client() is for the site's own connection; a "
            "user's connection goes through WorkfrontClient(connection)."
        )
    return settings


def service_connection(instance: str) -> ServiceConnection:
    """The instance's row as this process knows it, with a usable token.

    The first call of a process reads (or creates) the row and, when its token is missing or
    due, renews it; later calls cost nothing while the token is fresh.
    """
    settings = _settings_of(instance)
    key = (router.db_for_write(ServiceConnection), instance)
    row = _rows.get(key)
    if row is None or row.host != settings.host:
        row = stored_service_connection(settings)
        with _cache_lock:
            _rows[key] = row
    if row.is_due(margin=settings.refresh_margin):
        try:
            renew_service_token(row)
        except WorkfrontOAuthError as err:
            if row.is_expired():
                raise
            # Due but still valid: keep using it while IMS is down or refuses; the next call
            # (or the sweep) tries again once the backoff allows.
            logger.warning(
                "Using the Server-to-Server token of %r until it expires at %s: %s",
                instance,
                row.access_token_expires_at,
                err,
            )
    return row


def forget_service_connections() -> None:
    """Drop the rows this process keeps (tests; after settings change in a long process)."""
    with _cache_lock:
        _rows.clear()


def stored_service_connection(settings: InstanceSettings) -> ServiceConnection:
    """The instance's row from the database (created empty the first time), unrenewed.

    A token the configured keys cannot decrypt is dropped: unlike a user's refresh token it is
    worth nothing that a new request cannot give back.
    """
    defaults = {"provider": settings.provider, "host": settings.host}
    rows = ServiceConnection.objects.filter(instance=settings.name)
    try:
        row, _ = rows.get_or_create(instance=settings.name, defaults=defaults)
    except IntegrityError:
        # Another process created it between our read and our insert.
        row = rows.get()
    except TokenDecryptionError:
        logger.warning("Dropping the undecryptable Server-to-Server token of %r.", settings.name)
        rows.update(access_token="", access_token_expires_at=None)
        row = rows.get()
    if row.host != settings.host:
        # HOST changed: the stored token belongs to the old instance's gateway.
        ServiceConnection.objects.filter(pk=row.pk).update(
            host=settings.host, access_token="", access_token_expires_at=None
        )
        row.refresh_from_db()
    return row


@sensitive_variables("rejected_access_token")
@scrubbed_traceback
def renew_service_token(
    connection: ServiceConnection,
    *,
    force: bool = False,
    rejected_access_token: str | None = None,
) -> ServiceConnection:
    """Make ``connection`` hold a usable token, requesting one only when it must.

    Under the row's lock the row is read again: a token another process stored meanwhile is
    taken as it is. ``rejected_access_token`` is the one Workfront just refused; ``force``
    requests a new one in any case (the admin's "Renew now", ``workfront_check``).
    Raises :class:`ServiceCredentialRefused` for a credential IMS refuses (the message names
    the settings) and :class:`WorkfrontUnavailable` for a transient failure.
    """
    settings = _settings_of(connection.instance)
    db = router.db_for_write(ServiceConnection)
    try:
        with transaction.atomic(using=db):
            locked = _lock(connection, settings)
            # A failure is returned, not raised, so that its backoff is committed with the row.
            failure = _renew_locked(locked, settings, force=force, rejected=rejected_access_token)
            copy_state(locked, connection)
    except OperationalError as err:
        if not is_lock_timeout(err):
            raise
        raise WorkfrontUnavailable(
            f"The Server-to-Server token of {connection.instance!r} is being renewed by another "
            "process that has not finished."
        ) from None
    if failure is not None:
        raise failure
    return connection


def _lock(connection: ServiceConnection, settings: InstanceSettings) -> ServiceConnection:
    """Lock the row, making it again if someone deleted it (the token is the site's to mint)."""
    try:
        locked = lock_row(ServiceConnection, connection.pk, skip_locked=False, timeout=LOCK_TIMEOUT)
    except TokenDecryptionError:
        ServiceConnection.objects.filter(pk=connection.pk).update(
            access_token="", access_token_expires_at=None
        )
        locked = lock_row(ServiceConnection, connection.pk, skip_locked=False, timeout=LOCK_TIMEOUT)
    if locked is None:
        fresh = stored_service_connection(settings)
        locked = lock_row(ServiceConnection, fresh.pk, skip_locked=False, timeout=LOCK_TIMEOUT)
        if locked is None:
            raise WorkfrontUnavailable(f"The Server-to-Server row of {settings.name!r} is gone.")
    return locked


def _renew_locked(
    row: ServiceConnection,
    settings: InstanceSettings,
    *,
    force: bool,
    rejected: str | None,
) -> WorkfrontOAuthError | None:
    """Renew the locked row when it must be; the failure, if any, to raise after the commit."""
    now = timezone.now()
    if rejected is not None and row.access_token and row.access_token != rejected:
        return None  # another process already replaced the refused token
    if not force and rejected is None and row.access_token and not row.is_due(now):
        return None  # another process renewed it while we waited for the lock
    if not force and row.next_refresh_attempt_at is not None and row.next_refresh_attempt_at > now:
        # Backing off after a failure: say it again without asking IMS again.
        message = f"{row.last_error} (next attempt at {row.next_refresh_attempt_at.isoformat()})"
        if _REFUSED_MARK in row.last_error:
            return ServiceCredentialRefused(message)
        return WorkfrontUnavailable(message)
    provider = get_provider(settings)
    assert isinstance(provider, AdobeIMSServerToServerProvider)
    try:
        tokens = provider.request_token()
    except (ReauthorizationRequired, WorkfrontUnavailable) as err:
        # invalid_client comes as WorkfrontUnavailable (a setting, not every user's grant);
        # any other 400/401 of a client credentials grant is a setting too (invalid_scope …).
        refused = isinstance(err, ReauthorizationRequired) or "invalid_client" in str(err)
        failure: WorkfrontOAuthError = (
            ServiceCredentialRefused(
                f"{_REFUSED_MARK} {settings.name!r}: {str(err).split(' Check ')[0]} Check "
                f"{setting_name(settings.name, 'CLIENT_ID')}, "
                f"{setting_name(settings.name, 'CLIENT_SECRET')} and "
                f"{setting_name(settings.name, 'SCOPES')} (the credential's scopes in Developer "
                "Console)."
            )
            if refused
            else err
        )
        row.consecutive_failures += 1
        retry_after = err.retry_after if isinstance(err, WorkfrontUnavailable) else None
        row.next_refresh_attempt_at = now + backoff_delay(row.consecutive_failures, retry_after)
        row.last_error = str(failure)[:500]
        row.save(
            update_fields=[
                "consecutive_failures",
                "next_refresh_attempt_at",
                "last_error",
                "updated_at",
            ]
        )
        logger.warning(
            "Renewing the Server-to-Server token of %r failed: %s", settings.name, failure
        )
        return failure
    if not row.workfront_user_id:
        _learn_technical_account(row, provider, settings, tokens.access_token)
    row.access_token = tokens.access_token
    row.token_type = tokens.token_type
    row.access_token_expires_at = now + tokens.expires_in
    row.last_refreshed_at = now
    row.last_error = ""
    row.consecutive_failures = 0
    row.next_refresh_attempt_at = None
    row.save()
    logger.info("Renewed the Server-to-Server token of %r.", settings.name)
    return None


@sensitive_variables("access_token")
def _learn_technical_account(
    row: ServiceConnection,
    provider: AdobeIMSServerToServerProvider,
    settings: InstanceSettings,
    access_token: str,
) -> None:
    """Who Workfront sees (the ``techacct`` user), for the admin; best effort, asked once."""
    try:
        identity = provider.identify(host=settings.host, access_token=access_token)
    except WorkfrontOAuthError as err:
        # The token is good; only the lookup failed (the technical account may lack access).
        logger.warning("Workfront did not say who %r's technical account is: %s", row.instance, err)
        return
    row.workfront_user_id = identity.id
    row.workfront_user_name = identity.name
    row.workfront_user_email = identity.email


def renew_due_service_tokens() -> Counter[str]:
    """The sweep's part: renew every stored Server-to-Server token that is due.

    Rows another process holds are skipped (it is renewing them); counts are by outcome.
    """
    counts: Counter[str] = Counter()
    running = [
        instance.name
        for instance in app_settings.all_instances()
        if instance.provider == PROVIDER_ADOBE_IMS_S2S and instance.is_active
    ]
    for row in ServiceConnection.objects.without_tokens().filter(instance__in=running):
        if not row.is_due():
            continue
        try:
            renew_service_token(row)
        except WorkfrontOAuthError:
            counts["service_failed"] += 1
        else:
            counts["service_renewed"] += 1
    return counts
