"""The legacy Workfront provider: authorize URL, token requests and responses, user, logout."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from django_workfront_oauth import __version__
from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.exceptions import (
    InvalidCallback,
    ReauthorizationRequired,
    WorkfrontAPIError,
    WorkfrontUnavailable,
)
from django_workfront_oauth.providers import (
    PKCEPair,
    TokenSet,
    WorkfrontProvider,
    get_provider,
    safe_code,
)
from tests.conftest import HOST

TOKEN_URL = f"{HOST}/integrations/oauth2/api/v1/token"
REDIRECT_URI = "https://app.example.com/workfront/callback/"


def provider() -> WorkfrontProvider:
    """The default instance's provider, built from the settings as they are now."""
    built = get_provider(app_settings.get_instance())
    assert isinstance(built, WorkfrontProvider)
    return built


def exchange(**kwargs: Any) -> TokenSet:
    return provider().exchange_code(
        host=HOST, code=kwargs.pop("code", "the-code"), redirect_uri=REDIRECT_URI, **kwargs
    )


# -- authorization URL, callback checks --------------------------------------------------------


def test_authorization_url_without_challenge_has_exactly_the_documented_parameters() -> None:
    url = provider().authorization_url(host=HOST, state="s-1", redirect_uri=REDIRECT_URI)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{HOST}/integrations/oauth2/authorize"
    )
    assert parse_qs(parts.query) == {
        "client_id": ["test-client-id"],
        "redirect_uri": [REDIRECT_URI],
        "response_type": ["code"],
        "state": ["s-1"],
    }


