"""Row locking on PostgreSQL, between real OS processes, against the emulator over HTTP.

Each test runs for the legacy Workfront OAuth2 app and for Adobe IMS (``provider``). The emulator
rotates refresh tokens on both and treats a rotated-away token coming back as theft (the whole
grant dies), so any refresh that reaches it twice with the same token shows up as a reuse
detection. Rows are committed (``transaction=True``) so the child processes see them.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from django_workfront_oauth import services
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.exceptions import WorkfrontUnavailable
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.testing import WorkfrontEmulator
from tests.integration.conftest import grant_of, set_token_latency, token_stats
from tests.integration.helpers import Barrier, collect, spawn, stop_all, token_digest, wait_until

PROJECTS = 20

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # The same latency on the legacy token endpoint and on IMS's (token, userinfo, revoke).
    pytest.mark.workfront_emulator(
        rotate_refresh_tokens=True, token_latency=0.3, ims_latency=0.3, projects=PROJECTS
    ),
]


def assert_matches_emulator(emulator: WorkfrontEmulator, connection: WorkfrontConnection, grant_id):
    """The row holds the grant's current refresh token and a live access token of it."""
    grant = grant_of(emulator, grant_id)
    assert grant is not None, "the grant has ended"
    assert connection.status == WorkfrontConnection.Status.ACTIVE
    assert connection.refresh_token == grant.refresh_token
    assert connection.access_token in grant.access_tokens


def test_sixteen_processes_refresh_one_expired_connection_once(
    emulator_settings, provider, make_emulated_connection, child_env, tmp_path
):
    emulator = emulator_settings
    made = make_emulated_connection(emulator)
    old_access = made.connection.access_token
    barrier = Barrier(tmp_path / "barrier")
    children = [
        spawn(
            ["refresh", str(made.pk), "--barrier", str(barrier.directory), "--name", str(i)],
            child_env,
        )
        for i in range(16)
    ]
    try:
        barrier.release(16, children, lead=0.3)
        results = [collect(child) for child in children]
    finally:
        stop_all(children)

    stats = token_stats(emulator, provider)
    assert stats["refresh_requests"] == 1
    assert stats["successful_refreshes"] == 1
    assert stats["reuse_detections"] == 0
    assert stats["rejected_refreshes"] == 0
    assert stats["other_token_requests"] == 0

    connection = made.reload()
    assert connection.access_token != old_access
    assert_matches_emulator(emulator, connection, made.grant_id)
    assert [r for r in results if "error" in r] == []
    # One process did the refresh; all sixteen ended with its tokens and used them.
    assert sum(len(r["refreshed_here"]) for r in results) == 1
    assert {r["access_token"] for r in results} == {token_digest(connection.access_token)}
    assert {r["refresh_token"] for r in results} == {token_digest(connection.refresh_token)}
    assert [r["count"] for r in results] == [PROJECTS] * 16
    # The fifteen that waited for the lock waited for one token request, not for LOCK_TIMEOUT.
    assert max(r["elapsed"] for r in results) < services.refresh.LOCK_TIMEOUT.total_seconds() / 2

    # The connection keeps working from here, without another refresh.
    assert WorkfrontClient(connection).count("PROJ") == PROJECTS
    after = token_stats(emulator, provider)
    assert after["refresh_requests"] == 1
    assert after["unauthenticated_api_calls"] == 0


