"""Workfront instances in the database (``WorkfrontInstance``), in one process on SQLite.

Lookups and the settings' namespace, the secret at rest, validation with the checks' messages,
protected deletion, deactivation, the host's instance-choice hook, the per-process memory and
its generation in the shared cache, the database checks and the admin. The multi-process proof
is ``tests/integration/test_database_instances.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection as db_connection
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_workfront_oauth import services
from django_workfront_oauth.checks import check_database_instances
from django_workfront_oauth.checks.instances import check_instance
from django_workfront_oauth.client import service_client
from django_workfront_oauth.conf import INSTANCE_DEFAULTS, app_settings
from django_workfront_oauth.constants import DEFAULT_SCOPES
from django_workfront_oauth.exceptions import ClientCredentialsRefused, InstancePaused
from django_workfront_oauth.models import (
    InstanceInUse,
    PendingAuthorization,
    ServiceConnection,
    WorkfrontConnection,
    WorkfrontInstance,
)
from django_workfront_oauth.models.instance import describe_check_message
from django_workfront_oauth.offered import is_offered, offered_instances
from django_workfront_oauth.services.instance_check import InstanceCheck
from django_workfront_oauth.services.instances import (
    GENERATION_KEY,
    DatabaseInstances,
    cache_is_shared,
    forget_instances,
)
from django_workfront_oauth.services.refresh import paused_reason
from django_workfront_oauth.services.sweep import (
    due_connections,
    mark_paused_connections,
    paused_instances,
    sweep,
)
from tests.http_mock import IMS_HOST, IMS_ORG_ID, SentRequest, WorkfrontMock

pytestmark = pytest.mark.django_db

SECRET = "SENTINEL-INSTANCE-SECRET-3f9a1c"
NEW_SECRET = "SENTINEL-INSTANCE-SECRET-NEW-7be2"
ACME_HOST = "https://acme.my.workfront.com"
GLOBEX_HOST = "https://globex.my.workfront.com"
IMS_TOKEN = f"{IMS_HOST}/ims/token/v3"
TABLE = WorkfrontInstance._meta.db_table

CHANGELIST = "admin:django_workfront_oauth_workfrontinstance_changelist"
ADD = "admin:django_workfront_oauth_workfrontinstance_add"
CHANGE_URL = "admin:django_workfront_oauth_workfrontinstance_change"
DELETE_URL = "admin:django_workfront_oauth_workfrontinstance_delete"
HISTORY_URL = "admin:django_workfront_oauth_workfrontinstance_history"


def only_acme(request: HttpRequest) -> list[str]:
    """The host's hook of these tests: this user may connect to ``acme`` only."""
    return ["acme"]


def unknown_inactive_and_s2s(request: HttpRequest) -> list[str]:
    """A hook naming instances that cannot be offered, around one that can (twice)."""
    return ["nowhere", "paused", "robot", "acme", "acme"]


NOT_A_HOOK = "a string, not callable"


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    """No test sees what another one left in this process's memory of instances."""
    forget_instances()
    yield
    forget_instances()


@pytest.fixture
def shared_cache(settings: Any, tmp_path: Any) -> Iterator[None]:
    """A cache that other processes would see too (files), so the memory is used."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    forget_instances()
    yield
    forget_instances()


def make_instance(name: str = "acme", **fields: Any) -> WorkfrontInstance:
    """A valid Adobe IMS row, saved the way code saves it (``create``)."""
    values: dict[str, Any] = {
        "provider": "adobe_ims",
        "host": ACME_HOST,
        "client_id": f"{name}-client-id",
        "client_secret": SECRET,
        "ims_org_id": IMS_ORG_ID,
    }
    values.update(fields)
    return WorkfrontInstance.objects.create(name=name, **values)


def unsaved(name: str = "acme", **fields: Any) -> WorkfrontInstance:
    values: dict[str, Any] = {
        "provider": "adobe_ims",
        "host": ACME_HOST,
        "client_id": "acme-client-id",
        "client_secret": SECRET,
        "ims_org_id": IMS_ORG_ID,
        "redirect_uri": "https://example.com/workfront/callback/",
    }
    values.update(fields)
    return WorkfrontInstance(name=name, **values)


def connect(make_connection: Any, instance: str = "acme", **fields: Any) -> WorkfrontConnection:
    """A connection of ``user`` to a database instance, on Adobe IMS, due for a refresh."""
    values: dict[str, Any] = {
        "instance": instance,
        "provider": "adobe_ims",
        "host": ACME_HOST,
        "domain": "",
        "lane": "",
        "token_type": "bearer",
        "access_token": "ims-stored-access",
        "refresh_token": "ims-stored-refresh",
        "access_token_expires_at": timezone.now() - timedelta(minutes=1),
    }
    values.update(fields)
    connection: WorkfrontConnection = make_connection(**values)
    return connection


@pytest.fixture
def make_user(django_user_model: Any) -> Any:
    """``make_user(name)``: another user (one connection per user and instance)."""
    return lambda name: django_user_model.objects.create_user(name, f"{name}@example.com", "pw")


def raw_secret(pk: int) -> str:
    """The stored client_secret column, read past the field's decryption."""
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT client_secret FROM {TABLE} WHERE id = %s", [pk])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def serious_messages(row: WorkfrontInstance) -> set[str]:
    """What the system check says of the row's values, as the form shows it."""
    return {
        describe_check_message(message)
        for message in check_instance(row.name, row.settings_values())
        if message.is_serious()
    }


