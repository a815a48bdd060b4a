"""services.refresh_connection and the sweep: every branch, with the token endpoint mocked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.exceptions import (
    ReauthorizationRequired,
    TokenDecryptionError,
    WorkfrontUnavailable,
)
from django_workfront_oauth.models import RefreshLog, WorkfrontConnection
from django_workfront_oauth.services import RefreshOutcome
from django_workfront_oauth.signals import reauthorization_required, tokens_refreshed

# Every test here runs for the legacy provider and for Adobe IMS.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


Status = WorkfrontConnection.Status


@pytest.fixture
def due(make_connection: Any) -> WorkfrontConnection:
    """A connection whose access token expires in five minutes: inside the 15-minute margin."""
    return make_connection(access_token_expires_at=timezone.now() + timedelta(minutes=5))


@pytest.fixture
def received() -> Any:
    """Records the refresh signals."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def on_refreshed(sender: Any, **kwargs: Any) -> None:
        seen.append(("tokens_refreshed", kwargs))

    def on_reauth(sender: Any, **kwargs: Any) -> None:
        seen.append(("reauthorization_required", kwargs))

    tokens_refreshed.connect(on_refreshed)
    reauthorization_required.connect(on_reauth)
    yield seen
    tokens_refreshed.disconnect(on_refreshed)
    reauthorization_required.disconnect(on_reauth)


def fields_of(connection: WorkfrontConnection) -> dict[str, Any]:
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def test_not_due_connection_is_left_alone(make_connection: Any, workfront_http: Any) -> None:
    connection = make_connection()
    services.refresh_connection(connection)
    assert workfront_http.requests == []


