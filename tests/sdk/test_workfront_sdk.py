"""Workfront's own SDK, npm ``workfront-api`` 6.2.0, runs every one of its operations against the
emulator.

``run_sdk.js`` (beside this file) drives the SDK: create a project and tasks, edit, editMultiple,
get one and many, search (GET and POST) and count, copy, execute ``markDone``, the ``work/myWork``
named query, a report with a GroupBy and an AggFunc, metadata of PROJ and of everything, upload a
file and create a DOCU with its handle, batch (non-atomic and atomic), remove with force and
logout. It prints one JSON line per operation. Each test below is one operation: the SDK call
succeeded, and the emulator's state, read back over HTTP with a second session after the run,
shows its effect.

The SDK is installed with ``npm ci`` from ``package.json`` and ``package-lock.json`` into a cache
outside the source tree (``$WORKFRONT_SDK_CACHE``, else ``$XDG_CACHE_HOME`` or ``~/.cache``, under
``django-workfront-oauth/workfront-sdk/<hash of the lock>``), once; later runs reuse it. To run the
script by hand: ``npm ci`` in this folder (``node_modules/`` is gitignored), start an emulator in
Python (``emu = WorkfrontEmulator().start()``) and run ``node run_sdk.js <emu.base_url>
<emu.issue_tokens()["access_token"]>``.

Two things of SDK 6.2.0 shape the script: ``Api.uploadFileContent`` posts an empty form on any
runtime (``request()`` copies its ``FormData`` into a plain object before testing ``instanceof
FormData``), so the upload is ``NodeApi.uploadFromStream``, sent with node-fetch, the SDK's own
Node transport (Node's built-in fetch cannot send a ``form-data`` stream); and the batch API marks
every uri it generates ``method=GET`` unless the parameters name a method, so the batched writes
are ``batch.request(path, {method, updates})`` uris.

Without ``node`` or ``npm`` (Debian's ``nodejs`` and ``npm``, which ``.ci/run`` installs), or when
the install fails, these tests skip, saying why, or fail when ``CI`` is set: a CI run must not pass
by skipping them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from tests import npm_packages

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "run_sdk.js"
RUN_TIMEOUT = 120
API_VERSION = "21.0"
#: What run_sdk.js uploads.
UPLOADED = b"A note the Workfront SDK uploaded.\n"

# The operations run_sdk.js runs, in its order.
OPERATIONS = [
    "search-current-user",
    "create-project",
    "create-tasks",
    "edit",
    "edit-multiple",
    "get-one",
    "get-many",
    "search",
    "search-post",
    "count",
    "copy",
    "execute",
    "named-query",
    "report",
    "metadata-proj",
    "metadata-all",
    "upload",
    "create-document",
    "batch",
    "batch-atomic",
    "remove",
    "logout",
]


def unavailable(reason: str) -> None:
    """Skip, or fail when ``CI`` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the SDK tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


# -- the SDK, installed once into a cache (tests/npm_packages.py) ----------------------------


def cache_root() -> Path:
    return npm_packages.cache_root("workfront-sdk", "WORKFRONT_SDK_CACHE")


@pytest.fixture(scope="session")
def sdk_modules() -> Path:
    """The ``node_modules`` folder holding ``workfront-api`` and its dependencies."""
    if shutil.which("node") is None:
        unavailable("`node` is not installed (Debian: apt-get install nodejs npm)")
    try:
        return npm_packages.install(HERE, cache_root(), "the Workfront SDK")
    except npm_packages.NpmUnavailable as err:
        unavailable(str(err))
        raise  # unreachable: unavailable() skips or fails


# -- one run of the SDK against a fresh emulator -----------------------------------------------