def validation_errors(row: WorkfrontInstance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        row.full_clean()
    return raised.value.message_dict


def check_ids(messages: list[Any]) -> list[str]:
    return [str(message.id).rsplit(".", 1)[-1] for message in messages]


def ims_token_answer(workfront_http: WorkfrontMock, **body: Any) -> None:
    answer = {
        "access_token": "ims-access-new",
        "refresh_token": "ims-refresh-new",
        "token_type": "bearer",
        "expires_in": 86399,
        **body,
    }
    workfront_http.mock.post(IMS_TOKEN, json=answer)


# -- lookups ----------------------------------------------------------------------------------


def test_a_row_is_found_with_its_values_and_the_defaults_for_what_is_blank() -> None:
    make_instance(http_timeout=timedelta(seconds=3), max_concurrent_requests=4)
    found = app_settings.get_instance("acme")
    assert (found.name, found.provider, found.host) == ("acme", "adobe_ims", ACME_HOST)
    assert (found.client_id, found.client_secret) == ("acme-client-id", SECRET)
    assert found.ims_org_id == IMS_ORG_ID
    assert (found.http_timeout, found.max_concurrent_requests) == (timedelta(seconds=3), 4)
    # Blank fields: the app's defaults, as for a key an INSTANCES entry omits.
    assert found.scopes == DEFAULT_SCOPES
    assert found.use_pkce is True
    assert found.api_version == INSTANCE_DEFAULTS["API_VERSION"]
    assert found.refresh_margin == INSTANCE_DEFAULTS["REFRESH_MARGIN"]
    assert found.ims_host == INSTANCE_DEFAULTS["IMS_HOST"]
    assert found.token_auth_method == INSTANCE_DEFAULTS["TOKEN_AUTH_METHOD"]
    assert found.is_active is True
    assert app_settings.raw_instance("acme")["HTTP_DEADLINE"] == INSTANCE_DEFAULTS["HTTP_DEADLINE"]
    assert app_settings.has_instance("acme")
    assert app_settings.is_database_instance("acme")
    assert not app_settings.is_settings_instance("acme")
    assert app_settings.provider_is_explicit("acme")
    assert app_settings.find_instance("acme") == found


def test_a_row_s_own_values_override_the_defaults() -> None:
    make_instance(
        scopes="openid, offline_access AdobeID",
        use_pkce=False,
        token_auth_method="client_secret_post",
        api_version="v20.0",
    )
    found = app_settings.get_instance("acme")
    assert found.scopes == ("openid", "offline_access", "AdobeID")
    assert found.use_pkce is False
    assert found.token_auth_method == "client_secret_post"
    assert found.api_base_url == f"{ACME_HOST}/attask/api/v20.0"


def test_an_unknown_name_is_no_instance() -> None:
    make_instance()
    assert app_settings.find_instance("nowhere") is None
    assert not app_settings.has_instance("nowhere")
    assert not app_settings.is_database_instance("nowhere")
    with pytest.raises(KeyError):
        app_settings.get_instance("nowhere")
    with pytest.raises(KeyError):
        app_settings.raw_instance("nowhere")


def test_is_active_follows_the_row() -> None:
    make_instance(is_active=False)
    assert app_settings.get_instance("acme").is_active is False
    assert app_settings.get_instance("default").is_active is True
    WorkfrontInstance.objects.filter(name="acme").update(is_active=True)
    assert app_settings.get_instance("acme").is_active is True


def test_the_settings_win_over_a_row_of_the_same_name(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {
            "HOST": "https://acme.sb01.workfront.com",
            "CLIENT_ID": "sandbox-id",
            "CLIENT_SECRET": "sandbox-secret",
            "PROVIDER": "workfront",
        }
    }
    # Saved in code, past validation: the settings' instances are still the ones used.
    make_instance("sandbox", host=GLOBEX_HOST, is_active=False)
    make_instance("default", host=GLOBEX_HOST)
    sandbox = app_settings.get_instance("sandbox")
    assert (sandbox.host, sandbox.client_id, sandbox.is_active) == (
        "https://acme.sb01.workfront.com",
        "sandbox-id",
        True,
    )
    assert app_settings.get_instance("default").host == ACME_HOST
    assert app_settings.get_instance("default").client_id == "test-client-id"
    assert not app_settings.is_database_instance("sandbox")
    assert not app_settings.is_database_instance("default")
    assert app_settings.instance_names().count("sandbox") == 1
    assert app_settings.instance_names().count("default") == 1


def test_instance_names_are_the_settings_then_the_rows_by_name(settings: Any) -> None:
    entry = {"HOST": ACME_HOST, "CLIENT_ID": "x", "CLIENT_SECRET": "y", "PROVIDER": "workfront"}
    settings.WORKFRONT_OAUTH_INSTANCES = {"zeta": dict(entry), "alpha": dict(entry)}
    make_instance("beta")
    make_instance("aardvark")
    assert app_settings.settings_instance_names() == ["default", "zeta", "alpha"]
    assert app_settings.instance_names() == ["default", "zeta", "alpha", "aardvark", "beta"]


@pytest.mark.django_db(transaction=True)
def test_before_migrate_there_are_no_database_instances() -> None:
    """No table yet (system checks, the first runserver): lookups say "none", never raise."""
    with mock.patch.object(WorkfrontInstance._meta, "db_table", "wf_no_such_table"):
        assert app_settings.instance_names() == ["default"]
        assert app_settings.find_instance("acme") is None
        assert not app_settings.has_instance("acme")


def test_a_database_error_inside_a_transaction_is_raised_not_taken_for_no_instance() -> None:
    """In an atomic block the failed query broke the transaction (PostgreSQL): "no such
    instance" would only fail later, elsewhere; and nothing wrong is remembered."""
    from django.db import DatabaseError, transaction

    make_instance()
    with (
        mock.patch.object(WorkfrontInstance._meta, "db_table", "wf_no_such_table"),
        pytest.raises(DatabaseError),
        transaction.atomic(),
    ):
        app_settings.find_instance("acme")
    assert app_settings.find_instance("acme") is not None


@pytest.mark.django_db(transaction=True)
def test_a_database_error_outside_a_transaction_is_not_remembered() -> None:
    make_instance()
    with mock.patch.object(WorkfrontInstance._meta, "db_table", "wf_no_such_table"):
        assert app_settings.find_instance("acme") is None  # the database could not say
    assert app_settings.find_instance("acme") is not None  # and the next lookup asks again


def test_a_row_whose_secret_cannot_be_decrypted_takes_nothing_else_down(
    settings: Any, admin_client: Any
) -> None:
    """A lost key for one customer: that instance is found without its secret (its token
    requests fail naming the field), every other page and the sweep work, and the admin
    can repair the row."""
    from django_workfront_oauth import services

    row = make_instance()
    make_instance("globex", host=GLOBEX_HOST)
    settings.FIELD_ENCRYPTION_KEY = "YW5vdGhlci10ZXN0cy1vbmx5LWZlcm5ldC1rZXkhISE="
    forget_instances()
    found = app_settings.find_instance("acme")
    assert found is not None and found.client_secret == ""
    assert app_settings.get_instance("globex").host == GLOBEX_HOST
    assert sorted(instance.name for instance in app_settings.all_instances()) == [
        "acme",
        "default",
        "globex",
    ]
    services.sweep()
    change = reverse("admin:django_workfront_oauth_workfrontinstance_change", args=[row.pk])
    assert admin_client.get(change).status_code == 200
    kept = admin_client.post(change, form_data(client_secret=""))
    assert "cannot be decrypted" in kept.content.decode()
    fixed = admin_client.post(change, form_data(client_secret="a-new-secret"))
    assert fixed.status_code == 302
    forget_instances()
    assert app_settings.get_instance("acme").client_secret == "a-new-secret"


# -- the secret at rest -----------------------------------------------------------------------


def test_the_raw_column_is_not_the_secret() -> None:
    row = make_instance()
    stored = raw_secret(row.pk)
    assert stored
    assert SECRET not in stored
    assert WorkfrontInstance.objects.get(pk=row.pk).client_secret == SECRET


def test_repr_and_str_never_show_the_secret() -> None:
    row = make_instance()
    stored = raw_secret(row.pk)
    shown = [
        repr(row),
        str(row),
        repr(app_settings.get_instance("acme")),
        repr(row.as_stored()),
        repr(WorkfrontInstance.objects.all()),
    ]
    for text in shown:
        assert SECRET not in text
        assert stored not in text
    assert "acme" in str(row)


# -- validation on save -----------------------------------------------------------------------


def test_a_valid_row_passes_validation() -> None:
    unsaved().full_clean()  # raises on any error


@pytest.mark.parametrize("name", ["sandbox", "default"])
def test_a_name_the_settings_use_is_refused(settings: Any, name: str) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {"HOST": ACME_HOST, "CLIENT_ID": "x", "CLIENT_SECRET": "y"}
    }
    errors = validation_errors(unsaved(name))
    assert list(errors) == ["name"]
    assert errors["name"] == [
        f"The settings already define an instance called {name!r}; choose another name."
    ]


