"""No token, secret or Fernet key in an error report, for every path a review found.

Each exception is raised the way it happens, inside a host view, and the report is rendered as
Django renders it (its technical 500 page, with ``DEBUG = False``, so its filter is on) and
walked as an error tracker walks it: every local of every frame of the exception and its chain,
with ``repr`` and into containers, ignoring Django's ``sensitive_variables``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import TracebackType
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from django.utils import timezone
from django.views.debug import ExceptionReporter

from django_workfront_oauth import services
from django_workfront_oauth.client import WorkfrontClient
from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.exceptions import WorkfrontAPIError, WorkfrontUnavailable
from django_workfront_oauth.fields import get_crypter
from django_workfront_oauth.models import WorkfrontConnection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]

ACCESS = "SENTINEL-ACCESS-a1b2c3"
REFRESH = "SENTINEL-REFRESH-d4e5f6"
NEW_ACCESS = "SENTINEL-NEW-ACCESS-0a9b"
NEW_REFRESH = "SENTINEL-NEW-REFRESH-7c8d"
SECRET = "SENTINEL-CLIENT-SECRET-e7f8"
CODE = "SENTINEL-CODE-1122"
STATE_PREFIX = "state"
# A valid Fernet key that must not leak either (the tests' own key is in tests/settings.py).
SECOND_KEY = "U0VOVElORUwtRkVSTkVULUtFWS0wMTIzNDU2Nzg5YWI="
SENTINELS = (ACCESS, REFRESH, NEW_ACCESS, NEW_REFRESH, SECRET, CODE, SECOND_KEY)


def _walk(value: Any, seen: set[int], depth: int = 0) -> Iterator[str]:
    """What a tracker serialises of a local: its repr, and the items of containers."""
    if id(value) in seen or depth > 6:
        return
    seen.add(id(value))
    try:
        yield repr(value)
    except Exception:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(key, seen, depth + 1)
            yield from _walk(item, seen, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _walk(item, seen, depth + 1)


def tracker_view(error: BaseException) -> str:
    """Every frame's locals of ``error`` and of the exceptions chained to it."""
    texts: list[str] = [str(error), repr(error)]
    chained: BaseException | None = error
    while chained is not None:
        traceback: TracebackType | None = chained.__traceback__
        while traceback is not None:
            seen: set[int] = set()
            for name, value in traceback.tb_frame.f_locals.items():
                texts.append(name)
                texts.extend(_walk(value, seen))
            traceback = traceback.tb_next
        chained = chained.__cause__ or (
            None if chained.__suppress_context__ else chained.__context__
        )
    return "\n".join(texts)


def django_report(error: BaseException) -> str:
    request = RequestFactory().get("/host/view/")
    reporter = ExceptionReporter(request, type(error), error, error.__traceback__)
    return reporter.get_traceback_html() + reporter.get_traceback_text()


def raised_in_a_host_view(body: Callable[[], Any]) -> BaseException:
    """Run ``body`` as a host view would, and return what escaped it."""

    def host_view() -> Any:
        return body()

    try:
        host_view()
    except BaseException as err:
        return err
    raise AssertionError("nothing was raised")


def assert_secret_free(error: BaseException, sentinels: tuple[str, ...] = SENTINELS) -> None:
    for where, text in (("tracker", tracker_view(error)), ("django", django_report(error))):
        for sentinel in sentinels:
            assert sentinel not in text, f"{sentinel} in the {where} view of {error!r}"


def package_frames_text(error: BaseException) -> str:
    """The locals of the frames of this package only."""
    texts = []
    traceback = error.__traceback__
    while traceback is not None:
        if "django_workfront_oauth" in traceback.tb_frame.f_code.co_filename:
            texts.extend(repr(value) for value in traceback.tb_frame.f_locals.values())
        traceback = traceback.tb_next
    return "\n".join(texts)


@pytest.fixture(autouse=True)
def secret_settings(settings: Any) -> None:
    settings.DEBUG = False
    settings.WORKFRONT_OAUTH_CLIENT_SECRET = SECRET


@pytest.fixture
def connection(make_connection: Any) -> WorkfrontConnection:
    made: WorkfrontConnection = make_connection(access_token=ACCESS, refresh_token=REFRESH)
    return made


def test_an_api_error_escaping_a_host_view(connection: Any, workfront_http: Any) -> None:
    workfront_http.api(
        "GET", "PROJ/search", status=400, json={"error": {"class": "X", "message": "bad"}}
    )
    error = raised_in_a_host_view(lambda: WorkfrontClient(connection).get("PROJ/search"))
    assert isinstance(error, WorkfrontAPIError)
    assert_secret_free(error)


