"""The client's every operation against the emulator over real HTTP, for each kind of connection.

A user's legacy connection, a user's Adobe IMS connection and the site's Server-to-Server
connection: the same calls, the same results; only the credentials on the wire differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from django_workfront_oauth.client import WorkfrontClient, service_client
from django_workfront_oauth.exceptions import WorkfrontNotFound, WorkfrontValidationError
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.services.server_to_server import forget_service_connections
from django_workfront_oauth.testing import WorkfrontEmulator

pytestmark = [pytest.mark.django_db, pytest.mark.workfront_emulator(projects=3)]

KINDS = ["workfront", "adobe_ims", "adobe_ims_s2s"]


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, workfront_emulator: WorkfrontEmulator, settings: Any, user: Any
) -> Iterator[WorkfrontClient]:
    """A client of each kind of connection, on the same emulator."""
    emu = workfront_emulator
    kind = str(request.param)
    settings.WORKFRONT_OAUTH_HOST = emu.base_url
    settings.WORKFRONT_OAUTH_IMS_HOST = emu.base_url
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = emu.ims_org_id
    if kind == "adobe_ims_s2s":
        settings.WORKFRONT_OAUTH_INSTANCES = {
            "service": {
                "PROVIDER": kind,
                "HOST": emu.base_url,
                "IMS_HOST": emu.base_url,
                "IMS_ORG_ID": emu.ims_org_id,
                "CLIENT_ID": emu.s2s_client_id,
                "CLIENT_SECRET": emu.s2s_client_secret,
            }
        }
        forget_service_connections()
        yield service_client("service")
        forget_service_connections()
        return
    settings.WORKFRONT_OAUTH_PROVIDER = kind
    if kind == "adobe_ims":
        settings.WORKFRONT_OAUTH_CLIENT_ID = emu.ims_client_id
        tokens = emu.ims_issue_tokens()
    else:
        settings.WORKFRONT_OAUTH_CLIENT_ID = emu.client_id
        tokens = emu.issue_tokens()
    connection = WorkfrontConnection.objects.create(
        user=user,
        provider=kind,
        host=emu.base_url,
        workfront_user_id=emu.user().id,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token", ""),
        access_token_expires_at=timezone.now() + timedelta(hours=1),
    )
    yield WorkfrontClient(connection)


def test_create_edit_get_search_and_remove(client: WorkfrontClient) -> None:
    project = client.create("PROJ", {"name": "Launch"})
    task = client.create("TASK", {"name": "Brief", "projectID": project["ID"]}, fields=["status"])
    edited = client.edit("TASK", task["ID"], {"name": "Brief v2"})
    assert edited["name"] == "Brief v2"
    second = client.create("TASK", {"name": "Design", "projectID": project["ID"]})
    many = client.get_many("TASK", [task["ID"], second["ID"]], fields=["name"])
    assert sorted(row["name"] for row in many) == ["Brief v2", "Design"]
    assert client.count("TASK", projectID=project["ID"]) == 2
    client.remove("PROJ", project["ID"], force=True)
    with pytest.raises(WorkfrontNotFound):
        client.get_many("PROJ", [project["ID"]]) or client.get(f"PROJ/{project['ID']}")


def test_edit_many_over_one_hundred_is_split_and_applied(client: WorkfrontClient) -> None:
    project = client.create("PROJ", {"name": "Bulk"})
    ids = [
        client.create("TASK", {"name": f"T{n}", "projectID": project["ID"]})["ID"]
        for n in range(120)
    ]
    edited = client.edit_many("TASK", [{"ID": task_id, "status": "INP"} for task_id in ids])
    assert len(edited) == 120
    assert client.count("TASK", projectID=project["ID"], status="INP") == 120


def test_validation_errors_keep_workfronts_class_and_message(client: WorkfrontClient) -> None:
    with pytest.raises(WorkfrontValidationError) as caught:
        client.create("TASK", {"name": "No project"})
    assert caught.value.error_class and caught.value.message


def test_copy_execute_named_query_report_and_metadata(client: WorkfrontClient) -> None:
    project = client.create("PROJ", {"name": "Source"})
    task = client.create("TASK", {"name": "Do", "projectID": project["ID"]})
    copy = client.copy("PROJ", project["ID"], {"name": "Copy"})
    assert copy["ID"] != project["ID"] and copy["name"] == "Copy"
    client.execute("TASK", task["ID"], "markDone")
    assert client.get_many("TASK", [task["ID"]], fields=["status"])[0]["status"] == "CPL"
    assert isinstance(client.named_query("WORK", "myWork"), list)
    report = client.report("TASK", status_GroupBy="true", **{"$$ROLLUP": "true"})
    assert isinstance(report, dict) and report
    assert client.metadata("PROJ")["objCode"] == "PROJ"
    assert "PROJ" in str(client.metadata())


def test_attach_uploads_and_creates_the_document(client: WorkfrontClient) -> None:
    project = client.create("PROJ", {"name": "Docs"})
    document = client.attach("PROJ", project["ID"], b"hello", "hello.txt")
    assert document["name"] == "hello.txt"
    assert client.count("DOCU", objID=project["ID"]) == 1


def test_batch_non_atomic_and_atomic(client: WorkfrontClient) -> None:
    results = client.batch([("GET", "PROJ/count", {}), ("GET", "PROJ/search", {"$$LIMIT": 1})])
    assert results[0]["count"] >= 3 and len(results[1]) == 1
    assert client.batch([("GET", "PROJ/count", {})], atomic=True) == []


def test_parallel_search_equals_sequential(client: WorkfrontClient) -> None:
    sequential = client.search("TASK", fields=["name"])
    assert client.search("TASK", fields=["name"], parallel=True) == sequential
    assert len(sequential) > 0
