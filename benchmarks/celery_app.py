"""The benchmark's Celery app: ``celery -A benchmarks.celery_app worker`` (``bench.py`` runs it).

Broker ``BENCH_REDIS_URL``, queue ``BENCH_QUEUE``, Django settings ``benchmarks.settings``.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

app = Celery("workfront_oauth_bench")
app.conf.update(
    broker_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": 300},
    task_default_queue=os.environ.get("BENCH_QUEUE", "workfront-oauth-bench"),
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    imports=["django_workfront_oauth.tasks"],
)


@worker_ready.connect
def _say_ready(**kwargs: object) -> None:
    """Tell ``bench.py`` the worker consumes now (it runs at log level WARNING, so no log line)."""
    path = os.environ.get("BENCH_READY_FILE")
    if path:
        Path(path).touch()
