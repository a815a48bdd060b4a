"""One vocabulary for a connection's state: what users, site admins and commands are told.

:func:`describe` turns a :class:`~django_workfront_oauth.models.WorkfrontConnection` into a
:class:`ConnectionState`: a stable key, a short title and one plain sentence for the user, the
one action the user can take, a sentence for site admins with the technical detail (for them
only), and when the connection renews. Every page, the example project and the management
commands say what they say through it, so no two places can tell a different story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .conf import PROVIDER_ADOBE_IMS, InstanceSettings, app_settings
from .constants import LEGACY_SHUTDOWN
from .exceptions import TokenDecryptionError, WorkfrontOAuthError
from .models import ServiceConnection, WorkfrontConnection

if TYPE_CHECKING:
    from collections.abc import Iterable


__all__ = [
    "Action",
    "ConnectionState",
    "Reason",
    "StateKey",
    "adobe_successor",
    "describe",
    "describe_service",
    "moved_to_adobe_message",
]


class StateKey(models.TextChoices):
    """The states a connection can be in; the label is the user's title."""

    CONNECTED = "connected", gettext_lazy("Connected")
    RENEWING_SOON = "renewing_soon", gettext_lazy("Renewing soon")
    NEEDS_RECONNECTING = "needs_reconnecting", gettext_lazy("Needs reconnecting")
    PAUSED = "paused", gettext_lazy("Paused")
    MOVED_TO_ADOBE = "moved_to_adobe", gettext_lazy("Moved to Adobe sign-in")


class Action(models.TextChoices):
    """What the user can do about it; the label is the button's."""

    NONE = "none", ""
    RECONNECT = "reconnect", gettext_lazy("Reconnect")
    MOVE_TO_ADOBE = "move_to_adobe", gettext_lazy("Move to Adobe sign-in")


class Reason(models.TextChoices):
    """Why a connection needs reconnecting, or is paused (blank otherwise)."""

    NONE = "", ""
    ADMIN_REQUIRED = "admin_required", gettext_lazy("required by a site admin")
    RENEWAL_REFUSED = "renewal_refused", gettext_lazy("the renewal was refused")
    LEGACY_ENDED = "legacy_ended", gettext_lazy("the legacy sign-in has ended")
    SIGN_IN_EXPIRED = "sign_in_expired", gettext_lazy("the sign-in expired")
    TOKEN_UNREADABLE = "token_unreadable", gettext_lazy("the stored tokens cannot be read")
    ADDRESS_CHANGED = "address_changed", gettext_lazy("the Workfront address changed")
    OTHER = "other", gettext_lazy("other")
    INSTANCE_INACTIVE = "instance_inactive", gettext_lazy("the instance is deactivated")
    NOT_CONFIGURED = "not_configured", gettext_lazy("the instance is no longer configured")


@dataclass(frozen=True)
class ConnectionState:
    """A connection's state in words: for its user, and (admin_* and detail) for site admins."""

    key: StateKey
    #: A short title for the user: "Connected", "Needs reconnecting" …
    title: str
    #: One plain sentence for the user: never an error message, a URL or a token.
    sentence: str
    action: Action = Action.NONE
    #: The instance the action's button connects to ("" when there is no action).
    action_instance: str = ""
    reason: Reason = Reason.NONE
    #: A second sentence for the user: the legacy sign-in's end, a sign-in without renewals.
    notice: str = ""
    #: One sentence for site admins (the admin's list, the commands).
    admin_sentence: str = ""
    #: The technical detail, for site admins only (the last error, failures, backoff).
    detail: str = ""
    #: When the connection renews by itself next; ``None`` when no renewal will happen.
    renews_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def action_label(self) -> str:
        """The button's label ("" without an action)."""
        return str(self.action.label) if self.action != Action.NONE else ""

    @property
    def is_usable(self) -> bool:
        """True when API calls can be made with the connection now."""
        return self.key in (StateKey.CONNECTED, StateKey.RENEWING_SOON, StateKey.MOVED_TO_ADOBE)

    @property
    def css_class(self) -> str:
        """``workfront-state-needs-reconnecting`` …, for styling."""
        return "workfront-state-" + self.key.value.replace("_", "-")

    def __str__(self) -> str:
        return f"{self.title}: {self.sentence}"