def test_a_name_is_letters_digits_dash_and_underscore() -> None:
    errors = validation_errors(unsaved("acme corp"))
    assert "name" in errors


def test_missing_host_client_id_and_secret_are_each_said_once() -> None:
    """Host and client ID are required by the form's fields, so their own "required" says it
    (the checks' E001/E002 would repeat it); the secret, which may be left blank to keep the
    stored one, gets the check's E003 text."""
    row = unsaved(host="", client_id="", client_secret="")
    errors = validation_errors(row)
    assert set(errors) == {"host", "client_id", "client_secret"}
    assert errors["host"] == ["This field cannot be blank."]
    assert errors["client_id"] == ["This field cannot be blank."]
    e003 = (
        'The client secret of the database instance "acme" is not set. Set it from the credential'
    )
    assert [message[: len(e003)] for message in errors["client_secret"]] == [e003]
    assert any(message.startswith(e003) for message in serious_messages(row))


def test_plain_http_on_a_host_that_is_not_loopback_is_refused() -> None:
    row = unsaved(host="http://acme.my.workfront.com")
    errors = validation_errors(row)
    assert set(errors) == {"host"}
    assert errors["host"] == sorted(serious_messages(row))
    assert errors["host"][0].startswith(
        'The host of the database instance "acme" uses plain http:// on a host that is not loopback'
    )
    unsaved(host="http://127.0.0.1:8000").full_clean()  # the local emulator


def test_a_host_with_a_path_is_refused() -> None:
    errors = validation_errors(unsaved(host="https://acme.my.workfront.com/attask"))
    assert errors["host"][0].startswith(
        'The host of the database instance "acme" must be the base URL of the instance'
    )


def test_an_ims_row_without_an_org_id_is_refused() -> None:
    row = unsaved(ims_org_id="")
    errors = validation_errors(row)
    assert set(errors) == {"ims_org_id"}
    assert errors["ims_org_id"] == sorted(serious_messages(row))
    assert errors["ims_org_id"][0].startswith(
        'The ims org id of the database instance "acme" is not set; Workfront\'s API needs it'
    )
    # The legacy app has no org id: none is asked for.
    unsaved(provider="workfront", ims_org_id="").full_clean()


def test_a_negative_duration_is_refused_with_the_checks_message() -> None:
    row = unsaved(refresh_margin=timedelta(minutes=-5))
    errors = validation_errors(row)
    assert {message for messages in errors.values() for message in messages} == serious_messages(
        row
    )
    (message,) = serious_messages(row)
    assert message.startswith('The refresh margin of the database instance "acme" must be')


def test_warnings_do_not_stop_a_save() -> None:
    row = unsaved(scopes="openid", redirect_uri="")
    assert [m.id for m in row.check_messages() if not m.is_serious()]
    row.full_clean()


# -- protected deletion -----------------------------------------------------------------------


def test_an_instance_with_connections_cannot_be_deleted(make_connection: Any) -> None:
    row = make_instance()
    connection = connect(make_connection)
    with pytest.raises(InstanceInUse) as raised:
        row.delete()
    assert isinstance(raised.value, ProtectedError)
    assert connection in raised.value.protected_objects
    with pytest.raises(InstanceInUse):
        WorkfrontInstance.objects.filter(name="acme").delete()
    assert WorkfrontInstance.objects.filter(name="acme").exists()
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()


def test_the_site_s_own_connection_protects_its_instance_too() -> None:
    row = make_instance("robot", provider="adobe_ims_s2s")
    ServiceConnection.objects.create(instance="robot", provider="adobe_ims_s2s", host=ACME_HOST)
    with pytest.raises(InstanceInUse):
        row.delete()
    assert WorkfrontInstance.objects.filter(name="robot").exists()


def test_an_unused_instance_can_be_deleted(make_connection: Any) -> None:
    row = make_instance()
    make_instance("globex", host=GLOBEX_HOST)
    connect(make_connection, instance="globex")
    row.delete()
    assert not WorkfrontInstance.objects.filter(name="acme").exists()
    WorkfrontConnection.objects.all().delete()
    assert WorkfrontInstance.objects.filter(name="globex").delete()[0] == 1


# -- deactivation -----------------------------------------------------------------------------


def test_authorize_refuses_a_deactivated_instance(user_client: Client) -> None:
    make_instance(is_active=False)
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "acme"})
    assert response.status_code == 403
    assert "paused" in response.content.decode()
    assert not PendingAuthorization.objects.exists()


def test_authorize_starts_a_flow_for_an_active_instance(user_client: Client) -> None:
    make_instance()
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "acme"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{IMS_HOST}/ims/authorize/")
    assert "client_id=acme-client-id" in response["Location"]
    assert PendingAuthorization.objects.get().instance == "acme"


