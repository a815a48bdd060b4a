"""Which state a connection is in: :func:`describe` for a user's, :func:`describe_service` for
the site's own Server-to-Server connection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from ..conf import PROVIDER_ADOBE_IMS, InstanceSettings, app_settings
from ..constants import LEGACY_SHUTDOWN
from ..exceptions import TokenDecryptionError, WorkfrontOAuthError
from ..models import ServiceConnection, WorkfrontConnection
from .vocabulary import (
    ADMIN_SENTENCES,
    Action,
    ConnectionState,
    Reason,
    StateKey,
    admin_time,
    classify,
    legacy_notice,
    server_name,
    user_sentence,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["adobe_successor", "describe", "describe_service"]


#: What the pages say for each reason a connection recorded (``reauth_reason``).
_REASON_OF: dict[str, Reason] = {
    WorkfrontConnection.ReauthReason.ADMIN_REQUIRED: Reason.ADMIN_REQUIRED,
    WorkfrontConnection.ReauthReason.RENEWAL_REFUSED: Reason.RENEWAL_REFUSED,
    WorkfrontConnection.ReauthReason.NO_REFRESH_TOKEN: Reason.SIGN_IN_EXPIRED,
}


def _instance(name: str) -> InstanceSettings | None:
    return app_settings.find_instance(name)


def adobe_successor(
    connection: WorkfrontConnection, instances: Iterable[InstanceSettings] | None = None
) -> str:
    """The name of an active Adobe IMS instance on a legacy connection's host, or ``""``.

    ``instances`` are those offered to the user (every configured one by default).
    """
    if not connection.is_legacy:
        return ""
    if instances is None:
        instances = app_settings.all_instances()
    for instance in instances:
        if (
            instance.provider == PROVIDER_ADOBE_IMS
            and instance.is_active
            and instance.host == connection.host
        ):
            return instance.name
    return ""


def _reconnect_action(connection: WorkfrontConnection, successor: str) -> tuple[Action, str]:
    if successor:
        return Action.MOVE_TO_ADOBE, successor
    return Action.RECONNECT, connection.instance


def _failure_reason(connection: WorkfrontConnection, now: datetime, failure: object) -> Reason:
    """Why the user must connect again, or ``Reason.NONE`` when they need not."""
    if isinstance(failure, TokenDecryptionError):
        return Reason.TOKEN_UNREADABLE
    if connection.is_legacy and timezone.localdate(now) >= LEGACY_SHUTDOWN:
        return Reason.LEGACY_ENDED
    if connection.needs_reauthorization:
        # The recorded reason; the words of last_error only for rows older than that field.
        if connection.reauth_reason == WorkfrontConnection.ReauthReason.PROVIDER_CHANGED:
            return Reason.LEGACY_ENDED if connection.is_legacy else Reason.OTHER
        return _REASON_OF.get(connection.reauth_reason) or classify(connection.last_error)
    if failure is not None:
        return classify(str(failure))
    if connection.last_error and classify(connection.last_error) in (
        Reason.TOKEN_UNREADABLE,
        Reason.ADDRESS_CHANGED,
    ):
        # Still "active", but no refresh can succeed until someone acts.
        return classify(connection.last_error)
    try:
        has_refresh_token = connection.has_refresh_token
    except TokenDecryptionError:
        return Reason.TOKEN_UNREADABLE
    if not has_refresh_token and connection.is_expired(now):
        return Reason.SIGN_IN_EXPIRED
    return Reason.NONE


def _paused(connection: WorkfrontConnection, instance: InstanceSettings | None) -> ConnectionState:
    if instance is None:
        return ConnectionState(
            key=StateKey.PAUSED,
            title=str(StateKey.PAUSED.label),
            sentence=_(
                "This Workfront instance is no longer configured on this site. You can remove "
                "the connection."
            ),
            reason=Reason.NOT_CONFIGURED,
            admin_sentence=_(
                "The instance %(name)s is no longer configured: no refreshes; the connection "
                "can be disconnected."
            )
            % {"name": connection.instance},
            detail=connection.last_error,
            expires_at=connection.access_token_expires_at,
        )
    return ConnectionState(
        key=StateKey.PAUSED,
        title=str(StateKey.PAUSED.label),
        sentence=_(
            "This site has paused its use of this Workfront; nothing is needed from you. It "
            "resumes when the site's administrator turns it back on."
        ),
        reason=Reason.INSTANCE_INACTIVE,
        admin_sentence=_(
            "The instance %(name)s is deactivated: no refreshes and no new connections until it "
            "is active again."
        )
        % {"name": connection.instance},
        detail=connection.last_error,
        expires_at=connection.access_token_expires_at,
    )


def describe(
    connection: WorkfrontConnection,
    *,
    successor: str | None = None,
    failure: WorkfrontOAuthError | None = None,
    now: datetime | None = None,
    instances: Mapping[str, InstanceSettings] | None = None,
) -> ConnectionState:
    """The state of ``connection``, in words for its user and for site admins.

    ``instances`` (by name) are the configured instances when the caller has read them already:
    a page of many rows reads them once, not once a row.

    ``successor`` is the Adobe IMS instance a legacy connection can move to (found
    among the configured instances when not given, ``""`` for none). ``failure`` is an error
    the caller just met using the connection (a :class:`~.exceptions.TokenDecryptionError`,
    a :class:`~.exceptions.ReauthorizationRequired`). No query is made for a connection
    loaded with ``without_tokens()``.
    """
    now = now or timezone.now()
    if instances is None:
        instance = _instance(connection.instance)
    else:
        instance = instances.get(connection.instance)
    if instance is None or not instance.is_active:
        return _paused(connection, instance)
    if successor is None:
        successor = adobe_successor(
            connection, None if instances is None else list(instances.values())
        )
    expires_at = connection.access_token_expires_at
    reason = _failure_reason(connection, now, failure)
    if reason != Reason.NONE:
        action, action_instance = _reconnect_action(connection, successor)
        if reason == Reason.LEGACY_ENDED and not successor:
            action, action_instance = Action.NONE, ""
        return ConnectionState(
            key=StateKey.NEEDS_RECONNECTING,
            title=str(StateKey.NEEDS_RECONNECTING.label),
            sentence=user_sentence(connection, reason, successor),
            action=action,
            action_instance=action_instance,
            reason=reason,
            admin_sentence=str(ADMIN_SENTENCES.get(reason, ADMIN_SENTENCES[Reason.OTHER])),
            detail=connection.last_error or (str(failure) if failure is not None else ""),
            expires_at=expires_at,
        )

    action, action_instance = (Action.MOVE_TO_ADOBE, successor) if successor else (Action.NONE, "")
    notice = legacy_notice(successor) if connection.is_legacy else ""
    detail = connection.last_error
    if connection.consecutive_failures:
        detail = _("%(count)s failed attempts in a row. %(error)s") % {
            "count": connection.consecutive_failures,
            "error": connection.last_error,
        }
    if not connection.has_refresh_token:
        # Nothing to renew with: the access token's end is the connection's.
        assert expires_at is not None  # an unknown expiry counts as expired: handled above
        return ConnectionState(
            key=StateKey.CONNECTED,
            title=str(StateKey.CONNECTED.label),
            sentence=_(
                "This site can use your Workfront account for %(when)s; you will then need to "
                "connect again, because the sign-in was given without renewals."
            )
            % {"when": timeuntil(expires_at, now)},
            action=action,
            action_instance=action_instance,
            notice=notice,
            admin_sentence=_(
                "Active until %(when)s, without a refresh token (no offline_access): the user "
                "must connect again then."
            )
            % {"when": admin_time(expires_at)},
            detail=detail,
            expires_at=expires_at,
        )

    due = connection.is_due(now, margin=instance.refresh_margin)
    renews_at = now
    if expires_at is not None and not due:
        renews_at = expires_at - instance.refresh_margin
    if connection.next_refresh_attempt_at is not None and connection.next_refresh_attempt_at > now:
        renews_at = connection.next_refresh_attempt_at

    if connection.moved_to_adobe_at is not None and connection.last_refreshed_at is None:
        # Until the new grant's first renewal, the move is the news.
        return ConnectionState(
            key=StateKey.MOVED_TO_ADOBE,
            title=str(StateKey.MOVED_TO_ADOBE.label),
            sentence=_(
                "This connection now uses Adobe sign-in, and the old Workfront sign-in was "
                "ended. Nothing else to do: it renews by itself."
            ),
            admin_sentence=_(
                "Moved from Workfront's legacy OAuth2 app to Adobe IMS; next refresh at %(when)s."
            )
            % {"when": admin_time(renews_at)},
            detail=detail,
            renews_at=renews_at,
            expires_at=expires_at,
        )
    if due or connection.consecutive_failures:
        if connection.consecutive_failures:
            sentence = _(
                "%(server)s could not be reached to renew the connection; it tries again "
                "by itself. Nothing to do."
            ) % {"server": server_name(connection)}
            admin_sentence = _(
                "Refreshing failed %(count)s times in a row; next attempt at %(when)s."
            ) % {"count": connection.consecutive_failures, "when": admin_time(renews_at)}
        else:
            sentence = _("The connection renews itself in a moment. Nothing to do.")
            admin_sentence = _("Due for refresh.")
        return ConnectionState(
            key=StateKey.RENEWING_SOON,
            title=str(StateKey.RENEWING_SOON.label),
            sentence=sentence,
            action=action,
            action_instance=action_instance,
            notice=notice,
            admin_sentence=admin_sentence,
            detail=detail,
            renews_at=renews_at,
            expires_at=expires_at,
        )
    return ConnectionState(
        key=StateKey.CONNECTED,
        title=str(StateKey.CONNECTED.label),
        sentence=_(
            "This site can use your Workfront account. It renews the connection by itself, "
            "next in %(when)s."
        )
        % {"when": timeuntil(renews_at, now)},
        action=action,
        action_instance=action_instance,
        notice=notice,
        admin_sentence=_("Active; next refresh at %(when)s.") % {"when": admin_time(renews_at)},
        detail=detail,
        renews_at=renews_at,
        expires_at=expires_at,
    )


def describe_service(service: ServiceConnection, *, now: datetime | None = None) -> ConnectionState:
    """The state of the site's own Server-to-Server connection, for site admins.

    Its token is requested again whenever it is due, so it never needs reconnecting: it is
    connected, renewing soon (due, or failing and backing off) or paused.
    """
    now = now or timezone.now()
    instance = _instance(service.instance)
    expires_at = service.access_token_expires_at
    if instance is None or not instance.is_active:
        sentence = (
            _("The instance %(name)s is no longer configured.")
            if instance is None
            else _("The instance %(name)s is deactivated.")
        ) % {"name": service.instance}
        return ConnectionState(
            key=StateKey.PAUSED,
            title=str(StateKey.PAUSED.label),
            sentence=sentence,
            reason=Reason.NOT_CONFIGURED if instance is None else Reason.INSTANCE_INACTIVE,
            admin_sentence=sentence,
            detail=service.last_error,
            expires_at=expires_at,
        )
    failing = service.consecutive_failures > 0
    due = expires_at is None or service.is_due(now, margin=instance.refresh_margin)
    renews_at = now if due or expires_at is None else expires_at - instance.refresh_margin
    if service.next_refresh_attempt_at is not None and service.next_refresh_attempt_at > now:
        renews_at = service.next_refresh_attempt_at
    if failing or due:
        sentence = (
            _("Getting a token failed %(count)s times in a row; next attempt at %(when)s.")
            % {"count": service.consecutive_failures, "when": admin_time(renews_at)}
            if failing
            else _("A new token is requested at the next use or sweep.")
        )
        key = StateKey.RENEWING_SOON
    else:
        sentence = _("Active; a new token is requested at %(when)s.") % {
            "when": admin_time(renews_at)
        }
        key = StateKey.CONNECTED
    return ConnectionState(
        key=key,
        title=str(key.label),
        sentence=sentence,
        admin_sentence=sentence,
        detail=service.last_error,
        renews_at=renews_at,
        expires_at=expires_at,
    )
