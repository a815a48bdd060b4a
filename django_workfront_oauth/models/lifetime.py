"""When a stored access token is due: what a user's connection and the site's own share."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ..conf import DEFAULT_INSTANCE, InstanceSettings
from ..conf import app_settings as wf_settings

__all__ = ["TokenLifetime"]


class TokenLifetime:
    """Expiry predicates of a model with ``instance`` and ``access_token_expires_at`` columns."""

    instance: str
    access_token_expires_at: datetime | None

    def get_instance_settings(self) -> InstanceSettings:
        """The settings of this row's instance (``KeyError`` when no longer configured)."""
        return wf_settings.get_instance(self.instance)

    def refresh_margin(self) -> timedelta:
        """How long before expiry this is due (the app default if the instance is gone)."""
        found = wf_settings.find_instance(self.instance)
        return (found or wf_settings.get_instance(DEFAULT_INSTANCE)).refresh_margin

    def is_expired(self, now: datetime | None = None) -> bool:
        """True when the access token's expiry has passed (or is unknown)."""
        if self.access_token_expires_at is None:
            return True
        return self.access_token_expires_at <= (now or timezone.now())

    def is_due(self, now: datetime | None = None, margin: timedelta | None = None) -> bool:
        """True when the access token expires within ``REFRESH_MARGIN`` (or already has).

        ``margin`` saves looking the instance's settings up again when the caller has them.
        """
        if self.access_token_expires_at is None:
            return True
        margin = self.refresh_margin() if margin is None else margin
        return self.access_token_expires_at - margin <= (now or timezone.now())