#: The start of the admin action's reason (``admin.actions.admin_reason``).
_ADMIN_PREFIX = "Required by site admin"
_NO_REFRESH_TOKEN = "there is no refresh token"  # noqa: S105 - words of an error
_UNREADABLE = "cannot be decrypted"
_HOST_CHANGED = "now has HOST"


def _classify(message: str) -> Reason:
    """The reason of an error message that our own code wrote (``last_error``)."""
    if message.startswith(_ADMIN_PREFIX):
        return Reason.ADMIN_REQUIRED
    if _NO_REFRESH_TOKEN in message:
        return Reason.SIGN_IN_EXPIRED
    if _UNREADABLE in message:
        return Reason.TOKEN_UNREADABLE
    if _HOST_CHANGED in message:
        return Reason.ADDRESS_CHANGED
    if "refused the refresh token" in message:
        return Reason.RENEWAL_REFUSED
    return Reason.OTHER


def _server(connection: WorkfrontConnection) -> str:
    """Who issues the connection's tokens, as a user knows it."""
    return _("Workfront") if connection.is_legacy else _("Adobe")


def _when(value: datetime) -> str:
    """A time for site admins: seconds and the time zone."""
    return date_format(timezone.localtime(value), "Y-m-d H:i:s T")


def _shutdown_day() -> str:
    return date_format(LEGACY_SHUTDOWN, "j F Y")


def _instance(name: str) -> InstanceSettings | None:
    return app_settings.get_instance(name) if app_settings.has_instance(name) else None


def adobe_successor(
    connection: WorkfrontConnection, instances: Iterable[InstanceSettings] | None = None
) -> str:
    """The name of an active Adobe IMS instance on a legacy connection's host, or ``""``.

    ``instances`` are those offered to the user (every configured one by default).
    """
    if not connection.is_legacy:
        return ""
    if instances is None:
        instances = [app_settings.get_instance(name) for name in app_settings.instance_names()]
    for instance in instances:
        if (
            instance.provider == PROVIDER_ADOBE_IMS
            and instance.is_active
            and instance.host == connection.host
        ):
            return instance.name
    return ""


def moved_to_adobe_message() -> str:
    """What the user is told right after moving a connection to Adobe sign-in."""
    return _(
        "Your Workfront connection now uses Adobe sign-in; the old Workfront sign-in was ended."
    )


def _user_sentence(connection: WorkfrontConnection, reason: Reason, successor: str) -> str:
    server = _server(connection)
    if reason == Reason.LEGACY_ENDED:
        if successor:
            return _(
                "Workfront's legacy sign-in, which this connection used, has ended. Move it to "
                "Adobe sign-in to keep using it."
            )
        return _(
            "Workfront's legacy sign-in, which this connection used, has ended. This site's "
            "administrator has to set up Adobe sign-in; you can then connect again."
        )
    sentences = {
        Reason.ADMIN_REQUIRED: _(
            "An administrator of this site asked you to connect your Workfront account again."
        ),
        Reason.RENEWAL_REFUSED: _(
            "%(server)s refused to renew this site's access to your account (it may have been "
            "withdrawn, or your sign-in changed). Connect again to keep using it."
        )
        % {"server": server},
        Reason.SIGN_IN_EXPIRED: _(
            "Your sign-in for this site has ended and cannot be renewed by itself. Connect "
            "again to keep using it."
        ),
        Reason.TOKEN_UNREADABLE: _(
            "This site can no longer read its saved access to your account. Connect again to "
            "keep using it."
        ),
        Reason.ADDRESS_CHANGED: _(
            "This site now reaches your Workfront at another address. Connect again to keep "
            "using it."
        ),
    }
    return sentences.get(
        reason,
        _("%(server)s no longer accepts this connection. Connect again to keep using it.")
        % {"server": server},
    )


