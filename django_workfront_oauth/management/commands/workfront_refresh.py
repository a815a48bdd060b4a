"""``manage.py workfront_refresh``: refresh connections now, from a shell or cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import QuerySet

from ... import services
from ...models import WorkfrontConnection


class Command(BaseCommand):
    """Refresh the due connections (or more); print progress and a summary."""

    help = (
        "Refresh Workfront connections whose access token is due (expiring within "
        "REFRESH_MARGIN), and renew due Server-to-Server tokens. Run it from cron when the "
        "site has no Celery beat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Consider every active connection, not only the due ones (with --force, "
            "refresh them all).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Refresh even when the token is not due, and ignore the failure backoff.",
        )
        parser.add_argument(
            "--user",
            action="append",
            default=[],
            metavar="USERNAME",
            help="Only this user's connections (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connections: QuerySet[WorkfrontConnection]
        if options["all"]:
            connections = WorkfrontConnection.objects.active()
        else:
            connections = services.due_connections()
        if options["user"]:
            username_field = WorkfrontConnection._meta.get_field(
                "user"
            ).related_model.USERNAME_FIELD  # type: ignore[union-attr]
            connections = connections.filter(**{f"user__{username_field}__in": options["user"]})
        ids = list(connections.order_by("access_token_expires_at").values_list("pk", flat=True))
        total = len(ids)
        done = 0

        def progress(pk: int, outcome: services.RefreshOutcome) -> None:
            nonlocal done
            done += 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"[{done}/{total}] connection {pk}: {outcome.value}")

        counts = services.refresh_many(ids, force=options["force"], progress=progress)
        if not options["user"]:
            # The site's own Server-to-Server tokens, renewed before they are due, as the
            # beat task does: a cron-only site keeps them fresh with this command too.
            counts.update(services.renew_due_service_tokens())
        summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
        style = (
            self.style.WARNING
            if counts.keys() - {"refreshed", "not_due", "service_renewed"}
            else self.style.SUCCESS
        )
        self.stdout.write(
            style(f"{total} connection(s) considered" + (f": {summary}." if summary else "."))
        )
