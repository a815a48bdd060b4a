"""EncryptedTokenField: tokens encrypted at rest, readable with the key list, loud when not."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection as db

from django_workfront_oauth.exceptions import TokenDecryptionError
from django_workfront_oauth.fields import EncryptedTokenField, get_crypter
from django_workfront_oauth.models import PendingAuthorization, WorkfrontConnection

TABLE = WorkfrontConnection._meta.db_table


def raw_tokens(pk: int) -> tuple[str, str]:
    """The token columns exactly as the database holds them."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT access_token, refresh_token FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def raw_row(pk: int) -> tuple[Any, ...]:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def write_raw_access_token(pk: int, value: str) -> None:
    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET access_token = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.mark.django_db
def test_stored_tokens_are_not_the_tokens_and_decrypt_with_the_key(make_connection: Any) -> None:
    connection = make_connection(access_token="ACCESS-PLAIN", refresh_token="REFRESH-PLAIN")
    access, refresh = raw_tokens(connection.pk)
    assert "ACCESS-PLAIN" not in access
    assert "REFRESH-PLAIN" not in refresh
    key = Fernet(django_settings.FIELD_ENCRYPTION_KEY)
    assert key.decrypt(access.encode()).decode() == "ACCESS-PLAIN"
    assert key.decrypt(refresh.encode()).decode() == "REFRESH-PLAIN"


@pytest.mark.django_db
def test_same_token_encrypts_differently_each_time(make_connection: Any, other_user: Any) -> None:
    first = make_connection(access_token="SAME")
    second = make_connection(user=other_user, access_token="SAME")
    assert raw_tokens(first.pk)[0] != raw_tokens(second.pk)[0]


@pytest.mark.django_db
def test_stored_tokens_read_back_as_the_tokens(make_connection: Any) -> None:
    connection = make_connection(access_token="ACCESS-PLAIN", refresh_token="REFRESH-PLAIN")
    fresh = WorkfrontConnection.objects.get(pk=connection.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("ACCESS-PLAIN", "REFRESH-PLAIN")


@pytest.mark.django_db
def test_empty_token_is_stored_as_empty_string(make_connection: Any) -> None:
    connection = make_connection(refresh_token="")
    assert raw_tokens(connection.pk)[1] == ""
    assert WorkfrontConnection.objects.get(pk=connection.pk).refresh_token == ""
    assert WorkfrontConnection.objects.filter(refresh_token="").count() == 1


@pytest.mark.django_db
def test_pkce_verifier_is_encrypted_too(user: Any) -> None:
    from django.utils import timezone

    pending = PendingAuthorization.objects.create(
        state_digest="d" * 64,
        session_digest="s" * 64,
        user=user,
        instance="default",
        provider="workfront",
        host="https://acme.my.workfront.com",
        redirect_uri="http://testserver/cb/",
        code_verifier="VERIFIER-PLAIN",
        expires_at=timezone.now(),
    )
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT code_verifier FROM {PendingAuthorization._meta.db_table} WHERE id = %s",  # noqa: S608
            [pending.pk],
        )
        (raw,) = cursor.fetchone()
    assert "VERIFIER-PLAIN" not in raw
    assert PendingAuthorization.objects.get().code_verifier == "VERIFIER-PLAIN"


@pytest.mark.django_db
def test_garbage_in_the_token_column_raises_on_load_and_changes_nothing(
    make_connection: Any,
) -> None:
    connection = make_connection()
    write_raw_access_token(connection.pk, "GARBAGE-NOT-FERNET")
    before = raw_row(connection.pk)
    with pytest.raises(TokenDecryptionError) as caught:
        WorkfrontConnection.objects.get(pk=connection.pk)
    message = str(caught.value)
    assert "GARBAGE" not in message
    assert "django_workfront_oauth.WorkfrontConnection.access_token" in message
    assert "FIELD_ENCRYPTION_KEY" in message
    assert raw_row(connection.pk) == before


@pytest.mark.django_db
def test_token_written_with_another_key_raises_on_load_and_changes_nothing(
    make_connection: Any, settings: Any
) -> None:
    connection = make_connection(access_token="ACCESS-PLAIN")
    before = raw_row(connection.pk)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(TokenDecryptionError):
        WorkfrontConnection.objects.get(pk=connection.pk)
    with pytest.raises(TokenDecryptionError):
        connection.refresh_from_db()
    assert raw_row(connection.pk) == before


@pytest.mark.django_db
def test_undecryptable_token_does_not_stop_loading_without_tokens(
    make_connection: Any, settings: Any
) -> None:
    connection = make_connection()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    loaded = WorkfrontConnection.objects.without_tokens().get(pk=connection.pk)
    assert loaded.host == connection.host
    with pytest.raises(TokenDecryptionError):
        _ = loaded.access_token


@pytest.mark.django_db
def test_key_rotation_new_key_first_still_reads_old_rows(
    make_connection: Any, settings: Any
) -> None:
    old_key = django_settings.FIELD_ENCRYPTION_KEY
    connection = make_connection(access_token="ACCESS-PLAIN", refresh_token="REFRESH-PLAIN")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    fresh = WorkfrontConnection.objects.get(pk=connection.pk)
    assert fresh.access_token == "ACCESS-PLAIN"
    fresh.save()
    access, _ = raw_tokens(connection.pk)
    assert Fernet(new_key).decrypt(access.encode()).decode() == "ACCESS-PLAIN"
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    assert WorkfrontConnection.objects.get(pk=connection.pk).access_token == "ACCESS-PLAIN"


def test_from_db_value_accepts_bytes_from_the_driver() -> None:
    field = WorkfrontConnection._meta.get_field("access_token")
    assert isinstance(field, EncryptedTokenField)
    cipher = get_crypter().encrypt(b"BYTES-PLAIN")
    assert field.from_db_value(cipher, None, db) == "BYTES-PLAIN"


def test_from_db_value_passes_none_and_empty_through() -> None:
    field = WorkfrontConnection._meta.get_field("access_token")
    assert field.from_db_value(None, None, db) is None
    assert field.from_db_value("", None, db) == ""


def test_from_db_value_of_an_unbound_field_still_raises() -> None:
    field = EncryptedTokenField()
    field.name = "loose"
    with pytest.raises(TokenDecryptionError, match=r"\?\.loose"):
        field.from_db_value("garbage", None, db)


def test_get_crypter_follows_key_changes(settings: Any) -> None:
    first = get_crypter()
    assert get_crypter() is first
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert get_crypter() is not first


@pytest.mark.parametrize(
    "value", [None, "not-a-fernet-key", []], ids=["missing", "invalid", "empty-list"]
)
def test_get_crypter_bad_key_raises_improperly_configured_naming_the_fix(
    settings: Any, value: Any
) -> None:
    if value is None:
        del settings.FIELD_ENCRYPTION_KEY
    else:
        settings.FIELD_ENCRYPTION_KEY = value
    with pytest.raises(ImproperlyConfigured, match=r"Fernet\.generate_key\(\)"):
        get_crypter()
