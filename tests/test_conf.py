"""The settings object: defaults, conversions, instances, and reading at access time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings

from django_workfront_oauth.conf import (
    app_settings,
    as_timedelta,
    derive_domain_lane,
    is_loopback_host,
    normalise_host,
    parse_scopes,
)


def test_defaults_of_the_default_instance() -> None:
    instance = app_settings.get_instance()
    assert instance.name == "default"
    assert instance.host == "https://acme.my.workfront.com"
    assert (instance.client_id, instance.client_secret) == ("test-client-id", "test-client-secret")
    assert instance.provider == "workfront"
    assert instance.token_auth_method == "client_secret_basic"
    assert instance.use_pkce is False
    assert instance.api_version == "v21.0"
    assert instance.access_token_lifetime == timedelta(hours=8)
    assert instance.refresh_margin == timedelta(minutes=15)
    assert instance.http_timeout == timedelta(seconds=10)
    assert instance.timeout_seconds == 10.0
    assert instance.success_url == "/"
    assert instance.redirect_uri == ""
    assert instance.scopes == ()  # the legacy app has no scopes; IMS gets DEFAULT_SCOPES
    assert instance.ims_host == "https://ims-na1.adobelogin.com"
    assert instance.api_base_url == "https://acme.my.workfront.com/attask/api/v21.0"


def test_settings_are_read_at_access_time() -> None:
    with override_settings(WORKFRONT_OAUTH_HTTP_TIMEOUT=3, WORKFRONT_OAUTH_API_VERSION="v22.0"):
        instance = app_settings.get_instance()
        assert instance.timeout_seconds == 3
        assert instance.api_version == "v22.0"
    assert app_settings.get_instance().timeout_seconds == 10


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(minutes=2), timedelta(minutes=2)),
        (90, timedelta(seconds=90)),
        (1.5, timedelta(seconds=1.5)),
    ],
    ids=["timedelta", "int-seconds", "float-seconds"],
)
def test_as_timedelta_accepts_timedelta_or_seconds(value: Any, expected: timedelta) -> None:
    assert as_timedelta(value) == expected


@pytest.mark.parametrize("value", ["90", True, None, [1]], ids=["string", "bool", "none", "list"])
def test_as_timedelta_rejects_other_types(value: Any) -> None:
    with pytest.raises(TypeError, match="timedelta or a number of seconds"):
        as_timedelta(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("openid,AdobeID", ("openid", "AdobeID")),
        ("openid AdobeID", ("openid", "AdobeID")),
        (" openid , AdobeID ,", ("openid", "AdobeID")),
        (["openid", " AdobeID "], ("openid", "AdobeID")),
        ("", ()),
    ],
    ids=["comma", "space", "messy", "list", "empty"],
)
def test_parse_scopes(value: Any, expected: tuple[str, ...]) -> None:
    assert parse_scopes(value) == expected


@pytest.mark.parametrize(
    ("hostname", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("::1", True),
        ("10.0.0.1", False),
        ("acme.my.workfront.com", False),
        ("localhost.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback_host(hostname: str | None, expected: bool) -> None:
    assert is_loopback_host(hostname) is expected


def test_normalise_host_lowercases_and_drops_trailing_slash() -> None:
    assert normalise_host(" HTTPS://Acme.My.Workfront.com/ ") == "https://acme.my.workfront.com"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("https://acme.my.workfront.com", ("acme", "my")),
        ("https://acme.preview.workfront.adobe.com", ("acme", "preview")),
        ("https://ACME.SB01.workfront.com/", ("acme", "sb01")),
        ("https://my-org.sb02.workfront.com", ("my-org", "sb02")),
        ("https://workfront.com", None),
        ("https://acme.workfront.com", None),
        ("https://acme.my.workfront.com.evil.example", None),
        ("https://a.b.my.workfront.com", None),
        ("http://127.0.0.1:8000", None),
    ],
)
def test_derive_domain_lane(host: str, expected: tuple[str, str] | None) -> None:
    assert derive_domain_lane(host) == expected


def test_expected_domain_lane_from_settings_wins_over_host(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_DOMAIN = "Proxy"
    settings.WORKFRONT_OAUTH_LANE = "My"
    assert app_settings.get_instance().expected_domain_lane == ("proxy", "my")


def test_expected_domain_lane_with_only_domain_set_derives_from_host(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_DOMAIN = "other"
    assert app_settings.get_instance().expected_domain_lane == ("acme", "my")


def test_expected_domain_lane_unknown_for_other_hosts(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "http://127.0.0.1:9000"
    assert app_settings.get_instance().expected_domain_lane is None


def test_instance_settings_repr_hides_the_client_secret() -> None:
    text = repr(app_settings.get_instance())
    assert "test-client-secret" not in text
    assert "default" in text
    assert "https://acme.my.workfront.com" in text


@pytest.mark.django_db
def test_instances_not_a_mapping_is_ignored(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = ["sandbox"]
    assert app_settings.INSTANCES == {}
    assert app_settings.instance_names() == ["default"]


@pytest.mark.django_db
def test_instance_names_default_first_without_duplicating_default(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": {}, "default": {}, "eu": {}}
    assert app_settings.instance_names() == ["default", "sandbox", "eu"]


def test_named_instance_omitted_keys_take_the_app_defaults_not_the_default_instances(
    settings: Any,
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    settings.WORKFRONT_OAUTH_USE_PKCE = True
    settings.WORKFRONT_OAUTH_HTTP_TIMEOUT = 3
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "sandbox": {
            "HOST": "https://acme.sb01.workfront.com/",
            "CLIENT_ID": "sb-id",
            "CLIENT_SECRET": "sb-secret",
            "REFRESH_MARGIN": 60,
            "PROVIDER": "workfront",
        }
    }
    sandbox = app_settings.get_instance("sandbox")
    assert sandbox.name == "sandbox"
    assert sandbox.host == "https://acme.sb01.workfront.com"
    assert (sandbox.client_id, sandbox.client_secret) == ("sb-id", "sb-secret")
    assert sandbox.refresh_margin == timedelta(seconds=60)
    assert sandbox.token_auth_method == "client_secret_basic"
    assert sandbox.use_pkce is False
    assert sandbox.http_timeout == timedelta(seconds=10)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "entry", [None, "https://acme.sb01.workfront.com"], ids=["missing", "not-a-dict"]
)
def test_unknown_or_malformed_instance_raises_key_error(settings: Any, entry: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {} if entry is None else {"sandbox": entry}
    assert app_settings.has_instance("sandbox") is False
    with pytest.raises(KeyError):
        app_settings.get_instance("sandbox")


def test_has_instance_default_always(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {"sandbox": {"HOST": "https://acme.sb01.workfront.com"}}
    assert app_settings.has_instance("default")
    assert app_settings.has_instance("sandbox")


def test_empty_host_stays_empty(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = ""
    assert app_settings.get_instance().host == ""


def test_redirect_uri_none_is_empty(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_REDIRECT_URI = None
    assert app_settings.get_instance().redirect_uri == ""


def test_a_fresh_site_defaults_to_adobe_ims_with_pkce(settings: Any) -> None:
    """No legacy app can be created after 2026-11-01: IMS is what a new site gets."""
    del settings.WORKFRONT_OAUTH_PROVIDER
    default = app_settings.get_instance()
    assert (default.provider, default.use_pkce) == ("adobe_ims", True)
    assert not app_settings.provider_is_explicit()


def test_use_pkce_defaults_by_provider_and_can_be_forced_either_way(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_INSTANCES = {
        "ims": {"HOST": "https://acme.my.workfront.com"},
        "legacy": {"HOST": "https://acme.sb01.workfront.com", "PROVIDER": "workfront"},
        "legacy_pkce": {"PROVIDER": "workfront", "USE_PKCE": True},
        "ims_no_pkce": {"USE_PKCE": False},
    }
    pkce = {
        name: app_settings.get_instance(name).use_pkce
        for name in settings.WORKFRONT_OAUTH_INSTANCES
    }
    assert pkce == {"ims": True, "legacy": False, "legacy_pkce": True, "ims_no_pkce": False}
    assert app_settings.provider_is_explicit("legacy")
    assert not app_settings.provider_is_explicit("ims")
