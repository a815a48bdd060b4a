"""Actions (``execute``) and named queries of the REST API."""

from __future__ import annotations

import pytest

from tests.emulator.api_client import API, INVALID_PARAMETER, NOT_FOUND, as_json

# -- execute ----------------------------------------------------------------------------------


def test_mark_done_the_way_the_sdk_sends_it(api: API) -> None:
    task_id = api.emu.dataset.tasks[0]["ID"]

    # POST /<obj>/<id>/<action> with method=PUT in a form body, arguments beside it.
    answer = api.data(
        "POST", f"TASK/{task_id}/markDone", data={"method": "PUT", "userID": api.emu.user().id}
    )

    assert answer == {"result": None}
    done = api.get(f"TASK/{task_id}")
    assert (done["status"], done["percentComplete"]) == ("CPL", 100)
    assert api.emu.stats["api_writes"]["executed"] == 1


def test_mark_not_done_and_issues(wf: API) -> None:
    project = wf.project()
    issue = wf.create("OPTASK", {"name": "Bug", "projectID": project["ID"]})
    task_id = wf.emu.dataset.tasks[0]["ID"]

    wf.data("PUT", f"OPTASK/{issue['ID']}/markDone")
    wf.data("PUT", f"TASK/{task_id}/markDone")
    wf.data("PUT", f"TASK/{task_id}/markNotDone")

    assert wf.get(f"OPTASK/{issue['ID']}")["status"] == "CLS"
    undone = wf.get(f"TASK/{task_id}")
    assert (undone["status"], undone["percentComplete"]) == ("INP", 0)


def test_an_action_by_name_without_an_id_in_the_path(wf: API) -> None:
    first, second = (row["ID"] for row in wf.emu.dataset.tasks[:2])

    answer = wf.data("PUT", "TASK", params={"action": "markDone", "ID": f"{first},{second}"})
    sdk_style = wf.data(
        "POST", "TASK", data={"method": "PUT", "action": "markNotDone", "id": first}
    )

    assert answer == sdk_style == {"result": None}
    assert wf.get(f"TASK/{second}")["status"] == "CPL"
    assert wf.get(f"TASK/{first}")["status"] == "INP"
    assert wf.emu.stats["api_writes"]["executed"] == 3


def test_assign_multiple_takes_repeated_or_json_user_ids(wf: API) -> None:
    bob = wf.emu.add_user("bob", "pw")
    task_id = wf.emu.dataset.tasks[0]["ID"]

    wf.data("PUT", f"TASK/{task_id}/assignMultiple", data=[("userIDs", bob.id)])
    first = wf.get(f"TASK/{task_id}", fields="assignedToID")["assignedToID"]
    wf.data("PUT", f"TASK/{task_id}/assignMultiple", data={"userIDs": as_json([wf.emu.user().id])})
    second = wf.get(f"TASK/{task_id}", fields="assignedToID")["assignedToID"]
    unknown = wf.error("PUT", f"TASK/{task_id}/assignMultiple", data={"userIDs": "f" * 32})
    none = wf.error("PUT", f"TASK/{task_id}/assignMultiple")

    assert (first, second) == (bob.id, wf.emu.user().id)
    assert "there is no USER" in unknown["message"]
    assert "needs userIDs" in none["message"]


def test_move_to_project_checks_the_project(wf: API) -> None:
    target = wf.project("Target")
    task_id = wf.emu.dataset.tasks[0]["ID"]

    wf.data("PUT", f"TASK/{task_id}/moveToProject", data={"projectID": target["ID"]})
    refused = wf.error("PUT", f"TASK/{task_id}/moveToProject", data={"projectID": "f" * 32})

    assert wf.get(f"TASK/{task_id}", fields="projectID")["projectID"] == target["ID"]
    assert "there is no PROJ" in refused["message"]


