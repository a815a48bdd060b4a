"""WorkfrontConnection and PendingAuthorization: identity, predicates, constraints."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection, digest

pytestmark = pytest.mark.django_db

MARGIN = timedelta(minutes=15)


def test_str_shows_user_host_and_instance_never_a_token(make_connection: Any) -> None:
    connection = make_connection(access_token="ACCESS-SECRET", refresh_token="REFRESH-SECRET")
    text = str(connection)
    assert "alice" in text
    assert "https://acme.my.workfront.com" in text
    assert "default" in text
    assert "SECRET" not in text


def test_repr_shows_identity_never_a_token(make_connection: Any) -> None:
    connection = make_connection(access_token="ACCESS-SECRET", refresh_token="REFRESH-SECRET")
    text = repr(connection)
    assert f"pk={connection.pk}" in text
    assert f"user_id={connection.user_id}" in text
    assert "https://acme.my.workfront.com" in text
    assert "SECRET" not in text


def test_str_of_an_unsaved_connection_without_user_or_host() -> None:
    assert str(WorkfrontConnection()) == "None @ ? (default)"


def test_pending_authorization_str_and_repr(user: Any) -> None:
    pending = PendingAuthorization.objects.create(
        state_digest=digest("state"),
        session_digest=digest("session"),
        user=user,
        instance="default",
        provider="workfront",
        host="https://acme.my.workfront.com",
        redirect_uri="http://testserver/cb/",
        code_verifier="VERIFIER-SECRET",
        expires_at=timezone.now(),
    )
    assert "alice" in str(pending)
    assert "https://acme.my.workfront.com" in str(pending)
    assert "VERIFIER-SECRET" not in str(pending) + repr(pending)
    assert (
        repr(pending)
        == f"<PendingAuthorization pk={pending.pk} user_id={user.pk} instance='default'>"
    )


def test_digest_is_sha256_hex() -> None:
    assert digest("abc") == hashlib.sha256(b"abc").hexdigest()


def test_second_connection_for_same_user_and_instance_is_refused(make_connection: Any) -> None:
    make_connection()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_connection()


def test_same_user_other_instance_and_other_user_same_instance_are_allowed(
    make_connection: Any, other_user: Any
) -> None:
    make_connection()
    make_connection(instance="sandbox")
    make_connection(user=other_user)
    assert WorkfrontConnection.objects.count() == 3


@pytest.mark.parametrize(
    ("expires_in", "due", "expired"),
    [
        (MARGIN + timedelta(seconds=1), False, False),
        (MARGIN, True, False),
        (MARGIN - timedelta(seconds=1), True, False),
        (timedelta(seconds=1), True, False),
        (timedelta(0), True, True),
        (-timedelta(hours=1), True, True),
    ],
    ids=["beyond-margin", "at-margin", "within-margin", "about-to-expire", "at-expiry", "expired"],
)
def test_is_due_and_is_expired_around_refresh_margin(
    make_connection: Any, expires_in: timedelta, due: bool, expired: bool
) -> None:
    now = timezone.now()
    connection = make_connection(access_token_expires_at=now + expires_in)
    assert connection.is_due(now) is due
    assert connection.is_expired(now) is expired
    with mock.patch("django.utils.timezone.now", return_value=now):
        assert connection.is_due() is due
        assert connection.is_expired() is expired


def test_unknown_expiry_is_due_and_expired(make_connection: Any) -> None:
    connection = make_connection(access_token_expires_at=None)
    assert connection.is_due() is True
    assert connection.is_expired() is True


def test_refresh_margin_setting_moves_the_due_point(make_connection: Any, settings: Any) -> None:
    now = timezone.now()
    connection = make_connection(access_token_expires_at=now + timedelta(minutes=20))
    assert connection.is_due(now) is False
    settings.WORKFRONT_OAUTH_REFRESH_MARGIN = timedelta(minutes=30)
    assert connection.is_due(now) is True


def test_refresh_margin_of_a_named_instance_is_its_own(make_connection: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {"HOST": "https://acme.sb01.workfront.com", "REFRESH_MARGIN": 3600}
    }
    connection = make_connection(instance="sandbox")
    assert connection.refresh_margin() == timedelta(hours=1)


def test_refresh_margin_of_an_instance_no_longer_configured_is_the_default(
    make_connection: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_REFRESH_MARGIN = 120
    connection = make_connection(instance="gone")
    assert connection.refresh_margin() == timedelta(seconds=120)
    with pytest.raises(KeyError):
        connection.get_instance_settings()


def test_needs_reauthorization_follows_status(make_connection: Any) -> None:
    connection = make_connection()
    assert connection.needs_reauthorization is False
    connection.status = WorkfrontConnection.Status.REAUTH_REQUIRED
    assert connection.needs_reauthorization is True


def test_active_queryset_excludes_reauth_required(make_connection: Any, other_user: Any) -> None:
    active = make_connection()
    make_connection(user=other_user, status=WorkfrontConnection.Status.REAUTH_REQUIRED)
    assert list(WorkfrontConnection.objects.active()) == [active]


def test_without_tokens_defers_the_token_columns(make_connection: Any) -> None:
    make_connection()
    loaded = WorkfrontConnection.objects.without_tokens().get()
    assert loaded.get_deferred_fields() == {"access_token", "refresh_token"}


def test_status_values_are_the_contracts() -> None:
    assert WorkfrontConnection.Status.ACTIVE == "active"
    assert WorkfrontConnection.Status.REAUTH_REQUIRED == "reauth_required"


def test_expired_pending_authorizations(user: Any) -> None:
    now = timezone.now()

    def pending(name: str, expires_at: Any) -> PendingAuthorization:
        return PendingAuthorization.objects.create(
            state_digest=digest(name),
            session_digest=digest("s"),
            user=user,
            instance="default",
            provider="workfront",
            host="https://acme.my.workfront.com",
            redirect_uri="http://testserver/cb/",
            expires_at=expires_at,
        )

    old = pending("old", now - timedelta(seconds=1))
    edge = pending("edge", now)
    pending("fresh", now + timedelta(seconds=1))
    assert set(PendingAuthorization.objects.expired(now)) == {old, edge}
