"""The words of the state story: the states, reasons and actions, and the sentences for each.

:mod:`.describe` picks the state of a connection; this module says it, for users (plain words,
never ``last_error`` or a URL) and for site admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..constants import LEGACY_SHUTDOWN
from ..exceptions import UNREADABLE_MARK
from ..models import WorkfrontConnection
from ..services.refresh import HOST_CHANGED_MARK, MOVED_TO_IMS_MARK

__all__ = [
    "ADMIN_SENTENCES",
    "Action",
    "ConnectionState",
    "Reason",
    "StateKey",
    "admin_time",
    "classify",
    "legacy_notice",
    "moved_to_adobe_message",
    "server_name",
    "shutdown_day",
    "user_sentence",
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
# The marks of what services.refresh and the encrypted fields write into last_error.
_UNREADABLE = UNREADABLE_MARK
_HOST_CHANGED = HOST_CHANGED_MARK
_MOVED_TO_IMS = MOVED_TO_IMS_MARK


def classify(message: str) -> Reason:
    """The reason of an error message that our own code wrote (``last_error``)."""
    if message.startswith(_ADMIN_PREFIX):
        return Reason.ADMIN_REQUIRED
    if _NO_REFRESH_TOKEN in message:
        return Reason.SIGN_IN_EXPIRED
    if _UNREADABLE in message:
        return Reason.TOKEN_UNREADABLE
    if _HOST_CHANGED in message:
        return Reason.ADDRESS_CHANGED
    if _MOVED_TO_IMS in message:
        return Reason.LEGACY_ENDED
    if "refused the refresh token" in message:
        return Reason.RENEWAL_REFUSED
    return Reason.OTHER


def server_name(connection: WorkfrontConnection) -> str:
    """Who issues the connection's tokens, as a user knows it."""
    return _("Workfront") if connection.is_legacy else _("Adobe")


def admin_time(value: datetime) -> str:
    """A time for site admins: seconds and the time zone."""
    return date_format(timezone.localtime(value), "Y-m-d H:i:s T")


def shutdown_day() -> str:
    return date_format(LEGACY_SHUTDOWN, "j F Y")


def moved_to_adobe_message() -> str:
    """What the user is told right after moving a connection to Adobe sign-in."""
    return _(
        "Your Workfront connection now uses Adobe sign-in; the old Workfront sign-in was ended."
    )


def user_sentence(connection: WorkfrontConnection, reason: Reason, successor: str) -> str:
    server = server_name(connection)
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


ADMIN_SENTENCES = {
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


def legacy_notice(successor: str) -> str:
    if successor:
        return _(
            "This connection uses Workfront's legacy sign-in, which Adobe switches off on "
            "%(day)s. Move it to Adobe sign-in: it takes one sign-in."
        ) % {"day": shutdown_day()}
    return _(
        "This connection uses Workfront's legacy sign-in, which Adobe switches off on "
        "%(day)s. Nothing to do for now: this site's administrator will set up Adobe sign-in "
        "before then, and you will be asked to move the connection."
    ) % {"day": shutdown_day()}