def test_calculate_timeline_follows_the_latest_task(wf: API) -> None:
    project = wf.project(plannedCompletionDate="2025-01-10")
    wf.task(project["ID"], plannedCompletionDate="2025-06-30T17:00:00:000-0600")

    answer = wf.data("PUT", f"PROJ/{project['ID']}/calculateTimeline")

    assert answer == {"result": None}
    assert wf.get(f"PROJ/{project['ID']}")["projectedCompletionDate"] == (
        "2025-06-30T17:00:00:000-0600"
    )


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("TASK/{task}/fly", {}, 400, "'fly' is not an action of TASK"),
        ("PROJ/{project}/markDone", {}, 400, "not an action of PROJ"),
        ("TASK/{task}/markDone", {"bogus": "1"}, 400, "markDone takes no argument 'bogus'"),
        ("TASK/{missing}/markDone", {}, 404, "does not exist"),
        ("TASK", {"action": "markDone"}, 400, "needs the ID of an object"),
        ("TASK/{task}/markDone", {"updates": "{}"}, 400, "updates has no meaning"),
    ],
)
def test_execute_refusals(
    wf: API, path: str, params: dict[str, str], status: int, words: str
) -> None:
    ids = {
        "task": wf.emu.dataset.tasks[0]["ID"],
        "project": wf.emu.dataset.projects[0]["ID"],
        "missing": "0" * 32,
    }

    error = wf.error("PUT", path.format(**ids), status, params=params)

    assert words in error["message"]
    assert error["class"] == (NOT_FOUND if status == 404 else INVALID_PARAMETER)
    assert wf.emu.stats["api_writes"]["executed"] == 0


def test_an_action_is_a_put_not_a_post(wf: API) -> None:
    task_id = wf.emu.dataset.tasks[0]["ID"]

    on_path = wf.error("POST", f"TASK/{task_id}/markDone")
    by_name = wf.error("POST", "TASK", data={"action": "markDone", "ID": task_id})
    read = wf.error("GET", f"TASK/{task_id}/markDone")

    assert "is a PUT" in on_path["message"] and "is a PUT" in by_name["message"]
    assert read["class"] == INVALID_PARAMETER
    assert wf.get(f"TASK/{task_id}")["status"] != "CPL"


# -- named queries ----------------------------------------------------------------------------


def test_my_work_is_my_open_tasks_and_issues(api: API) -> None:
    emu = api.emu
    me = emu.user().id
    bob = emu.add_user("bob", "pw")
    project = api.project()
    mine = api.task(project["ID"], "Mine", assignedToID=me)
    api.task(project["ID"], "Bob's", assignedToID=bob.id)
    done = api.task(project["ID"], "Done", assignedToID=me)
    api.data("PUT", f"TASK/{done['ID']}/markDone")
    issue = api.create("OPTASK", {"name": "Issue", "projectID": project["ID"], "assignedToID": me})

    rows = api.get("work/myWork", fields="assignedToID", **{"$$LIMIT": 2000})

    seeded = [
        row["ID"]
        for row in emu.dataset.tasks[:8]
        if row["assignedToID"] == me and row["status"] != "CPL"
    ]
    assert [row["ID"] for row in rows] == [*seeded, mine["ID"], issue["ID"]]
    assert {row["objCode"] for row in rows} == {"TASK", "OPTASK"}
    assert {row["assignedToID"] for row in rows} == {me}
    assert api.get("WORK/myWork", **{"$$LIMIT": 1}) == [
        {key: value for key, value in rows[0].items() if key != "assignedToID"}
    ]


def test_another_user_has_no_work(wf: API) -> None:
    wf.emu.add_user("bob", "pw")
    bob = API(wf.emu)
    bob.headers = {"SessionID": wf.emu.issue_tokens("bob")["access_token"]}

    assert bob.get("WORK/myWork") == []


def test_status_enumerations(wf: API) -> None:
    projects = wf.get("CSTEM/projectStatuses")
    tasks = wf.get("cstem/taskStatuses")
    issues = wf.get("CSTEM/opTaskStatuses")

    assert [row["value"] for row in projects][:5] == ["CUR", "PLN", "CPL", "ONH", "DED"]
    assert projects[0] == {
        "color": "007100",
        "equatesWith": "CUR",
        "label": "Current",
        "objCode": "CSTEM",
        "value": "CUR",
    }
    assert [row["value"] for row in tasks] == ["NEW", "INP", "CPL"]
    assert [row["value"] for row in issues] == ["NEW", "INP", "CLS"]


def test_named_query_refusals(wf: API) -> None:
    unknown = wf.error("GET", "WORK/theirWork")
    bare = wf.error("GET", "WORK")
    search = wf.error("GET", "WORK/search")
    argument = wf.error("GET", "WORK/myWork", params={"status": "NEW"})
    # On an objCode with IDs, an unknown name is an ID that does not exist.
    not_an_id = wf.error("GET", "PROJ/myProjects", 404)

    assert "WORK answers only its named queries: myWork" in unknown["message"]
    assert bare["class"] == search["class"] == INVALID_PARAMETER
    assert "myWork takes no argument 'status'" in argument["message"]
    assert not_an_id["class"] == NOT_FOUND
    assert "cannot be" in wf.error("POST", "WORK", json={"name": "x"})["message"]
