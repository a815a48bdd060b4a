"""The migrations match the models."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_have_no_changes_missing_from_the_migrations() -> None:
    out = StringIO()
    try:
        call_command(
            "makemigrations", "django_workfront_oauth", check=True, dry_run=True, stdout=out
        )
    except SystemExit as exit_:  # --check exits with 1 when a migration is missing
        pytest.fail(f"makemigrations --check found changes (exit {exit_.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