def test_workfront_unavailable_escaping_a_host_view(connection: Any, workfront_http: Any) -> None:
    error = raised_in_a_host_view(lambda: WorkfrontClient(connection).get("PROJ/count"))
    assert isinstance(error, WorkfrontUnavailable)  # nothing registered: could not connect
    assert_secret_free(error)


def test_a_busy_workfront_escaping_a_host_view(connection: Any, workfront_http: Any) -> None:
    for _ in range(3):
        workfront_http.api("GET", "PROJ/count", status=429, headers={"Retry-After": "0"})
    error = raised_in_a_host_view(
        lambda: WorkfrontClient(connection, sleep=lambda _: None).get("PROJ/count")
    )
    assert isinstance(error, WorkfrontUnavailable)
    assert_secret_free(error)


def test_an_unexpected_exception_during_a_refresh(connection: Any) -> None:
    with (
        mock.patch(
            "django_workfront_oauth.providers.WorkfrontProvider.refresh",
            side_effect=RuntimeError("a bug"),
        ),
        mock.patch(
            "django_workfront_oauth.providers.AdobeIMSProvider.refresh",
            side_effect=RuntimeError("a bug"),
        ),
    ):
        error = raised_in_a_host_view(lambda: services.refresh_connection(connection, force=True))
    assert isinstance(error, RuntimeError)
    assert_secret_free(error)


def test_a_database_error_while_saving_a_refresh(connection: Any, workfront_http: Any) -> None:
    workfront_http.token(NEW_ACCESS, NEW_REFRESH)
    with mock.patch.object(WorkfrontConnection, "save", side_effect=DatabaseError("disk full")):
        error = raised_in_a_host_view(lambda: services.refresh_connection(connection, force=True))
    assert isinstance(error, DatabaseError)
    assert_secret_free(error)


def test_a_failing_callback(flow: Any, workfront_http: Any, provider: str) -> None:
    workfront_http.token(NEW_ACCESS, NEW_REFRESH)
    state = flow.start()
    target = "AdobeIMSProvider" if provider == "adobe_ims" else "WorkfrontProvider"
    with mock.patch(
        f"django_workfront_oauth.providers.{target}.identify", side_effect=RuntimeError("bug")
    ):
        error = raised_in_a_host_view(lambda: flow.callback(state, code=CODE))
    assert isinstance(error, RuntimeError)
    # The test client, playing the browser and the WSGI server, holds the callback URL (the
    # code and state) in its own frames, as a real server's environ does: error reports show
    # the URL anyway. The tokens and the secret are nowhere; the code is in none of our frames.
    assert_secret_free(error, tuple(sentinel for sentinel in SENTINELS if sentinel != CODE))
    assert CODE not in package_frames_text(error)


def test_a_bad_key_in_the_key_list(settings: Any) -> None:
    settings.FIELD_ENCRYPTION_KEY = [SECOND_KEY, "not-a-fernet-key"]
    error = raised_in_a_host_view(get_crypter)
    assert "FIELD_ENCRYPTION_KEY" in str(error)
    assert_secret_free(error)


def test_a_string_http_timeout_names_the_setting_and_hides_the_secret(settings: Any) -> None:
    settings.WORKFRONT_OAUTH_HTTP_TIMEOUT = "10"
    error = raised_in_a_host_view(app_settings.get_instance)
    assert "WORKFRONT_OAUTH_HTTP_TIMEOUT" in str(error)
    assert_secret_free(error)


def test_the_walk_would_see_a_secret_in_a_plain_frame() -> None:
    """The tracker view is not blind: a secret in a local of an ordinary frame is found."""

    def leaky() -> None:
        token = ACCESS  # noqa: F841 - the local the walk must see
        raise RuntimeError("leak")

    error = raised_in_a_host_view(leaky)
    assert ACCESS in tracker_view(error)
    assert ACCESS in django_report(error)


def test_expired_token_refresh_in_a_client_call_keeps_secrets_out(
    connection: Any, workfront_http: Any
) -> None:
    connection.access_token_expires_at = timezone.now() - timedelta(minutes=1)
    connection.save()
    workfront_http.token_response(status=503)
    error = raised_in_a_host_view(lambda: WorkfrontClient(connection).get("PROJ/count"))
    assert isinstance(error, WorkfrontUnavailable)
    assert_secret_free(error)
    assert sys.exc_info() == (None, None, None)