def test_due_connection_is_refreshed_and_rotated_token_stored(
    due: WorkfrontConnection,
    workfront_http: Any,
    received: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    workfront_http.token("new-access", "new-refresh")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.refresh_connection(due)

    assert result is due
    sent = workfront_http.requests
    assert len(sent) == 1
    assert sent[0].fields() == {
        "grant_type": "refresh_token",
        "refresh_token": "stored-refresh-token",
    }
    assert sent[0].basic_auth() == ("test-client-id", "test-client-secret")
    row = WorkfrontConnection.objects.get(pk=due.pk)
    assert (row.access_token, row.refresh_token) == ("new-access", "new-refresh")
    assert (due.access_token, due.refresh_token) == ("new-access", "new-refresh")
    assert row.last_refreshed_at is not None
    # expires_in 0 means "unknown": the configured 8-hour lifetime applies.
    assert row.access_token_expires_at is not None
    remaining = row.access_token_expires_at - timezone.now()
    assert timedelta(hours=7, minutes=59) < remaining <= timedelta(hours=8)
    assert [name for name, _ in received] == ["tokens_refreshed"]
    assert received[0][1]["connection"].pk == due.pk
    assert list(RefreshLog.objects.values_list("outcome", flat=True)) == ["refreshed"]


def test_tokens_refreshed_waits_for_commit(
    due: WorkfrontConnection,
    workfront_http: Any,
    received: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    workfront_http.token()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.refresh_connection(due)
    assert received == []
    assert len(callbacks) == 1


def test_non_rotating_app_keeps_the_refresh_token(
    due: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token("new-access", refresh_token=None)
    services.refresh_connection(due)
    row = WorkfrontConnection.objects.get(pk=due.pk)
    assert (row.access_token, row.refresh_token) == ("new-access", "stored-refresh-token")


def test_positive_expires_in_sets_the_expiry(due: WorkfrontConnection, workfront_http: Any) -> None:
    workfront_http.token(expires_in=3600)
    services.refresh_connection(due)
    assert due.access_token_expires_at is not None
    remaining = due.access_token_expires_at - timezone.now()
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)


def test_force_refreshes_a_fresh_connection(make_connection: Any, workfront_http: Any) -> None:
    connection = make_connection()
    workfront_http.token("forced-access", "forced-refresh")
    services.refresh_connection(connection, force=True)
    assert connection.access_token == "forced-access"


def test_form_style_refresh_sends_the_credentials_in_the_body(
    due: WorkfrontConnection, workfront_http: Any, settings: Any, provider: str
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    workfront_http.token()
    services.refresh_connection(due)
    (sent,) = workfront_http.requests
    expected = {
        "grant_type": "refresh_token",
        "refresh_token": "stored-refresh-token",
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
    }
    if provider == "workfront":
        # Workfront's documented form-style refresh also carries the redirect URI.
        expected["redirect_uri"] = "http://testserver/workfront/callback/"
    assert sent.form() == expected
    assert sent.basic_auth() is None


@pytest.mark.parametrize("status", [400, 401])
def test_revoked_refresh_token_requires_reauthorization(
    due: WorkfrontConnection,
    workfront_http: Any,
    received: Any,
    status: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    workfront_http.token_response(
        status=status, json={"statusCode": status, "error": "invalid_grant"}
    )
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReauthorizationRequired):
        services.refresh_connection(due)
    row = WorkfrontConnection.objects.get(pk=due.pk)
    assert row.status == Status.REAUTH_REQUIRED
    assert due.status == Status.REAUTH_REQUIRED
    # The row is kept, the tokens as they were; the error names what happened, not the token.
    assert (row.access_token, row.refresh_token) == ("stored-access-token", "stored-refresh-token")
    assert f"HTTP {status}" in row.last_error
    assert "stored-refresh-token" not in row.last_error
    assert [name for name, _ in received] == ["reauthorization_required"]
    assert received[0][1]["reason"] == row.last_error


def test_rejected_refresh_after_another_process_rotated_is_not_a_failure(
    due: WorkfrontConnection, workfront_http: Any
) -> None:
    """The row's refresh token changed while ours was being refused: the other process won."""

    def rotate_elsewhere_then_refuse(request: Any) -> tuple[int, dict[str, str], str]:
        WorkfrontConnection.objects.filter(pk=due.pk).update(refresh_token="rotated-elsewhere")
        return 400, {}, '{"error": "invalid_grant"}'

    workfront_http.mock.add_callback(
        "POST", workfront_http.token_url(), rotate_elsewhere_then_refuse
    )
    services.refresh_connection(due)
    row = WorkfrontConnection.objects.get(pk=due.pk)
    assert row.status == Status.ACTIVE
    assert row.refresh_token == "rotated-elsewhere"
    assert due.refresh_token == "rotated-elsewhere"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500},
        {"status": 503},
        {"status": 429, "headers": {"Retry-After": "120"}},
        {"body": requests.exceptions.ReadTimeout("timed out")},
        {"body": requests.exceptions.ConnectionError("refused")},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"token_type": "sessionID"}},
    ],
    ids=["500", "503", "429", "timeout", "refused", "non-json", "no-access-token"],
)
def test_transient_failure_leaves_tokens_and_status(
    due: WorkfrontConnection, workfront_http: Any, answer: dict[str, Any]
) -> None:
    workfront_http.token_response(**answer)
    before = fields_of(due)
    with pytest.raises(WorkfrontUnavailable):
        services.refresh_connection(due)
    after = fields_of(due)
    for name in ("access_token", "refresh_token", "status", "access_token_expires_at"):
        assert after[name] == before[name], name
    assert after["consecutive_failures"] == 1
    assert after["last_error"]
    assert "stored-" not in after["last_error"]
    assert after["next_refresh_attempt_at"] > timezone.now()
    # A 200 without a usable access token is named for what it is (still transient).
    (outcome, error_class), *_ = RefreshLog.objects.values_list("outcome", "error_class")
    assert outcome == "failed"
    assert error_class in ("WorkfrontUnavailable", "UnusableTokenAnswer")


