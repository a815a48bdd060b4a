"""Both servers as strict as the RFCs: redirect_uri at the exchange (RFC 6749 4.1.3), PKCE
(RFC 7636), the OpenID Connect nonce, client authentication (RFC 6749 2.3.1, RFC 7009 2.1), and
the knobs that make them lenient where a test needs that."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import pytest
import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from django_workfront_oauth.testing.pkce import s256
from tests.emulator.helpers import (
    IMS_REDIRECT_URI,
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    TIMEOUT,
    Browser,
    IMSBrowser,
    ims_exchange,
    ims_token,
    query_of,
    token_form,
    token_json,
)

OTHER_IMS_REDIRECT_URI = "https://app.example/other/callback/"
VERIFIER = "v3rifier-" + "x" * 40  # 49 characters of the unreserved set


@dataclass
class Side:
    """One of the two authorization servers, driven the same way."""

    name: str
    emu: WorkfrontEmulator
    browser: Browser
    redirect_uri: str
    other_redirect_uri: str

    def exchange(self, code: str, **body: str | None) -> requests.Response:
        """A code exchange; ``redirect_uri`` defaults to the one the code was issued for."""
        fields: dict[str, str | None] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            **body,
        }
        sent = {key: value for key, value in fields.items() if value is not None}
        if self.name == "workfront":
            return token_json(self.emu, sent)
        return ims_token(self.emu, sent)

    def authorize_error(self, **params: str) -> str:
        """The error of an authorize request the server refuses (shown, or sent back)."""
        response = self.browser.authorize(**params)
        if self.name == "workfront":
            assert response.status_code == 400, response.text
            assert "Location" not in response.headers
            return response.text
        assert response.status_code == 302, response.text
        query = query_of(response.headers["Location"])
        return f"{query['error']}: {query['error_description']}"


def error_of(response: requests.Response) -> str:
    """The error code, lower case, of either server's error body."""
    body = response.json()
    return str(body["error"] if "error_description" in body else body["type"]).lower()


def emulator(**options: Any) -> WorkfrontEmulator:
    return WorkfrontEmulator(
        client_id="cid",
        client_secret="csecret",
        redirect_uris=[REDIRECT_URI, OTHER_REDIRECT_URI],
        ims_redirect_uris=[IMS_REDIRECT_URI, OTHER_IMS_REDIRECT_URI],
        projects=3,
        **options,
    )


def side_of(emu: WorkfrontEmulator, name: str) -> Side:
    if name == "workfront":
        return Side(name, emu, Browser(emu), REDIRECT_URI, OTHER_REDIRECT_URI)
    return Side(name, emu, IMSBrowser(emu), IMS_REDIRECT_URI, OTHER_IMS_REDIRECT_URI)


@pytest.fixture(params=["workfront", "adobe_ims"])
def side(request: pytest.FixtureRequest) -> Iterator[Side]:
    with emulator() as emu:
        yield side_of(emu, request.param)


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


# redirect_uri at the exchange (RFC 6749 4.1.3) ------------------------------------------------


def test_code_exchange_without_redirect_uri_is_refused(side: Side) -> None:
    code = side.browser.code()

    refused = side.exchange(code, redirect_uri=None)

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_grant"
    assert "redirect_uri" in refused.text
    # Refused without burning the code: the right request still works.
    assert side.exchange(code).status_code == 200


def test_code_exchange_with_other_redirect_uri_is_refused(side: Side) -> None:
    code = side.browser.code()

    refused = side.exchange(code, redirect_uri=side.other_redirect_uri)

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_grant"
    assert side.exchange(code).status_code == 200


def test_an_empty_redirect_uri_counts_as_missing(side: Side) -> None:
    # RFC 6749 3.1: a parameter without a value is treated as omitted.
    assert error_of(side.exchange(side.browser.code(), redirect_uri="")) == "invalid_grant"


@pytest.mark.parametrize("name", ["workfront", "adobe_ims"])
def test_lenient_knob_accepts_exchange_without_redirect_uri(name: str) -> None:
    with emulator(require_redirect_uri=False) as emu:
        lenient = side_of(emu, name)

        assert lenient.exchange(lenient.browser.code(), redirect_uri=None).status_code == 200
        other = lenient.exchange(lenient.browser.code(), redirect_uri=lenient.other_redirect_uri)
        assert error_of(other) == "invalid_grant"