def test_authorize_refuses_unknown_and_server_to_server_instances(user_client: Client) -> None:
    make_instance("robot", provider="adobe_ims_s2s")
    for name in ("nowhere", "robot"):
        response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": name})
        assert response.status_code == 400
    assert not PendingAuthorization.objects.exists()


def test_a_flow_started_before_deactivation_is_refused_at_the_callback(
    user_client: Client, workfront_http: WorkfrontMock, django_capture_on_commit_callbacks: Any
) -> None:
    row = make_instance()
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "acme"})
    assert response.status_code == 302
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    with django_capture_on_commit_callbacks(execute=True):
        row.is_active = False
        row.save()
    response = user_client.get(
        reverse("workfront_oauth:callback"), {"code": "auth-code-1", "state": state}
    )
    assert response.status_code == 400
    assert workfront_http.requests == []
    assert not WorkfrontConnection.objects.exists()


def test_a_refresh_of_a_deactivated_instance_is_paused(
    make_connection: Any, workfront_http: WorkfrontMock
) -> None:
    make_instance(is_active=False)
    connection = connect(make_connection, consecutive_failures=0)
    with pytest.raises(InstancePaused, match="deactivated"):
        services.refresh_connection(connection)
    assert workfront_http.requests == []
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert row.status == WorkfrontConnection.Status.ACTIVE
    assert (row.access_token, row.refresh_token) == ("ims-stored-access", "ims-stored-refresh")
    assert row.last_error == paused_reason("acme")
    assert (row.consecutive_failures, row.next_refresh_attempt_at) == (0, None)


def test_the_sweep_skips_and_marks_paused_connections_and_resumes_on_reactivation(
    make_connection: Any,
    make_user: Any,
    workfront_http: WorkfrontMock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    row = make_instance(is_active=False)
    make_instance("globex", host=GLOBEX_HOST)
    paused = connect(make_connection)
    needing_user = connect(
        make_connection,
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="The token endpoint refused the refresh token.",
        user=make_user("bob"),
    )
    assert paused_instances() == ["acme"]
    assert list(due_connections()) == []
    counts = sweep()
    assert (counts["due"], counts["paused"]) == (0, 1)
    assert workfront_http.requests == []
    paused.refresh_from_db()
    assert paused.last_error == paused_reason("acme")
    assert paused.access_token == "ims-stored-access"
    # A connection that needs its user keeps saying why.
    needing_user.refresh_from_db()
    assert needing_user.last_error == "The token endpoint refused the refresh token."
    assert "paused" not in sweep()  # marked once

    with django_capture_on_commit_callbacks(execute=True):
        row.is_active = True
        row.save()
    assert paused_instances() == []
    # Activating says so at once: "paused" is no longer true, even before the next refresh.
    paused.refresh_from_db()
    assert paused.last_error == ""
    needing_user.refresh_from_db()
    assert needing_user.last_error == "The token endpoint refused the refresh token."
    ims_token_answer(workfront_http)
    counts = sweep()
    assert (counts["due"], counts.get("refreshed")) == (1, 1)
    assert "paused" not in counts
    paused.refresh_from_db()
    assert (paused.access_token, paused.last_error) == ("ims-access-new", "")


def test_mark_paused_connections_counts_what_it_marks(make_connection: Any, make_user: Any) -> None:
    make_instance(is_active=False)
    connect(make_connection)
    connect(make_connection, user=make_user("bob"))
    assert mark_paused_connections() == 2
    assert mark_paused_connections() == 0


def test_service_client_of_a_deactivated_instance_is_paused(workfront_http: WorkfrontMock) -> None:
    make_instance("robot", provider="adobe_ims_s2s", is_active=False)
    with pytest.raises(InstancePaused):
        service_client("robot")
    assert workfront_http.requests == []
    assert not ServiceConnection.objects.exists()


# -- the host's hook: which instances a user may connect to -----------------------------------


@pytest.fixture
def acme_and_globex() -> None:
    make_instance()
    make_instance("globex", host=GLOBEX_HOST)


@pytest.mark.usefixtures("acme_and_globex")
def test_authorize_refuses_an_instance_the_hook_does_not_offer(
    settings: Any, user_client: Client
) -> None:
    settings.WORKFRONT_OAUTH_OFFERED_INSTANCES = "tests.test_database_instances.only_acme"
    for name in ("globex", "default"):
        response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": name})
        assert response.status_code == 403
    assert not PendingAuthorization.objects.exists()
    response = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "acme"})
    assert response.status_code == 302
    assert PendingAuthorization.objects.get().instance == "acme"


@pytest.mark.usefixtures("acme_and_globex")
def test_the_connections_page_lists_the_offered_instances(
    settings: Any, user_client: Client
) -> None:
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert [item["name"] for item in response.context["instances"]] == [
        "default",
        "acme",
        "globex",
    ]
    settings.WORKFRONT_OAUTH_OFFERED_INSTANCES = "tests.test_database_instances.only_acme"
    response = user_client.get(reverse("workfront_oauth:connections"))
    assert [item["name"] for item in response.context["instances"]] == ["acme"]
    assert GLOBEX_HOST not in response.content.decode()


def test_the_connections_page_keeps_a_paused_instance_of_the_user(
    user_client: Client, make_connection: Any
) -> None:
    make_instance()
    make_instance("globex", host=GLOBEX_HOST, is_active=False)
    connect(make_connection, instance="globex", host=GLOBEX_HOST)
    assert [instance.name for instance in offered_instances(RequestFactory().get("/"))] == [
        "default",
        "acme",
    ]
    response = user_client.get(reverse("workfront_oauth:connections"))
    items = {item["name"]: item for item in response.context["instances"]}
    assert list(items) == ["default", "acme", "globex"]
    assert items["globex"]["connection"] is not None
    assert items["globex"]["state"].key == "paused"


def test_the_hook_s_unknown_inactive_and_s2s_names_are_dropped(settings: Any) -> None:
    make_instance()
    make_instance("paused", is_active=False)
    make_instance("robot", provider="adobe_ims_s2s")
    path = "tests.test_database_instances.unknown_inactive_and_s2s"
    settings.WORKFRONT_OAUTH_OFFERED_INSTANCES = path
    request = RequestFactory().get("/")
    assert [instance.name for instance in offered_instances(request)] == ["acme"]
    assert is_offered(request, "acme")
    assert not is_offered(request, "paused")
    assert not is_offered(request, "robot")


