"""``manage.py workfront_status``: the connections' health, for a site admin's terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count
from django.utils import timezone

from ... import services
from ...conf import app_settings
from ...models import WorkfrontConnection
from ...states import describe
from ._durations import human_duration


class Command(BaseCommand):
    """Counts by status, the soonest expiries, who must reconnect and what is paused.

    Each connection is worded by :func:`django_workfront_oauth.states.describe`, as on every
    page: its admin sentence, then the technical detail.
    """

    help = (
        "Show how many Workfront connections are healthy, which expire soonest and which "
        "need reconnecting."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=10, help="Rows per list (default 10).")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        now = timezone.now()
        # Read once for every line below, not once a connection.
        self.instances = {instance.name: instance for instance in app_settings.all_instances()}
        rows = WorkfrontConnection.objects.without_tokens().select_related("user")
        by_status = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        by_provider = dict(rows.values_list("provider").annotate(n=Count("id")).order_by())
        self.stdout.write(self.style.MIGRATE_HEADING("Connections by status"))
        for status, label in WorkfrontConnection.Status.choices:
            self.stdout.write(f"  {label}: {by_status.get(status, 0)}")
        due = services.due_connections(now, instances=list(self.instances.values()))
        self.stdout.write(f"  Due for refresh now: {due.count()}")
        if by_provider:
            self.stdout.write(self.style.MIGRATE_HEADING("Connections by provider"))
            for provider, count in sorted(by_provider.items()):
                self.stdout.write(f"  {provider}: {count}")

        self.stdout.write(self.style.MIGRATE_HEADING("Soonest expiries"))
        soonest = (
            rows.active()
            .exclude(access_token_expires_at=None)
            .order_by("access_token_expires_at")[:limit]
        )
        for connection in soonest:
            assert connection.access_token_expires_at is not None
            delta = connection.access_token_expires_at - now
            duration = human_duration(delta)
            when = f"in {duration}" if delta.total_seconds() >= 0 else f"{duration} ago"
            state = describe(connection, now=now, instances=self.instances)
            renews = ""
            if state.renews_at is not None and state.renews_at > now:
                renews = f", renews in {human_duration(state.renews_at - now)}"
            elif state.renews_at is None:
                renews = ", will not renew"
            self.stdout.write(
                f"  #{connection.pk} {connection}: {state.title}, expires {when}{renews}"
            )
        if not soonest:
            self.stdout.write("  (none)")

        self.stdout.write(self.style.MIGRATE_HEADING("Need reconnecting"))
        stale = rows.filter(status=WorkfrontConnection.Status.REAUTH_REQUIRED).order_by(
            "-updated_at"
        )[:limit]
        for connection in stale:
            self.stdout.write(f"  #{connection.pk} {connection}: {self._said(connection, now)}")
        if not stale:
            self.stdout.write("  (none)")

        # Instances that are gone or deactivated: their connections are kept, not refreshed.
        running = [name for name, instance in self.instances.items() if instance.is_active]
        paused = rows.exclude(instance__in=running).order_by("instance", "pk")[:limit]
        if paused:
            self.stdout.write(self.style.MIGRATE_HEADING("Paused"))
            for connection in paused:
                self.stdout.write(f"  #{connection.pk} {connection}: {self._said(connection, now)}")

    def _said(self, connection: WorkfrontConnection, now: datetime) -> str:
        """The admin sentence, then the technical detail when there is one."""
        state = describe(connection, now=now, instances=self.instances)
        return f"{state.admin_sentence} ({state.detail})" if state.detail else state.admin_sentence