def test_the_ims_knobs_leave_the_legacy_app_strict() -> None:
    with emulator(ims_require_redirect_uri=False, ims_require_pkce=True) as emu:
        legacy, ims = side_of(emu, "workfront"), side_of(emu, "adobe_ims")

        assert legacy.exchange(legacy.browser.code(), redirect_uri=None).status_code == 400
        assert "code_challenge" in ims.authorize_error()
        code = ims.browser.code(code_challenge=s256(VERIFIER), code_challenge_method="S256")
        assert ims.exchange(code, redirect_uri=None, code_verifier=VERIFIER).status_code == 200
        assert emu.ims_app.require_pkce and not emu.app.require_pkce
        assert emu.app.require_redirect_uri and not emu.ims_app.require_redirect_uri


# PKCE (RFC 7636) ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_with_the_right_verifier(side: Side, method: str) -> None:
    challenge = s256(VERIFIER) if method == "S256" else VERIFIER
    code = side.browser.code(code_challenge=challenge, code_challenge_method=method)

    assert side.exchange(code, code_verifier=VERIFIER).status_code == 200


def test_plain_is_the_default_method(side: Side) -> None:
    code = side.browser.code(code_challenge=VERIFIER)

    assert side.exchange(code, code_verifier=VERIFIER).status_code == 200


@pytest.mark.parametrize("method", ["S256", "plain"])
def test_pkce_verifier_mismatch_refused(side: Side, method: str) -> None:
    challenge = s256(VERIFIER) if method == "S256" else VERIFIER
    code = side.browser.code(code_challenge=challenge, code_challenge_method=method)

    refused = side.exchange(code, code_verifier=VERIFIER.upper())

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_grant"
    assert side.exchange(code, code_verifier=VERIFIER).status_code == 200


def test_pkce_missing_verifier_refused(side: Side) -> None:
    code = side.browser.code(code_challenge=s256(VERIFIER), code_challenge_method="S256")

    for body in ({}, {"code_verifier": ""}):
        refused = side.exchange(code, **body)
        assert refused.status_code == 400
        assert error_of(refused) == "invalid_grant"
        assert "code_verifier" in refused.text


def test_pkce_verifier_without_challenge_refused(side: Side) -> None:
    # RFC 9700 4.8.2: otherwise a PKCE downgrade goes unnoticed.
    code = side.browser.code()

    refused = side.exchange(code, code_verifier=VERIFIER)

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_grant"
    assert side.exchange(code).status_code == 200


@pytest.mark.parametrize(
    "verifier",
    ["x" * 42, "x" * 129, "x" * 42 + "!", "x" * 42 + " ", "x" * 42 + "é"],
)
def test_a_malformed_verifier_is_invalid_request(side: Side, verifier: str) -> None:
    code = side.browser.code(code_challenge=s256(VERIFIER), code_challenge_method="S256")

    refused = side.exchange(code, code_verifier=verifier)

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_request"


@pytest.mark.parametrize("length", [43, 128])
def test_verifiers_of_43_and_128_characters(side: Side, length: int) -> None:
    verifier = ("a-._~" * 30)[:length]
    code = side.browser.code(code_challenge=s256(verifier), code_challenge_method="S256")

    assert side.exchange(code, code_verifier=verifier).status_code == 200


@pytest.mark.parametrize(
    ("params", "described"),
    [
        ({"code_challenge": VERIFIER, "code_challenge_method": "s256"}, "code_challenge_method"),
        ({"code_challenge": VERIFIER, "code_challenge_method": "PLAIN"}, "code_challenge_method"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "S256"),
        ({"code_challenge": s256(VERIFIER) + "x", "code_challenge_method": "S256"}, "S256"),
        ({"code_challenge": "x" * 42}, "plain"),
        ({"code_challenge_method": "S256"}, "without a code_challenge"),
    ],
)
def test_a_malformed_challenge_is_refused_at_authorize(
    side: Side, params: dict[str, str], described: str
) -> None:
    error = side.authorize_error(**params)

    assert described in error
    if side.name == "adobe_ims":
        assert error.startswith("invalid_request: ")


@pytest.mark.parametrize("name", ["workfront", "adobe_ims"])
def test_require_pkce_refuses_an_authorization_without_challenge(name: str) -> None:
    with emulator(require_pkce=True) as emu:
        strict = side_of(emu, name)

        error = strict.authorize_error(state="s-1")

        assert "code_challenge is required" in error
        code = strict.browser.code(code_challenge=s256(VERIFIER), code_challenge_method="S256")
        assert strict.exchange(code, code_verifier=VERIFIER).status_code == 200


