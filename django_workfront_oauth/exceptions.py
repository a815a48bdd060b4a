"""The exceptions of django-workfront-oauth.

Messages never carry a token, a secret or a raw response body: they end up in logs and error
reports. What Workfront said is kept only as a status code and an error class or code.
"""

from __future__ import annotations

__all__ = [
    "UNREADABLE_MARK",
    "ClientCredentialsRefused",
    "InstancePaused",
    "InvalidCallback",
    "ReauthorizationRequired",
    "TokenDecryptionError",
    "UnusableTokenAnswer",
    "WorkfrontAPIError",
    "WorkfrontNotFound",
    "WorkfrontOAuthError",
    "WorkfrontPermissionDenied",
    "WorkfrontUnavailable",
    "WorkfrontValidationError",
    "api_error_for",
]


class WorkfrontOAuthError(Exception):
    """Base class of every error raised by this app."""


class InvalidCallback(WorkfrontOAuthError):
    """The OAuth callback is forged, replayed, expired or malformed; nothing was exchanged."""


class ReauthorizationRequired(WorkfrontOAuthError):
    """The user must connect again: the refresh token was rejected, or there is none."""


class WorkfrontUnavailable(WorkfrontOAuthError):
    """A transient failure (timeout, refused connection, 5xx, 429); try again later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds the server asked us to wait (``Retry-After``), when it said.
        self.retry_after = retry_after


class ClientCredentialsRefused(WorkfrontUnavailable):
    """The token endpoint refused the site's own client ID or secret: a setting to fix.

    Nobody's grant is at fault, so no connection's tokens or status change; the message names
    the setting (or the database instance's field) to correct.
    """


class InstancePaused(WorkfrontUnavailable):
    """A site admin deactivated the instance: no new connections nor refreshes until reactivated."""


class UnusableTokenAnswer(WorkfrontUnavailable):
    """A token endpoint answered 200, but with tokens that cannot be used (none, or junk).

    ``refresh_token`` is a usable new refresh token the answer carried, if any: a server that
    rotates has already retired the old one, so a refresh stores it instead of losing the grant.
    It is never part of the message or the ``repr``.
    """

    def __init__(self, message: str, *, refresh_token: str = "") -> None:
        super().__init__(message)
        self.refresh_token = refresh_token

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class WorkfrontAPIError(WorkfrontOAuthError):
    """Workfront answered an API call with an error, whatever the HTTP status."""

    def __init__(self, message: str, *, status: int | None = None, error_class: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_class = error_class
        self.message = message

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else "no HTTP status"
        kind = f" {self.error_class}" if self.error_class else ""
        return f"Workfront API error ({where}{kind}): {self.message}"


class WorkfrontNotFound(WorkfrontAPIError):
    """The object does not exist (or this user cannot see it): HTTP 404, ``NotFoundException``."""


class WorkfrontValidationError(WorkfrontAPIError):
    """Workfront refused the input: an unknown or missing field, a bad value, a bulk over 100."""


class WorkfrontPermissionDenied(WorkfrontAPIError):
    """The Workfront user may not do this (its access level): ``SecurityException``, HTTP 403."""


#: Parts of Workfront's error class names, by the subclass callers branch on.
_ERROR_KINDS: tuple[tuple[type[WorkfrontAPIError], tuple[str, ...]], ...] = (
    (WorkfrontNotFound, ("notfound", "objectnotfound", "nosuchobject")),
    (WorkfrontPermissionDenied, ("security", "accessdenied", "permission", "notallowed")),
    (WorkfrontValidationError, ("invalidparameter", "validation", "apimodel", "illegalargument")),
)


def api_error_for(
    message: str, *, status: int | None = None, error_class: str = ""
) -> WorkfrontAPIError:
    """The most precise :class:`WorkfrontAPIError` for Workfront's error class and status."""
    folded = error_class.lower().replace("_", "")
    for kind, markers in _ERROR_KINDS:
        if any(marker in folded for marker in markers):
            return kind(message, status=status, error_class=error_class)
    by_status = {
        404: WorkfrontNotFound,
        403: WorkfrontPermissionDenied,
        422: WorkfrontValidationError,
    }
    kind = by_status.get(status or 0, WorkfrontAPIError)
    return kind(message, status=status, error_class=error_class)


#: What the message of a :class:`TokenDecryptionError` says (and so a ``last_error`` it left).
UNREADABLE_MARK = "cannot be decrypted"


class TokenDecryptionError(WorkfrontOAuthError):
    """A stored token cannot be decrypted with the configured ``FIELD_ENCRYPTION_KEY``."""
