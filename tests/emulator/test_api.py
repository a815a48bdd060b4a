"""The REST API subset: authentication, sessions, search, paging, count, get, logout."""

from __future__ import annotations

import re

import pytest
import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import api_get, refresh

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d:\d{3}[+-]\d{4}$")
NOT_LOGGED_IN = {
    "error": {
        "class": "com.attask.common.AuthenticationException",
        "message": "You are not currently logged in.",
    }
}


@pytest.fixture
def sid(tokens: dict[str, str]) -> str:
    return tokens["access_token"]


def test_the_current_user(emu: WorkfrontEmulator, sid: str) -> None:
    response = api_get(emu, "USER/search", sid, ID="$$USER.ID", fields="ID,name,emailAddr")

    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "ID": emu.user().id,
                "name": "Wendy Frontier",
                "objCode": "USER",
                "emailAddr": "wfuser@acme.example.com",
            }
        ]
    }
    assert re.fullmatch(r"[0-9a-f]{32}", emu.user().id)


def test_each_session_sees_its_own_user(emu: WorkfrontEmulator) -> None:
    emu.add_user("bob", "bob-pw", name="Bob Builder")
    bob = emu.issue_tokens("bob")["access_token"]

    data = api_get(emu, "user/search", bob, ID="$$USER.ID").json()["data"]

    assert [row["name"] for row in data] == ["Bob Builder"]


@pytest.mark.parametrize("version", ["v21.0", "v22.0", "v14.0"])
def test_any_version_segment(emu: WorkfrontEmulator, sid: str, version: str) -> None:
    assert api_get(emu, "PROJ/count", sid, version=version).status_code == 200


def test_only_the_sessionid_header_authenticates(emu: WorkfrontEmulator, sid: str) -> None:
    url = f"{emu.api_url()}/PROJ/search"

    in_query = requests.get(url, params={"sessionID": sid}, timeout=5)
    missing = requests.get(url, timeout=5)
    wrong = requests.get(url, headers={"SessionID": "0" * 32}, timeout=5)
    bearer = requests.get(url, headers={"Authorization": f"Bearer {sid}"}, timeout=5)
    lower_case_header = requests.get(url, headers={"sessionid": sid}, timeout=5)

    for response in (in_query, missing, wrong):
        assert response.status_code == 401
        assert response.json() == NOT_LOGGED_IN
    # A Bearer token is Adobe IMS's way in: the gateway wants its API key before anything else.
    assert bearer.status_code == 403
    assert bearer.json()["error_code"] == "403003"
    assert lower_case_header.status_code == 200
    assert emu.stats["unauthenticated_api_calls"] == 4


def test_sessions_idle_out_after_eight_hours(emu: WorkfrontEmulator, sid: str) -> None:
    emu.advance(8 * 3600 - 1)
    assert api_get(emu, "PROJ/count", sid).status_code == 200
    # That call extended the session.
    emu.advance(8 * 3600 - 1)
    assert api_get(emu, "PROJ/count", sid).status_code == 200

    emu.advance(8 * 3600)

    assert api_get(emu, "PROJ/count", sid).json() == NOT_LOGGED_IN


def test_the_idle_timeout_is_configurable() -> None:
    with WorkfrontEmulator(session_idle_timeout=60) as emu:
        sid = emu.issue_tokens()["access_token"]
        emu.advance(60)
        assert api_get(emu, "PROJ/count", sid).status_code == 401


def test_expire_sessions_on_demand_leaves_refresh_working(
    emu: WorkfrontEmulator, tokens: dict[str, str]
) -> None:
    emu.add_user("bob", "bob-pw")
    bob = emu.issue_tokens("bob")["access_token"]

    assert emu.expire_sessions("wfuser") == 1

    assert api_get(emu, "PROJ/count", tokens["access_token"]).status_code == 401
    assert api_get(emu, "PROJ/count", bob).status_code == 200
    fresh = refresh(emu, tokens["refresh_token"]).json()["access_token"]
    assert api_get(emu, "PROJ/count", fresh).status_code == 200

    assert emu.expire_sessions() == 2
    assert api_get(emu, "PROJ/count", bob).status_code == 401
    assert emu.active_sessions() == []


