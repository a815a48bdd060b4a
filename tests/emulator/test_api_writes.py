"""Writes through the REST API: get many, create, edit, edit many, remove, copy, the encodings of
``updates`` and ``method=``, Workfront's rules and its errors, and the counters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.api_client import API, INVALID_PARAMETER, NOT_FOUND, as_json

# -- get one and many -------------------------------------------------------------------------


def test_get_many_by_repeated_id_and_by_a_comma_list(api: API) -> None:
    first, second = (row["ID"] for row in api.emu.dataset.tasks[:2])

    repeated = api.data("GET", "TASK", params=[("id", first), ("id", second), ("fields", "name")])
    comma = api.get("task", ID=f"{second},{first}")
    one = api.get(f"TASK/{first}", fields="projectID")

    assert [row["ID"] for row in repeated] == [first, second]
    assert "name" in repeated[0]
    assert [row["ID"] for row in comma] == [second, first]
    assert one["ID"] == first and one["projectID"] == api.emu.dataset.tasks[0]["projectID"]


def test_get_many_with_an_unknown_id_is_not_found(api: API) -> None:
    known = api.emu.dataset.projects[0]["ID"]

    error = api.error("GET", "PROJ", 404, params={"ID": f"{known},{'0' * 32}"})

    assert error["class"] == NOT_FOUND


def test_get_of_the_current_user_by_its_placeholder(api: API) -> None:
    # The SDK sends one ID that starts with $$ as ?id=, not in the path.
    me = api.get("USER", id="$$USER.ID")

    assert me["ID"] == api.emu.user().id


# -- create -----------------------------------------------------------------------------------


def test_create_takes_a_json_body_or_an_updates_parameter(api: API) -> None:
    by_json = api.data("POST", "PROJ", json={"name": "JSON"}, params={"fields": "ownerID"})
    by_form = api.data(
        "POST", "PROJ", data={"updates": as_json({"name": "Form"}), "fields": "description"}
    )
    by_query = api.data("POST", "PROJ", params={"updates": as_json({"name": "Query"})})

    assert (by_json["name"], by_json["objCode"], by_json["status"]) == ("JSON", "PROJ", "PLN")
    assert by_json["ownerID"] == api.emu.user().id
    assert by_form["name"] == "Form" and by_form["description"] is None
    assert "description" not in by_query
    assert len({by_json["ID"], by_form["ID"], by_query["ID"]}) == 3
    assert api.get("PROJ/count")["count"] == 7


def test_a_created_task_belongs_to_its_project_and_is_numbered(api: API) -> None:
    project = api.project("Home")
    first = api.task(project["ID"], "One", assignedToID=api.emu.user().id, workRequired=120)
    second = api.task(project["ID"], "Two", plannedStartDate="2025-03-03")

    stored = api.get(f"TASK/{first['ID']}", fields="projectID,taskNumber,assignedToID,workRequired")
    other = api.get(f"TASK/{second['ID']}", fields="taskNumber")
    assert stored["projectID"] == project["ID"]
    assert stored["assignedToID"] == api.emu.user().id
    assert (stored["taskNumber"], other["taskNumber"], stored["workRequired"]) == (1, 2, 120)
    assert other["plannedStartDate"] == "2025-03-03T00:00:00:000-0600"
    assert [row["ID"] for row in api.get("TASK/search", projectID=project["ID"])] == [
        first["ID"],
        second["ID"],
    ]


def test_an_issue_needs_a_project_too(api: API) -> None:
    project = api.project()

    issue = api.create("issue", {"name": "Broken", "projectID": project["ID"]}, fields="*")
    error = api.error("POST", "OPTASK", json={"name": "Orphan"})

    assert (issue["objCode"], issue["status"], issue["enteredByID"]) == (
        "OPTASK",
        "NEW",
        api.emu.user().id,
    )
    assert error == {
        "class": INVALID_PARAMETER,
        "message": "projectID is required to create a OPTASK.",
    }


@pytest.mark.parametrize(
    ("objcode", "values", "words"),
    [
        ("PROJ", {}, "name is required"),
        ("PROJ", {"name": ""}, "name is required"),
        ("TASK", {"name": "No project"}, "projectID is required"),
        ("PROJ", {"name": "x", "nope": 1}, "'nope' is not a valid field of PROJ"),
        ("PROJ", {"name": "x", "Name": "y"}, "'Name' is not a valid field"),
        ("PROJ", {"name": "x", "ID": "a" * 32}, "ID of PROJ is read-only"),
        ("PROJ", {"name": "x", "referenceNumber": 5}, "read-only"),
        ("PROJ", {"name": "x", "status": "XYZ"}, "not a valid status of PROJ"),
        ("PROJ", {"name": "x", "priority": "high"}, "priority of PROJ must be an integer"),
        ("PROJ", {"name": "x", "priority": 9}, "between 0 and 4"),
        ("PROJ", {"name": "x", "percentComplete": True}, "must be a number"),
        ("PROJ", {"name": "x", "plannedStartDate": "soon"}, "must be a date"),
        ("PROJ", {"name": 7}, "name of PROJ must be a string"),
        ("PROJ", {"name": "x", "percentComplete": float("nan")}, "must be a number"),
        ("PROJ", {"name": "x", "ownerID": "f" * 32}, "ownerID: there is no USER"),
        ("TASK", {"name": "x", "projectID": "f" * 32}, "projectID: there is no PROJ"),
        ("PROJ", ["not", "an object"], "must be a JSON object"),
    ],
)
def test_create_refuses_what_workfront_refuses(
    wf: API, objcode: str, values: Any, words: str
) -> None:
    before = wf.get("PROJ/count")["count"]

    error = wf.error("POST", objcode, data={"updates": as_json(values)})

    assert error["class"] == INVALID_PARAMETER
    assert words in error["message"]
    assert wf.get("PROJ/count")["count"] == before
    assert wf.emu.stats["api_writes"]["created"] == 0


def test_create_needs_updates_in_valid_json(wf: API) -> None:
    missing = wf.error("POST", "PROJ")
    garbage = wf.error("POST", "PROJ", data={"updates": "{name"})
    bad_body = wf.error("POST", "PROJ", data=b"{nope", headers={"Content-Type": "application/json"})
    twice = wf.error("POST", "PROJ", json={"name": "a"}, params={"updates": as_json({"name": "b"})})

    assert "updates is required" in missing["message"]
    assert "JSON" in garbage["message"] and "JSON" in bad_body["message"]
    assert "twice" in twice["message"]


def test_bulk_create_takes_a_list_of_up_to_100(wf: API) -> None:
    project = wf.project()
    items = [{"name": f"T{n}", "projectID": project["ID"]} for n in range(100)]

    made = wf.create("TASK", items, fields="taskNumber")
    too_many = wf.error("POST", "TASK", json=[*items, items[0]])

    assert [row["taskNumber"] for row in made] == list(range(1, 101))
    assert "At most 100" in too_many["message"] and "101" in too_many["message"]
    assert wf.get("TASK/count", projectID=project["ID"])["count"] == 100


def test_users_are_read_only_here(wf: API) -> None:
    error = wf.error("POST", "USER", 501, json={"name": "New Person"})

    assert error["class"] == "com.attask.common.UnsupportedOperationException"


# -- edit -------------------------------------------------------------------------------------


def test_edit_takes_both_encodings_and_answers_the_record(api: API) -> None:
    task = api.emu.dataset.tasks[0]

    by_json = api.data(
        "PUT", f"TASK/{task['ID']}", json={"name": "Renamed"}, params={"fields": "description"}
    )
    by_form = api.data(
        "PUT",
        f"task/{task['ID']}",
        data={"updates": as_json({"priority": 4, "plannedCompletionDate": "2025-02-01T17:00"})},
    )

    assert by_json["name"] == "Renamed" and by_json["description"] is None
    assert by_form["priority"] == 4
    assert by_form["plannedCompletionDate"] == by_form["projectedCompletionDate"]
    assert by_form["plannedCompletionDate"] == "2025-02-01T17:00:00:000-0600"
    assert api.get(f"TASK/{task['ID']}")["name"] == "Renamed"
    # The seeded copy, shared by every emulator, is untouched.
    assert task["name"].startswith("Task 1 of project")
    assert api.emu.stats["api_writes"]["edited"] == 2


def test_edit_refusals(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]

    missing = wf.error("PUT", f"TASK/{'0' * 32}", 404, json={"name": "x"})
    wrong_id = wf.error("PUT", f"TASK/{task_id}", json={"ID": "a" * 32})
    same_id = wf.data("PUT", f"TASK/{task_id}", json={"ID": task_id, "name": "Same"})
    empty_name = wf.error("PUT", f"TASK/{task_id}", json={"name": None})
    no_updates = wf.error("PUT", f"TASK/{task_id}")

    assert missing["class"] == NOT_FOUND
    assert "read-only" in wrong_id["message"]
    assert same_id["name"] == "Same"
    assert "cannot be empty" in empty_name["message"]
    assert "updates is required" in no_updates["message"]


def test_moving_a_task_renumbers_it(wf: API) -> None:
    target = wf.project("Target")
    wf.task(target["ID"])
    task_id = wf.emu.dataset.tasks[0]["ID"]

    moved = wf.data(
        "PUT", f"TASK/{task_id}", json={"projectID": target["ID"]}, params={"fields": "taskNumber"}
    )

    assert moved["taskNumber"] == 2


# -- edit many --------------------------------------------------------------------------------


def _ids(emu: WorkfrontEmulator, count: int) -> list[str]:
    return [row["ID"] for row in emu.dataset.tasks[:count]]


def test_edit_many_answers_the_records_in_order(api: API) -> None:
    first, second = _ids(api.emu, 2)
    updates = [{"ID": second, "name": "B"}, {"ID": first, "name": "A", "priority": 0}]

    edited = api.data("PUT", "TASK", json=updates, params={"fields": "priority"})
    by_form = api.data("PUT", "TASK", data={"updates": as_json([{"ID": first, "name": "A2"}])})

    assert [(row["ID"], row["name"]) for row in edited] == [(second, "B"), (first, "A")]
    assert edited[1]["priority"] == 0
    assert by_form[0]["name"] == "A2"
    assert api.emu.stats["api_writes"]["edited"] == 3


def test_edit_many_is_capped_at_100_objects(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]
    updates = [{"ID": task_id, "priority": n % 5} for n in range(101)]

    assert len(wf.data("PUT", "TASK", json=updates[:100])) == 100
    error = wf.error("PUT", "TASK", json=updates)

    assert error["class"] == INVALID_PARAMETER and "101" in error["message"]


def test_non_atomic_edit_many_keeps_the_items_before_the_bad_one(wf: API) -> None:
    first, second, third = _ids(wf.emu, 3)
    updates = [
        {"ID": first, "name": "kept"},
        {"ID": second, "status": "BOGUS"},
        {"ID": third, "name": "never"},
    ]

    error = wf.error("PUT", "TASK", json=updates)

    assert "status" in error["message"]
    assert wf.get(f"TASK/{first}")["name"] == "kept"
    assert wf.get(f"TASK/{third}")["name"] != "never"
    assert wf.emu.stats["api_writes"]["edited"] == 1


def test_atomic_edit_many_is_all_or_nothing(wf: API) -> None:
    first, second = _ids(wf.emu, 2)
    updates = [{"ID": first, "name": "undone"}, {"ID": second, "nope": 1}]

    error = wf.error("PUT", "TASK", json=updates, params={"atomic": "true"})
    fine = wf.data("PUT", "TASK", json=updates[:1], params={"atomic": "true"})

    assert "'nope'" in error["message"]
    assert fine[0]["name"] == "undone"
    assert wf.emu.stats["api_writes"]["edited"] == 1


def test_edit_many_refusals(wf: API) -> None:
    no_id = wf.error("PUT", "TASK", json=[{"name": "who?"}])
    not_a_list = wf.error("PUT", "TASK", json={"name": "x"})
    bad_flag = wf.error("PUT", "TASK", json=[], params={"atomic": "yes"})

    assert "Item 1 of updates has no ID" in no_id["message"]
    assert "list" in not_a_list["message"]
    assert "atomic must be true or false" in bad_flag["message"]


# -- remove -----------------------------------------------------------------------------------


def test_remove_answers_success_and_the_object_is_gone(api: API) -> None:
    task_id = api.emu.dataset.tasks[0]["ID"]

    answer = api.data("DELETE", f"TASK/{task_id}")

    assert answer == {"success": True}
    assert api.error("GET", f"TASK/{task_id}", 404)["class"] == NOT_FOUND
    assert api.get("TASK/count")["count"] == 7
    assert api.error("DELETE", f"TASK/{task_id}", 404)["class"] == NOT_FOUND


def test_a_project_with_tasks_needs_force(wf: API) -> None:
    project_id = wf.emu.dataset.projects[0]["ID"]

    refused = wf.error("DELETE", f"PROJ/{project_id}")
    not_a_flag = wf.error("DELETE", f"PROJ/{project_id}", params={"force": "1"})
    forced = wf.data("DELETE", f"PROJ/{project_id}", params={"force": "true"})

    assert "force=true" in refused["message"] and "2 tasks" in refused["message"]
    assert "force must be true or false" in not_a_flag["message"]
    assert forced == {"success": True}
    assert wf.get("TASK/count", projectID=project_id)["count"] == 0
    assert wf.get("PROJ/count")["count"] == 3
    assert wf.emu.stats["api_writes"]["deleted"] == 1


def test_an_empty_project_goes_without_force(wf: API) -> None:
    project = wf.project()

    assert wf.data("DELETE", f"PROJ/{project['ID']}") == {"success": True}


def test_remove_needs_an_id(wf: API) -> None:
    assert "object ID" in wf.error("DELETE", "TASK")["message"]


# -- copy -------------------------------------------------------------------------------------


def test_copying_a_project_copies_its_tasks(api: API) -> None:
    source = api.emu.dataset.projects[0]

    copy = api.data(
        "POST",
        "PROJ",
        data={
            "copySourceID": source["ID"],
            "updates": as_json({"name": "The copy"}),
            "options": as_json(["clearAssignments", "clearDocuments"]),
            "fields": "referenceNumber",
        },
    )

    assert copy["ID"] != source["ID"] and copy["name"] == "The copy"
    assert copy["referenceNumber"] != source["referenceNumber"]
    tasks = api.get("TASK/search", projectID=copy["ID"], fields="taskNumber")
    assert [task["name"] for task in tasks] == [
        task["name"] for task in api.emu.dataset.tasks if task["projectID"] == source["ID"]
    ]
    assert api.get(f"PROJ/{source['ID']}")["name"] == source["name"]
    (record,) = api.emu.dataset.copies
    assert (record.objcode, record.source_id, record.copy_id) == ("PROJ", source["ID"], copy["ID"])
    assert record.options == ("clearAssignments", "clearDocuments")
    assert api.emu.stats["api_writes"]["copied"] == 1


def test_a_task_copy_joins_its_project(wf: API) -> None:
    source = wf.emu.dataset.tasks[0]

    copy = wf.data(
        "POST", "TASK", params={"copySourceID": source["ID"], "fields": "taskNumber,projectID"}
    )

    assert copy["name"] == source["name"] and copy["projectID"] == source["projectID"]
    assert copy["taskNumber"] == 3


def test_copy_refusals(wf: API) -> None:
    source_id = wf.emu.dataset.projects[0]["ID"]

    missing = wf.error("POST", "PROJ", 404, params={"copySourceID": "0" * 32})
    bad_options = wf.error("POST", "PROJ", params={"copySourceID": source_id, "options": "x"})
    not_strings = wf.error("POST", "PROJ", params={"copySourceID": source_id, "options": "[1]"})
    bad_update = wf.error(
        "POST", "PROJ", params={"copySourceID": source_id, "updates": as_json({"nope": 1})}
    )

    assert missing["class"] == NOT_FOUND
    assert "options must be a JSON list" in bad_options["message"]
    assert "options must be a JSON list" in not_strings["message"]
    assert "'nope'" in bad_update["message"]
    assert wf.get("PROJ/count")["count"] == 4


# -- method=, and GET with updates ------------------------------------------------------------


def test_method_overrides_every_verb(api: API) -> None:
    project = api.project()

    edited = api.data(
        "POST",
        f"PROJ/{project['ID']}",
        data={"method": "PUT", "updates": as_json({"name": "Via POST"})},
    )
    read = api.data("POST", f"PROJ/{project['ID']}", data={"method": "get"})
    deleted = api.data("POST", f"PROJ/{project['ID']}", data={"method": "DELETE"})
    # Workfront's SDK with alwaysUseGet sends writes as GETs that name their method.
    made = api.data("GET", "PROJ", params={"method": "POST", "updates": as_json({"name": "G"})})

    assert edited["name"] == "Via POST" and read["name"] == "Via POST"
    assert deleted == {"success": True}
    assert made["name"] == "G"
    assert "method must be one of" in api.error("POST", "PROJ", data={"method": "PATCH"})["message"]


def test_a_read_carrying_updates_is_refused(wf: API) -> None:
    # Workfront's SDK 6.2.0 builds batch uris of create, edit and remove with method=GET.
    task_id = wf.emu.dataset.tasks[0]["ID"]

    error = wf.error("GET", f"TASK/{task_id}", params={"updates": as_json({"name": "x"})})

    assert "updates has no meaning in a GET" in error["message"]
    assert wf.get(f"TASK/{task_id}")["name"] == wf.emu.dataset.tasks[0]["name"]


def test_post_to_an_object_path_is_not_an_operation(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]

    assert "is a PUT" in wf.error("POST", f"TASK/{task_id}", json={"name": "x"})["message"]


# -- state ------------------------------------------------------------------------------------


def test_created_ids_are_the_same_on_every_run() -> None:
    made = []
    for _ in range(2):
        with WorkfrontEmulator(projects=1, tasks_per_project=0) as emu:
            api = API(emu)
            project = api.project()
            made.append((project["ID"], api.task(project["ID"])["ID"], api.upload()))

    assert made[0] == made[1]
    assert len(set(made[0])) == 3


def test_writes_stay_in_their_emulator(small_emu: WorkfrontEmulator) -> None:
    API(small_emu).project("Only here")

    with WorkfrontEmulator(projects=4, tasks_per_project=2) as other:
        assert API(other).get("PROJ/count")["count"] == 4
    assert API(small_emu).get("PROJ/count")["count"] == 5
    assert small_emu.dataset.projects[-1]["name"] == "Only here"
    assert json.dumps(small_emu.dataset.by_id[small_emu.dataset.projects[-1]["ID"]])


_SEEN: list[WorkfrontEmulator] = []


class TestThePytestFixtureStartsClean:
    """``workfront_emulator`` is function-scoped: each test writes to an emulator of its own."""

    def test_a_write(self, workfront_emulator: WorkfrontEmulator) -> None:
        _SEEN.append(workfront_emulator)
        API(workfront_emulator).project("Left behind")

        assert len(workfront_emulator.dataset.projects) == 2501

    def test_the_next_test_does_not_see_it(self, workfront_emulator: WorkfrontEmulator) -> None:
        assert all(seen is not workfront_emulator and not seen.running for seen in _SEEN)
        assert API(workfront_emulator).get("PROJ/count")["count"] == 2500
        assert workfront_emulator.stats["api_writes"]["created"] == 0
