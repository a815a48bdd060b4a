"""Tokens and the client secret never show: not in logs, messages, reprs, pages or redirects."""

from __future__ import annotations

import logging
from pathlib import Path
from types import FrameType
from typing import Any
from unittest import mock

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

import django_workfront_oauth
from django_workfront_oauth import services
from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.exceptions import WorkfrontOAuthError
from django_workfront_oauth.models import WorkfrontConnection
from django_workfront_oauth.providers import get_provider
from tests.conftest import HOST

ACCESS = "SENTINEL-ACCESS-7f3a9c"
REFRESH = "SENTINEL-REFRESH-91bc0e"
ROTATED = "SENTINEL-ROTATED-REFRESH-3d8f"
SECRET = "SENTINEL-CLIENT-SECRET-5d2e61"
CODE = "SENTINEL-CODE-44aa17"
SENTINELS = (ACCESS, REFRESH, ROTATED, SECRET, CODE)
TOKEN_URL = f"{HOST}/integrations/oauth2/api/v1/token"
PACKAGE_DIR = str(Path(django_workfront_oauth.__file__).parent)


def assert_no_sentinel(text: str, where: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text, f"{sentinel} found in {where}"


@pytest.fixture
def sentinel_settings(settings: Any) -> Any:
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = SECRET
    return settings


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("django_workfront_oauth", "requests", "urllib3", "django"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def formatted_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) + repr(record.args) for record in caplog.records]


@pytest.mark.django_db
def test_sentinels_never_appear_through_connect_fail_refresh_and_disconnect(
    sentinel_settings: Any,
    all_logs: pytest.LogCaptureFixture,
    workfront_http: Any,
    make_flow: Any,
    user_client: Client,
) -> None:
    seen: list[tuple[str, str]] = []  # (where, text)

    # 1. a connect flow that succeeds
    workfront_http.token(ACCESS, REFRESH, wid="wid-1")
    workfront_http.user()
    flow = make_flow(user_client)
    state = flow.start(next="/after/")
    seen.append(("authorize redirect", flow.authorize_response["Location"]))
    response = flow.callback(state, code=CODE)
    assert response.status_code == 302
    seen.append(("callback redirect", response["Location"]))
    connection = WorkfrontConnection.objects.get()
    assert connection.access_token == ACCESS  # the sentinels did flow through
    seen.append(("connection repr", repr(connection)))
    seen.append(("connection str", str(connection)))
    seen.append(
        (
            "connections page",
            user_client.get(reverse("workfront_oauth:connections")).content.decode(),
        )
    )
    seen.append(("instance repr", repr(app_settings.get_instance())))

    # 2. a reconnect whose exchange fails, with Workfront echoing secrets in its bodies
    echo = f"code {CODE} secret {SECRET} token {ACCESS} refresh {REFRESH}"
    for answer in (
        {"status": 400, "json": {"error": "invalid_request", "message": echo}},
        {"status": 401, "json": {"error": echo}},
        {"status": 500, "body": echo},
        {"status": 200, "json": {"refresh_token": REFRESH, "message": echo}},
        {"body": requests.exceptions.ReadTimeout(echo)},
    ):
        workfront_http.mock.replace("POST", TOKEN_URL, **answer)
        failed_flow = make_flow(user_client)
        failed = failed_flow.callback(failed_flow.start(), code=CODE)
        assert failed.status_code in (400, 502)
        seen.append((f"failed callback page {answer.get('status')}", failed.content.decode()))
        seen.append(("failed callback headers", repr(failed.headers)))
    assert WorkfrontConnection.objects.get().access_token == ACCESS

    # 3. the provider's exceptions, raised directly
    provider = get_provider(app_settings.get_instance())
    for answer in ({"status": 400, "json": {"error": echo}}, {"status": 503, "body": echo}):
        workfront_http.mock.replace("POST", TOKEN_URL, **answer)
        with pytest.raises(WorkfrontOAuthError) as caught:
            provider.refresh(host=HOST, refresh_token=REFRESH)
        seen.append(("refresh exception", f"{caught.value!s} {caught.value!r}"))
        with pytest.raises(WorkfrontOAuthError) as caught:
            provider.exchange_code(host=HOST, code=CODE, redirect_uri="https://x.example/cb")
        seen.append(("exchange exception", f"{caught.value!s} {caught.value!r}"))

    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": ACCESS, "refresh_token": ROTATED}
    )
    tokens = provider.refresh(host=HOST, refresh_token=REFRESH)
    assert tokens.refresh_token == ROTATED
    seen.append(("token set repr", f"{tokens!r} {tokens!s}"))
    seen.append(("provider repr", repr(provider)))

    # 4. a refresh that rotates, then one Workfront refuses (shown on the page as last_error)
    workfront_http.mock.replace(
        "POST", TOKEN_URL, json={"access_token": ACCESS, "refresh_token": ROTATED}
    )
    services.refresh_connection(connection, force=True)
    workfront_http.mock.replace("POST", TOKEN_URL, status=401, json={"error": echo})
    with pytest.raises(WorkfrontOAuthError) as caught:
        services.refresh_connection(connection, force=True)
    seen.append(("refresh_connection exception", str(caught.value)))
    seen.append(("last_error", WorkfrontConnection.objects.get().last_error))
    seen.append(
        ("reauth page", user_client.get(reverse("workfront_oauth:connections")).content.decode())
    )

    # 5. a disconnect whose logout fails
    workfront_http.api("GET", "logout", status=500, body=echo)
    response = user_client.post(reverse("workfront_oauth:disconnect", args=[connection.pk]))
    assert response.status_code == 302
    seen.append(("disconnect redirect", response["Location"]))
    seen.append(
        (
            "page after disconnect",
            user_client.get(reverse("workfront_oauth:connections")).content.decode(),
        )
    )

    # the sentinels really were sent, so their absence above means something
    sent = " ".join(
        request.body + repr(dict(request.headers)) for request in workfront_http.requests
    )
    assert CODE in sent
    assert REFRESH in sent
    assert ACCESS in sent

    logs = formatted_logs(all_logs)
    assert any("Refused" in line or "Could not" in line for line in logs)
    for index, line in enumerate(logs):
        seen.append((f"log record {index}", line))
    for where, text in seen:
        assert_no_sentinel(text, where)


