"""The emulator's Adobe IMS "OAuth Server-to-Server" credential over real HTTP: client_credentials
tokens, its technical account at the API, expiry, revoke, knobs, counters, CLI and fixture."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from django_workfront_oauth.conf import app_settings
from django_workfront_oauth.constants import DEFAULT_S2S_SCOPES
from django_workfront_oauth.management.commands.workfront_emulator import Command
from django_workfront_oauth.testing import WorkfrontEmulator, cli
from tests.emulator.helpers import IMS_REDIRECT_URI, TIMEOUT, ims_api_get, ims_token, query_of

SCOPE = "openid,AdobeID,read_organizations,workfront_api"


@pytest.fixture
def emu() -> Iterator[WorkfrontEmulator]:
    """The default S2S credential beside a Web App credential of its own."""
    with WorkfrontEmulator(
        ims_client_id="web-cid",
        ims_client_secret="web-secret",
        ims_org_id="ORG123@AdobeOrg",
        ims_redirect_uris=[IMS_REDIRECT_URI],
        projects=30,
    ) as emulator:
        yield emulator


def s2s_token(
    emu: WorkfrontEmulator,
    scope: str | None = SCOPE,
    *,
    style: str = "basic",
    client_id: str | None = None,
    secret: str | None = None,
    **extra: str,
) -> requests.Response:
    """A client_credentials request as the S2S credential (``None`` leaves ``scope`` out)."""
    body = {"grant_type": "client_credentials", **extra}
    if scope is not None:
        body["scope"] = scope
    return ims_token(
        emu,
        body,
        style=style,
        client_id=emu.s2s_client_id if client_id is None else client_id,
        secret=emu.s2s_client_secret if secret is None else secret,
    )


def s2s_api_get(
    emu: WorkfrontEmulator, path: str, access_token: str, **params: Any
) -> requests.Response:
    """An API call with an S2S token: the S2S client id is the API key."""
    return ims_api_get(emu, path, access_token, api_key=emu.s2s_client_id, **params)


def _error(response: requests.Response) -> str:
    return str(response.json()["error"])


def _revoke(emu: WorkfrontEmulator, token: str, auth: tuple[str, str]) -> requests.Response:
    return requests.post(emu.ims_revoke_url, data={"token": token}, auth=auth, timeout=TIMEOUT)


# The token endpoint ------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["basic", "post"])
def test_a_token_with_either_client_authentication(emu: WorkfrontEmulator, style: str) -> None:
    response = s2s_token(emu, style=style)

    assert response.status_code == 200, response.text
    body = response.json()
    # No refresh token and no ID token, even with openid: nobody signed in.
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 86399)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["x-debug-id"]
    (grant,) = emu.active_grants()
    assert (grant.client_id, grant.username, grant.refresh_token) == (
        "s2s-client-id",
        "techacct",
        "",
    )
    assert grant.access_tokens == (body["access_token"],)


@pytest.mark.parametrize("scope", ["openid workfront_api", "workfront_api,openid", "AdobeID"])
def test_the_scope_is_comma_or_space_separated(emu: WorkfrontEmulator, scope: str) -> None:
    response = s2s_token(emu, scope)

    assert response.status_code == 200, response.text
    (grant,) = emu.active_grants()
    assert set(grant.scopes) == set(re.split("[ ,]", scope))


def test_a_basic_secret_is_form_urldecoded() -> None:
    with WorkfrontEmulator(s2s_client_secret="a+b c") as odd:
        raw = s2s_token(odd, secret="a+b c")
        encoded = s2s_token(odd, secret="a%2Bb+c")

    assert raw.status_code == 401
    assert encoded.status_code == 200


def test_never_a_refresh_token_even_with_offline_access() -> None:
    scopes = (*DEFAULT_S2S_SCOPES, "offline_access")
    with WorkfrontEmulator(s2s_scopes=scopes) as emu:
        response = s2s_token(emu, ",".join(scopes))

    assert response.status_code == 200
    assert "refresh_token" not in response.json()


@pytest.mark.parametrize("style", ["basic", "post"])
@pytest.mark.parametrize(
    ("client_id", "secret"),
    [(None, "wrong"), ("unknown", None), (None, ""), ("web-cid", "web-secret-not")],
)
def test_wrong_credentials_are_invalid_client(
    emu: WorkfrontEmulator, style: str, client_id: str | None, secret: str | None
) -> None:
    response = s2s_token(emu, style=style, client_id=client_id, secret=secret)

    assert response.status_code == 401
    assert _error(response) == "invalid_client"
    assert response.headers["x-debug-id"]
    assert emu.stats["ims_rejected_client_credentials"] == 1
    assert emu.active_grants() == []


@pytest.mark.parametrize(
    "scope", ["openid,offline_access", "made_up", "workfront_api Workfront_API"]
)
def test_a_scope_the_credential_lacks_is_invalid_scope(emu: WorkfrontEmulator, scope: str) -> None:
    response = s2s_token(emu, scope)

    assert response.status_code == 400
    assert _error(response) == "invalid_scope"
    assert emu.active_grants() == []


@pytest.mark.parametrize("scope", [None, "", " , "])
def test_no_scope_is_invalid_request(emu: WorkfrontEmulator, scope: str | None) -> None:
    response = s2s_token(emu, scope)

    assert response.status_code == 400
    assert _error(response) == "invalid_request"
    assert "scope" in response.json()["error_description"]


def test_the_web_app_credential_is_refused(emu: WorkfrontEmulator) -> None:
    response = s2s_token(emu, "openid", client_id="web-cid", secret="web-secret")

    assert response.status_code == 400
    assert _error(response) == "unauthorized_client"
    assert emu.stats["ims_rejected_client_credentials"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"grant_type": "authorization_code", "code": "c", "redirect_uri": IMS_REDIRECT_URI},
        {"grant_type": "refresh_token", "refresh_token": "r"},
    ],
)
def test_the_s2s_credential_may_not_use_the_user_grants(
    emu: WorkfrontEmulator, body: dict[str, str]
) -> None:
    response = ims_token(emu, body, client_id=emu.s2s_client_id, secret=emu.s2s_client_secret)

    assert response.status_code == 400
    assert _error(response) == "unauthorized_client"


def test_the_s2s_credential_signs_no_user_in(emu: WorkfrontEmulator) -> None:
    url = emu.ims_authorize_url().replace("client_id=web-cid", "client_id=s2s-client-id")
    response = requests.get(url, allow_redirects=False, timeout=TIMEOUT)

    assert query_of(url)["client_id"] == "s2s-client-id"
    assert response.status_code == 400
    assert "unauthorized_client" in response.text


def test_the_technical_account_cannot_log_in(emu: WorkfrontEmulator) -> None:
    assert emu.store.directory.check_password("techacct", "") is None
    assert "password" not in repr(emu.technical_account)


def test_discovery_lists_client_credentials(emu: WorkfrontEmulator) -> None:
    document = requests.get(
        f"{emu.base_url}/ims/.well-known/openid-configuration", timeout=TIMEOUT
    ).json()

    assert "client_credentials" in document["grant_types_supported"]


# The technical account at the API ----------------------------------------------------------


def test_the_token_calls_the_api_as_the_technical_account(emu: WorkfrontEmulator) -> None:
    token = s2s_token(emu).json()["access_token"]

    me = s2s_api_get(emu, "USER/search", token, ID="$$USER.ID", fields="username")
    projects = s2s_api_get(emu, "PROJ/count", token)
    tasks = s2s_api_get(emu, "TASK/search", token, **{"$$LIMIT": "5"})
    owned = s2s_api_get(emu, "PROJ/count", token, ownerID="$$USER.ID")

    assert me.status_code == 200, me.text
    (row,) = me.json()["data"]
    account = emu.technical_account
    assert row == {
        "ID": account.id,
        "name": "Technical Account",
        "objCode": "USER",
        "emailAddr": account.email_addr,
        "username": "techacct",
    }
    assert projects.json() == {"data": {"count": 30}}
    assert len(tasks.json()["data"]) == 5
    # A credential made in a Workfront in use: the seeded work belongs to its users.
    assert owned.json() == {"data": {"count": 0}}
    assert emu.stats["ims_api_calls"] == 4


def test_the_api_key_must_be_the_client_the_token_was_issued_to(emu: WorkfrontEmulator) -> None:
    s2s = s2s_token(emu).json()["access_token"]
    web = emu.ims_issue_tokens()["access_token"]

    assert s2s_api_get(emu, "PROJ/count", s2s).status_code == 200
    assert ims_api_get(emu, "PROJ/count", web, api_key="web-cid").status_code == 200
    crossed = [
        ims_api_get(emu, "PROJ/count", s2s, api_key="web-cid"),
        ims_api_get(emu, "PROJ/count", web, api_key=emu.s2s_client_id),
    ]
    assert [response.status_code for response in crossed] == [403, 403]
    assert crossed[0].json() == {"error_code": "403003", "message": "Api Key is invalid"}
    assert emu.stats["gateway_errors"] == {"403003": 2}


def test_the_org_header_is_checked_for_s2s_tokens_too(emu: WorkfrontEmulator) -> None:
    token = s2s_token(emu).json()["access_token"]

    response = ims_api_get(
        emu, "PROJ/count", token, api_key=emu.s2s_client_id, org_id="OTHER@AdobeOrg"
    )

    assert response.status_code == 403
    assert response.json()["error_code"] == "403027"


# Expiry and revoke -------------------------------------------------------------------------


def test_a_token_expires_after_s2s_expires_in() -> None:
    with WorkfrontEmulator(s2s_expires_in=600) as emu:
        response = s2s_token(emu)
        token = response.json()["access_token"]
        emu.advance(599)
        alive = s2s_api_get(emu, "PROJ/count", token)
        emu.advance(1)
        dead = s2s_api_get(emu, "PROJ/count", token)

    assert response.json()["expires_in"] == 600
    assert alive.status_code == 200
    assert dead.status_code == 401
    assert dead.json() == {"error_code": "401013", "message": "Oauth token is not valid"}


def test_s2s_expires_in_defaults_to_ims_expires_in() -> None:
    assert WorkfrontEmulator(ims_expires_in=300).s2s_expires_in == 300
    assert WorkfrontEmulator(ims_expires_in=300, s2s_expires_in=60).s2s_expires_in == 60
    assert WorkfrontEmulator().s2s_expires_in == 86399


def test_revoke_ends_that_token_only(emu: WorkfrontEmulator) -> None:
    first, second = (s2s_token(emu).json()["access_token"] for _ in range(2))
    credentials = (emu.s2s_client_id, emu.s2s_client_secret)

    not_yours = _revoke(emu, first, ("web-cid", "web-secret"))
    response = _revoke(emu, first, credentials)

    assert not_yours.status_code == 400
    assert _error(not_yours) == "unauthorized_client"
    assert response.status_code == 200
    assert response.headers["x-debug-id"]
    assert s2s_api_get(emu, "PROJ/count", first).status_code == 401
    assert s2s_api_get(emu, "PROJ/count", second).status_code == 200
    assert _revoke(emu, first, credentials).status_code == 200  # already dead: fine
    assert emu.stats["ims_revokes"] == 2


def test_revoke_takes_the_credentials_in_the_form(emu: WorkfrontEmulator) -> None:
    token = s2s_token(emu).json()["access_token"]

    response = requests.post(
        emu.ims_revoke_url,
        data={
            "token": token,
            "client_id": emu.s2s_client_id,
            "client_secret": emu.s2s_client_secret,
        },
        timeout=TIMEOUT,
    )

    assert response.status_code == 200
    assert s2s_api_get(emu, "PROJ/count", token).status_code == 401


def test_expire_sessions_and_revoke_user_reach_the_technical_account(
    emu: WorkfrontEmulator,
) -> None:
    first = s2s_token(emu).json()["access_token"]
    assert emu.expire_sessions("techacct") == 1
    second = s2s_token(emu).json()["access_token"]
    assert emu.revoke_user("techacct") == 2  # both grants, the first one's already expired

    assert s2s_api_get(emu, "PROJ/count", first).status_code == 401
    assert s2s_api_get(emu, "PROJ/count", second).status_code == 401
    assert s2s_token(emu).status_code == 200  # the credential itself still works


# Knobs and counters ------------------------------------------------------------------------


def test_the_ims_latency_applies(emu: WorkfrontEmulator) -> None:
    emu.ims_latency = 0.15

    started = time.monotonic()
    response = s2s_token(emu)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize("provider", [None, "adobe_ims", "adobe_ims_s2s"])
def test_token_faults_reach_client_credentials(
    emu: WorkfrontEmulator, provider: str | None
) -> None:
    emu.inject_token_fault("503", provider=provider)

    response = s2s_token(emu)

    assert response.status_code == 503
    assert response.headers["x-debug-id"]
    assert s2s_token(emu).status_code == 200
    assert emu.stats["ims_faults_served"] == 1
    assert emu.stats["ims_token_requests"]["client_credentials"] == 2


def test_a_fault_for_another_grant_type_or_server_waits(emu: WorkfrontEmulator) -> None:
    emu.inject_token_fault("503", grant_type="refresh_token")
    emu.inject_token_fault("503", provider="workfront")

    assert s2s_token(emu).status_code == 200
    assert emu.faults.pending("token") == [("503", 1), ("503", 1)]


def test_an_s2s_fault_is_served_to_client_credentials_only(emu: WorkfrontEmulator) -> None:
    emu.inject_token_fault("429", provider="adobe_ims_s2s")
    grant = emu.ims_issue_tokens()
    refresh = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"]}

    assert ims_token(emu, refresh, client_id="web-cid", secret="web-secret").status_code == 200
    throttled = s2s_token(emu)

    assert throttled.status_code == 429
    assert _error(throttled) == "too_many_requests"
    assert throttled.headers["Retry-After"] == "1"
    with pytest.raises(ValueError, match="refresh_token"):
        emu.inject_token_fault("503", provider="adobe_ims_s2s", grant_type="refresh_token")


@pytest.mark.parametrize(
    ("kind", "status", "error"), [("400", 400, "invalid_scope"), ("401", 401, "invalid_client")]
)
def test_the_refusal_faults_in_ims_shape(
    emu: WorkfrontEmulator, kind: str, status: int, error: str
) -> None:
    emu.inject_token_fault(kind, grant_type="client_credentials")

    response = s2s_token(emu)

    assert response.status_code == status
    assert _error(response) == error
    assert emu.stats["ims_rejected_client_credentials"] == 1
    assert emu.stats["ims_rejected_refreshes"] == 0
    assert emu.active_grants() == []


def test_the_counters_of_an_s2s_life(emu: WorkfrontEmulator) -> None:
    token = s2s_token(emu).json()["access_token"]
    s2s_token(emu, secret="wrong")
    s2s_token(emu, "made_up")
    s2s_token(emu, None)
    emu.inject_token_fault("500", grant_type="client_credentials")
    s2s_token(emu)
    s2s_api_get(emu, "PROJ/count", token)
    emu.s2s_issue_token()  # no HTTP: not counted

    stats = emu.stats
    assert stats["ims_token_requests"] == {
        "authorization_code": 0,
        "refresh_token": 0,
        "client_credentials": 5,
        "other": 0,
    }
    assert stats["ims_client_credentials_tokens"] == 1
    assert stats["ims_rejected_client_credentials"] == 3
    assert stats["ims_faults_served"] == 1
    assert stats["ims_api_calls"] == 1
    assert stats["ims_code_exchanges"] == stats["ims_successful_refreshes"] == 0
    assert stats["token_requests"] == {"authorization_code": 0, "refresh_token": 0, "other": 0}
    emu.reset_stats()
    assert emu.stats["ims_client_credentials_tokens"] == 0


# The Python API ----------------------------------------------------------------------------


def test_the_defaults_and_properties() -> None:
    emu = WorkfrontEmulator()
    account = emu.technical_account

    assert emu.s2s_client_id == "s2s-client-id"
    assert emu.s2s_client_secret == "s2s-client-secret-not-a-secret"
    assert emu.s2s_scopes == DEFAULT_S2S_SCOPES
    assert emu.s2s_app.org_id == emu.ims_org_id
    assert (account.username, account.name) == ("techacct", "Technical Account")
    assert re.fullmatch(r"[0-9A-F]{24}@techacct\.adobe\.com", account.email_addr)
    assert re.fullmatch(r"[0-9a-f]{32}", account.id)
    assert emu.user("techacct") == account


def test_the_technical_account_is_the_same_on_every_run() -> None:
    one, two = WorkfrontEmulator().technical_account, WorkfrontEmulator().technical_account
    other = WorkfrontEmulator(s2s_client_id="another").technical_account

    assert (one.id, one.email_addr) == (two.id, two.email_addr)
    assert other.email_addr != one.email_addr


def test_the_credential_is_configurable() -> None:
    emu = WorkfrontEmulator(
        s2s_client_id="mine", s2s_client_secret="my-secret", s2s_scopes=["openid", "workfront_api"]
    )

    assert (emu.s2s_client_id, emu.s2s_client_secret) == ("mine", "my-secret")
    assert emu.s2s_scopes == ("openid", "workfront_api")


def test_clashes_are_refused() -> None:
    with pytest.raises(ValueError, match="already has a client"):
        WorkfrontEmulator(ims_client_id="same", s2s_client_id="same")
    with pytest.raises(ValueError, match="technical account"):
        WorkfrontEmulator(username="techacct")
    # The legacy app is another server: it may share the id.
    assert WorkfrontEmulator(client_id="same", s2s_client_id="same").s2s_client_id == "same"


def test_s2s_issue_token_skips_http(emu: WorkfrontEmulator) -> None:
    body = emu.s2s_issue_token()
    narrow = emu.s2s_issue_token(["workfront_api"])

    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["expires_in"] == 86399
    assert s2s_api_get(emu, "PROJ/count", body["access_token"]).status_code == 200
    assert [grant.scopes for grant in emu.active_grants()] == [
        DEFAULT_S2S_SCOPES,
        ("workfront_api",),
    ]
    assert s2s_api_get(emu, "PROJ/count", narrow["access_token"]).status_code == 200
    with pytest.raises(ValueError, match="made_up"):
        emu.s2s_issue_token(["openid", "made_up"])
    with pytest.raises(ValueError):
        emu.s2s_issue_token([])


# Command line and pytest fixture -----------------------------------------------------------


def test_the_cli_options_and_their_defaults() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)

    defaults = cli.emulator_from_options(vars(parser.parse_args(["--redirect-uri=x"])))
    given = cli.emulator_from_options(
        vars(
            parser.parse_args(
                ["--redirect-uri=x", "--s2s-client-id=cli-s2s", "--s2s-client-secret=cli-secret"]
            )
        )
    )
    by_hand = vars(parser.parse_args(["--redirect-uri=x"]))
    del by_hand["s2s_client_id"], by_hand["s2s_client_secret"]

    assert (defaults.s2s_client_id, defaults.s2s_client_secret) == (
        "s2s-client-id",
        "s2s-client-secret-not-a-secret",
    )
    assert (given.s2s_client_id, given.s2s_client_secret) == ("cli-s2s", "cli-secret")
    assert cli.emulator_from_options(by_hand).s2s_client_id == "s2s-client-id"


def test_the_management_command_takes_the_s2s_options() -> None:
    parser = Command().create_parser("manage.py", "workfront_emulator")

    options = vars(parser.parse_args(["--s2s-client-id=cmd-s2s", "--s2s-client-secret=cmd-sec"]))
    emulator = cli.emulator_from_options(options)

    assert (emulator.s2s_client_id, emulator.s2s_client_secret) == ("cmd-s2s", "cmd-sec")


def test_the_banner_names_the_credential_and_its_account() -> None:
    with WorkfrontEmulator(s2s_client_id="banner-s2s", s2s_client_secret="banner-secret") as emu:
        lines = cli.banner(emu)
        account = emu.technical_account

    line = next(line for line in lines if "Server-to-Server" in line)
    assert line == (
        "Adobe IMS Server-to-Server client_id 'banner-s2s'; technical account 'techacct' "
        f"(Technical Account, {account.email_addr})"
    )
    assert lines[-1] == "Press Ctrl-C to stop."
    assert not any("banner-secret" in line for line in lines)


def test_the_cli_serves_the_s2s_credential() -> None:
    # What --s2s-client-id/--s2s-client-secret build answers over HTTP like the constructor's.
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = ["--port=0", "--redirect-uri=x", "--s2s-client-id=c", "--s2s-client-secret=s"]
    with cli.emulator_from_options(vars(parser.parse_args(argv))) as served:
        response = s2s_token(served)
        wrong = s2s_token(
            served, client_id="s2s-client-id", secret="s2s-client-secret-not-a-secret"
        )

    assert response.status_code == 200
    assert wrong.status_code == 401


def test_workfront_s2s_settings_add_the_service_instance(
    settings: Any, workfront_emulator: WorkfrontEmulator, request: pytest.FixtureRequest
) -> None:
    sandbox = {"HOST": "https://acme.sb01.workfront.com", "CLIENT_ID": "s", "CLIENT_SECRET": "x"}
    earlier = {"sandbox": sandbox}
    settings.WORKFRONT_OAUTH_INSTANCES = earlier

    emu = request.getfixturevalue("workfront_s2s_settings")

    instances = settings.WORKFRONT_OAUTH_INSTANCES
    assert emu is workfront_emulator
    assert instances == {
        "sandbox": sandbox,
        "service": {
            "PROVIDER": "adobe_ims_s2s",
            "HOST": emu.base_url,
            "IMS_HOST": emu.base_url,
            "IMS_ORG_ID": emu.ims_org_id,
            "CLIENT_ID": "s2s-client-id",
            "CLIENT_SECRET": "s2s-client-secret-not-a-secret",
        },
    }
    assert earlier == {"sandbox": sandbox}  # the dict the settings held is not changed
    instance = app_settings.get_instance("service")
    assert (instance.provider, instance.host, instance.client_id) == (
        "adobe_ims_s2s",
        emu.base_url,
        emu.s2s_client_id,
    )


def test_workfront_s2s_settings_alone(workfront_s2s_settings: WorkfrontEmulator) -> None:
    emu = workfront_s2s_settings

    token = s2s_token(emu).json()["access_token"]

    assert set(app_settings.INSTANCES) == {"service"}
    assert s2s_api_get(emu, "USER/search", token, ID="$$USER.ID").json()["data"][0]["ID"] == (
        emu.technical_account.id
    )


def test_the_instances_are_restored_afterwards() -> None:
    # Runs after the tests above: pytest-django's settings fixture undid their changes.
    assert "service" not in app_settings.INSTANCES
