"""Every operation Workfront's own SDK offers, with the HTTP mock: exact URL, method, body.

Each runs for the legacy provider and for Adobe IMS (the credentials differ, nothing else).
The same operations against the emulator over real HTTP are in
``tests/emulator/test_client_against_emulator.py``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses

from django_workfront_oauth.client import MAX_URL_LENGTH, WorkfrontClient
from django_workfront_oauth.client.limits import host_slots
from django_workfront_oauth.exceptions import (
    WorkfrontAPIError,
    WorkfrontNotFound,
    WorkfrontPermissionDenied,
    WorkfrontValidationError,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


@pytest.fixture
def client(make_connection: Any) -> WorkfrontClient:
    return WorkfrontClient(make_connection())


def body_of(sent: Any) -> dict[str, list[str]]:
    return parse_qs(sent.body, keep_blank_values=True)


def only_call(http: Any, path: str) -> Any:
    (sent,) = http.sent_to(http.api_url(path))
    assert sent.access_token == "stored-access-token"
    return sent


def test_create_posts_the_values_as_json_updates(client: Any, workfront_http: Any) -> None:
    workfront_http.api("POST", "TASK", json={"data": {"ID": "t1", "name": "Write"}})
    created = client.create("TASK", {"name": "Write", "projectID": "p1"}, fields=["status"])
    assert created == {"ID": "t1", "name": "Write"}
    sent = only_call(workfront_http, "TASK")
    assert sent.method == "POST"
    body = body_of(sent)
    assert json.loads(body["updates"][0]) == {"name": "Write", "projectID": "p1"}
    assert body["fields"] == ["status"]


def test_edit_puts_the_updates_to_the_object(client: Any, workfront_http: Any) -> None:
    workfront_http.api("PUT", "TASK/t1", json={"data": {"ID": "t1", "status": "INP"}})
    assert client.edit("TASK", "t1", {"status": "INP"}) == {"ID": "t1", "status": "INP"}
    sent = only_call(workfront_http, "TASK/t1")
    assert sent.method == "PUT" and json.loads(body_of(sent)["updates"][0]) == {"status": "INP"}


def test_edit_many_splits_into_calls_of_at_most_one_hundred(
    client: Any, workfront_http: Any
) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        items = json.loads(parse_qs(request.body)["updates"][0])
        return 200, {}, json.dumps({"data": items})

    workfront_http.mock.add_callback("PUT", workfront_http.api_url("TASK"), callback=answer)
    updates = [{"ID": f"t{n}", "status": "CPL"} for n in range(250)]
    edited = client.edit_many("TASK", updates, atomic=True)
    assert [item["ID"] for item in edited] == [item["ID"] for item in updates]
    calls = workfront_http.sent_to(workfront_http.api_url("TASK"))
    assert [len(json.loads(body_of(call)["updates"][0])) for call in calls] == [100, 100, 50]
    assert all(body_of(call)["atomic"] == ["true"] for call in calls)
    with pytest.raises(ValueError, match="needs its ID"):
        client.edit_many("TASK", [{"status": "CPL"}])


def test_remove_deletes_with_force(client: Any, workfront_http: Any) -> None:
    workfront_http.api("DELETE", "PROJ/p1", json={"data": {"success": True}})
    client.remove("PROJ", "p1", force=True)
    sent = only_call(workfront_http, "PROJ/p1")
    assert sent.method == "DELETE" and sent.query == {"force": "true"}


def test_copy_posts_the_source_updates_and_options(client: Any, workfront_http: Any) -> None:
    workfront_http.api("POST", "PROJ", json={"data": {"ID": "p2", "name": "Copy"}})
    copied = client.copy("PROJ", "p1", {"name": "Copy"}, options=["clearApprovers"])
    assert copied["ID"] == "p2"
    body = body_of(only_call(workfront_http, "PROJ"))
    assert body["copySourceID"] == ["p1"]
    assert json.loads(body["updates"][0]) == {"name": "Copy"}
    assert json.loads(body["options"][0]) == ["clearApprovers"]


def test_execute_puts_the_action_with_its_arguments(client: Any, workfront_http: Any) -> None:
    workfront_http.api("PUT", "TASK/t1/markDone", json={"data": {"result": None}})
    client.execute("TASK", "t1", "markDone", status="CPL")
    assert body_of(only_call(workfront_http, "TASK/t1/markDone")) == {"status": ["CPL"]}
    workfront_http.api("PUT", "USER", json={"data": {"result": "ok"}})
    assert client.execute("USER", None, "resetPassword") == {"result": "ok"}
    assert body_of(only_call(workfront_http, "USER"))["action"] == ["resetPassword"]


def test_get_many_named_query_report_and_metadata(client: Any, workfront_http: Any) -> None:
    workfront_http.api("GET", "TASK", json={"data": [{"ID": "a"}, {"ID": "b"}]})
    assert client.get_many("TASK", ["a", "b"], fields="name") == [{"ID": "a"}, {"ID": "b"}]
    assert only_call(workfront_http, "TASK").query == {"ID": "a,b", "fields": "name"}
    workfront_http.api("GET", "WORK/myWork", json={"data": [{"ID": "w"}]})
    assert client.named_query("WORK", "myWork") == [{"ID": "w"}]
    workfront_http.api("GET", "TASK/report", json={"data": {"$$ROLLUP": {"dname": 1}}})
    client.report("TASK", status_GroupBy="true", workRequired_AggFunc="sum")
    report_query = only_call(workfront_http, "TASK/report").query
    assert report_query == {"status_GroupBy": "true", "workRequired_AggFunc": "sum"}
    workfront_http.api("GET", "PROJ/metadata", json={"data": {"objCode": "PROJ"}})
    workfront_http.api("GET", "metadata", json={"data": {"objects": {}}})
    assert client.metadata("PROJ") == {"objCode": "PROJ"}
    assert client.metadata() == {"objects": {}}
    assert client.get_many("TASK", []) == []  # no call at all


def test_upload_and_attach_send_multipart_then_create_the_document(
    client: Any, workfront_http: Any
) -> None:
    workfront_http.api("POST", "upload", json={"data": {"handle": "h-1"}})
    workfront_http.api("POST", "DOCU", json={"data": {"ID": "d1", "name": "spec.pdf"}})
    document = client.attach("TASK", "t1", b"%PDF-1.4 content", "spec.pdf")
    assert document["ID"] == "d1"
    upload = only_call(workfront_http, "upload")
    assert upload.content_type.startswith("multipart/form-data")
    assert 'name="uploadedFile"; filename="spec.pdf"' in upload.body
    values = json.loads(body_of(only_call(workfront_http, "DOCU"))["updates"][0])
    assert values == {
        "name": "spec.pdf",
        "handle": "h-1",
        "docObjCode": "TASK",
        "objID": "t1",
        "currentVersion": {"version": "v1.0", "fileName": "spec.pdf"},
    }


def test_batch_sends_each_request_as_a_uri(client: Any, workfront_http: Any) -> None:
    workfront_http.api("POST", "batch", json={"data": [{"data": {"count": 3}}, {"data": []}]})
    results = client.batch(
        [("GET", "TASK/count", {"status": "NEW"}), ("GET", "PROJ/search", {"name": "x"})]
    )
    assert results == [{"count": 3}, []]
    body = body_of(only_call(workfront_http, "batch"))
    assert body["uri"] == ["/TASK/count?status=NEW&method=GET", "/PROJ/search?name=x&method=GET"]
    assert body["atomic"] == ["false"]
    workfront_http.mock.replace(
        "POST", workfront_http.api_url("batch"), json={"data": {"success": True}}
    )
    assert client.batch([("PUT", "TASK/t1", {"updates": "{}"})], atomic=True) == []


def test_a_long_write_goes_as_a_post_with_method(client: Any, workfront_http: Any) -> None:
    workfront_http.api("POST", "TASK", json={"data": [{"ID": "x"}]})
    ids = [f"{n:032x}" for n in range(400)]  # far over the URL cap as a query
    client.get_many("TASK", ids)
    sent = only_call(workfront_http, "TASK")
    assert sent.method == "POST" and len(sent.url) < MAX_URL_LENGTH
    body = body_of(sent)
    assert body["method"] == ["GET"] and body["ID"] == [",".join(ids)]


@pytest.mark.parametrize(
    ("status", "error_class", "expected"),
    [
        (200, "com.attask.common.NotFoundException", WorkfrontNotFound),
        (404, "", WorkfrontNotFound),
        (422, "com.attask.common.InvalidParameterException", WorkfrontValidationError),
        (200, "com.attask.common.ValidationException", WorkfrontValidationError),
        (403, "com.attask.common.SecurityException", WorkfrontPermissionDenied),
        (500, "com.attask.common.SomethingElse", WorkfrontAPIError),
    ],
)
def test_errors_callers_branch_on_have_their_own_class(
    client: Any, workfront_http: Any, status: int, error_class: str, expected: type
) -> None:
    error = {"error": {"class": error_class, "message": "no"}} if error_class else None
    workfront_http.api("PUT", "TASK/t1", status=status, json=error, body="" if not error else None)
    with pytest.raises(expected) as caught:
        client.edit("TASK", "t1", {"name": "x"})
    assert caught.value.status == status
    assert caught.value.error_class == error_class


def test_concurrent_requests_to_one_host_are_capped(
    client: Any, workfront_http: Any, settings: Any
) -> None:
    """Twelve threads, a cap of three: never more than three requests in flight at once."""
    settings.WORKFRONT_OAUTH_MAX_CONCURRENT_REQUESTS = 3
    in_flight, peak, lock = [0], [0], threading.Lock()
    from django_workfront_oauth.client import limits

    limits._slots.pop(client.connection.host, None)  # sized afresh by this test's setting

    def slow(request: Any) -> tuple[int, dict[str, str], str]:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return 200, {}, json.dumps({"data": {"count": 1}})

    workfront_http.mock.add_callback("GET", workfront_http.api_url("PROJ/count"), callback=slow)
    threads = [threading.Thread(target=client.count, args=("PROJ",)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(workfront_http.sent_to(workfront_http.api_url("PROJ/count"))) == 12
    assert peak[0] == 3  # the cap was reached, never passed
    assert host_slots(client.connection.host, 99).free == 3  # every slot came back


def test_parallel_search_yields_every_row_once_in_order(client: Any, workfront_http: Any) -> None:
    rows = [{"ID": f"p{n:05d}"} for n in range(4500)]
    workfront_http.api("GET", "PROJ/count", json={"data": {"count": len(rows)}})

    def page(request: Any) -> tuple[int, dict[str, str], str]:
        query = {key: values[0] for key, values in parse_qs(request.url.split("?", 1)[1]).items()}
        first, size = int(query["$$FIRST"]), int(query["$$LIMIT"])
        time.sleep(0.01 * (3 - first // 2000))  # later pages answer first
        return 200, {}, json.dumps({"data": rows[first : first + size]})

    workfront_http.mock.add_callback("GET", workfront_http.api_url("PROJ/search"), callback=page)
    found = list(client.iter_search("PROJ", parallel=True))
    assert found == rows
    pages = workfront_http.sent_to(workfront_http.api_url("PROJ/search"))
    assert sorted(int(sent.query["$$FIRST"]) for sent in pages) == [0, 2000, 4000]
    assert all(sent.query["ID_Sort"] == "asc" for sent in pages)


@responses.activate
def test_the_cap_is_per_host_and_shared_by_clients() -> None:
    assert host_slots("https://a.example", 5) is host_slots("https://a.example", 9)
    assert host_slots("https://a.example", 5) is not host_slots("https://b.example", 5)