def test_require_pkce_sends_ims_refusals_back_with_the_state() -> None:
    with emulator(require_pkce=True) as emu:
        response = IMSBrowser(emu).authorize(state="s-2")

        query = query_of(response.headers["Location"])
        assert (query["error"], query["state"]) == ("invalid_request", "s-2")


def test_issue_code_binds_a_pkce_challenge(side: Side) -> None:
    emu = side.emu
    issue = emu.issue_code if side.name == "workfront" else emu.ims_issue_code
    code = issue(code_challenge=s256(VERIFIER), code_challenge_method="S256")

    assert error_of(side.exchange(code)) == "invalid_grant"
    assert side.exchange(code, code_verifier=VERIFIER).status_code == 200


# The OpenID Connect nonce -----------------------------------------------------------------


@pytest.fixture
def emu() -> Iterator[WorkfrontEmulator]:
    with emulator() as emulated:
        yield emulated


def test_id_token_carries_authorize_nonce(emu: WorkfrontEmulator) -> None:
    code = IMSBrowser(emu).code(nonce="n-0S6_WzA2Mj")

    body = ims_exchange(emu, code).json()

    claims = claims_of(body["id_token"])
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iss"] == emu.base_url
    assert claims["aud"] == emu.ims_client_id
    assert claims["sub"] == emu.ims_user_id()
    assert claims["exp"] - claims["iat"] == emu.ims_expires_in
    assert abs(claims["iat"] - emu.clock.now()) < 5


def test_id_token_without_nonce_when_none_sent(emu: WorkfrontEmulator) -> None:
    for code in (IMSBrowser(emu).code(), IMSBrowser(emu).code(nonce="")):
        claims = claims_of(ims_exchange(emu, code).json()["id_token"])
        assert "nonce" not in claims
        assert {"iss", "aud", "sub", "exp", "iat"} <= set(claims)


def test_a_refreshed_id_token_carries_no_nonce(emu: WorkfrontEmulator) -> None:
    # A refresh is no authentication request (OpenID Connect Core 12.2, errata).
    tokens = ims_exchange(emu, IMSBrowser(emu).code(nonce="n-1")).json()

    refreshed = ims_token(
        emu, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).json()

    claims = claims_of(refreshed["id_token"])
    assert "nonce" not in claims
    assert claims["sub"] == claims_of(tokens["id_token"])["sub"]


def test_ims_issue_code_binds_a_nonce(emu: WorkfrontEmulator) -> None:
    body = ims_exchange(emu, emu.ims_issue_code(nonce="n-2")).json()

    assert claims_of(body["id_token"])["nonce"] == "n-2"


# Scopes at the token endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("scope", ["openid workfront_api", "openid,workfront_api"])
def test_a_refresh_may_narrow_the_scopes_space_or_comma_separated(
    emu: WorkfrontEmulator, scope: str
) -> None:
    tokens = emu.ims_issue_tokens()

    narrowed = ims_token(
        emu,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": scope},
    )

    assert narrowed.status_code == 200, narrowed.text
    assert "id_token" in narrowed.json()
    (grant,) = emu.active_grants()
    assert "offline_access" in grant.scopes  # the grant keeps what the user consented to


def test_a_narrowed_token_lacks_what_it_did_not_ask_for(emu: WorkfrontEmulator) -> None:
    tokens = emu.ims_issue_tokens()

    narrowed = ims_token(
        emu,
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "AdobeID workfront_api",
        },
    ).json()

    assert "id_token" not in narrowed
    userinfo = requests.get(
        emu.ims_userinfo_url,
        headers={"Authorization": f"Bearer {narrowed['access_token']}"},
        timeout=TIMEOUT,
    )
    assert userinfo.status_code == 403


def test_a_refresh_asking_for_more_is_invalid_scope(emu: WorkfrontEmulator) -> None:
    tokens = emu.ims_issue_tokens(scopes=["openid", "offline_access", "workfront_api"])
    body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

    refused = ims_token(emu, {**body, "scope": "openid read_organizations"})

    assert refused.status_code == 400
    assert error_of(refused) == "invalid_scope"
    # Nothing rotated: the refresh token still works.
    assert ims_token(emu, body).status_code == 200


def test_the_legacy_app_ignores_a_scope_parameter(emu: WorkfrontEmulator) -> None:
    tokens = emu.issue_tokens()

    refreshed = token_form(
        emu,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "x y"},
    )

    assert refreshed.status_code == 200


# Client authentication ----------------------------------------------------------------------

