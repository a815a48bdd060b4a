"""System checks: one test per id, the legacy shutdown date, and a clean configuration."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from unittest import mock

import pytest
from django.core.checks import Error, Warning, run_checks
from django.core.checks.registry import registry

from django_workfront_oauth import checks

BEFORE_SHUTDOWN = date(2026, 6, 1)
REAL_TODAY = checks.today


@pytest.fixture(autouse=True)
def before_shutdown() -> Iterator[None]:
    """Pin the date before 2027-02-01 unless a test moves it."""
    with mock.patch("django_workfront_oauth.checks.instances.today", return_value=BEFORE_SHUTDOWN):
        yield


def settings_messages() -> list[Any]:
    return checks.check_settings()


def by_id(messages: list[Any], check_id: str) -> list[Any]:
    return [message for message in messages if message.id == f"django_workfront_oauth.{check_id}"]


def only(messages: list[Any], check_id: str) -> Any:
    found = by_id(messages, check_id)
    assert len(found) == 1, [message.id for message in messages]
    return found[0]


def error_ids(messages: list[Any]) -> set[str]:
    return {message.id for message in messages if isinstance(message, Error)}


# -- a clean configuration ---------------------------------------------------------------------


def test_clean_configuration_has_no_errors_only_the_legacy_warnings() -> None:
    """The test settings run the legacy provider: its end date and its lack of PKCE are said."""
    messages = run_checks(include_deployment_checks=False)
    ours = [message for message in messages if message.id.startswith("django_workfront_oauth.")]
    assert sorted(message.id for message in ours) == [
        "django_workfront_oauth.W002",
        "django_workfront_oauth.W008",
    ]


def test_clean_configuration_with_named_instances_has_no_errors(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {
            "HOST": "https://acme.sb01.workfront.com",
            "CLIENT_ID": "sb-id",
            "CLIENT_SECRET": "sb-secret",
            "REDIRECT_URI": "https://app.example.com/workfront/callback/",
            "REFRESH_MARGIN": 600,
            "PROVIDER": "workfront",
        }
    }
    messages = settings_messages()
    assert error_ids(messages) == set()
    assert sorted(message.id for message in messages) == [
        "django_workfront_oauth.W002",
        "django_workfront_oauth.W002",
        "django_workfront_oauth.W008",
        "django_workfront_oauth.W008",
    ]


def test_the_checks_are_registered_with_django() -> None:
    registered = {check.__name__ for check in registry.get_checks()}
    assert {"check_settings", "check_encryption_key", "check_dependencies"} <= registered


# -- E001, E002, E003: required settings ---------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "check_id"),
    [("HOST", "E001"), ("CLIENT_ID", "E002"), ("CLIENT_SECRET", "E003")],
)
def test_missing_required_setting(settings: Any, setting: str, check_id: str) -> None:
    setattr(settings, f"WORKFRONT_OAUTH_{setting}", "")
    error = only(settings_messages(), check_id)
    assert isinstance(error, Error)
    assert f"WORKFRONT_OAUTH_{setting} is not set" in error.msg
    assert "OAuth2 Applications" in error.hint


def test_missing_required_setting_of_named_instance_names_its_key(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": {"HOST": "https://acme.sb01.workfront.com"}}
    messages = settings_messages()
    assert 'WORKFRONT_OAUTH_INSTANCES["sandbox"]["CLIENT_ID"]' in only(messages, "E002").msg
    assert 'WORKFRONT_OAUTH_INSTANCES["sandbox"]["CLIENT_SECRET"]' in only(messages, "E003").msg


def test_unset_host_setting_is_e001(settings: Any) -> None:
    del settings.WORKFRONT_OAUTH_HOST
    assert only(settings_messages(), "E001")


# -- E004, E005: the host --------------------------------------------------------------------------


def test_plain_http_host_not_on_loopback_is_e004(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "http://acme.my.workfront.com"
    error = only(settings_messages(), "E004")
    assert "WORKFRONT_OAUTH_HOST" in error.msg
    assert "https://" in error.hint


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:8123", "http://localhost:8123", "http://[::1]:8123"]
)
def test_plain_http_host_on_loopback_is_allowed(settings: Any, host: str) -> None:
    settings.WORKFRONT_OAUTH_HOST = host
    settings.WORKFRONT_OAUTH_DOMAIN = "emu"
    settings.WORKFRONT_OAUTH_LANE = "local"
    assert error_ids(settings_messages()) == set()


@pytest.mark.parametrize(
    "host",
    ["acme.my.workfront.com", "ftp://acme.my.workfront.com", "https://"],
    ids=["no-scheme", "other-scheme", "no-hostname"],
)
def test_host_that_is_not_an_absolute_url_is_e005(settings: Any, host: str) -> None:
    settings.WORKFRONT_OAUTH_HOST = host
    error = only(settings_messages(), "E005")
    assert "https://acme.my.workfront.com" in error.hint


@pytest.mark.parametrize(
    "host",
    [
        "https://acme.my.workfront.com/attask",
        "https://acme.my.workfront.com?x=1",
        "https://acme.my.workfront.com#top",
        "https://user:pw@acme.my.workfront.com",
    ],
    ids=["path", "query", "fragment", "credentials"],
)
def test_host_with_more_than_a_base_url_is_e005(settings: Any, host: str) -> None:
    settings.WORKFRONT_OAUTH_HOST = host
    error = only(settings_messages(), "E005")
    assert "without a path, query or credentials" in error.msg


def test_host_with_trailing_slash_is_accepted(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "https://acme.my.workfront.com/"
    assert error_ids(settings_messages()) == set()


# -- E006: the encryption key ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, "", [], "not-a-fernet-key", ["dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=", "bad"], 42],
    ids=["missing", "empty", "empty-list", "invalid", "list-with-invalid", "not-a-string"],
)
def test_bad_field_encryption_key_is_e006(settings: Any, value: Any) -> None:
    if value is None:
        del settings.FIELD_ENCRYPTION_KEY
    else:
        settings.FIELD_ENCRYPTION_KEY = value
    (error,) = checks.check_encryption_key()
    assert error.id == "django_workfront_oauth.E006"
    assert "FIELD_ENCRYPTION_KEY" in error.msg
    assert "Fernet.generate_key()" in error.hint


def test_key_list_for_rotation_is_accepted(settings: Any) -> None:
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode(), Fernet.generate_key()]
    assert checks.check_encryption_key() == []


# -- E007: the redirect URI ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["/workfront/callback/", "http://app.example.com/workfront/callback/"],
    ids=["relative", "plain-http"],
)
def test_bad_redirect_uri_is_e007(settings: Any, value: str) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = value
    error = only(settings_messages(), "E007")
    assert "WORKFRONT_OAUTH_REDIRECT_URI" in error.msg + error.hint


@pytest.mark.parametrize(
    "value",
    ["https://app.example.com/workfront/callback/", "http://127.0.0.1:8000/workfront/callback/"],
    ids=["https", "loopback-http"],
)
def test_good_redirect_uri_is_accepted(settings: Any, value: str) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = value
    assert error_ids(settings_messages()) == set()


# -- E008: the token auth method -------------------------------------------------------------------


def test_unknown_token_auth_method_is_e008(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_jwt"
    error = only(settings_messages(), "E008")
    assert "client_secret_jwt" in error.msg
    assert "client_secret_basic" in error.hint
    assert "client_secret_post" in error.hint


# -- E009, E010: sessions and authentication -------------------------------------------------------


def test_missing_session_middleware_is_e009(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "SessionMiddleware" not in m]
    (error,) = by_id(checks.check_dependencies(), "E009")
    assert "SessionMiddleware" in error.hint


def test_sessions_app_not_installed_is_e009() -> None:
    with mock.patch.object(
        checks.site.apps, "is_installed", side_effect=lambda name: name != "django.contrib.sessions"
    ):
        assert [error.id for error in checks.check_dependencies()] == [
            "django_workfront_oauth.E009"
        ]


def test_missing_authentication_middleware_is_e010(settings: Any) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "AuthenticationMiddleware" not in m]
    (error,) = by_id(checks.check_dependencies(), "E010")
    assert "AuthenticationMiddleware" in error.hint


def test_auth_app_not_installed_is_e010() -> None:
    with mock.patch.object(
        checks.site.apps, "is_installed", side_effect=lambda name: name != "django.contrib.auth"
    ):
        assert [error.id for error in checks.check_dependencies()] == [
            "django_workfront_oauth.E010"
        ]


def test_dependencies_present_raise_nothing() -> None:
    assert checks.check_dependencies() == []


# -- E011: the INSTANCES setting -------------------------------------------------------------------


def test_instances_not_a_dict_is_e011(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = [("sandbox", {})]
    error = only(settings_messages(), "E011")
    assert "must be a dict" in error.msg


@pytest.mark.parametrize(
    "name",
    ["default", "has space", "", "x" * 65, 7],
    ids=["default", "space", "empty", "long", "int"],
)
def test_instances_invalid_name_is_e011(settings: Any, name: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {name: {"HOST": "https://acme.sb01.workfront.com"}}
    error = only(settings_messages(), "E011")
    assert "invalid instance name" in error.msg


def test_instances_entry_not_a_dict_is_e011(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": "https://acme.sb01.workfront.com"}
    error = only(settings_messages(), "E011")
    assert 'WORKFRONT_OAUTH_INSTANCES["sandbox"] must be a dict' in error.msg


def test_instances_unknown_key_is_e011(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {
            "HOST": "https://acme.sb01.workfront.com",
            "CLIENT_ID": "i",
            "CLIENT_SECRET": "s",
            "WORKFRONT_OAUTH_LANE": "sb01",
        }
    }
    error = only(settings_messages(), "E011")
    assert "WORKFRONT_OAUTH_LANE" in error.msg
    assert "without the WORKFRONT_OAUTH_ prefix" in error.hint


# -- E012: the provider ----------------------------------------------------------------------------


def test_unknown_provider_is_e012(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "okta"
    error = only(settings_messages(), "E012")
    assert "'okta'" in error.msg
    assert "workfront" in error.hint
    assert by_id(settings_messages(), "W002") == []


# -- E013: typed settings --------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["ACCESS_TOKEN_LIFETIME", "REFRESH_MARGIN", "HTTP_TIMEOUT"])
@pytest.mark.parametrize(
    "value",
    ["10", 0, -1, timedelta(0), None],
    ids=["string", "zero", "negative", "zero-timedelta", "none"],
)
def test_bad_duration_is_e013(settings: Any, setting: str, value: Any) -> None:
    setattr(settings, f"WORKFRONT_OAUTH_{setting}", value)
    error = only(settings_messages(), "E013")
    assert f"WORKFRONT_OAUTH_{setting}" in error.msg
    assert "timedelta" in error.hint


def test_use_pkce_not_a_bool_is_e013(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_USE_PKCE = "yes"
    error = only(settings_messages(), "E013")
    assert "WORKFRONT_OAUTH_USE_PKCE must be True, False or None" in error.msg


# -- W001: domain and lane -------------------------------------------------------------------------


def test_host_of_another_form_without_domain_and_lane_is_w001(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "https://workfront.proxy.example"
    warning = only(settings_messages(), "W001")
    assert isinstance(warning, Warning)
    assert "WORKFRONT_OAUTH_DOMAIN" in warning.hint
    assert "WORKFRONT_OAUTH_LANE" in warning.hint


def test_host_of_another_form_with_only_domain_is_still_w001(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "https://workfront.proxy.example"
    settings.WORKFRONT_OAUTH_DOMAIN = "acme"
    assert only(settings_messages(), "W001")


def test_host_of_another_form_with_domain_and_lane_has_no_w001(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "https://workfront.proxy.example"
    settings.WORKFRONT_OAUTH_DOMAIN = "acme"
    settings.WORKFRONT_OAUTH_LANE = "my"
    assert by_id(settings_messages(), "W001") == []


# -- W002 and E014: the legacy service's end -------------------------------------------------------


def test_legacy_provider_before_shutdown_is_w002_naming_the_date_and_the_fix() -> None:
    warning = only(settings_messages(), "W002")
    assert isinstance(warning, Warning)
    assert "2027-02-01" in warning.msg
    assert "WORKFRONT_OAUTH_PROVIDER" in warning.hint
    assert "adobe_ims" in warning.hint
    assert by_id(settings_messages(), "E014") == []


def test_legacy_provider_on_the_day_before_shutdown_is_still_w002() -> None:
    with mock.patch(
        "django_workfront_oauth.checks.instances.today", return_value=date(2027, 1, 31)
    ):
        messages = settings_messages()
    assert only(messages, "W002")
    assert by_id(messages, "E014") == []


@pytest.mark.parametrize("day", [date(2027, 2, 1), date(2028, 1, 1)], ids=["shutdown-day", "after"])
def test_legacy_provider_from_shutdown_day_is_e014(day: date) -> None:
    with mock.patch("django_workfront_oauth.checks.instances.today", return_value=day):
        messages = settings_messages()
    error = only(messages, "E014")
    assert isinstance(error, Error)
    assert "2027-02-01" in error.msg
    assert "adobe_ims" in error.hint
    assert by_id(messages, "W002") == []


def test_legacy_warning_for_each_named_instance_names_it(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {
            "HOST": "https://acme.sb01.workfront.com",
            "CLIENT_ID": "i",
            "CLIENT_SECRET": "s",
            "PROVIDER": "workfront",
        }
    }
    warnings = by_id(settings_messages(), "W002")
    assert len(warnings) == 2
    assert "'sandbox'" in warnings[1].msg
    assert 'WORKFRONT_OAUTH_INSTANCES["sandbox"]["PROVIDER"]' in warnings[1].hint


def test_today_is_the_current_date() -> None:
    moment = datetime(2027, 2, 1, 0, 0, 1, tzinfo=dt_timezone.utc)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        assert REAL_TODAY() == date(2027, 2, 1)


# -- the default provider changed: E017, W007 ------------------------------------------------------


def test_a_site_of_the_old_legacy_default_is_told_not_switched(settings: Any) -> None:
    """No PROVIDER and no IMS_ORG_ID: E017 names the setting; no IMS errors pile up."""
    del settings.WORKFRONT_OAUTH_PROVIDER
    messages = settings_messages()
    error = only(messages, "E017")
    assert "WORKFRONT_OAUTH_PROVIDER is not set" in error.msg
    assert "WORKFRONT_OAUTH_PROVIDER = 'workfront'" in error.hint
    assert by_id(messages, "E015") == []


def test_a_fresh_ims_site_without_provider_set_is_clean(settings: Any) -> None:
    del settings.WORKFRONT_OAUTH_PROVIDER
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = "0123456789ABCDEF@AdobeOrg"
    settings.WORKFRONT_OAUTH_REDIRECT_URI = "https://app.example.com/workfront/callback/"
    assert error_ids(settings_messages()) == set()
    assert [message.id for message in settings_messages()] == []


@pytest.mark.django_db
def test_legacy_connections_on_an_instance_that_took_the_new_default_warn_w007(
    settings: Any, make_connection: Any
) -> None:
    from django_workfront_oauth.checks import check_legacy_connections_after_default_change

    make_connection(provider="workfront")
    assert check_legacy_connections_after_default_change(databases=["default"]) == []
    del settings.WORKFRONT_OAUTH_PROVIDER
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = "0123456789ABCDEF@AdobeOrg"
    (warning,) = check_legacy_connections_after_default_change(databases=["default"])
    assert warning.id == "django_workfront_oauth.W007"
    assert "1 legacy Workfront connection" in warning.msg
    assert "WORKFRONT_OAUTH_PROVIDER" in warning.hint
    # A database check: without databases (plain `check`) it asks nothing.
    assert check_legacy_connections_after_default_change() == []


# -- W008: legacy without PKCE; W009: a callback built as http:// ----------------------------------


def test_legacy_without_pkce_says_what_pkce_protects_against(settings: Any) -> None:
    warning = only(settings_messages(), "W008")
    assert "RFC 9700" in warning.msg and "code injection" in warning.msg
    assert "WORKFRONT_OAUTH_USE_PKCE = True" in warning.hint
    settings.WORKFRONT_OAUTH_USE_PKCE = True
    assert by_id(settings_messages(), "W008") == []


def test_ims_callback_built_from_requests_behind_a_proxy_warns_w009(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "adobe_ims"
    settings.WORKFRONT_OAUTH_IMS_ORG_ID = "0123456789ABCDEF@AdobeOrg"
    warning = only(settings_messages(), "W009")
    assert "SECURE_PROXY_SSL_HEADER" in warning.msg
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert by_id(settings_messages(), "W009") == []
    del settings.SECURE_PROXY_SSL_HEADER
    settings.WORKFRONT_OAUTH_REDIRECT_URI = "https://app.example.com/workfront/callback/"
    assert by_id(settings_messages(), "W009") == []


@pytest.mark.parametrize("value", [0, -1, "10", 2.5, True])
def test_max_concurrent_requests_must_be_a_positive_whole_number(settings: Any, value: Any) -> None:
    settings.WORKFRONT_OAUTH_MAX_CONCURRENT_REQUESTS = value
    error = only(settings_messages(), "E013")
    assert "WORKFRONT_OAUTH_MAX_CONCURRENT_REQUESTS must be a positive whole number" in error.msg
