"""The Celery app of the integration tests' worker: ``celery -A tests.integration.celery_app``.

Configured from the environment the test process gives the worker (``conftest.py``): the broker
is ``WORKFRONT_TEST_REDIS_URL``, the queue ``WORKFRONT_IT_QUEUE`` (unique per run), Django's
settings ``tests.integration.child_settings`` plus the Server-to-Server instance
(``helpers.install_s2s_instance``). Each task start and end is appended to a trace
file per pool process in ``WORKFRONT_IT_TRACE_DIR``, so the tests know which process runs which
delivery of which task.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

from tests.integration.helpers import install_s2s_instance

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.integration.child_settings")
# The site's own Server-to-Server instance, when the test process named its credential: set
# before the pool forks, so every pool process has it.
install_s2s_instance()

QUEUE = os.environ.get("WORKFRONT_IT_QUEUE", "workfront-oauth-it")

app = Celery("workfront_oauth_it")
app.conf.update(
    broker_url=os.environ.get("WORKFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    broker_connection_retry_on_startup=True,
    # An unacknowledged message (acks_late) comes back after this long even if nobody rejects
    # it: longer than any task here runs, short enough not to wait long if a test goes wrong.
    broker_transport_options={"visibility_timeout": 30},
    task_default_queue=QUEUE,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=True,
    imports=["django_workfront_oauth.tasks"],
)


def _trace(event: str, **fields: Any) -> None:
    directory = os.environ.get("WORKFRONT_IT_TRACE_DIR")
    if not directory:
        return
    line = json.dumps({"event": event, "pid": os.getpid(), "time": time.time(), **fields})
    with (Path(directory) / f"trace-{os.getpid()}.jsonl").open("a") as file:
        file.write(line + "\n")


@task_prerun.connect
def _trace_start(task_id: str, task: Any, args: Any = None, **kwargs: Any) -> None:
    _trace("start", task=task.name, task_id=task_id, args=list(args or ()))


@task_postrun.connect
def _trace_end(
    task_id: str, task: Any, args: Any = None, retval: Any = None, state: str = "", **kwargs: Any
) -> None:
    _trace(
        "end",
        task=task.name,
        task_id=task_id,
        args=list(args or ()),
        state=state,
        retval=_plain(retval),
    )


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value