@pytest.mark.parametrize(
    "path",
    [
        "tests.test_database_instances.no_such_hook",
        "tests.no_such_module.hook",
        "nodots",
        "tests.test_database_instances.NOT_A_HOOK",
    ],
)
def test_a_bad_hook_path_is_improperly_configured(settings: Any, path: str) -> None:
    settings.WORKFRONT_OAUTH_OFFERED_INSTANCES = path
    with pytest.raises(ImproperlyConfigured, match="WORKFRONT_OAUTH_OFFERED_INSTANCES"):
        offered_instances(RequestFactory().get("/"))


# -- the memory -------------------------------------------------------------------------------


def test_cache_is_shared_only_for_caches_other_processes_see(settings: Any, tmp_path: Any) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "files": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        },
    }
    assert not cache_is_shared()
    assert not cache_is_shared(caches["dummy"])
    assert cache_is_shared(caches["files"])
    settings.WORKFRONT_OAUTH_INSTANCE_CACHE = "files"
    assert cache_is_shared()
    settings.WORKFRONT_OAUTH_INSTANCE_CACHE = "no-such-alias"
    assert not cache_is_shared()


@pytest.mark.usefixtures("shared_cache")
def test_with_a_shared_cache_a_second_lookup_costs_no_query(
    django_assert_num_queries: Any,
) -> None:
    make_instance()
    with django_assert_num_queries(1):
        app_settings.get_instance("acme")
    with django_assert_num_queries(0):
        assert app_settings.get_instance("acme").client_secret == SECRET
        assert app_settings.has_instance("acme")
    with django_assert_num_queries(1):
        assert app_settings.find_instance("nowhere") is None
    with django_assert_num_queries(0):
        assert app_settings.find_instance("nowhere") is None  # a miss is remembered too
    app_settings.instance_names()
    with django_assert_num_queries(0):
        assert app_settings.instance_names() == ["default", "acme"]


@pytest.mark.usefixtures("shared_cache")
def test_a_change_without_signals_is_remembered_until_forgotten() -> None:
    from django.db import connection

    make_instance()
    assert app_settings.get_instance("acme").host == ACME_HOST
    with connection.cursor() as cursor:  # behind the ORM's back: nothing can tell
        cursor.execute(
            f"UPDATE {WorkfrontInstance._meta.db_table} SET host = %s WHERE name = %s",  # noqa: S608 - the model's own table name
            [GLOBEX_HOST, "acme"],
        )
    assert app_settings.get_instance("acme").host == ACME_HOST
    forget_instances()
    assert app_settings.get_instance("acme").host == GLOBEX_HOST


