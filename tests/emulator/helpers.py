"""Drive the emulator over real HTTP the way a browser and an OAuth client would."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from django_workfront_oauth.testing import WorkfrontEmulator

REDIRECT_URI = "http://127.0.0.1:8000/workfront/callback/"
OTHER_REDIRECT_URI = "http://127.0.0.1:8000/other/callback/"
TIMEOUT = 5


def request_id(html: str) -> str:
    match = re.search(r'name="request_id" value="([^"]+)"', html)
    assert match is not None, html
    return match[1]


def query_of(location: str) -> dict[str, str]:
    query = parse_qs(urlsplit(location).query)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


class Browser:
    """A user at a browser: authorize, log in, answer the consent page."""

    def __init__(self, emu: WorkfrontEmulator) -> None:
        self.emu = emu
        self.session = requests.Session()

    def authorize(self, **params: str) -> requests.Response:
        query = {
            "client_id": self.emu.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
        }
        query.update(params)
        return self.session.get(
            f"{self.emu.base_url}/integrations/oauth2/authorize",
            params={key: value for key, value in query.items() if value is not None},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def login(
        self, rid: str, username: str = "wfuser", password: str = "wfpass"
    ) -> requests.Response:
        """The login form's answer; after a successful login, the consent page it redirects to."""
        response = self.session.post(
            f"{self.emu.base_url}/integrations/oauth2/login",
            data={"request_id": rid, "username": username, "password": password},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        if response.status_code == 303:
            location = response.headers["Location"]
            assert location.startswith("/integrations/oauth2/consent?request_id="), location
            return self.session.get(
                self.emu.base_url + location, allow_redirects=False, timeout=TIMEOUT
            )
        return response

    def consent_page(self, rid: str) -> requests.Response:
        """A ``GET`` of the consent page, as the browser's Back or a reload asks for it."""
        return self.session.get(
            f"{self.emu.base_url}/integrations/oauth2/consent",
            params={"request_id": rid},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def decide(self, rid: str, decision: str, **extra: str) -> requests.Response:
        return self.session.post(
            f"{self.emu.base_url}/integrations/oauth2/consent",
            data={"request_id": rid, "decision": decision, **extra},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def consent(
        self,
        decision: str = "allow",
        username: str = "wfuser",
        password: str = "wfpass",
        **params: str,
    ) -> dict[str, str]:
        """The whole flow; the query parameters of the redirect back to the client."""
        page = self.authorize(**params)
        assert page.status_code == 200, page.text
        rid = request_id(page.text)
        consent_page = self.login(rid, username, password)
        assert 'value="allow"' in consent_page.text, consent_page.text
        answer = self.decide(rid, decision)
        assert answer.status_code == 302
        return query_of(answer.headers["Location"])

    def code(self, **params: str) -> str:
        return self.consent(**params)["code"]


def token_json(
    emu: WorkfrontEmulator, body: dict[str, Any], secret: str | None = None
) -> requests.Response:
    """The documented style 1: HTTP Basic and a JSON body."""
    return requests.post(
        emu.token_url,
        json=body,
        auth=(emu.client_id, emu.client_secret if secret is None else secret),
        timeout=TIMEOUT,
    )


def token_form(
    emu: WorkfrontEmulator, body: dict[str, str], secret: str | None = None
) -> requests.Response:
    """The documented style 2: a form body carrying the client credentials."""
    data = {
        "client_id": emu.client_id,
        "client_secret": emu.client_secret if secret is None else secret,
        **body,
    }
    return requests.post(emu.token_url, data=data, timeout=TIMEOUT)


def exchange(
    emu: WorkfrontEmulator, code: str, redirect_uri: str = REDIRECT_URI
) -> requests.Response:
    return token_json(
        emu, {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_uri}
    )


def refresh(emu: WorkfrontEmulator, refresh_token: str) -> requests.Response:
    return token_json(emu, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def api_get(
    emu: WorkfrontEmulator, path: str, session_id: str | None, version: str = "v21.0", **params: Any
) -> requests.Response:
    headers = {"SessionID": session_id} if session_id else {}
    return requests.get(
        f"{emu.api_url(version)}/{path}", params=params, headers=headers, timeout=TIMEOUT
    )


# Adobe IMS ---------------------------------------------------------------------------------

IMS_REDIRECT_URI = "https://app.example/workfront/callback/"
IMS_LOOPBACK_REDIRECT_URI = "http://127.0.0.1:8000/workfront/callback/"
IMS_SCOPE = "openid,AdobeID,offline_access,read_organizations,workfront_api"


class IMSBrowser(Browser):
    """A user signing in through Adobe IMS's authorize endpoint (same login and consent pages)."""

    def authorize(self, **params: str) -> requests.Response:
        query: dict[str, str | None] = {
            "client_id": self.emu.ims_client_id,
            "redirect_uri": IMS_REDIRECT_URI,
            "scope": IMS_SCOPE,
            "response_type": "code",
        }
        query.update(params)
        return self.session.get(
            f"{self.emu.base_url}/ims/authorize/v2",
            params={key: value for key, value in query.items() if value is not None},
            allow_redirects=False,
            timeout=TIMEOUT,
        )


def ims_token(
    emu: WorkfrontEmulator,
    body: dict[str, str],
    *,
    style: str = "basic",
    secret: str | None = None,
    client_id: str | None = None,
) -> requests.Response:
    """POST a form to ``/ims/token/v3``: credentials by HTTP Basic, or in the form (``"post"``)."""
    client_id = emu.ims_client_id if client_id is None else client_id
    secret = emu.ims_client_secret if secret is None else secret
    if style == "basic":
        return requests.post(
            emu.ims_token_url, data=body, auth=(client_id, secret), timeout=TIMEOUT
        )
    data = {"client_id": client_id, "client_secret": secret, **body}
    return requests.post(emu.ims_token_url, data=data, timeout=TIMEOUT)


def ims_exchange(
    emu: WorkfrontEmulator, code: str, redirect_uri: str | None = IMS_REDIRECT_URI, **extra: str
) -> requests.Response:
    """A code exchange at IMS, repeating ``redirect_uri`` as RFC 6749 4.1.3 wants (``None``
    leaves it out)."""
    body = {"grant_type": "authorization_code", "code": code, **extra}
    if redirect_uri is not None:
        body["redirect_uri"] = redirect_uri
    return ims_token(emu, body)


def ims_refresh(emu: WorkfrontEmulator, refresh_token: str) -> requests.Response:
    return ims_token(emu, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def ims_api_get(
    emu: WorkfrontEmulator,
    path: str,
    access_token: str | None,
    *,
    api_key: str | None = "",
    org_id: str | None = "",
    **params: Any,
) -> requests.Response:
    """An API call the way the app's IMS provider makes it; ``None`` leaves a header out and
    ``""`` sends the emulator's own value."""
    headers = {}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    if api_key is not None:
        headers["x-api-key"] = api_key or emu.ims_client_id
    if org_id is not None:
        headers["x-gw-ims-org-id"] = org_id or emu.ims_org_id
    return requests.get(f"{emu.api_url()}/{path}", params=params, headers=headers, timeout=TIMEOUT)


def connect_through(site: Any, emu: WorkfrontEmulator, authorize_path: str, decision: str) -> Any:
    """Click Connect on the site (a logged-in Django test client), then sign in and answer at
    the emulator with ``requests``; returns the site's answer to the callback.

    ``authorize_path`` is where the site must send the browser: the legacy app's or IMS's.
    """
    from django.urls import reverse

    start = site.post(reverse("workfront_oauth:authorize"), {"next": "/after/"})
    assert start.status_code == 302
    location = start["Location"]
    assert location.startswith(emu.base_url + authorize_path + "?"), location
    authorize = query_of(location)

    browser = requests.Session()
    page = browser.get(location, timeout=TIMEOUT)
    assert page.status_code == 200, page.text
    rid = request_id(page.text)
    browser.post(
        emu.base_url + "/integrations/oauth2/login",
        data={"request_id": rid, "username": emu.username, "password": emu.password},
        timeout=TIMEOUT,
    )
    answer = browser.post(
        emu.base_url + "/integrations/oauth2/consent",
        data={"request_id": rid, "decision": decision},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    callback = urlsplit(answer.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == authorize["redirect_uri"]
    return site.get(f"{callback.path}?{callback.query}")
