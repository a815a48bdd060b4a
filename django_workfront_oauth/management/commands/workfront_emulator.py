"""``manage.py workfront_emulator``: run the local Workfront emulator until Ctrl-C.

The options are those of ``python -m django_workfront_oauth.testing``; the client id, secret,
redirect URI, domain and lane default to the project's ``WORKFRONT_OAUTH_*`` settings, and so do
the Adobe IMS credential's (``--ims-*``, with ``IMS_ORG_ID``) when ``PROVIDER`` is ``adobe_ims``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_workfront_oauth.constants import PROVIDER_ADOBE_IMS
from django_workfront_oauth.testing import cli


def _setting(name: str) -> Any:
    return getattr(settings, f"WORKFRONT_OAUTH_{name}", None)


class Command(BaseCommand):
    """Run the Workfront emulator (legacy OAuth2 app and REST API subset) in the foreground."""

    help = "Run a local Workfront emulator (login, consent, token endpoint, API subset)."
    # The emulator needs none of the app's settings to be valid: it is what you run while
    # they are still being set up, so a failing check must not keep it from starting.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        """The CLI's options, with defaults from the WORKFRONT_OAUTH_* settings."""
        redirect_uri = _setting("REDIRECT_URI")
        defaults = {
            "client_id": _setting("CLIENT_ID"),
            "client_secret": _setting("CLIENT_SECRET"),
            "redirect_uris": [redirect_uri] if redirect_uri else None,
            "domain": _setting("DOMAIN"),
            "lane": _setting("LANE"),
        }
        # Unset means the default provider, Adobe IMS.
        if (_setting("PROVIDER") or PROVIDER_ADOBE_IMS) == PROVIDER_ADOBE_IMS:
            defaults.update(
                ims_client_id=_setting("CLIENT_ID"),
                ims_client_secret=_setting("CLIENT_SECRET"),
                ims_org_id=_setting("IMS_ORG_ID"),
                ims_redirect_uris=[redirect_uri] if redirect_uri else None,
            )
        cli.add_arguments(parser, defaults=defaults)

    def handle(self, *args: Any, **options: Any) -> None:
        """Serve until SIGINT or SIGTERM."""
        problem = cli.missing_redirect_uri(options)
        if problem:
            raise CommandError(problem)
        cli.serve(cli.emulator_from_options(options), self.stdout)
