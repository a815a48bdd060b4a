"""``manage.py workfront_export``: the connections without their tokens, as JSON.

``dumpdata`` decrypts what it dumps: its output holds every user's tokens in plaintext. This
writes the same serialization format with the token columns left out (and never loaded), for
reports, audits and moving metadata around. Backups that must keep the tokens belong at the
database level, where the columns stay encrypted.
"""

from __future__ import annotations

from typing import Any

from django.core import serializers
from django.core.management.base import BaseCommand, CommandParser

from ...models import RefreshLog, WorkfrontConnection

#: What is never exported.
TOKEN_FIELDS = ("access_token", "refresh_token")


class Command(BaseCommand):
    """Write every connection (and, with ``--history``, the refresh attempts) without tokens."""

    help = (
        "Export Workfront connections as JSON without their tokens (dumpdata would write them "
        "decrypted)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="A file to write to (default: standard output).")
        parser.add_argument(
            "--history", action="store_true", help="Include the refresh attempts too."
        )
        parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2).")

    def handle(self, *args: Any, **options: Any) -> None:
        fields = [
            field.name
            for field in WorkfrontConnection._meta.concrete_fields
            if field.name not in TOKEN_FIELDS and not field.primary_key
        ]
        objects: list[Any] = list(
            WorkfrontConnection.objects.without_tokens().order_by("pk").iterator()
        )
        if options["history"]:
            objects += list(RefreshLog.objects.order_by("pk").iterator())
        text = serializers.serialize(
            "json",
            objects,
            fields=[*fields, "outcome", "error_class", "error", "connection"],
            indent=options["indent"],
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as output:
                output.write(text + "\n")
        else:
            self.stdout.write(text)
