"""Reports (``<obj>/report``) and metadata (``/metadata``, ``<obj>/metadata``)."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from tests.emulator.api_client import API, INVALID_PARAMETER

# -- report -----------------------------------------------------------------------------------


def test_group_by_with_a_sum_and_the_rollup(api: API) -> None:
    tasks = api.emu.dataset.tasks
    sums: Counter[str] = Counter()
    for task in tasks:
        sums[task["status"]] += task["workRequired"]

    report = api.get(
        "TASK/report", status_GroupBy="true", workRequired_AggFunc="sum", **{"$$ROLLUP": "true"}
    )

    expected = {
        status: {"status": status, "sum_workRequired": total} for status, total in sums.items()
    }
    assert report == {**expected, "$$ROLLUP": {"sum_workRequired": sum(sums.values())}}
    assert list(report)[:-1] == sorted(sums)


def test_without_an_aggregate_each_group_counts_its_ids(api: API) -> None:
    # Workfront's own answer (its SDK's fixture): {"CPL": {"dcount_ID": 1, "status": "CPL"}, …}
    report = api.get("PROJ/report", status_GroupBy="true")
    counts = Counter(project["status"] for project in api.emu.dataset.projects)

    assert report == {key: {"status": key, "dcount_ID": n} for key, n in counts.items()}
    assert "$$ROLLUP" not in report


def test_filters_apply_and_no_group_gives_the_aggregates_alone(wf: API) -> None:
    project_id = wf.emu.dataset.projects[0]["ID"]
    mine = [task for task in wf.emu.dataset.tasks if task["projectID"] == project_id]

    report = wf.get(
        "TASK/report",
        projectID=project_id,
        workRequired_AggFunc=["sum", "avg", "min", "max", "count"],
        priority_AggFunc="dcount",
    )
    plain = wf.get("TASK/report")

    work = [task["workRequired"] for task in mine]
    assert report == {
        "sum_workRequired": sum(work),
        "avg_workRequired": sum(work) / len(work),
        "min_workRequired": min(work),
        "max_workRequired": max(work),
        "count_workRequired": len(work),
        "dcount_priority": len({task["priority"] for task in mine}),
    }
    assert plain == {"dcount_ID": 8}


def test_groupings_nest_in_their_order(wf: API) -> None:
    project_id = wf.emu.dataset.projects[0]["ID"]

    report = wf.get(
        "TASK/report",
        status_2_GroupBy="true",
        projectID_1_GroupBy="true",
        workRequired_AggFunc="sum",
    )

    group = report[project_id]
    mine = [task for task in wf.emu.dataset.tasks if task["projectID"] == project_id]
    assert group["projectID"] == project_id
    assert group["sum_workRequired"] == sum(task["workRequired"] for task in mine)
    for task in mine:
        assert group[task["status"]]["status"] == task["status"]
    assert len(report) == 4


def test_a_report_sees_the_writes(wf: API) -> None:
    project = wf.project()
    wf.task(project["ID"], workRequired=30)
    done = wf.task(project["ID"], workRequired=45)
    wf.data("PUT", f"TASK/{done['ID']}/markDone")

    report = wf.get(
        "TASK/report", projectID=project["ID"], status_GroupBy="true", workRequired_AggFunc="sum"
    )

    assert report == {
        "CPL": {"status": "CPL", "sum_workRequired": 45},
        "NEW": {"status": "NEW", "sum_workRequired": 30},
    }


def test_a_long_report_is_posted_with_method_get(wf: API) -> None:
    body = {"method": "GET", "status_GroupBy": "true", "$$ROLLUP": "true"}

    report = wf.data("POST", "PROJ/report", data=body)

    assert report["$$ROLLUP"] == {"dcount_ID": 4}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"nope_GroupBy": "true"}, "'nope' is not a valid field"),
        ({"status_GroupBy": "yes"}, "must be true or false"),
        ({"workRequired_AggFunc": "median"}, "'median' is not an aggregate function"),
        ({"name_AggFunc": "sum"}, "sum needs a number field"),
        ({"$$ROLLUP": "maybe"}, "$$ROLLUP must be true or false"),
        ({"nope": "1"}, "'nope' is not a valid field"),
    ],
)
def test_report_refusals(wf: API, params: dict[str, str], words: str) -> None:
    error = wf.error("GET", "TASK/report", params=params)

    assert error["class"] == INVALID_PARAMETER
    assert words in error["message"]


# -- metadata ---------------------------------------------------------------------------------


def test_the_objects_the_api_knows(api: API) -> None:
    objects = api.get("metadata")["objects"]

    assert set(objects) == {"PROJ", "TASK", "OPTASK", "DOCU", "USER", "WORK", "CSTEM"}
    assert objects["OPTASK"]["name"] == "Issue"
    assert objects["PROJ"] == {
        "objCode": "PROJ",
        "name": "Project",
        "label": "Project",
        "url": f"{api.emu.api_url()}/proj/metadata",
    }


def test_an_objects_metadata(api: API) -> None:
    task = api.get("task/metadata")

    assert (task["objCode"], task["name"]) == ("TASK", "Task")
    assert set(task) == {
        "objCode",
        "name",
        "label",
        "url",
        "fields",
        "references",
        "collections",
        "search",
        "actions",
        "queries",
        "operations",
    }
    assert task["fields"]["plannedStartDate"]["fieldType"] == "dateTime"
    assert task["fields"]["plannedStartDate"]["label"] == "Planned Start Date"
    assert task["fields"]["workRequired"]["fieldType"] == "double"
    assert task["fields"]["taskNumber"]["flags"] == ["READ_ONLY"]
    assert [value["value"] for value in task["fields"]["status"]["possibleValues"]] == [
        "NEW",
        "INP",
        "CPL",
    ]
    assert task["references"]["project"]["typeObjCode"] == "PROJ"
    assert task["references"]["assignedTo"]["url"] == f"{api.emu.api_url()}/user/metadata"
    assert task["actions"]["markDone"] == {
        "label": "markDone",
        "arguments": [{"name": "userID", "type": "string"}],
    }
    assert "copy" in task["operations"] and "edit" in task["operations"]


def test_metadata_lists_collections_queries_and_read_only_objects(wf: API) -> None:
    project = wf.get("PROJ/metadata")
    work = wf.get("WORK/metadata")
    user = wf.get("USER/metadata")

    assert set(project["collections"]) == {"tasks", "issues", "documents"}
    assert project["collections"]["tasks"]["typeObjCode"] == "TASK"
    assert work["queries"] == {"myWork": {"label": "myWork"}}
    assert work["operations"] == ["namedQuery"]
    assert "edit" not in user["operations"]


def test_fields_picks_sections_of_metadata(wf: API) -> None:
    some = wf.get("PROJ/metadata", fields="fields,actions")
    error = wf.error("GET", "PROJ/metadata", params={"fields": "recipes"})

    assert set(some) == {"objCode", "name", "label", "url", "fields", "actions"}
    assert "'recipes' is not a section of metadata" in error["message"]


def test_metadata_is_read_only(wf: API) -> None:
    response = requests.put(
        f"{wf.emu.api_url()}/metadata", headers=wf.headers, timeout=5, json={"name": "x"}
    )

    assert response.status_code == 400