@pytest.mark.usefixtures("shared_cache")
def test_queryset_update_and_bulk_writes_tell_every_process(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """No post_save for update(), bulk_create() or bulk_update(): they tell all the same."""
    make_instance()
    other_process = DatabaseInstances()
    assert other_process.get("acme") is not None
    generation = other_process.current_generation()
    with django_capture_on_commit_callbacks(execute=True):
        WorkfrontInstance.objects.filter(name="acme").update(host=GLOBEX_HOST)
    assert other_process.current_generation() != generation
    assert app_settings.get_instance("acme").host == GLOBEX_HOST
    assert other_process.get("acme").raw["HOST"] == GLOBEX_HOST
    with django_capture_on_commit_callbacks(execute=True):
        WorkfrontInstance.objects.bulk_create(
            [WorkfrontInstance(name="initech", host=GLOBEX_HOST, client_id="c")]
        )
    assert app_settings.find_instance("initech") is not None


@pytest.mark.usefixtures("shared_cache")
def test_a_save_is_seen_at_once_here_and_by_other_processes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    row = make_instance()
    other_process = DatabaseInstances()  # another process's memory, on the same cache
    assert other_process.get("acme") is not None
    assert app_settings.get_instance("acme").client_secret == SECRET
    generation = caches["default"].get(GENERATION_KEY)
    assert generation
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row.client_secret = NEW_SECRET
        row.save()
    assert callbacks
    assert caches["default"].get(GENERATION_KEY) != generation
    assert app_settings.get_instance("acme").client_secret == NEW_SECRET
    seen = other_process.get("acme")
    assert seen is not None
    assert seen.raw["CLIENT_SECRET"] == NEW_SECRET


@pytest.mark.usefixtures("shared_cache")
def test_a_new_or_deleted_row_is_seen_at_once(django_capture_on_commit_callbacks: Any) -> None:
    assert app_settings.find_instance("acme") is None
    assert app_settings.instance_names() == ["default"]
    with django_capture_on_commit_callbacks(execute=True):
        row = make_instance()
    assert app_settings.find_instance("acme") is not None
    assert app_settings.instance_names() == ["default", "acme"]
    with django_capture_on_commit_callbacks(execute=True):
        row.delete()
    assert app_settings.find_instance("acme") is None
    assert app_settings.instance_names() == ["default"]


@pytest.mark.usefixtures("shared_cache")
def test_a_rolled_back_save_leaves_the_generation(django_capture_on_commit_callbacks: Any) -> None:
    row = make_instance()
    app_settings.get_instance("acme")
    generation = caches["default"].get(GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=False):
        row.host = GLOBEX_HOST
        row.save()
    assert caches["default"].get(GENERATION_KEY) == generation


def test_with_a_process_local_cache_every_lookup_reads_the_row(
    django_assert_num_queries: Any,
) -> None:
    make_instance()
    for _ in range(2):
        with django_assert_num_queries(1):
            app_settings.get_instance("acme")
    WorkfrontInstance.objects.filter(name="acme").update(host=GLOBEX_HOST)
    assert app_settings.get_instance("acme").host == GLOBEX_HOST  # never stale


def test_settings_instances_cost_no_query(django_assert_num_queries: Any) -> None:
    make_instance()
    with django_assert_num_queries(0):
        app_settings.get_instance("default")


# -- saving a row resets its connections' backoff ---------------------------------------------


def test_saving_a_row_resets_the_backoff_of_its_active_connections(
    make_connection: Any, make_user: Any
) -> None:
    row = make_instance()
    make_instance("globex", host=GLOBEX_HOST)
    later = timezone.now() + timedelta(hours=1)
    backing_off = connect(make_connection, next_refresh_attempt_at=later, consecutive_failures=3)
    needing_user = connect(
        make_connection,
        next_refresh_attempt_at=later,
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        user=make_user("bob"),
    )
    other = connect(make_connection, instance="globex", next_refresh_attempt_at=later)
    row.client_secret = NEW_SECRET
    row.save()
    assert WorkfrontConnection.objects.get(pk=backing_off.pk).next_refresh_attempt_at is None
    assert WorkfrontConnection.objects.get(pk=needing_user.pk).next_refresh_attempt_at == later
    assert WorkfrontConnection.objects.get(pk=other.pk).next_refresh_attempt_at == later


def test_a_wrong_secret_names_the_database_field_and_leaves_the_connection_alone(
    make_connection: Any, workfront_http: WorkfrontMock
) -> None:
    make_instance()
    connection = connect(make_connection)
    workfront_http.mock.post(IMS_TOKEN, status=401, json={"error": "invalid_client"})
    with pytest.raises(ClientCredentialsRefused) as raised:
        services.refresh_connection(connection)
    assert 'the client secret of the database instance "acme"' in str(raised.value)
    assert 'the client id of the database instance "acme"' in str(raised.value)
    assert SECRET not in str(raised.value)
    (sent,) = workfront_http.requests
    assert sent.url == IMS_TOKEN
    row = WorkfrontConnection.objects.get(pk=connection.pk)
    assert row.status == WorkfrontConnection.Status.ACTIVE
    assert (row.access_token, row.refresh_token) == ("ims-stored-access", "ims-stored-refresh")


def test_a_refresh_uses_the_row_s_credentials(
    make_connection: Any, workfront_http: WorkfrontMock
) -> None:
    make_instance()
    connection = connect(make_connection)
    ims_token_answer(workfront_http)
    services.refresh_connection(connection)
    (sent,) = workfront_http.requests
    assert sent.basic_auth() == ("acme-client-id", SECRET)
    assert connection.access_token == "ims-access-new"


# -- the database checks ----------------------------------------------------------------------


def test_the_checks_say_nothing_without_rows_or_without_the_database() -> None:
    assert check_database_instances(databases=["default"]) == []
    make_instance(host="http://acme.my.workfront.com")
    assert check_database_instances() == []
    assert check_database_instances(databases=["other"]) == []


def test_e018_a_row_with_a_settings_instance_s_name(settings: Any, tmp_path: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {"HOST": ACME_HOST, "CLIENT_ID": "x", "CLIENT_SECRET": "y"}
    }
    make_instance("sandbox", host="http://acme.my.workfront.com")  # its own rules: not checked
    (message,) = check_database_instances(databases=["default"])
    assert check_ids([message]) == ["E018"]
    assert message.is_serious()
    assert "'sandbox'" in message.msg
    assert "WORKFRONT_OAUTH_INSTANCES" in message.hint


def test_each_row_is_checked_by_the_settings_rules(settings: Any, tmp_path: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    }
    row = make_instance(host="http://acme.my.workfront.com", ims_org_id="")
    make_instance("globex", host=GLOBEX_HOST, redirect_uri="https://example.com/cb/")
    messages = check_database_instances(databases=["default"])
    assert [(m.id, m.msg) for m in messages] == [
        (m.id, m.msg) for m in check_instance("acme", row.settings_values())
    ]
    assert {"E004", "E015"} <= set(check_ids(messages))
    assert any('the database instance "acme"' in m.msg for m in messages)


def test_w010_rows_with_a_process_local_instance_cache() -> None:
    make_instance(redirect_uri="https://example.com/cb/")
    messages = check_database_instances(databases=["default"])
    assert check_ids(messages) == ["W010"]
    assert "WORKFRONT_OAUTH_INSTANCE_CACHE ('default')" in messages[0].msg


@pytest.mark.usefixtures("shared_cache")
def test_no_w010_with_a_shared_instance_cache() -> None:
    make_instance(redirect_uri="https://example.com/cb/")
    assert check_database_instances(databases=["default"]) == []


# -- the admin --------------------------------------------------------------------------------


def page(response: HttpResponse, *secrets: str) -> str:
    """The page, after asserting that no secret, typed or stored, is in it."""
    content = response.content.decode("utf-8")
    for secret in (SECRET, NEW_SECRET, *secrets):
        assert secret not in content
    for row in WorkfrontInstance.objects.only("pk"):
        stored = raw_secret(row.pk)
        if stored:
            assert stored not in content
    return content


def form_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "acme",
        "provider": "adobe_ims",
        "host": ACME_HOST,
        "is_active": "on",
        "client_id": "acme-client-id",
        "client_secret": "",
        "ims_org_id": IMS_ORG_ID,
        "scopes": "",
        "redirect_uri": "https://example.com/workfront/callback/",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def messages_of(response: HttpResponse) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in response.context["messages"]]


def post_action(client: Client, action: str, rows: list[WorkfrontInstance]) -> HttpResponse:
    data = {
        "action": action,
        "index": "0",
        helpers.ACTION_CHECKBOX_NAME: [str(row.pk) for row in rows],
    }
    response: HttpResponse = client.post(reverse(CHANGELIST), data, follow=True)
    assert response.status_code == 200
    return response


def test_the_add_page_stores_the_secret_encrypted_and_never_shows_it(admin_client: Client) -> None:
    content = page(admin_client.get(reverse(ADD)))
    assert 'name="client_secret"' in content
    response = admin_client.post(reverse(ADD), form_data(client_secret=SECRET))
    assert response.status_code == 302, response.context["adminform"].form.errors
    row = WorkfrontInstance.objects.get(name="acme")
    assert row.client_secret == SECRET
    assert SECRET not in raw_secret(row.pk)
    for url in (reverse(CHANGE_URL, args=[row.pk]), reverse(HISTORY_URL, args=[row.pk])):
        page(admin_client.get(url))
    page(admin_client.get(reverse(CHANGELIST)))


def test_a_failed_add_does_not_render_the_typed_secret_back(admin_client: Client) -> None:
    response = admin_client.post(
        reverse(ADD), form_data(client_secret=SECRET, host="http://acme.my.workfront.com")
    )
    assert response.status_code == 200
    content = page(response)
    assert "uses plain http://" in content
    assert not WorkfrontInstance.objects.exists()


def test_the_add_page_refuses_a_missing_secret_with_the_checks_message(
    admin_client: Client,
) -> None:
    response = admin_client.post(reverse(ADD), form_data())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["client_secret"][0].startswith(
        'The client secret of the database instance "acme" is not set.'
    )


