"""Migration 0005 keeps the existing refresh history and fills in who and what it was about."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APP = "django_workfront_oauth"
BEFORE = [(APP, "0004_server_to_server")]
AFTER = [(APP, "0005_audit_history")]


@pytest.mark.django_db(transaction=True)
def test_0005_fills_the_identity_of_existing_rows_and_detaches_on_delete() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="alice")
    made = old.get_model(APP, "WorkfrontConnection").objects.create(
        user_id=user.pk,
        instance="default",
        host="https://acme.my.workfront.com",
        workfront_user_id="wf-user-1",
        workfront_user_name="Alice Anders",
    )
    old.get_model(APP, "RefreshLog").objects.create(connection_id=made.pk, outcome="refreshed")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new: Any = executor.loader.project_state(AFTER).apps
    row = new.get_model(APP, "RefreshLog").objects.get()
    assert (row.connection_ref, row.username, row.instance, row.host) == (
        made.pk,
        "alice",
        "default",
        "https://acme.my.workfront.com",
    )
    assert (row.workfront_user_id, row.workfront_user_name) == ("wf-user-1", "Alice Anders")
    new.get_model(APP, "WorkfrontConnection").objects.filter(pk=made.pk).delete()
    row.refresh_from_db()
    assert row.connection_id is None

    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes(APP))