def test_authorization_url_with_challenge_adds_s256() -> None:
    url = provider().authorization_url(
        host=HOST, state="s-1", redirect_uri=REDIRECT_URI, code_challenge="chal"
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge"] == ["chal"]
    assert query["code_challenge_method"] == ["S256"]


def test_pkce_pair_challenge_is_the_s256_of_its_verifier() -> None:
    pair = PKCEPair.generate()
    digest = hashlib.sha256(pair.verifier.encode()).digest()
    assert pair.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert len(pair.verifier) >= 43
    assert PKCEPair.generate().verifier != pair.verifier


def test_validate_callback_missing_domain_and_lane_are_not_compared() -> None:
    provider().validate_callback({"code": "c", "state": "s"})


def test_validate_callback_domain_mismatch_raises() -> None:
    with pytest.raises(InvalidCallback, match="domain"):
        provider().validate_callback({"domain": "evil.example", "lane": "my"})


def test_validate_callback_lane_mismatch_raises() -> None:
    with pytest.raises(InvalidCallback, match="lane"):
        provider().validate_callback({"domain": "acme", "lane": "sb01"})


def test_validate_callback_without_expectation_accepts_anything(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HOST = "https://workfront.proxy.example"
    provider().validate_callback({"domain": "anything", "lane": "at-all"})
    assert provider().callback_identity({"domain": "anything"}) == ("", "")


def test_callback_identity_is_the_expected_pair_not_the_parameters() -> None:
    assert provider().callback_identity({"domain": "ACME", "lane": "MY"}) == ("acme", "my")


def test_get_provider_unknown_name_raises_value_error_naming_the_setting(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_PROVIDER = "nonsense"
    with pytest.raises(ValueError, match="WORKFRONT_OAUTH_PROVIDER"):
        get_provider(app_settings.get_instance())


def test_provider_repr_names_the_instance_only() -> None:
    assert repr(provider()) == "<WorkfrontProvider instance='default'>"


def test_safe_code_accepts_codes_and_rejects_free_text() -> None:
    assert safe_code("invalid_grant") == "invalid_grant"
    assert safe_code("not a code") == ""
    assert safe_code("x" * 65) == ""
    assert safe_code(42) == ""


# -- the code exchange request -----------------------------------------------------------------


def test_exchange_basic_style_sends_json_body_and_basic_auth(workfront_http: Any) -> None:
    workfront_http.token()
    exchange()
    (sent,) = workfront_http.requests
    assert (sent.method, sent.url) == ("POST", TOKEN_URL)
    assert sent.basic_auth() == ("test-client-id", "test-client-secret")
    assert sent.json() == {
        "code": "the-code",
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    }
    assert sent.headers["Accept"] == "application/json"


def test_exchange_post_style_sends_form_with_credentials_and_no_auth_header(
    workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    workfront_http.token()
    exchange()
    (sent,) = workfront_http.requests
    assert "Authorization" not in sent.headers
    assert sent.form() == {
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
        "code": "the-code",
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
    }


def test_exchange_with_verifier_sends_code_verifier(workfront_http: Any) -> None:
    workfront_http.token()
    exchange(code_verifier="verifier-1")
    assert workfront_http.requests[0].json()["code_verifier"] == "verifier-1"


@pytest.mark.parametrize("timeout", [3, 2.5, timedelta(seconds=7)])
def test_every_request_has_the_http_timeout_setting(
    workfront_http: Any, settings: Any, timeout: Any
) -> None:
    settings.WORKFRONT_OAUTH_HTTP_TIMEOUT = timeout
    expected = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    workfront_http.token()
    workfront_http.user()
    workfront_http.logout()
    exchange()
    provider().refresh(host=HOST, refresh_token="r")
    provider().identify(host=HOST, access_token="a")
    provider().end_session(host=HOST, access_token="a", refresh_token="r")
    assert len(workfront_http.requests) == 4
    assert [sent.timeout for sent in workfront_http.requests] == [expected] * 4


def test_every_request_has_the_app_user_agent(workfront_http: Any) -> None:
    workfront_http.token()
    workfront_http.user()
    exchange()
    provider().identify(host=HOST, access_token="a")
    for sent in workfront_http.requests:
        assert sent.headers["User-Agent"].startswith(f"django-workfront-oauth/{__version__} ")


def test_redirect_from_the_token_endpoint_is_not_followed(workfront_http: Any) -> None:
    elsewhere = "https://elsewhere.example/steal"
    workfront_http.token_response(status=302, headers={"Location": elsewhere})
    workfront_http.mock.add("POST", elsewhere, json={"access_token": "x"})
    workfront_http.mock.add("GET", elsewhere, json={"access_token": "x"})
    with pytest.raises(WorkfrontUnavailable, match="HTTP 302"):
        exchange()
    assert [sent.url for sent in workfront_http.requests] == [TOKEN_URL]


# -- the refresh request -----------------------------------------------------------------------


def test_refresh_basic_style_sends_json_without_redirect_uri(workfront_http: Any) -> None:
    workfront_http.token()
    provider().refresh(host=HOST, refresh_token="refresh-0", redirect_uri=REDIRECT_URI)
    (sent,) = workfront_http.requests
    assert sent.url == TOKEN_URL
    assert sent.basic_auth() == ("test-client-id", "test-client-secret")
    assert sent.json() == {"grant_type": "refresh_token", "refresh_token": "refresh-0"}


def test_refresh_post_style_sends_form_with_redirect_uri(
    workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    workfront_http.token()
    provider().refresh(host=HOST, refresh_token="refresh-0", redirect_uri=REDIRECT_URI)
    (sent,) = workfront_http.requests
    assert "Authorization" not in sent.headers
    assert sent.form() == {
        "grant_type": "refresh_token",
        "refresh_token": "refresh-0",
        "redirect_uri": REDIRECT_URI,
        "client_id": "test-client-id",
        "client_secret": "test-client-secret",
    }


def test_refresh_post_style_without_redirect_uri_omits_it(
    workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = "client_secret_post"
    workfront_http.token()
    provider().refresh(host=HOST, refresh_token="refresh-0")
    assert "redirect_uri" not in workfront_http.requests[0].form()


def test_refresh_refused_with_400_requires_reauthorization(workfront_http: Any) -> None:
    workfront_http.token_response(status=400, json={"error": "invalid_grant"})
    with pytest.raises(ReauthorizationRequired, match=r"refresh token: HTTP 400 \(invalid_grant\)"):
        provider().refresh(host=HOST, refresh_token="dead")


# -- token responses ---------------------------------------------------------------------------


def test_token_response_keeps_tokens_token_type_and_wid(workfront_http: Any) -> None:
    workfront_http.token("access-A", "refresh-A", token_type="sessionID", wid="wid-9")
    tokens = exchange()
    assert (tokens.access_token, tokens.refresh_token) == ("access-A", "refresh-A")
    assert tokens.token_type == "sessionID"
    assert dict(tokens.extra) == {"wid": "wid-9"}


def test_token_response_without_refresh_token_gives_empty_refresh_token(
    workfront_http: Any,
) -> None:
    workfront_http.token("access-A", None)
    assert exchange().refresh_token == ""


def test_token_response_non_string_wid_object_is_dropped(workfront_http: Any) -> None:
    workfront_http.token(wid={"nested": True})
    assert dict(exchange().extra) == {}


@pytest.mark.parametrize(
    ("expires_in", "expected"),
    [
        (3600, timedelta(hours=1)),
        ("1800", timedelta(minutes=30)),
        (3_600_000_000, timedelta(seconds=3_600_000)),  # milliseconds
        (0, timedelta(hours=2)),
        (-5, timedelta(hours=2)),
        ("soon", timedelta(hours=2)),
        (None, timedelta(hours=2)),
        (True, timedelta(hours=2)),
        ("nan", timedelta(hours=2)),
        ("inf", timedelta(hours=2)),
    ],
    ids=[
        "positive",
        "numeric-string",
        "huge-milliseconds",
        "zero",
        "negative",
        "non-numeric",
        "null",
        "boolean",
        "nan",
        "infinite",
    ],
)
def test_token_response_expires_in(
    workfront_http: Any, settings: Any, expires_in: Any, expected: timedelta
) -> None:
    settings.WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
    workfront_http.token(expires_in=expires_in)
    assert exchange().expires_in == expected


def test_token_response_expires_in_missing_uses_access_token_lifetime(
    workfront_http: Any, settings: Any
) -> None:
    settings.WORKFRONT_OAUTH_ACCESS_TOKEN_LIFETIME = 5400
    workfront_http.token_response(json={"access_token": "a", "refresh_token": "r"})
    assert exchange().expires_in == timedelta(seconds=5400)


@pytest.mark.parametrize(
    "json_body",
    [{"refresh_token": "r"}, {"access_token": ""}, {"access_token": 12345}],
    ids=["missing", "empty", "not-a-string"],
)
def test_token_response_without_access_token_is_unavailable(
    workfront_http: Any, json_body: dict[str, Any]
) -> None:
    workfront_http.token_response(json=json_body)
    with pytest.raises(WorkfrontUnavailable, match="without an access token"):
        exchange()


@pytest.mark.parametrize("body", ["<html>Maintenance</html>", "[1, 2]"], ids=["html", "list"])
def test_token_response_non_json_body_is_unavailable(workfront_http: Any, body: str) -> None:
    workfront_http.token_response(body=body)
    with pytest.raises(WorkfrontUnavailable, match="non-JSON body"):
        exchange()


@pytest.mark.parametrize("status", [400, 401])
def test_token_response_400_and_401_require_reauthorization(
    workfront_http: Any, status: int
) -> None:
    workfront_http.token_response(status=status, json={"type": "INVALID_CODE"})
    with pytest.raises(ReauthorizationRequired) as caught:
        exchange()
    assert f"HTTP {status} (INVALID_CODE)" in str(caught.value)
    assert "authorization code" in str(caught.value)


def test_token_response_429_is_unavailable_with_retry_after(workfront_http: Any) -> None:
    workfront_http.token_response(status=429, headers={"Retry-After": "120"})
    with pytest.raises(WorkfrontUnavailable) as caught:
        exchange()
    assert caught.value.retry_after == 120
    assert "HTTP 429" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_token_response_5xx_is_unavailable(workfront_http: Any, status: int) -> None:
    workfront_http.token_response(status=status, body="Service down")
    with pytest.raises(WorkfrontUnavailable, match=f"HTTP {status}") as caught:
        exchange()
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [204, 403, 404])
def test_token_response_other_status_is_unavailable(workfront_http: Any, status: int) -> None:
    workfront_http.token_response(status=status)
    with pytest.raises(WorkfrontUnavailable, match=f"HTTP {status}.*expected 200"):
        exchange()


def test_token_request_timeout_is_unavailable(workfront_http: Any) -> None:
    workfront_http.token_response(body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(WorkfrontUnavailable, match="timed out after 10s"):
        exchange()


def test_token_request_refused_connection_is_unavailable(workfront_http: Any) -> None:
    workfront_http.token_response(body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(WorkfrontUnavailable, match="could not connect"):
        exchange()


@pytest.mark.parametrize("status", [400, 401, 429, 500, 200])
def test_error_messages_carry_neither_tokens_nor_secret_nor_body(
    workfront_http: Any, status: int
) -> None:
    body = {
        "error": "free text with SECRET-IN-BODY",
        "message": "access_token=SECRET-IN-BODY",
        "access_token": "",
    }
    workfront_http.token_response(status=status, json=body)
    with pytest.raises((ReauthorizationRequired, WorkfrontUnavailable)) as caught:
        provider().refresh(host=HOST, refresh_token="REFRESH-SECRET")
    message = str(caught.value)
    assert "SECRET" not in message
    assert "test-client-secret" not in message
    assert "free text" not in message


def test_token_set_repr_hides_the_tokens() -> None:
    tokens = TokenSet("ACCESS-SECRET", "REFRESH-SECRET", timedelta(hours=1), "sessionID")
    text = repr(tokens)
    assert "SECRET" not in text
    assert "sessionID" in text
    assert "refresh_token=set" in text
    assert "refresh_token=none" in repr(TokenSet("a", "", timedelta(0)))


# -- identify ----------------------------------------------------------------------------------


def test_identify_asks_the_current_user_with_the_session_header(workfront_http: Any) -> None:
    workfront_http.user("wf-7", "Alice", "alice@acme.example")
    identity = provider().identify(host=HOST, access_token="session-1")
    assert (identity.id, identity.name, identity.email) == ("wf-7", "Alice", "alice@acme.example")
    (sent,) = workfront_http.requests
    assert sent.method == "GET"
    assert sent.base_url == f"{HOST}/attask/api/v21.0/USER/search"
    assert sent.query == {"ID": "$$USER.ID", "fields": "ID,name,emailAddr"}
    assert sent.headers["SessionID"] == "session-1"
    assert "session-1" not in sent.url


def test_identify_uses_the_api_version_setting(workfront_http: Any, settings: Any) -> None:
    settings.WORKFRONT_OAUTH_API_VERSION = "v22.0"
    workfront_http.mock.add(
        "GET", f"{HOST}/attask/api/v22.0/USER/search", json={"data": [{"ID": "wf-1"}]}
    )
    assert provider().identify(host=HOST, access_token="s").id == "wf-1"


def test_identify_authentication_error_is_an_api_error_with_its_class(
    workfront_http: Any,
) -> None:
    workfront_http.api(
        "GET",
        "USER/search",
        status=401,
        json={"error": {"class": "com.attask.common.AuthenticationException", "message": "no"}},
    )
    with pytest.raises(WorkfrontAPIError) as caught:
        provider().identify(host=HOST, access_token="s")
    assert caught.value.status == 401
    assert caught.value.error_class == "com.attask.common.AuthenticationException"


def test_identify_error_with_http_200_is_an_api_error(workfront_http: Any) -> None:
    workfront_http.api(
        "GET", "USER/search", json={"error": {"class": "SomeException", "message": "x"}}
    )
    with pytest.raises(WorkfrontAPIError) as caught:
        provider().identify(host=HOST, access_token="s")
    assert (caught.value.status, caught.value.error_class) == (200, "SomeException")


@pytest.mark.parametrize(
    "json_body",
    [{"data": []}, {"data": "x"}, {"data": [{"name": "no id"}]}, {"data": ["not-a-row"]}],
    ids=["no-rows", "data-not-a-list", "row-without-id", "row-not-an-object"],
)
def test_identify_without_a_usable_user_is_an_api_error(
    workfront_http: Any, json_body: dict[str, Any]
) -> None:
    workfront_http.api("GET", "USER/search", json=json_body)
    with pytest.raises(WorkfrontAPIError):
        provider().identify(host=HOST, access_token="s")


def test_identify_non_json_body_is_an_api_error(workfront_http: Any) -> None:
    workfront_http.api("GET", "USER/search", body="<html>")
    with pytest.raises(WorkfrontAPIError) as caught:
        provider().identify(host=HOST, access_token="s")
    assert caught.value.error_class == ""


@pytest.mark.parametrize("status", [429, 500, 503])
def test_identify_server_trouble_is_unavailable(workfront_http: Any, status: int) -> None:
    workfront_http.api("GET", "USER/search", status=status, headers={"Retry-After": "30"})
    with pytest.raises(WorkfrontUnavailable) as caught:
        provider().identify(host=HOST, access_token="s")
    assert caught.value.retry_after == 30


def test_identify_truncates_overlong_name_and_email(workfront_http: Any) -> None:
    workfront_http.user("wf-1", "n" * 300, "e" * 300)
    identity = provider().identify(host=HOST, access_token="s")
    assert (len(identity.name), len(identity.email)) == (255, 254)


# -- end_session -------------------------------------------------------------------------------


def test_end_session_logs_out_with_the_session_header(workfront_http: Any) -> None:
    workfront_http.logout()
    provider().end_session(host=HOST, access_token="session-1", refresh_token="r")
    (sent,) = workfront_http.requests
    assert (sent.method, sent.url) == ("GET", f"{HOST}/attask/api/v21.0/logout")
    assert sent.headers["SessionID"] == "session-1"


def test_end_session_without_access_token_sends_nothing(workfront_http: Any) -> None:
    provider().end_session(host=HOST, access_token="", refresh_token="r")
    assert workfront_http.requests == []


def test_end_session_error_status_raises_unavailable(workfront_http: Any) -> None:
    workfront_http.logout(status=401, body="nope")
    with pytest.raises(WorkfrontUnavailable, match="HTTP 401"):
        provider().end_session(host=HOST, access_token="s", refresh_token="r")