# -- Django's error reports ----------------------------------------------------------------------


def traceback_frames(error: BaseException) -> list[FrameType]:
    frames = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def our_frames(error: BaseException) -> list[FrameType]:
    """The frames of this app's functions and of their ``sensitive_variables`` wrappers."""
    return [
        frame
        for frame in traceback_frames(error)
        if frame.f_code.co_filename.startswith(PACKAGE_DIR)
        or frame.f_code.co_name == "sensitive_variables_wrapper"
    ]


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_error_report_hides_the_token_request_variables(
    sentinel_settings: Any, workfront_http: Any, grant: str, method: str
) -> None:
    sentinel_settings.WORKFRONT_OAUTH_TOKEN_AUTH_METHOD = method
    # Not a requests exception: it crosses send() and reaches an error report.
    workfront_http.token_response(body=RuntimeError("unexpected"))
    provider = get_provider(app_settings.get_instance())
    with pytest.raises(RuntimeError) as caught:
        if grant == "authorization_code":
            provider.exchange_code(host=HOST, code=CODE, redirect_uri="https://x.example/cb")
        else:
            provider.refresh(host=HOST, refresh_token=REFRESH, redirect_uri="https://x.example/cb")

    reporter = SafeExceptionReporterFilter()
    frames = our_frames(caught.value)
    names = {frame.f_code.co_name for frame in frames}
    assert {"_token_request", "send"} <= names
    for frame in frames:
        variables = dict(reporter.get_traceback_frame_variables(None, frame))
        assert_no_sentinel(repr(variables), f"error report of {frame.f_code.co_name}")
        if frame.f_code.co_name == "_token_request":
            assert variables
            assert set(variables.values()) == {reporter.cleansed_substitute}


@pytest.mark.django_db
def test_error_report_of_the_callback_hides_the_tokens(
    sentinel_settings: Any, workfront_http: Any, flow: Any
) -> None:
    # The code itself is in the request's URL, which error reports show in full anyway.
    workfront_http.token(ACCESS, REFRESH)
    state = flow.start()
    with (
        mock.patch(
            "django_workfront_oauth.providers.WorkfrontProvider.identify",
            side_effect=RuntimeError("unexpected"),
        ),
        pytest.raises(RuntimeError) as caught,
    ):
        flow.callback(state, code=CODE)
    reporter = SafeExceptionReporterFilter()
    frames = our_frames(caught.value)
    # The frames that held the code and the tokens are not in the traceback at all now
    # (redact.scrubbed_traceback); a note says where the exception came from.
    names = {frame.f_code.co_name for frame in frames}
    assert not names & {"callback", "complete_authorization", "exchange_code"}, names
    assert any("raised at" in note for note in getattr(caught.value, "__notes__", ["raised at"]))
    for frame in frames:
        variables = repr(reporter.get_traceback_frame_variables(None, frame))
        for sentinel in (ACCESS, REFRESH, SECRET):
            assert sentinel not in variables, f"{sentinel} in {frame.f_code.co_name}"


def test_error_reports_of_a_failed_callback_hide_code_and_state(
    flow: Any, workfront_http: Any
) -> None:
    """A 502 makes Django mail admins a report that prints GET and the query string."""
    workfront_http.token_response(status=503)
    state = flow.start()
    response = flow.callback(state, code=CODE)
    assert response.status_code == 502
    request = response.wsgi_request
    report = ExceptionReporter(request, None, None, None).get_traceback_text()
    for secret in (CODE, state):
        assert secret not in report
        assert secret not in request.get_full_path()
        assert secret not in repr(request)
    assert request.GET["code"] == "********************"