def test_backoff_skips_the_token_endpoint_until_it_ends(
    due: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token_response(status=503)
    with pytest.raises(WorkfrontUnavailable):
        services.refresh_connection(due)
    with pytest.raises(WorkfrontUnavailable, match="Backing off"):
        services.refresh_connection(due)
    assert len(workfront_http.requests) == 1

    # Once the backoff has passed, the next attempt goes out, and success resets the counters.
    WorkfrontConnection.objects.filter(pk=due.pk).update(
        next_refresh_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    workfront_http.mock.replace("POST", workfront_http.token_url(), json={"access_token": "a2"})
    services.refresh_connection(due)
    row = WorkfrontConnection.objects.get(pk=due.pk)
    assert (row.access_token, row.consecutive_failures, row.next_refresh_attempt_at) == (
        "a2",
        0,
        None,
    )
    assert row.last_error == ""


def test_force_ignores_the_backoff(due: WorkfrontConnection, workfront_http: Any) -> None:
    WorkfrontConnection.objects.filter(pk=due.pk).update(
        next_refresh_attempt_at=timezone.now() + timedelta(hours=1), consecutive_failures=3
    )
    workfront_http.token("after-backoff")
    services.refresh_connection(due, force=True)
    assert due.access_token == "after-backoff"


def test_retry_after_lengthens_the_backoff(due: WorkfrontConnection, workfront_http: Any) -> None:
    workfront_http.token_response(status=429, headers={"Retry-After": "900"})
    with pytest.raises(WorkfrontUnavailable):
        services.refresh_connection(due)
    assert due.next_refresh_attempt_at is not None
    assert due.next_refresh_attempt_at - timezone.now() > timedelta(minutes=14)


@pytest.mark.parametrize("failures", [1, 2, 5, 10, 40])
def test_backoff_delay_grows_is_jittered_and_capped(failures: int) -> None:
    backoff = services.backoff
    ceiling = min(backoff.BACKOFF_BASE * 2 ** (failures - 1), backoff.BACKOFF_CAP)
    with mock.patch("django_workfront_oauth.services.backoff.random.random", return_value=0.0):
        assert services.backoff_delay(failures) == ceiling
    with mock.patch("django_workfront_oauth.services.backoff.random.random", return_value=1.0):
        assert services.backoff_delay(failures) == ceiling * (1 - backoff.BACKOFF_JITTER)


def test_reauth_required_connection_is_not_sent_to_workfront(
    make_connection: Any, workfront_http: Any, received: Any
) -> None:
    connection = make_connection(
        status=Status.REAUTH_REQUIRED, access_token_expires_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(connection, force=True)
    assert workfront_http.requests == []
    assert received == []  # said once when the status changed, not at every attempt


def test_expired_without_refresh_token_requires_reauthorization(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(
        refresh_token="", access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ReauthorizationRequired, match="no refresh token"):
        services.refresh_connection(connection)
    assert connection.status == Status.REAUTH_REQUIRED
    assert workfront_http.requests == []


def test_unexpired_without_refresh_token_is_kept(make_connection: Any, workfront_http: Any) -> None:
    connection = make_connection(
        refresh_token="", access_token_expires_at=timezone.now() + timedelta(minutes=5)
    )
    services.refresh_connection(connection)
    assert connection.status == Status.ACTIVE
    assert workfront_http.requests == []


def test_rejected_access_token_forces_a_refresh(make_connection: Any, workfront_http: Any) -> None:
    connection = make_connection()
    workfront_http.token("replacement")
    services.refresh_connection(connection, rejected_access_token="stored-access-token")
    assert connection.access_token == "replacement"


def test_rejected_access_token_already_replaced_makes_no_request(
    make_connection: Any, workfront_http: Any
) -> None:
    connection = make_connection(access_token="newer-token-from-another-process")
    services.refresh_connection(connection, rejected_access_token="older-token")
    assert workfront_http.requests == []
    assert connection.access_token == "newer-token-from-another-process"


def test_unconfigured_instance_fails_transiently(make_connection: Any, workfront_http: Any) -> None:
    connection = make_connection(
        instance="retired", access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(WorkfrontUnavailable, match="not configured"):
        services.refresh_connection(connection)
    assert workfront_http.requests == []
    assert WorkfrontConnection.objects.get(pk=connection.pk).status == Status.ACTIVE


def test_deleted_connection_is_gone(due: WorkfrontConnection, workfront_http: Any) -> None:
    WorkfrontConnection.objects.filter(pk=due.pk).delete()
    assert services.refresh_connection_by_id(due.pk) == RefreshOutcome.GONE
    with pytest.raises(ReauthorizationRequired):
        services.refresh_connection(due)


def test_one_refresh_costs_at_most_four_queries(
    due: WorkfrontConnection, workfront_http: Any
) -> None:
    workfront_http.token()
    with CaptureQueriesContext(connection) as queries:
        services.refresh_connection_by_id(due.pk)
    # The test runs inside a transaction, which turns our BEGIN/COMMIT into savepoints.
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) <= 4, statements


def test_require_reauthorization_marks_and_signals(make_connection: Any, received: Any) -> None:
    connection = make_connection()
    services.require_reauthorization(connection, "admin said so")
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert (row.status, row.last_error) == (Status.REAUTH_REQUIRED, "admin said so")
    assert received[0][0] == "reauthorization_required"
    assert received[0][1]["reason"] == "admin said so"


# -- which connections are due ----------------------------------------------------------------


def test_due_connections_by_margin_status_and_backoff(
    make_connection: Any, django_user_model: Any, settings: Any
) -> None:
    now = timezone.now()
    users = [django_user_model.objects.create_user(f"u{i}") for i in range(7)]
    expired = make_connection(user=users[0], access_token_expires_at=now - timedelta(hours=1))
    inside_margin = make_connection(
        user=users[1], access_token_expires_at=now + timedelta(minutes=10)
    )
    make_connection(user=users[2], access_token_expires_at=now + timedelta(minutes=20))
    unknown_expiry = make_connection(user=users[3], access_token_expires_at=None)
    make_connection(
        user=users[4],
        status=Status.REAUTH_REQUIRED,
        access_token_expires_at=now - timedelta(hours=1),
    )
    make_connection(
        user=users[5],
        access_token_expires_at=now - timedelta(hours=1),
        next_refresh_attempt_at=now + timedelta(minutes=5),
    )
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {"HOST": "https://acme.sb01.workfront.com", "REFRESH_MARGIN": 3600}
    }
    sandbox = make_connection(
        user=users[6], instance="sandbox", access_token_expires_at=now + timedelta(minutes=50)
    )
    due = set(services.due_connections(now).values_list("pk", flat=True))
    assert due == {expired.pk, inside_margin.pk, unknown_expiry.pk, sandbox.pk}


def test_sweep_without_celery_refreshes_each_due_connection(
    make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    now = timezone.now()
    for i in range(3):
        make_connection(
            user=django_user_model.objects.create_user(f"sweep{i}"),
            access_token_expires_at=now - timedelta(minutes=i),
        )
    make_connection(user=django_user_model.objects.create_user("fresh"))
    workfront_http.token()
    counts = services.sweep()
    assert counts["due"] == 3
    assert counts["refreshed"] == 3
    assert len(workfront_http.requests) == 3


def test_sweep_with_dispatch_only_hands_ids_over(
    make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    connection = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=1))
    handed: list[int] = []
    counts = services.sweep(dispatch=handed.append)
    assert handed == [connection.pk]
    assert counts["dispatched"] == 1
    assert workfront_http.requests == []


def test_refresh_history_is_trimmed_to_its_bound(make_connection: Any) -> None:
    connection = make_connection()
    other = make_connection(user=connection.user, instance="other")
    keep = RefreshLog.HISTORY_PER_CONNECTION
    for i in range(keep + 5):
        RefreshLog.record(connection, f"attempt-{i}")
    RefreshLog.record(other, "only-one")
    assert services.trim_refresh_log() == 5
    kept = list(RefreshLog.objects.filter(connection=connection).values_list("outcome", flat=True))
    assert len(kept) == keep
    assert "attempt-0" not in kept and f"attempt-{keep + 4}" in kept
    assert RefreshLog.objects.filter(connection=other).count() == 1


def test_undecryptable_row_raises_and_does_not_stop_the_sweep(
    make_connection: Any, django_user_model: Any, workfront_http: Any
) -> None:
    """A wrong encryption key: that row raises and keeps its ciphertext; the others refresh."""
    broken = make_connection(access_token_expires_at=timezone.now() - timedelta(minutes=2))
    fine = make_connection(
        user=django_user_model.objects.create_user("fine"),
        access_token_expires_at=timezone.now() - timedelta(minutes=1),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE django_workfront_oauth_workfrontconnection SET access_token = %s WHERE id = %s",
            ["gAAAAAB-not-a-token-of-ours", broken.pk],
        )
    workfront_http.token()
    with pytest.raises(TokenDecryptionError):
        services.refresh_connection(broken)
    counts = services.sweep()
    assert counts["undecryptable"] == 1 and counts["refreshed"] == 1
    assert len(workfront_http.requests) == 1
    row = WorkfrontConnection.objects.without_tokens().get(pk=broken.pk)
    assert row.status == Status.ACTIVE
    assert "FIELD_ENCRYPTION_KEY" in row.last_error
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token FROM django_workfront_oauth_workfrontconnection WHERE id = %s",
            [broken.pk],
        )
        assert cursor.fetchone()[0] == "gAAAAAB-not-a-token-of-ours"
    assert WorkfrontConnection.objects.get(pk=fine.pk).access_token == "access-1"