def test_logout_ends_the_session(emu: WorkfrontEmulator, tokens: dict[str, str]) -> None:
    sid = tokens["access_token"]

    response = api_get(emu, "logout", sid)

    assert response.json() == {"data": {"success": True}}
    assert api_get(emu, "PROJ/count", sid).status_code == 401
    assert api_get(emu, "logout", sid).status_code == 401
    assert emu.stats["logouts"] == 1
    # Logging out ends a session, not the grant.
    assert refresh(emu, tokens["refresh_token"]).status_code == 200


def test_default_page_is_100_rows_sorted_as_asked(emu: WorkfrontEmulator, sid: str) -> None:
    rows = api_get(emu, "PROJ/search", sid, ID_Sort="asc").json()["data"]

    assert len(rows) == 100
    assert [row["ID"] for row in rows] == sorted(row["ID"] for row in rows)
    assert set(rows[0]) == {
        "ID",
        "name",
        "objCode",
        "percentComplete",
        "plannedCompletionDate",
        "plannedStartDate",
        "priority",
        "projectedCompletionDate",
        "status",
    }
    assert DATE.match(rows[0]["plannedStartDate"])


def test_id_sort_desc(emu: WorkfrontEmulator, sid: str) -> None:
    rows = api_get(emu, "PROJ/search", sid, ID_Sort="desc", **{"$$LIMIT": 50}).json()["data"]

    assert [row["ID"] for row in rows] == sorted((row["ID"] for row in rows), reverse=True)


def test_limit_2000_is_allowed_2001_is_an_error(emu: WorkfrontEmulator, sid: str) -> None:
    ok = api_get(emu, "PROJ/search", sid, **{"$$LIMIT": 2000})
    too_many = api_get(emu, "PROJ/search", sid, **{"$$LIMIT": 2001})

    assert len(ok.json()["data"]) == 2000
    assert too_many.status_code == 400
    assert too_many.json()["error"]["class"] == "com.attask.common.InvalidParameterException"
    assert "2000" in too_many.json()["error"]["message"]


@pytest.mark.parametrize("params", [{"$$LIMIT": "0"}, {"$$LIMIT": "x"}, {"$$FIRST": "-1"}])
def test_bad_paging_values(emu: WorkfrontEmulator, sid: str, params: dict[str, str]) -> None:
    assert "error" in api_get(emu, "PROJ/search", sid, **params).json()


def test_sorted_pages_cover_every_project_once(emu: WorkfrontEmulator, sid: str) -> None:
    total = api_get(emu, "PROJ/count", sid).json()["data"]["count"]
    seen: list[str] = []
    first = 0
    while True:
        page = api_get(
            emu,
            "PROJ/search",
            sid,
            ID_Sort="asc",
            fields="ID",
            **{"$$FIRST": first, "$$LIMIT": 2000},
        ).json()["data"]
        if not page:
            break
        seen.extend(row["ID"] for row in page)
        first += len(page)

    assert total == 2500
    assert len(seen) == len(set(seen)) == total


def test_filters_and_count(emu: WorkfrontEmulator, sid: str) -> None:
    current = api_get(emu, "PROJ/count", sid, status="CUR").json()["data"]["count"]
    rows = api_get(emu, "PROJ/search", sid, status="CUR", **{"$$LIMIT": 2000}).json()["data"]

    assert 0 < current < 2500
    assert len(rows) == current
    assert {row["status"] for row in rows} == {"CUR"}