@pytest.mark.parametrize(
    ("api_offset", "sweep_offset"),
    [(0.0, 0.0), (0.0, 0.15), (0.15, 0.0)],
    ids=["together", "request-first", "sweep-first"],
)
def test_web_request_and_sweep_at_once(
    emulator_settings,
    provider,
    make_emulated_connection,
    child_env,
    tmp_path,
    api_offset,
    sweep_offset,
):
    emulator = emulator_settings
    made = make_emulated_connection(emulator)
    barrier = Barrier(tmp_path / "barrier")
    common = ["--barrier", str(barrier.directory)]
    children = [
        spawn(
            ["api", str(made.pk), *common, "--name", "api", "--offset", str(api_offset)], child_env
        ),
        spawn(["sweep", *common, "--name", "sweep", "--offset", str(sweep_offset)], child_env),
    ]
    try:
        barrier.release(2, children)
        web, sweep = (collect(child) for child in children)
    finally:
        stop_all(children)

    assert "error" not in web, web
    assert web["count"] == PROJECTS
    assert "error" not in sweep, sweep
    counts = sweep["counts"]
    assert set(counts) <= {"due", "refreshed", "skipped", "not_due", "history_trimmed"}, counts
    assert (
        counts.get("refreshed", 0) + counts.get("skipped", 0) + counts.get("not_due", 0)
        == counts["due"]
    )

    stats = token_stats(emulator, provider)
    assert stats["refresh_requests"] == 1
    assert stats["successful_refreshes"] == 1
    assert stats["reuse_detections"] == 0
    assert stats["unauthenticated_api_calls"] == 0
    connection = made.reload()
    assert_matches_emulator(emulator, connection, made.grant_id)
    assert web["access_token"] == token_digest(connection.access_token)
    # Exactly one of the two refreshed; with a head start of half the token latency, the first.
    assert len(web["refreshed_here"]) + len(sweep["refreshed_here"]) == 1
    if api_offset < sweep_offset:
        assert web["refreshed_here"] == [made.pk]
        assert counts.get("skipped") == 1
    elif sweep_offset < api_offset:
        assert sweep["refreshed_here"] == [made.pk]
        assert counts.get("refreshed") == 1


def start_holder(made, child_env, tmp_path: Path):
    """A process that locks the row and sits on it until told to let go (30 s at most)."""
    barrier = Barrier(tmp_path / "holder")
    release = tmp_path / "release"
    holder = spawn(
        [
            "hold",
            str(made.pk),
            "--barrier",
            str(barrier.directory),
            "--name",
            "holder",
            "--release-file",
            str(release),
            "--max-seconds",
            "30",
        ],
        child_env,
    )
    wait_until(
        lambda: barrier.ready_count() == 1 or holder.poll() is not None,
        timeout=30,
        what="the holder to lock the row",
    )
    assert holder.poll() is None, holder.communicate()
    return holder, release


def test_a_hung_lock_holder_does_not_block_the_sweep(
    emulator_settings, provider, make_emulated_connection, child_env, tmp_path, monkeypatch
):
    emulator = emulator_settings
    set_token_latency(emulator, provider, 0.1)
    held = make_emulated_connection(emulator)
    others = [make_emulated_connection(emulator) for _ in range(3)]
    held_refresh_token = held.connection.refresh_token
    holder, release = start_holder(held, child_env, tmp_path)
    try:
        started = time.monotonic()
        counts = services.sweep()
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"the sweep took {elapsed:.1f}s"
        assert counts["due"] == 4
        assert counts["skipped"] == 1
        assert counts["refreshed"] == 3
        for made in others:
            assert_matches_emulator(emulator, made.reload(), made.grant_id)
        connection = held.reload()
        assert connection.refresh_token == held_refresh_token
        assert connection.last_refreshed_at is None
        assert token_stats(emulator, provider)["refresh_requests"] == 3

        # The waiting path gives up after LOCK_TIMEOUT, tokens and status untouched.
        monkeypatch.setattr(services.refresh, "LOCK_TIMEOUT", timedelta(seconds=1))
        started = time.monotonic()
        with pytest.raises(WorkfrontUnavailable, match="locked"):
            services.refresh_connection(held.connection)
        elapsed = time.monotonic() - started
        assert 0.9 <= elapsed < 5, f"refresh_connection gave up after {elapsed:.1f}s"
        connection = held.reload()
        assert connection.status == WorkfrontConnection.Status.ACTIVE
        assert connection.refresh_token == held_refresh_token
        assert token_stats(emulator, provider)["refresh_requests"] == 3
    finally:
        release.touch()
        result = collect(holder)
        stop_all([holder])
    assert result["held_for"] is None  # let go when told, not at its own deadline

    # Once the holder is gone the row refreshes like any other.
    services.refresh_connection(held.connection)
    assert_matches_emulator(emulator, held.reload(), held.grant_id)
    stats = token_stats(emulator, provider)
    assert stats["successful_refreshes"] == 4
    assert stats["reuse_detections"] == 0
