"""``POST /batch``: several calls in one, in order or all or nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.emulator.api_client import API, INVALID_PARAMETER, NOT_FOUND, as_json


def uri(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def test_a_batch_answers_each_calls_data_in_order(api: API) -> None:
    project_id = api.emu.dataset.projects[0]["ID"]
    uris = [
        # Our client's uris start with "/", the SDK's do not; both carry method=.
        uri(f"/proj/{project_id}", method="GET", fields="name"),
        uri("TASK/search", projectID=project_id, fields="name", method="GET"),
        uri("TASK/count", projectID=project_id),
        uri("TASK", method="POST", updates=as_json({"name": "New", "projectID": project_id})),
        uri("/metadata", method="GET"),
    ]

    answers = api.data(
        "POST", "batch", data={"uri": uris, "atomic": "false", "concurrent": "false"}
    )

    project, tasks, count, created, metadata = (answer["data"] for answer in answers)
    assert all(set(answer) == {"data"} for answer in answers)
    assert project["ID"] == project_id and "name" in project
    assert len(tasks) == 2 and count == {"count": 2}
    assert created["name"] == "New"
    assert "PROJ" in metadata["objects"]
    assert api.get("TASK/count", projectID=project_id)["count"] == 3
    stats = api.emu.stats
    assert stats["api_writes"]["batch_calls"] == 1 and stats["api_writes"]["created"] == 1
    assert stats["api_calls"] == 2  # the batch and the count after it


def test_a_failed_call_is_its_error_and_the_others_run(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]
    uris = [
        uri(f"TASK/{task_id}", method="PUT", updates=as_json({"name": "Before"})),
        uri("NOPE/search"),
        uri(f"TASK/{'0' * 32}"),
        uri(f"TASK/{task_id}", method="PUT", updates=as_json({"priority": 3})),
    ]

    answers = wf.data("POST", "batch", data={"uri": uris})

    assert answers[0]["data"]["name"] == "Before"
    assert answers[1]["error"]["class"] == INVALID_PARAMETER
    assert answers[2]["error"]["class"] == NOT_FOUND
    assert answers[3]["data"]["priority"] == 3
    assert wf.emu.stats["api_writes"]["edited"] == 2


def test_an_atomic_batch_answers_success(api: API) -> None:
    project_id = api.emu.dataset.projects[0]["ID"]
    task_id = api.emu.dataset.tasks[0]["ID"]
    uris = [
        uri("TASK", method="POST", updates=as_json({"name": "A", "projectID": project_id})),
        uri(f"TASK/{task_id}", method="PUT", updates=as_json({"percentComplete": 40})),
        uri(f"TASK/{task_id}/markDone", method="PUT"),
    ]

    answer = api.data("POST", "batch", data={"uri": uris, "atomic": "true", "concurrent": "true"})

    assert answer == {"success": True}
    assert api.get(f"TASK/{task_id}")["status"] == "CPL"
    assert api.get("TASK/count", projectID=project_id)["count"] == 3


def test_an_atomic_batch_that_fails_changes_nothing(wf: API) -> None:
    project_id = wf.emu.dataset.projects[0]["ID"]
    task_id = wf.emu.dataset.tasks[2]["ID"]  # of another project
    uris = [
        uri("TASK", method="POST", updates=as_json({"name": "Lost", "projectID": project_id})),
        uri(f"PROJ/{project_id}", method="DELETE", force="true"),
        uri(f"TASK/{task_id}", method="PUT", updates=as_json({"status": "nope"})),
    ]

    error = wf.error("POST", "batch", data={"uri": uris, "atomic": "true"})

    assert error["class"] == INVALID_PARAMETER and "status" in error["message"]
    assert wf.get("PROJ/count")["count"] == 4
    assert wf.get("TASK/count")["count"] == 8
    assert wf.emu.stats["api_writes"] == {
        "created": 0,
        "edited": 0,
        "deleted": 0,
        "copied": 0,
        "executed": 0,
        "uploads": 0,
        "batch_calls": 1,
    }


def test_the_sdks_batch_body(wf: API) -> None:
    # What workfront-api 6.2.0 POSTs: atomic, the uris, concurrent, in a form body.
    project_id = wf.emu.dataset.projects[0]["ID"]
    body = (
        "atomic=false&uri="
        + urlencode({"": f"PROJ/{project_id}?fields=name&method=GET"})[1:]
        + "&uri="
        + urlencode({"": "PROJ/count?method=GET"})[1:]
        + "&concurrent=false"
    )

    answers = wf.data(
        "POST",
        "batch",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert [answer["data"].get("count") for answer in answers] == [None, 4]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "at least one uri"),
        ({"uri": "PROJ/count", "atomic": "yes"}, "atomic must be true or false"),
        ({"uri": "PROJ/count", "concurrent": "2"}, "concurrent must be true or false"),
    ],
)
def test_batch_refusals(wf: API, data: dict[str, str], words: str) -> None:
    assert words in wf.error("POST", "batch", data=data)["message"]


@pytest.mark.parametrize(
    "inner", ["batch?uri=PROJ%2Fcount", "/upload", "logout", "http://elsewhere/PROJ/count"]
)
def test_what_cannot_be_batched(wf: API, inner: str) -> None:
    (answer,) = wf.data("POST", "batch", data={"uri": inner})

    assert answer["error"]["class"] == INVALID_PARAMETER
    assert wf.emu.active_sessions()  # a logout in a batch ends nothing


def test_a_batch_is_a_post(wf: API) -> None:
    assert "batch is a POST" in wf.error("GET", "batch", params={"uri": "PROJ/count"})["message"]


def test_the_sdks_generated_write_uris_are_reads(wf: API) -> None:
    # workfront-api 6.2.0's batch() marks the uris of create, edit and remove method=GET: a GET
    # carrying updates is refused, and a remove is read, not done.
    task_id = wf.emu.dataset.tasks[0]["ID"]
    edit = f"TASK/{task_id}?updates={as_json({'name': 'x'})}&method=GET"
    remove = f"TASK/{task_id}?force=true&method=GET"

    edited, removed = wf.data("POST", "batch", data={"uri": [edit, remove]})

    assert "updates has no meaning in a GET" in edited["error"]["message"]
    assert removed["data"]["ID"] == task_id
    assert wf.get(f"TASK/{task_id}")["name"] == wf.emu.dataset.tasks[0]["name"]
