"""The authorize request, the login form and the consent page."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import (
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    Browser,
    exchange,
    query_of,
    request_id,
    token_json,
)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": "nope"}, "Unknown client_id"),
        ({"client_id": None}, "Unknown client_id"),
        ({"redirect_uri": "http://127.0.0.1:8000/evil/"}, "not registered"),
        ({"redirect_uri": REDIRECT_URI + "?x=1"}, "not registered"),
        ({"redirect_uri": REDIRECT_URI.rstrip("/")}, "not registered"),
        ({"redirect_uri": None}, "not registered"),
        ({"response_type": "token"}, "response_type must be code"),
        ({"response_type": None}, "response_type must be code"),
    ],
)
def test_invalid_authorize_requests_show_an_error_page_and_never_redirect(
    browser: Browser, params: dict[str, str], message: str
) -> None:
    response = browser.authorize(state="s1", **params)

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert message in response.text
    assert 'name="password"' not in response.text


def test_a_valid_request_shows_the_login_form(browser: Browser) -> None:
    response = browser.authorize(state="s1")

    assert response.status_code == 200
    assert '<form method="post" action="/integrations/oauth2/login">' in response.text
    assert 'name="username"' in response.text
    assert 'type="password" name="password"' in response.text
    assert request_id(response.text)


def test_a_wrong_password_shows_the_form_again_with_an_error(
    emu: WorkfrontEmulator, browser: Browser
) -> None:
    rid = request_id(browser.authorize().text)

    for username, password in [("wfuser", "wrong"), ("nobody", "wfpass")]:
        response = browser.login(rid, username, password)
        assert response.status_code == 200
        assert "Invalid username or password." in response.text
        assert 'name="password"' in response.text
        assert 'value="allow"' not in response.text
        assert request_id(response.text) == rid

    # The same request can still be completed with the right password.
    assert 'value="allow"' in browser.login(rid).text
    assert emu.stats["login_failures"] == 2


def test_the_consent_page_has_allow_and_deny_buttons(browser: Browser) -> None:
    rid = request_id(browser.authorize().text)

    page = browser.login(rid).text

    assert '<button type="submit" name="decision" value="allow">Allow</button>' in page
    assert '<button type="submit" name="decision" value="deny">Deny</button>' in page
    assert "Wendy Frontier" in page


def test_allow_redirects_with_code_state_domain_and_lane(browser: Browser) -> None:
    params = browser.consent(state="xyz 123&/")

    assert set(params) == {"code", "state", "domain", "lane"}
    assert params["state"] == "xyz 123&/"
    assert params["domain"] == "acme"
    assert params["lane"] == "my"


def test_the_redirect_goes_to_the_requested_uri() -> None:
    with WorkfrontEmulator(
        redirect_uris=["http://127.0.0.1:9000/cb?tenant=7"], domain="globex", lane="sb01"
    ) as emu:
        browser = Browser(emu)
        rid = request_id(browser.authorize(redirect_uri="http://127.0.0.1:9000/cb?tenant=7").text)
        browser.login(rid)

        location = browser.decide(rid, "allow").headers["Location"]

    assert location.startswith("http://127.0.0.1:9000/cb?tenant=7&code=")
    assert query_of(location)["domain"] == "globex"
    assert query_of(location)["lane"] == "sb01"


def test_without_state_the_redirect_has_no_state(browser: Browser) -> None:
    params = browser.consent()

    assert "state" not in params
    assert "code" in params


def test_deny_redirects_with_access_denied_and_state(
    emu: WorkfrontEmulator, browser: Browser
) -> None:
    params = browser.consent("deny", state="s-deny")

    assert params == {"error": "access_denied", "state": "s-deny"}
    assert emu.stats["consents_denied"] == 1
    assert emu.stats["codes_issued"] == 0


def test_the_redirect_uri_comes_from_the_server_not_the_form(browser: Browser) -> None:
    rid = request_id(browser.authorize(redirect_uri=OTHER_REDIRECT_URI).text)
    browser.login(rid)

    response = browser.decide(
        rid, "allow", redirect_uri="http://evil.example/", client_id="other", state="forged"
    )

    assert response.headers["Location"].startswith(OTHER_REDIRECT_URI + "?code=")
    assert "state" not in query_of(response.headers["Location"])


def test_consent_needs_a_login_first(browser: Browser) -> None:
    rid = request_id(browser.authorize().text)

    response = browser.decide(rid, "allow")

    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize("rid", ["", "made-up"])
def test_unknown_request_ids_are_refused(browser: Browser, rid: str) -> None:
    assert browser.login(rid).status_code == 400
    assert browser.decide(rid, "allow").status_code == 400


ANSWERED_AGAIN = {
    "error": "access_denied",
    "error_description": "This sign-in request was already answered, or has expired.",
    "state": "s-once",
}


def test_a_pending_request_is_used_once(browser: Browser) -> None:
    rid = request_id(browser.authorize(state="s-once").text)
    browser.login(rid)
    first = browser.decide(rid, "allow")
    assert first.status_code == 302
    assert "code" in query_of(first.headers["Location"])

    # Answered again (a stale tab, Back to the consent page): back to the client, no new code.
    for again in (
        browser.decide(rid, "allow"),
        browser.decide(rid, "deny"),
        browser.login(rid),
        browser.consent_page(rid),
    ):
        assert again.status_code == 302
        assert again.headers["Location"].startswith(REDIRECT_URI + "?")
        assert query_of(again.headers["Location"]) == ANSWERED_AGAIN
    assert browser.emu.stats["codes_issued"] == 1


def test_login_redirects_to_a_consent_page_that_is_never_cached(browser: Browser) -> None:
    page = browser.authorize(state="s1")
    assert page.headers["Cache-Control"] == "no-store"
    rid = request_id(page.text)

    answer = browser.session.post(
        f"{browser.emu.base_url}/integrations/oauth2/login",
        data={"request_id": rid, "username": "wfuser", "password": "wfpass"},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/integrations/oauth2/consent?request_id={rid}"
    consent = browser.consent_page(rid)
    assert consent.status_code == 200
    assert consent.headers["Cache-Control"] == "no-store"
    assert 'value="allow"' in consent.text
    # Asked for again (Back, a reload) while still pending: the same page.
    assert 'value="allow"' in browser.consent_page(rid).text


def test_the_consent_page_before_login_shows_the_login_form(browser: Browser) -> None:
    rid = request_id(browser.authorize().text)

    page = browser.consent_page(rid)

    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert 'value="allow"' not in page.text


def test_a_pending_request_goes_stale(emu: WorkfrontEmulator, browser: Browser) -> None:
    rid = request_id(browser.authorize(state="s-once").text)

    emu.advance(601)

    answer = browser.login(rid)
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"]) == ANSWERED_AGAIN


def test_an_answered_request_for_a_redirect_uri_since_removed_shows_a_page(
    emu: WorkfrontEmulator, browser: Browser
) -> None:
    rid = request_id(browser.authorize(state="s-once").text)
    browser.login(rid)
    browser.decide(rid, "allow")
    emu.app.redirect_uris.remove(REDIRECT_URI)

    again = browser.decide(rid, "allow")

    assert again.status_code == 400
    assert "Location" not in again.headers
    assert "already answered" in again.text


def test_an_unknown_decision_is_refused(browser: Browser) -> None:
    rid = request_id(browser.authorize().text)
    browser.login(rid)

    assert browser.decide(rid, "maybe").status_code == 400
    # The request is still pending: a real answer works.
    assert browser.decide(rid, "allow").status_code == 302


def test_redirect_uris_can_be_added_at_runtime(emu: WorkfrontEmulator, browser: Browser) -> None:
    late = "http://127.0.0.1:54321/workfront/callback/"
    assert browser.authorize(redirect_uri=late).status_code == 400

    emu.add_redirect_uri(late)
    emu.add_redirect_uri(late)

    assert browser.authorize(redirect_uri=late).status_code == 200
    assert emu.redirect_uris.count(late) == 1


def test_other_users_can_log_in(emu: WorkfrontEmulator, browser: Browser) -> None:
    user = emu.add_user("jo.smith", "jo-pw")

    code = browser.consent(username="jo.smith", password="jo-pw")["code"]
    exchange(emu, code)

    assert user.name == "Jo Smith"
    assert user.email_addr == "jo.smith@acme.example.com"
    assert len(user.id) == 32
    assert [grant.username for grant in emu.active_grants()] == ["jo.smith"]


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_pkce_s256_binds_the_code_to_the_verifier(emu: WorkfrontEmulator, browser: Browser) -> None:
    verifier = "v" * 50
    code = browser.code(code_challenge=_s256(verifier), code_challenge_method="S256")
    body = {"code": code, "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}

    assert token_json(emu, body).status_code == 400
    assert token_json(emu, {**body, "code_verifier": "w" * 50}).status_code == 400
    assert token_json(emu, {**body, "code_verifier": verifier}).status_code == 200


def test_pkce_plain(emu: WorkfrontEmulator, browser: Browser) -> None:
    code = browser.code(code_challenge="plain-verifier-" + "x" * 40)
    body = {"code": code, "grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}

    assert (
        token_json(emu, {**body, "code_verifier": "plain-verifier-" + "x" * 40}).status_code == 200
    )


def test_an_unknown_pkce_method_is_refused(browser: Browser) -> None:
    response = browser.authorize(code_challenge="abc", code_challenge_method="S512")

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_authorize_is_get_only_and_unknown_paths_are_404(emu: WorkfrontEmulator) -> None:
    assert requests.post(emu.authorize_url(), timeout=5).status_code == 405
    assert requests.get(emu.base_url + "/integrations/oauth2/login", timeout=5).status_code == 405
    assert requests.get(emu.base_url + "/nothing-here", timeout=5).status_code == 404
    assert "wfuser" in requests.get(emu.base_url + "/", timeout=5).text