def test_filter_by_name_and_modifiers(emu: WorkfrontEmulator, sid: str) -> None:
    name = api_get(emu, "PROJ/search", sid, ID_Sort="asc").json()["data"][0]["name"]

    exact = api_get(emu, "PROJ/search", sid, name=name).json()["data"]
    contains = api_get(emu, "PROJ/count", sid, name="0001", name_Mod="contains").json()
    in_list = api_get(emu, "PROJ/count", sid, status=["CUR", "PLN"], status_Mod="in").json()[
        "data"
    ]["count"]
    cur = api_get(emu, "PROJ/count", sid, status="CUR").json()["data"]["count"]
    pln = api_get(emu, "PROJ/count", sid, status="PLN").json()["data"]["count"]
    not_cur = api_get(emu, "PROJ/count", sid, status="CUR", status_Mod="ne").json()["data"]["count"]

    assert [row["name"] for row in exact] == [name]
    assert contains["data"]["count"] >= 1
    assert in_list == cur + pln
    assert not_cur == 2500 - cur


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "cur", "status_Mod": "cieq"}, "CUR"),
        ({"status": ["CUR", "PLN", "CPL", "ONH"], "status_Mod": "notin"}, "DED"),
        ({"name": "brand campaign 0001", "name_Mod": "cicontains"}, "CUR"),
    ],
)
def test_more_modifiers(
    emu: WorkfrontEmulator, sid: str, params: dict[str, object], expected: str
) -> None:
    rows = api_get(emu, "PROJ/search", sid, **params).json()["data"]

    assert rows
    assert {row["status"] for row in rows} == {expected}


def test_an_unsupported_modifier_is_an_error(emu: WorkfrontEmulator, sid: str) -> None:
    body = api_get(emu, "PROJ/search", sid, status="CUR", status_Mod="between").json()

    assert "modifier" in body["error"]["message"]


def test_boolean_fields_filter_as_true_and_false(emu: WorkfrontEmulator, sid: str) -> None:
    # The default user and the Server-to-Server credential's technical account.
    assert len(api_get(emu, "USER/search", sid, isActive="true").json()["data"]) == 2
    assert api_get(emu, "USER/search", sid, isActive="false").json()["data"] == []


def test_case_insensitive_sort(emu: WorkfrontEmulator, sid: str) -> None:
    emu.add_user("amy", "pw", name="amy Adams")
    emu.add_user("bea", "pw", name="Bea Brown")

    asc = api_get(emu, "USER/search", sid, name_Sort="ciasc").json()["data"]
    plain = api_get(emu, "USER/search", sid, name_Sort="asc").json()["data"]

    people = ["amy Adams", "Bea Brown", "Technical Account", "Wendy Frontier"]
    assert [row["name"] for row in asc] == people
    assert [row["name"] for row in plain] == [*people[1:], "amy Adams"]


def test_filter_by_owner_is_the_current_user(emu: WorkfrontEmulator, sid: str) -> None:
    mine = api_get(emu, "PROJ/count", sid, ownerID="$$USER.ID").json()["data"]["count"]

    assert mine == 2500  # one seeded user owns every project


def test_fields_add_to_the_defaults_and_star_gives_all(emu: WorkfrontEmulator, sid: str) -> None:
    some = api_get(emu, "PROJ/search", sid, fields="ownerID,description").json()["data"][0]
    everything = api_get(emu, "PROJ/search", sid, fields="*").json()["data"][0]

    assert {"ID", "name", "status", "ownerID", "description"} <= set(some)
    assert "referenceNumber" not in some
    assert "referenceNumber" in everything


def test_unknown_fields_filters_and_sorts_are_errors(emu: WorkfrontEmulator, sid: str) -> None:
    for params in ({"fields": "nope"}, {"nope": "1"}, {"nope_Sort": "asc"}, {"ID_Sort": "up"}):
        body = api_get(emu, "PROJ/search", sid, **params).json()
        assert body["error"]["class"] == "com.attask.common.InvalidParameterException"


def test_get_by_id(emu: WorkfrontEmulator, sid: str) -> None:
    row = api_get(emu, "PROJ/search", sid, **{"$$LIMIT": 1}).json()["data"][0]

    by_path = api_get(emu, f"project/{row['ID']}", sid, fields="ownerID").json()["data"]
    by_param = api_get(emu, "proj", sid, id=row["ID"]).json()["data"]
    missing = api_get(emu, f"PROJ/{'0' * 32}", sid)

    assert by_path["ID"] == by_param["ID"] == row["ID"]
    assert by_path["ownerID"] == emu.user().id
    assert missing.status_code == 404
    assert missing.json()["error"]["class"] == "com.attask.common.NotFoundException"


def test_a_task_id_is_not_a_project(emu: WorkfrontEmulator, sid: str) -> None:
    task = api_get(emu, "TASK/search", sid, **{"$$LIMIT": 1}).json()["data"][0]

    assert api_get(emu, f"PROJ/{task['ID']}", sid).status_code == 404
    assert api_get(emu, f"task/{task['ID']}", sid).json()["data"]["objCode"] == "TASK"