ODD_ID = "client id:with+odd%chars"
ODD_SECRET = "s3cret with+plus/slash%25percent&amp=eq:colon"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize("name", ["workfront", "adobe_ims"])
def test_basic_credentials_are_form_urldecoded(name: str) -> None:
    with WorkfrontEmulator(
        client_id=ODD_ID,
        client_secret=ODD_SECRET,
        ims_client_id=ODD_ID,
        ims_client_secret=ODD_SECRET,
    ) as emu:
        tokens = emu.issue_tokens() if name == "workfront" else emu.ims_issue_tokens()
        url = emu.token_url if name == "workfront" else emu.ims_token_url
        body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}

        def send(authorization: str) -> requests.Response:
            return requests.post(
                url, data=body, headers={"Authorization": authorization}, timeout=TIMEOUT
            )

        raw = send(basic(ODD_ID, ODD_SECRET))
        encoded = send(basic(quote_plus(ODD_ID), quote_plus(ODD_SECRET)))

        assert raw.status_code == 401
        assert error_of(raw) == "invalid_client"
        assert encoded.status_code == 200, encoded.text


def test_plain_credentials_need_no_encoding_to_pass(emu: WorkfrontEmulator) -> None:
    # Nothing to decode in the usual ids and secrets: encoded or not, they are the same.
    tokens = emu.issue_tokens()

    response = requests.post(
        emu.token_url,
        json={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Authorization": basic(emu.client_id, emu.client_secret)},
        timeout=TIMEOUT,
    )

    assert response.status_code == 200


def _revoke(emu: WorkfrontEmulator, data: dict[str, str], **kwargs: Any) -> requests.Response:
    return requests.post(emu.ims_revoke_url, data=data, timeout=TIMEOUT, **kwargs)


def test_revoke_accepts_client_secret_post(emu: WorkfrontEmulator) -> None:
    tokens = emu.ims_issue_tokens()
    credentials = {"client_id": emu.ims_client_id, "client_secret": emu.ims_client_secret}

    wrong = _revoke(emu, {**credentials, "client_secret": "nope", "token": tokens["refresh_token"]})
    revoked = _revoke(emu, {**credentials, "token": tokens["refresh_token"]})

    assert wrong.status_code == 401
    assert error_of(wrong) == "invalid_client"
    assert revoked.status_code == 200
    assert emu.active_grants() == []
    assert emu.stats["ims_revokes"] == 1


def test_revoke_accepts_basic_credentials_form_urlencoded() -> None:
    with WorkfrontEmulator(ims_client_id=ODD_ID, ims_client_secret=ODD_SECRET) as emu:
        tokens = emu.ims_issue_tokens()

        revoked = _revoke(
            emu,
            {"token": tokens["refresh_token"]},
            headers={"Authorization": basic(quote_plus(ODD_ID), quote_plus(ODD_SECRET))},
        )

        assert revoked.status_code == 200
        assert emu.active_grants() == []


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "id_token", "nonsense"])
@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoke_takes_a_token_type_hint_and_looks_further(
    emu: WorkfrontEmulator, hint: str, which: str
) -> None:
    # RFC 7009 2.1: a wrong hint only costs a longer search; an unknown one is ignored.
    tokens = emu.ims_issue_tokens()

    revoked = _revoke(
        emu,
        {"token": tokens[which], "token_type_hint": hint},
        auth=(emu.ims_client_id, emu.ims_client_secret),
    )

    assert revoked.status_code == 200
    assert emu.active_grants() == []


# Repeated parameters (RFC 6749 3.1) -----------------------------------------------------------


def test_a_repeated_parameter_is_refused(emu: WorkfrontEmulator) -> None:
    code = emu.ims_issue_code()
    body = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", IMS_REDIRECT_URI),
        ("redirect_uri", OTHER_IMS_REDIRECT_URI),
    ]

    ims = requests.post(
        emu.ims_token_url, data=body, auth=(emu.ims_client_id, emu.ims_client_secret), timeout=5
    )
    legacy = requests.post(
        emu.token_url,
        data=[("grant_type", "refresh_token"), ("grant_type", "authorization_code")],
        auth=(emu.client_id, emu.client_secret),
        timeout=TIMEOUT,
    )

    assert (ims.status_code, error_of(ims)) == (400, "invalid_request")
    assert "redirect_uri" in ims.json()["error_description"]
    assert (legacy.status_code, error_of(legacy)) == (400, "invalid_request")
    assert ims_exchange(emu, code).status_code == 200