def test_the_add_page_refuses_a_settings_name(admin_client: Client) -> None:
    response = admin_client.post(reverse(ADD), form_data(name="default", client_secret=SECRET))
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    assert not WorkfrontInstance.objects.exists()


def test_a_blank_secret_keeps_the_stored_one_and_a_typed_one_replaces_it(
    admin_client: Client,
) -> None:
    row = make_instance(redirect_uri="https://example.com/workfront/callback/")
    url = reverse(CHANGE_URL, args=[row.pk])
    page(admin_client.get(url))
    response = admin_client.post(url, form_data(client_id="acme-client-id-2"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.client_id, row.client_secret) == ("acme-client-id-2", SECRET)
    kept = LogEntry.objects.filter(object_id=str(row.pk)).latest("pk")
    assert "Client secret" not in kept.get_change_message()

    response = admin_client.post(url, form_data(client_secret=NEW_SECRET))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.client_secret == NEW_SECRET
    replaced = LogEntry.objects.filter(object_id=str(row.pk)).latest("pk")
    assert replaced.action_flag == CHANGE
    assert "Client secret" in replaced.get_change_message()
    for entry in LogEntry.objects.all():
        assert SECRET not in entry.change_message
        assert NEW_SECRET not in entry.change_message
    page(admin_client.get(reverse(HISTORY_URL, args=[row.pk])))


def test_a_failed_change_does_not_render_the_typed_or_stored_secret(admin_client: Client) -> None:
    row = make_instance()
    response = admin_client.post(
        reverse(CHANGE_URL, args=[row.pk]),
        form_data(client_secret=NEW_SECRET, ims_org_id=""),
    )
    assert response.status_code == 200
    content = page(response)
    assert "ims org id of the database instance" in content
    row.refresh_from_db()
    assert (row.client_secret, row.ims_org_id) == (SECRET, IMS_ORG_ID)


def test_saving_shows_the_checks_warnings(admin_client: Client) -> None:
    response = admin_client.post(
        reverse(ADD), form_data(client_secret=SECRET, scopes="openid AdobeID"), follow=True
    )
    row = WorkfrontInstance.objects.get(name="acme")
    expected = [
        describe_check_message(message)
        for message in check_instance("acme", row.settings_values())
        if not message.is_serious()
    ]
    assert expected[0].startswith('The scopes of the database instance "acme" lacks offline_access')
    warnings = [text for level, text in messages_of(response) if level == 30]
    assert [text for text in warnings if "W010" not in text] == expected


def test_the_list_shows_the_counts_in_a_bounded_number_of_queries(
    admin_client: Client, make_connection: Any, make_user: Any
) -> None:
    make_instance()
    connect(make_connection)
    connect(
        make_connection,
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        user=make_user("bob"),
    )
    connect(make_connection, provider="workfront", user=make_user("carol"))

    def counted() -> tuple[int, dict[str, tuple[int, int, int]]]:
        with CaptureQueriesContext(db_connection) as queries:
            response = admin_client.get(reverse(CHANGELIST))
        page(response)
        admin = response.context["cl"].model_admin
        shown = {
            row.name: (admin.connections(row), admin.needing_user(row), admin.on_legacy(row))
            for row in response.context["cl"].result_list
        }
        return len(queries), shown

    few, shown = counted()
    assert shown == {"acme": (3, 1, 1)}
    for name in ("b1", "b2", "b3", "b4"):
        make_instance(name, host=GLOBEX_HOST)
    connect(make_connection, instance="b2")
    many, shown = counted()
    assert shown["acme"] == (3, 1, 1)
    assert shown["b2"] == (1, 0, 0)
    assert shown["b4"] == (0, 0, 0)
    assert many == few


def test_the_list_warns_when_the_cache_is_process_local(
    admin_client: Client, settings: Any, tmp_path: Any
) -> None:
    response = admin_client.get(reverse(CHANGELIST))
    assert not any("W010" in text for _, text in messages_of(response))  # no rows yet
    make_instance()
    response = admin_client.get(reverse(CHANGELIST))
    assert any("W010" in text for _, text in messages_of(response))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        },
        # Sessions and messages stay where they were.
    }
    response = admin_client.get(reverse(CHANGELIST))
    assert not any("W010" in text for _, text in messages_of(response))


def test_check_selected_reports_each_instance(
    admin_client: Client, workfront_http: WorkfrontMock
) -> None:
    good = make_instance()
    bad = make_instance("globex", host=GLOBEX_HOST, client_id="globex-client-id")
    workfront_http.mock.get(f"{ACME_HOST}/attask/api/v21.0/USER/search", status=401, json={})
    workfront_http.mock.get(f"{GLOBEX_HOST}/attask/api/v21.0/USER/search", status=401, json={})

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        # The made-up code is refused as it should be for acme; globex's credentials are wrong.
        sent = SentRequest(request.method, request.url, request.headers, request.body, None)
        if sent.client_id() == "globex-client-id":
            return 401, {"Content-Type": "application/json"}, '{"error": "invalid_client"}'
        return 400, {"Content-Type": "application/json"}, '{"error": "invalid_grant"}'

    workfront_http.mock.add_callback("POST", IMS_TOKEN, callback=answer)
    response = post_action(admin_client, "check_selected", [good, bad])
    shown = messages_of(response)
    ok = [text for level, text in shown if level == 25]
    failed = [text for level, text in shown if level == 40]
    assert len(ok) == 1
    assert ok[0].startswith("acme: OK.")
    assert len(failed) == 1
    assert failed[0].startswith("globex: ")
    assert 'the client secret of the database instance "globex"' in failed[0]
    for text in ok + failed:
        assert SECRET not in text


def test_check_selected_runs_workfront_check_on_the_selected_rows_only(
    admin_client: Client,
) -> None:
    rows = [make_instance(), make_instance("globex", host=GLOBEX_HOST), make_instance("b3")]
    results = {
        "acme": InstanceCheck("acme", ["Workfront answers."]),
        "globex": InstanceCheck("globex", [], problem="It broke."),
    }
    with mock.patch(
        "django_workfront_oauth.admin.instances.check_instance", side_effect=results.__getitem__
    ) as checked:
        response = post_action(admin_client, "check_selected", rows[:2])
    assert sorted(call.args[0] for call in checked.call_args_list) == ["acme", "globex"]
    assert sorted(m for m in messages_of(response) if m[0] != 30) == [
        (25, "acme: OK. Workfront answers."),
        (40, "globex: It broke. "),
    ]