_ADMIN_SENTENCES = {
    Reason.ADMIN_REQUIRED: gettext_lazy("A site admin required the user to connect again."),
    Reason.RENEWAL_REFUSED: gettext_lazy(
        "The token endpoint refused the refresh token: the user must connect again."
    ),
    Reason.LEGACY_ENDED: gettext_lazy(
        "Workfront's legacy OAuth2 service has ended: the user must connect through an Adobe "
        "IMS instance."
    ),
    Reason.SIGN_IN_EXPIRED: gettext_lazy(
        "The access token expired and there is no refresh token (no offline_access): the user "
        "must connect again."
    ),
    Reason.TOKEN_UNREADABLE: gettext_lazy(
        "The stored tokens cannot be decrypted: add the key they were written with to "
        "FIELD_ENCRYPTION_KEY, or have the user connect again."
    ),
    Reason.ADDRESS_CHANGED: gettext_lazy(
        "The instance's HOST changed since the user connected: set it back, or have the user "
        "connect again."
    ),
    Reason.OTHER: gettext_lazy("The user must connect again."),
}


def _legacy_notice(successor: str) -> str:
    if successor:
        return _(
            "This connection uses Workfront's legacy sign-in, which Adobe switches off on "
            "%(day)s. Move it to Adobe sign-in: it takes one sign-in."
        ) % {"day": _shutdown_day()}
    return _(
        "This connection uses Workfront's legacy sign-in, which Adobe switches off on "
        "%(day)s. Nothing to do for now: this site's administrator will set up Adobe sign-in "
        "before then, and you will be asked to move the connection."
    ) % {"day": _shutdown_day()}


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
        return _classify(connection.last_error)
    if failure is not None:
        return _classify(str(failure))
    if connection.last_error and _classify(connection.last_error) in (
        Reason.TOKEN_UNREADABLE,
        Reason.ADDRESS_CHANGED,
    ):
        # Still "active", but no refresh can succeed until someone acts.
        return _classify(connection.last_error)
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
) -> ConnectionState:
    """The state of ``connection``, in words for its user and for site admins.

    ``successor`` is the Adobe IMS instance a legacy connection can move to (found
    among the configured instances when not given, ``""`` for none). ``failure`` is an error
    the caller just met using the connection (a :class:`~.exceptions.TokenDecryptionError`,
    a :class:`~.exceptions.ReauthorizationRequired`). No query is made for a connection
    loaded with ``without_tokens()``.
    """
    now = now or timezone.now()
    instance = _instance(connection.instance)
    if instance is None or not instance.is_active:
        return _paused(connection, instance)
    if successor is None:
        successor = adobe_successor(connection)
    expires_at = connection.access_token_expires_at
    reason = _failure_reason(connection, now, failure)
    if reason != Reason.NONE:
        action, action_instance = _reconnect_action(connection, successor)
        if reason == Reason.LEGACY_ENDED and not successor:
            action, action_instance = Action.NONE, ""
        return ConnectionState(
            key=StateKey.NEEDS_RECONNECTING,
            title=str(StateKey.NEEDS_RECONNECTING.label),
            sentence=_user_sentence(connection, reason, successor),
            action=action,
            action_instance=action_instance,
            reason=reason,
            admin_sentence=str(_ADMIN_SENTENCES.get(reason, _ADMIN_SENTENCES[Reason.OTHER])),
            detail=connection.last_error or (str(failure) if failure is not None else ""),
            expires_at=expires_at,
        )

    action, action_instance = (Action.MOVE_TO_ADOBE, successor) if successor else (Action.NONE, "")
    notice = _legacy_notice(successor) if connection.is_legacy else ""
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
            % {"when": _when(expires_at)},
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
            % {"when": _when(renews_at)},
            detail=detail,
            renews_at=renews_at,
            expires_at=expires_at,
        )
    if due or connection.consecutive_failures:
        if connection.consecutive_failures:
            sentence = _(
                "%(server)s could not be reached to renew the connection; it tries again "
                "by itself. Nothing to do."
            ) % {"server": _server(connection)}
            admin_sentence = _(
                "Refreshing failed %(count)s times in a row; next attempt at %(when)s."
            ) % {"count": connection.consecutive_failures, "when": _when(renews_at)}
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
        admin_sentence=_("Active; next refresh at %(when)s.") % {"when": _when(renews_at)},
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
            % {"count": service.consecutive_failures, "when": _when(renews_at)}
            if failing
            else _("A new token is requested at the next use or sweep.")
        )
        key = StateKey.RENEWING_SOON
    else:
        sentence = _("Active; a new token is requested at %(when)s.") % {"when": _when(renews_at)}
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