@pytest.mark.parametrize(
    ("objcode", "canonical"),
    [
        ("proj", "PROJ"),
        ("PROJ", "PROJ"),
        ("project", "PROJ"),
        ("Project", "PROJ"),
        ("task", "TASK"),
        ("TASK", "TASK"),
        ("user", "USER"),
    ],
)
def test_objcodes_are_case_insensitive(
    emu: WorkfrontEmulator, sid: str, objcode: str, canonical: str
) -> None:
    rows = api_get(emu, f"{objcode}/search", sid, **{"$$LIMIT": 3}).json()["data"]

    assert rows
    assert {row["objCode"] for row in rows} == {canonical}
    assert emu.stats["api_calls_by_objcode"] == {canonical: 1}


def test_tasks_belong_to_projects(emu: WorkfrontEmulator, sid: str) -> None:
    project = api_get(emu, "PROJ/search", sid, ID_Sort="asc", **{"$$LIMIT": 1}).json()["data"][0]

    tasks = api_get(emu, "TASK/search", sid, projectID=project["ID"], fields="projectID").json()

    assert len(tasks["data"]) == 2
    assert api_get(emu, "TASK/count", sid).json()["data"]["count"] == 5000


def test_post_with_method_get_carries_the_query_in_the_body(
    emu: WorkfrontEmulator, sid: str
) -> None:
    response = requests.post(
        f"{emu.api_url()}/PROJ/search",
        data={"method": "GET", "status": "CUR", "ID_Sort": "asc", "$$LIMIT": "5", "fields": "ID"},
        headers={"SessionID": sid},
        timeout=5,
    )

    rows = response.json()["data"]
    assert len(rows) == 5
    assert {row["status"] for row in rows} == {"CUR"}


def test_writes_need_updates_and_an_existing_object(emu: WorkfrontEmulator, sid: str) -> None:
    # Writes are emulated (test_api_writes.py); these are the refusals of malformed ones.
    url = f"{emu.api_url()}/PROJ/{'0' * 32}"
    put = requests.put(url, headers={"SessionID": sid}, timeout=5)
    delete = requests.delete(url, headers={"SessionID": sid}, timeout=5)
    post = requests.post(url, headers={"SessionID": sid}, timeout=5)

    assert put.status_code == post.status_code == 400
    assert "updates" in put.json()["error"]["message"]
    assert delete.status_code == 404
    assert delete.json()["error"]["class"] == "com.attask.common.NotFoundException"


@pytest.mark.parametrize("path", ["NOPE/search", "PROJ", "PROJ/search/extra"])
def test_unknown_objcodes_and_actions(emu: WorkfrontEmulator, sid: str, path: str) -> None:
    response = api_get(emu, path, sid)

    assert response.status_code == 400
    assert response.json()["error"]["class"] == "com.attask.common.InvalidParameterException"


def test_project_count_and_tasks_are_configurable() -> None:
    with WorkfrontEmulator(projects=7, tasks_per_project=0) as emu:
        sid = emu.issue_tokens()["access_token"]
        assert api_get(emu, "PROJ/count", sid).json()["data"]["count"] == 7
        assert api_get(emu, "TASK/count", sid).json()["data"]["count"] == 0


def test_seeded_data_is_deterministic(emu: WorkfrontEmulator, sid: str) -> None:
    with WorkfrontEmulator() as other:
        other_sid = other.issue_tokens()["access_token"]
        theirs = api_get(other, "PROJ/search", other_sid, ID_Sort="asc").json()
    ours = api_get(emu, "PROJ/search", sid, ID_Sort="asc").json()

    assert ours == theirs


def test_api_calls_are_counted(emu: WorkfrontEmulator, sid: str) -> None:
    api_get(emu, "PROJ/search", sid)
    api_get(emu, "project/count", sid)
    api_get(emu, "TASK/search", sid)
    api_get(emu, "logout", sid)

    stats = emu.stats
    assert stats["api_calls"] == 4
    assert stats["api_calls_by_objcode"] == {"PROJ": 2, "TASK": 1}
    assert stats["logouts"] == 1
