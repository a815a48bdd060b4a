"""Uploads (``POST /upload``) and the documents (``DOCU``) made of them."""

from __future__ import annotations

import pytest

from tests.emulator.api_client import API, INVALID_PARAMETER, NOT_FOUND, as_json

CONTENT = bytes(range(256)) * 4  # every byte value, CR and LF included


def _document(api: API, handle: str, obj_id: str, **values: object) -> dict[str, object]:
    body = {"name": "Spec", "handle": handle, "docObjCode": "TASK", "objID": obj_id, **values}
    return dict(api.create("DOCU", body, fields="docObjCode,objID,currentVersion"))


def test_upload_then_create_a_document(api: API) -> None:
    task_id = api.emu.dataset.tasks[0]["ID"]

    handle = api.upload(CONTENT, "spec.bin")
    document = _document(
        api, handle, task_id, currentVersion={"version": "v2", "fileName": "s.bin"}
    )

    assert len(handle) == 32
    assert document["objCode"] == "DOCU"
    assert (document["docObjCode"], document["objID"]) == ("TASK", task_id)
    version = document["currentVersion"]
    assert isinstance(version, dict)
    assert (version["version"], version["fileName"], version["docSize"]) == ("v2", "s.bin", 1024)
    assert version["objCode"] == "DOCV"
    assert api.get(f"DOCU/{document['ID']}")["name"] == "Spec"
    found = api.get("DOCU/search", objID=task_id, fields="currentVersion:fileName")
    assert [(row["ID"], row["currentVersion"]) for row in found] == [
        (document["ID"], {"fileName": "s.bin"})
    ]
    stats = api.emu.stats["api_writes"]
    assert (stats["uploads"], stats["created"]) == (1, 1)


def test_the_version_defaults_to_the_uploaded_file(wf: API) -> None:
    project = wf.project()
    handle = wf.upload(b"x", "plan.pdf")

    document = _document(wf, handle, project["ID"], docObjCode="PROJ")

    version = document["currentVersion"]
    assert isinstance(version, dict)
    assert (version["version"], version["fileName"]) == ("v1.0", "plan.pdf")
    assert len(wf.emu.dataset.documents) == 1


def test_a_handle_makes_one_document(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]
    handle = wf.upload()
    _document(wf, handle, task_id)

    again = wf.error(
        "POST", "DOCU", json={"name": "x", "handle": handle, "docObjCode": "TASK", "objID": task_id}
    )
    unknown = wf.error(
        "POST",
        "DOCU",
        json={"name": "x", "handle": "f" * 32, "docObjCode": "TASK", "objID": task_id},
    )

    assert "handle" in again["message"] and "handle" in unknown["message"]
    assert unknown["class"] == INVALID_PARAMETER


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"handle": None}, "handle is required"),
        ({"objID": "f" * 32}, "objID: there is no TASK"),
        ({"docObjCode": "HOUR"}, "not a valid docObjCode"),
        ({"docObjCode": None}, "docObjCode is required"),
        ({"currentVersion": {"size": 1}}, "'size' is not a valid field of currentVersion"),
        ({"currentVersion": {"fileName": ""}}, "currentVersion.fileName must be"),
        ({"currentVersion": "v1"}, "currentVersion of DOCU must be a JSON object"),
    ],
)
def test_document_refusals(wf: API, values: dict[str, object], words: str) -> None:
    handle = wf.upload()
    body = {
        "name": "x",
        "handle": handle,
        "docObjCode": "TASK",
        "objID": wf.emu.dataset.tasks[0]["ID"],
        **values,
    }

    error = wf.error(
        "POST", "DOCU", json={key: value for key, value in body.items() if value is not None}
    )

    assert words in error["message"]
    # Refused: the handle is still good.
    assert _document(wf, handle, wf.emu.dataset.tasks[0]["ID"])["objCode"] == "DOCU"


def test_editing_a_document(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]
    document = _document(wf, wf.upload(), task_id)

    edited = wf.data("PUT", f"DOCU/{document['ID']}", json={"description": "Read me"})
    refused = wf.error("PUT", f"DOCU/{document['ID']}", json={"objID": task_id})

    assert edited["description"] == "Read me"
    assert "only be set when it is created" in refused["message"]


def test_documents_go_with_their_object(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]
    project_id = wf.emu.dataset.tasks[0]["projectID"]
    on_task = _document(wf, wf.upload(), task_id)
    on_project = _document(wf, wf.upload(), project_id, docObjCode="PROJ")
    elsewhere = _document(wf, wf.upload(), wf.emu.dataset.tasks[3]["ID"])

    wf.data("DELETE", f"PROJ/{project_id}", params={"force": "true"})

    assert wf.error("GET", f"DOCU/{on_task['ID']}", 404)["class"] == NOT_FOUND
    assert wf.error("GET", f"DOCU/{on_project['ID']}", 404)["class"] == NOT_FOUND
    assert wf.get(f"DOCU/{elsewhere['ID']}")["ID"] == elsewhere["ID"]


def test_a_document_may_belong_to_a_user(wf: API) -> None:
    document = _document(wf, wf.upload(), wf.emu.user().id, docObjCode="USER")

    assert document["docObjCode"] == "USER"


def test_upload_refusals(wf: API) -> None:
    not_multipart = wf.error("POST", "upload", data={"uploadedFile": "text"})
    wrong_field = wf.error("POST", "upload", files={"file": ("a.txt", b"a")})
    not_a_post = wf.error("GET", "upload")

    assert "multipart/form-data" in not_multipart["message"]
    assert "uploadedFile" in wrong_field["message"]
    assert "upload is a POST" in not_a_post["message"]
    assert wf.emu.stats["api_writes"]["uploads"] == 0


def test_an_upload_needs_authentication(wf: API) -> None:
    wf.headers = {}

    response = wf.call("POST", "upload", files={"uploadedFile": ("a.txt", b"a")})

    assert response.status_code == 401


def test_the_updates_parameter_works_for_documents_too(wf: API) -> None:
    # Our client's way: updates as a form field, currentVersion nested in it.
    task_id = wf.emu.dataset.tasks[0]["ID"]
    values = {
        "name": "form.txt",
        "handle": wf.upload(),
        "docObjCode": "TASK",
        "objID": task_id,
        "currentVersion": {"version": "v1.0", "fileName": "form.txt"},
    }

    document = wf.data(
        "POST", "DOCU", data={"updates": as_json(values), "fields": "currentVersion:*"}
    )

    assert document["currentVersion"]["fileName"] == "form.txt"


def test_an_upload_keeps_every_byte(wf: API) -> None:
    handle = wf.upload(CONTENT, "bytes.bin")

    with wf.emu.dataset.lock:
        stored = wf.emu.dataset.upload(handle)
    assert stored is not None
    assert (stored.content, stored.filename) == (CONTENT, "bytes.bin")