@dataclass
class Run:
    emulator: WorkfrontEmulator
    session_id: str
    returncode: int
    stdout: str
    stderr: str
    lines: dict[str, dict[str, Any]]

    def line(self, op: str) -> dict[str, Any]:
        """The operation's line, asserted to be a success; its ``result``."""
        assert op in self.lines, f"run_sdk.js printed no line for {op!r}:\n{self.output()}"
        line = self.lines[op]
        assert line["ok"], f"the SDK's {op} failed:\n{json.dumps(line, indent=2)}"
        return line

    def result(self, op: str) -> Any:
        return self.line(op)["result"]

    def output(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


@pytest.fixture(scope="module")
def emulator() -> Iterator[WorkfrontEmulator]:
    with WorkfrontEmulator(projects=3) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sdk_run(sdk_modules: Path, emulator: WorkfrontEmulator) -> Run:
    session_id = emulator.issue_tokens()["access_token"]
    env = {
        **os.environ,
        "NODE_PATH": str(sdk_modules),
        "WORKFRONT_API_VERSION": API_VERSION,
    }
    try:
        done = subprocess.run(
            ["node", str(SCRIPT), emulator.base_url, session_id],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            env=env,
            cwd=HERE,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        output = [
            text.decode(errors="replace") if isinstance(text, bytes) else text or ""
            for text in (timeout.stdout, timeout.stderr)
        ]
        pytest.fail(f"run_sdk.js ran over {RUN_TIMEOUT}s:\n" + "\n".join(output))
    lines: dict[str, dict[str, Any]] = {}
    for text in done.stdout.splitlines():
        if text.strip():
            line = json.loads(text)
            lines[line["op"]] = line
    return Run(emulator, session_id, done.returncode, done.stdout, done.stderr, lines)


@dataclass
class Reader:
    """The emulator's API, with a session of its own (the SDK's was logged out)."""

    emulator: WorkfrontEmulator
    session_id: str

    def call(self, path: str, **params: str) -> tuple[int, Any]:
        response = requests.get(
            f"{self.emulator.base_url}/attask/api/v{API_VERSION}/{path}",
            params=params,
            headers={"SessionID": self.session_id},
            timeout=10,
        )
        return response.status_code, response.json()

    def data(self, path: str, **params: str) -> Any:
        status, body = self.call(path, **params)
        assert status == 200 and "data" in body, (path, params, status, body)
        return body["data"]

    def get(self, objcode: str, obj_id: str, fields: str) -> dict[str, Any]:
        return dict(self.data(f"{objcode}/{obj_id}", fields=fields))

    def search(self, objcode: str, fields: str = "", **filters: str) -> list[dict[str, Any]]:
        params = {**filters, "fields": fields} if fields else filters
        return list(self.data(f"{objcode}/search", **params))


@pytest.fixture(scope="module")
def reader(sdk_run: Run) -> Reader:
    return Reader(sdk_run.emulator, sdk_run.emulator.issue_tokens()["access_token"])


# -- the whole run -----------------------------------------------------------------------------


def test_the_script_runs_every_operation_and_exits_0(sdk_run: Run) -> None:
    assert list(sdk_run.lines) == OPERATIONS, sdk_run.output()
    failed = [op for op, line in sdk_run.lines.items() if not line["ok"]]
    assert not failed, f"failed: {failed}\n{sdk_run.output()}"
    assert sdk_run.returncode == 0, sdk_run.output()


# -- each operation: the SDK's answer, and its effect on the emulator ---------------------------


def ids_of(rows: list[dict[str, Any]]) -> list[str]:
    return [row["ID"] for row in rows]


def project_id(run: Run) -> str:
    return str(run.result("create-project")["ID"])


def task_ids(run: Run) -> list[str]:
    return ids_of(run.result("create-tasks"))


def check_search_current_user(run: Run, reader: Reader) -> None:
    (me,) = run.result("search-current-user")
    assert me["ID"] == run.emulator.default_user.id
    assert me["emailAddr"] == run.emulator.default_user.email_addr


def check_create_project(run: Run, reader: Reader) -> None:
    project = run.result("create-project")
    assert project["objCode"] == "PROJ"
    assert project["name"].endswith(" project")
    stored = reader.get("PROJ", project["ID"], "name,description")
    assert stored["name"] == project["name"]
    assert stored["description"] == "Made by run_sdk.js"


def check_create_tasks(run: Run, reader: Reader) -> None:
    tasks = run.result("create-tasks")
    assert [task["name"] for task in tasks] == ["SDK task 1", "SDK task 2", "SDK task 3"]
    assert len(set(ids_of(tasks))) == 3
    me = run.emulator.default_user.id
    for task in tasks:
        stored = reader.get("TASK", task["ID"], "projectID,assignedToID")
        assert stored["projectID"] == project_id(run)
        assert stored["assignedToID"] == me


def check_edit(run: Run, reader: Reader) -> None:
    first = task_ids(run)[0]
    assert run.result("edit")["ID"] == first
    assert run.result("edit")["name"] == "SDK task 1 (edited)"
    assert reader.get("TASK", first, "name")["name"] == "SDK task 1 (edited)"


def check_edit_multiple(run: Run, reader: Reader) -> None:
    edited = run.result("edit-multiple")
    second, third = task_ids(run)[1:]
    assert ids_of(edited) == [second, third]
    for obj_id, name in ((second, "SDK task 2 (bulk)"), (third, "SDK task 3 (bulk)")):
        stored = reader.get("TASK", obj_id, "name,priority")
        assert (stored["name"], stored["priority"]) == (name, 4)


def check_get_one(run: Run, reader: Reader) -> None:
    task = run.result("get-one")
    assert task["ID"] == task_ids(run)[0]
    assert task["name"] == "SDK task 1 (edited)"
    assert task["projectID"] == project_id(run)
    # One ID goes in the path.
    assert run.line("get-one")["sent"][0].split("?")[0].endswith(f"/TASK/{task['ID']}")


def check_get_many(run: Run, reader: Reader) -> None:
    tasks = run.result("get-many")
    assert sorted(ids_of(tasks)) == sorted(task_ids(run))
    names = {task["ID"]: task["name"] for task in tasks}
    assert names[task_ids(run)[1]] == "SDK task 2 (bulk)"
    # Several IDs are sent as repeated id= parameters.
    (sent,) = run.line("get-many")["sent"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(sent.split(" ", 1)[1]).query)["id"] == (
        task_ids(run)
    )


def check_search(run: Run, reader: Reader) -> None:
    rows = run.result("search")
    assert [row["name"] for row in rows] == ["SDK task 2 (bulk)", "SDK task 3 (bulk)"]
    assert {row["priority"] for row in rows} == {4}


def check_search_post(run: Run, reader: Reader) -> None:
    rows = run.result("search-post")
    assert sorted(ids_of(rows)) == sorted(task_ids(run))
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)
    assert run.line("search-post")["sent"][0].startswith("POST ")


def check_count(run: Run, reader: Reader) -> None:
    assert run.result("count") == 3


def check_copy(run: Run, reader: Reader) -> None:
    copy, tasks = run.result("copy")["copy"], run.result("copy")["tasks"]
    assert copy["ID"] != project_id(run)
    assert copy["name"].endswith(" project (copy)")
    # Its tasks were copied with it (read back by the SDK: "remove" took the copy away since).
    assert [task["name"] for task in tasks] == [
        "SDK task 1 (edited)",
        "SDK task 2 (bulk)",
        "SDK task 3 (bulk)",
    ]
    assert {task["projectID"] for task in tasks} == {copy["ID"]}
    assert not set(ids_of(tasks)) & set(task_ids(run))
    (made,) = [item for item in run.emulator.dataset.copies if item.copy_id == copy["ID"]]
    assert (made.objcode, made.source_id, made.options) == (
        "PROJ",
        project_id(run),
        ("clearAssignments",),
    )
    # The original is untouched.
    assert reader.get("PROJ", project_id(run), "name")["name"].endswith(" project")


def check_execute(run: Run, reader: Reader) -> None:
    run.line("execute")
    assert reader.get("TASK", task_ids(run)[0], "status")["status"] == "CPL"


def check_named_query(run: Run, reader: Reader) -> None:
    rows = run.result("named-query")
    assert isinstance(rows, list)
    # myWork: the current user's open work: the tasks assigned at creation, less the one
    # marked done.
    first, *others = task_ids(run)
    assert set(others) <= set(ids_of(rows)), rows
    assert first not in ids_of(rows), rows


def check_report(run: Run, reader: Reader) -> None:
    report = run.result("report")
    # Grouped by status when it ran: the task marked done, and the two still new.
    groups = {key: value for key, value in report.items() if not key.startswith("$$")}
    assert set(groups) == {"CPL", "NEW"}, report
    assert groups["CPL"]["sum_percentComplete"] == 100
    assert groups["NEW"]["sum_percentComplete"] == 0


def check_metadata_proj(run: Run, reader: Reader) -> None:
    metadata = run.result("metadata-proj")
    assert metadata["objCode"] == "PROJ"
    assert "name" in metadata["fields"]


def check_metadata_all(run: Run, reader: Reader) -> None:
    objects = run.result("metadata-all")["objects"]
    assert {"PROJ", "TASK", "DOCU", "USER"} <= set(objects)
    assert objects["PROJ"]["objCode"] == "PROJ"


def check_upload(run: Run, reader: Reader) -> None:
    answer = run.result("upload")
    assert isinstance(answer["handle"], str) and answer["handle"]
    (sent,) = run.line("upload")["sent"]
    assert sent.startswith("POST ") and sent.endswith("/upload")
    # The emulator kept the file until create-document spent its handle on the DOCU.
    assert run.emulator.dataset.upload(answer["handle"]) is None
    (document,) = run.emulator.dataset.documents
    assert document["currentVersion"]["docSize"] == len(UPLOADED)


def check_create_document(run: Run, reader: Reader) -> None:
    document = run.result("create-document")
    assert document["objCode"] == "DOCU"
    stored = reader.get("DOCU", document["ID"], "name,docObjCode,objID,currentVersion")
    assert (stored["name"], stored["docObjCode"], stored["objID"]) == (
        "sdk-note.txt",
        "PROJ",
        project_id(run),
    )
    # The uploaded file is the document's version.
    version = stored["currentVersion"]
    assert (version["version"], version["fileName"]) == ("v1.0", "sdk-note.txt")
    assert version["docSize"] == len(UPLOADED)


def check_batch(run: Run, reader: Reader) -> None:
    project, tasks, count, created = run.result("batch")
    assert project["ID"] == project_id(run)
    assert sorted(ids_of(tasks)) == sorted(task_ids(run))
    assert count == {"count": 3}
    assert created["name"] == "SDK batch task"
    assert reader.get("TASK", created["ID"], "projectID")["projectID"] == project_id(run)
    (sent,) = run.line("batch")["sent"]
    assert sent.startswith("POST ") and sent.endswith("/batch")


def check_batch_atomic(run: Run, reader: Reader) -> None:
    assert run.result("batch-atomic") is None  # the SDK resolves nothing once success is true
    names = {row["name"] for row in reader.search("TASK", projectID=project_id(run))}
    assert {"SDK atomic task A", "SDK atomic task B"} <= names
    third = task_ids(run)[2]
    assert reader.get("TASK", third, "percentComplete")["percentComplete"] == 40


def check_remove(run: Run, reader: Reader) -> None:
    assert run.result("remove") is None  # the SDK resolves nothing once success is true
    (sent,) = run.line("remove")["sent"]
    copy_id = run.result("copy")["copy"]["ID"]
    assert sent.startswith("DELETE ") and f"/PROJ/{copy_id}?force=true" in sent
    status, body = reader.call(f"PROJ/{copy_id}")
    assert status == 404 and "error" in body, (status, body)
    # Its tasks went with it; the original project keeps its own.
    assert reader.search("TASK", projectID=copy_id) == []
    for task in run.result("copy")["tasks"]:
        assert reader.call(f"TASK/{task['ID']}")[0] == 404
    assert len(reader.search("TASK", projectID=project_id(run))) == 6


def check_logout(run: Run, reader: Reader) -> None:
    run.line("logout")
    live = {session.id for session in run.emulator.active_sessions()}
    assert run.session_id not in live
    status, body = Reader(run.emulator, run.session_id).call("USER/search", ID="$$USER.ID")
    assert status == 401 or "error" in body, (status, body)


CHECKS: dict[str, Callable[[Run, Reader], None]] = {
    op: globals()["check_" + op.replace("-", "_")] for op in OPERATIONS
}


@pytest.mark.parametrize("op", OPERATIONS)
def test_operation(op: str, sdk_run: Run, reader: Reader) -> None:
    CHECKS[op](sdk_run, reader)
