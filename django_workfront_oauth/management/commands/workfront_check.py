"""``manage.py workfront_check INSTANCE``: prove that an instance works, end to end."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...services.instance_check import check_instance


class Command(BaseCommand):
    """Check one instance; exit non-zero, naming the setting to fix, when it fails."""

    help = (
        "Prove that a Workfront instance works: for Server-to-Server, request a fresh token and "
        "print the technical account Workfront sees; for sign-in instances, check that "
        "Workfront and the token endpoint answer and accept the client credentials."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "instance", help='The instance\'s name ("default" for the flat settings).'
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = check_instance(options["instance"])
        for line in result.lines:
            self.stdout.write(line)
        if not result.ok:
            raise CommandError(result.problem)
        self.stdout.write(self.style.SUCCESS(f"Instance {result.instance!r} works."))