def test_deactivate_and_activate_log_the_acting_user(
    admin_client: Client, make_connection: Any, django_user_model: Any
) -> None:
    row = make_instance()
    other = make_instance("globex", host=GLOBEX_HOST, is_active=False)
    connection = connect(make_connection)
    admin_user = django_user_model.objects.get(username="admin")

    response = post_action(admin_client, "deactivate", [row, other])
    assert (25, "1 instance deactivated.") in messages_of(response)
    row.refresh_from_db()
    assert row.is_active is False
    assert app_settings.get_instance("acme").is_active is False
    assert WorkfrontConnection.objects.filter(pk=connection.pk).exists()
    (entry,) = LogEntry.objects.filter(object_id=str(row.pk))
    assert (entry.user, entry.action_flag, entry.get_change_message()) == (
        admin_user,
        CHANGE,
        "Deactivated.",
    )
    assert not LogEntry.objects.filter(object_id=str(other.pk)).exists()

    response = post_action(admin_client, "activate", [row, other])
    assert (25, "2 instances activated.") in messages_of(response)
    assert WorkfrontInstance.objects.filter(is_active=True).count() == 2
    latest = LogEntry.objects.filter(object_id=str(row.pk)).latest("pk")
    assert (latest.user, latest.get_change_message()) == (admin_user, "Activated.")


def test_deleting_an_instance_with_connections_is_refused(
    admin_client: Client, make_connection: Any
) -> None:
    row = make_instance()
    connect(make_connection)
    url = reverse(DELETE_URL, args=[row.pk])
    confirmation = page(admin_client.get(url))
    assert "uses the instance acme" in confirmation
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert WorkfrontInstance.objects.filter(pk=row.pk).exists()
    bulk = admin_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [str(row.pk)], "post": "yes"},
    )
    assert bulk.status_code == 200
    assert "uses the instance acme" in bulk.content.decode()
    assert WorkfrontInstance.objects.filter(pk=row.pk).exists()


def test_deleting_an_instance_the_site_s_own_connection_uses_is_refused(
    admin_client: Client,
) -> None:
    row = make_instance("robot", provider="adobe_ims_s2s")
    ServiceConnection.objects.create(instance="robot", provider="adobe_ims_s2s", host=ACME_HOST)
    url = reverse(DELETE_URL, args=[row.pk])
    assert "robot" in page(admin_client.get(url))
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert WorkfrontInstance.objects.filter(pk=row.pk).exists()


def test_deleting_an_unused_instance_works(admin_client: Client) -> None:
    row = make_instance()
    response = admin_client.post(reverse(DELETE_URL, args=[row.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not WorkfrontInstance.objects.exists()


def test_the_name_is_read_only_once_connections_use_it(
    admin_client: Client, make_connection: Any
) -> None:
    row = make_instance(redirect_uri="https://example.com/workfront/callback/")
    url = reverse(CHANGE_URL, args=[row.pk])
    assert re.search(r'<input[^>]*name="name"', page(admin_client.get(url)))
    connect(make_connection)
    content = page(admin_client.get(url))
    assert not re.search(r'<input[^>]*name="name"', content)
    response = admin_client.post(url, form_data(name="renamed"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.name == "acme"


# -- what the review found -----------------------------------------------------------------------


def test_a_connection_to_an_instance_no_longer_offered_gets_no_button_that_would_403(
    settings: Any, user_client: Client, make_connection: Any
) -> None:
    make_instance()
    make_instance("globex", host=GLOBEX_HOST)
    connect(
        make_connection,
        "globex",
        host=GLOBEX_HOST,
        status=WorkfrontConnection.Status.REAUTH_REQUIRED,
        last_error="The token endpoint refused the refresh token.",
    )
    settings.WORKFRONT_OAUTH_OFFERED_INSTANCES = "tests.test_database_instances.only_acme"
    content = user_client.get(reverse("workfront_oauth:connections")).content.decode()
    assert GLOBEX_HOST in content  # listed with its state, to be disconnected
    assert 'value="globex"' not in content  # but no Reconnect that authorize would refuse
    refused = user_client.post(reverse("workfront_oauth:authorize"), {"instance": "globex"})
    assert refused.status_code == 403


@pytest.mark.parametrize("rows", [1, 8])
def test_the_admin_list_reads_the_instances_once_whatever_the_rows(
    admin_client: Any, django_user_model: Any, make_connection: Any, rows: int
) -> None:
    """A process-local cache reads rows at each lookup: the list still reads them once."""
    make_instance()
    for index in range(rows):
        connect(make_connection, user=django_user_model.objects.create_user(f"u{index}"))
    url = reverse("admin:django_workfront_oauth_workfrontconnection_changelist")
    admin_client.get(url)
    with CaptureQueriesContext(db_connection) as queries:
        assert admin_client.get(url).status_code == 200
    instance_reads = [
        query for query in queries.captured_queries if "workfrontinstance" in query["sql"]
    ]
    assert len(instance_reads) <= 2  # the names and the rows, once for the page


def test_the_instance_list_counts_the_sites_own_connection(admin_client: Any) -> None:
    row = make_instance("robot", provider="adobe_ims_s2s")
    ServiceConnection.objects.create(instance="robot", host=ACME_HOST)
    content = admin_client.get(
        reverse("admin:django_workfront_oauth_workfrontinstance_changelist")
    ).content.decode()
    assert '<td class="field-connections">1</td>' in content
    with pytest.raises(InstanceInUse):
        row.delete()


@pytest.mark.parametrize(
    "error",
    [
        "django_workfront_oauth.WorkfrontConnection.access_token cannot be decrypted with the "
        "configured FIELD_ENCRYPTION_KEY; add the key it was written with to the key list.",
        "The instance 'acme' now has HOST https://globex.my.workfront.com, but this connection "
        "was made with https://acme.my.workfront.com; its refresh token is not sent there.",
    ],
    ids=["unreadable", "host-changed"],
)
def test_pausing_keeps_an_error_that_pausing_does_not_change(
    make_connection: Any, error: str
) -> None:
    make_instance(is_active=False)
    connection = connect(make_connection, last_error=error)
    assert mark_paused_connections() == 0
    connection.refresh_from_db()
    assert connection.last_error == error
