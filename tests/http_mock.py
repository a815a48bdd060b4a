"""The test suite's one HTTP-mocking helper: Workfront's endpoints on ``responses``.

``WorkfrontMock`` registers answers for the token endpoint and the REST API, and gives back
every request the app sent as a :class:`SentRequest`, so a test can assert on the exact URL,
the headers, the body (JSON or form) and the ``timeout`` passed to ``requests``.

Nothing leaves the process: a request to a URL that no test registered fails with
``requests.ConnectionError`` (which the app turns into ``WorkfrontUnavailable``).
"""

from __future__ import annotations

import base64
import json as jsonlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import responses

DEFAULT_HOST = "https://acme.my.workfront.com"
API_VERSION = "v21.0"
TOKEN_PATH = "/integrations/oauth2/api/v1/token"
IMS_HOST = "https://ims-na1.adobelogin.com"
IMS_ORG_ID = "0123456789ABCDEF@AdobeOrg"


@dataclass(frozen=True)
class SentRequest:
    """One request the app sent, as ``responses`` recorded it."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str
    timeout: Any

    @classmethod
    def from_call(cls, call: Any) -> SentRequest:
        request = call.request
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return cls(
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=body or "",
            timeout=request.req_kwargs.get("timeout"),
        )

    @property
    def base_url(self) -> str:
        """The URL without its query string."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    @property
    def query(self) -> dict[str, str]:
        """The query string's parameters (each must appear once)."""
        return _unique_pairs(urlsplit(self.url).query)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self) -> Any:
        """The body parsed as JSON; fails the test when the body is not JSON."""
        assert self.content_type == "application/json", self.content_type
        return jsonlib.loads(self.body)

    def form(self) -> dict[str, str]:
        """The body parsed as a form; fails the test when it is not form-encoded."""
        assert self.content_type == "application/x-www-form-urlencoded", self.content_type
        return _unique_pairs(self.body)

    def fields(self) -> dict[str, str]:
        """The body's fields, whether it was sent as JSON (legacy basic style) or as a form."""
        if self.content_type == "application/json":
            return dict(self.json())
        return self.form()

    @property
    def access_token(self) -> str | None:
        """The access token an API call carried: ``SessionID`` (legacy) or a Bearer token (IMS)."""
        if "SessionID" in self.headers:
            return self.headers["SessionID"]
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return token if scheme == "Bearer" else None

    def basic_auth(self) -> tuple[str, str] | None:
        """The decoded ``Authorization: Basic`` credentials, or ``None`` without that header."""
        value = self.headers.get("Authorization")
        if value is None:
            return None
        scheme, _, encoded = value.partition(" ")
        assert scheme == "Basic", value
        user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        # RFC 6749 2.3.1: each part is form-urlencoded before the base64 step.
        return unquote_plus(user), unquote_plus(password)

    def client_id(self) -> str:
        """The client that authenticated: HTTP Basic's user, or the body's ``client_id``."""
        basic = self.basic_auth()
        return basic[0] if basic is not None else self.fields().get("client_id", "")


def make_id_token(claims: Mapping[str, Any]) -> str:
    """An unsigned-looking compact JWS with ``claims``: the client checks claims, not signatures."""

    def part(value: Any) -> str:
        raw = jsonlib.dumps(value).encode("utf-8")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(dict(claims))}.c2lnbmF0dXJl"


def id_token_claims(client_id: str, nonce: str, **overrides: Any) -> dict[str, Any]:
    """The claims IMS puts in an id_token for this client and nonce."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": IMS_HOST,
        "aud": client_id,
        "sub": "ims-wf-user-1",
        "iat": now,
        "exp": now + 86400,
        "nonce": nonce,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _unique_pairs(encoded: str) -> dict[str, str]:
    pairs = parse_qsl(encoded, keep_blank_values=True, strict_parsing=bool(encoded))
    result = dict(pairs)
    assert len(result) == len(pairs), f"a parameter is repeated: {pairs!r}"
    return result


class WorkfrontMock:
    """Registers Workfront's answers on a ``responses.RequestsMock`` and reads back the requests."""

    def __init__(
        self,
        mock: responses.RequestsMock,
        host: str = DEFAULT_HOST,
        api_version: str = API_VERSION,
        provider: str = "workfront",
    ) -> None:
        self.mock = mock
        self.host = host
        self.api_version = api_version
        #: Which authorization server answers ``token()``: "workfront" or "adobe_ims".
        self.provider = provider
        #: The ``nonce`` of the last authorization request (``ConnectFlow.start`` sets it): IMS
        #: answers put it into their ``id_token``, as the real server does.
        self.nonce = ""

    # -- URLs ----------------------------------------------------------------------------------

    def token_url(self, host: str | None = None) -> str:
        if self.provider == "adobe_ims":
            return f"{IMS_HOST}/ims/token/v3"
        return f"{host or self.host}{TOKEN_PATH}"

    def api_url(self, path: str, host: str | None = None) -> str:
        return f"{host or self.host}/attask/api/{self.api_version}/{path}"

    # -- answers -------------------------------------------------------------------------------

    def token(
        self,
        access_token: str = "access-1",
        refresh_token: str | None = "refresh-1",
        *,
        expires_in: Any = 0,
        host: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A successful token response, shaped like Workfront's documented example (or IMS's)."""
        body: dict[str, Any] = {
            "token_type": "sessionID",
            "access_token": access_token,
            "expires_in": expires_in,
            "wid": "wid-1",
            **fields,
        }
        if self.provider == "adobe_ims":
            body.pop("wid")
            body["token_type"] = "bearer"
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        if self.provider == "adobe_ims" and "id_token" not in body:
            self._ims_token_with_id_token(body)
        else:
            self.token_response(json=body, host=host)
        return body

    def _ims_token_with_id_token(self, body: dict[str, Any]) -> None:
        """IMS's answer to a code exchange carries an id_token naming the client and the nonce;
        a refresh's carries none here (nothing checks it)."""

        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            sent = SentRequest(request.method, request.url, request.headers, request.body, None)
            fields = dict(parse_qsl(sent.body if isinstance(sent.body, str) else ""))
            answered = dict(body)
            if fields.get("grant_type") == "authorization_code":
                claims = id_token_claims(sent.client_id(), self.nonce)
                answered["id_token"] = make_id_token(claims)
            return 200, {"Content-Type": "application/json"}, jsonlib.dumps(answered)

        self.mock.add_callback("POST", self.token_url(), callback=answer)

    def token_response(
        self,
        *,
        status: int = 200,
        json: Any = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
    ) -> None:
        """Any answer of the token endpoint; ``body`` may be an exception to raise."""
        self._add(
            "POST", self.token_url(host), status=status, json=json, body=body, headers=headers
        )

    def user(
        self,
        user_id: str = "wf-user-1",
        name: str = "Alice Anders",
        email: str = "alice@acme.example",
        *,
        host: str | None = None,
    ) -> None:
        """The answer of ``USER/search?ID=$$USER.ID``: the current Workfront user.

        For Adobe IMS, also the answer of IMS's userinfo, which comes first.
        """
        if self.provider == "adobe_ims":
            self.mock.get(f"{IMS_HOST}/ims/userinfo/v2", json={"sub": f"ims-{user_id}"})
        self.api(
            "GET",
            "USER/search",
            json={"data": [{"ID": user_id, "name": name, "emailAddr": email, "objCode": "USER"}]},
            host=host,
        )

    def api(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        json: Any = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
    ) -> None:
        """Any answer of ``<host>/attask/api/<version>/<path>`` (the query string is ignored)."""
        self._add(
            method, self.api_url(path, host), status=status, json=json, body=body, headers=headers
        )

    def logout(self, *, status: int = 200, body: Any = None, host: str | None = None) -> None:
        """How a session ends: Workfront's ``logout`` (legacy) or IMS's ``revoke``."""
        if self.provider == "adobe_ims":
            self._add(
                "POST",
                f"{IMS_HOST}/ims/revoke",
                status=status,
                json=None,
                body=body or "",
                headers=None,
            )
            return
        json = None if body is not None else {"data": {"success": True}}
        self.api("GET", "logout", status=status, json=json, body=body, host=host)

    def end_session_requests(self) -> list[SentRequest]:
        """The requests that ended a session: logouts (legacy) or revokes (IMS)."""
        if self.provider == "adobe_ims":
            return self.sent_to(f"{IMS_HOST}/ims/revoke")
        return self.sent_to(self.api_url("logout"))

    def _add(
        self,
        method: str,
        url: str,
        *,
        status: int,
        json: Any,
        body: Any,
        headers: Mapping[str, str] | None,
    ) -> None:
        kwargs: dict[str, Any] = {"status": status, "headers": dict(headers or {})}
        if json is not None:
            kwargs["json"] = json
        elif body is not None:
            kwargs["body"] = body
        self.mock.add(method, url, **kwargs)

    # -- what was sent -------------------------------------------------------------------------

    @property
    def requests(self) -> list[SentRequest]:
        """Every request sent so far, in order."""
        return [SentRequest.from_call(call) for call in self.mock.calls]

    def sent_to(self, url: str) -> list[SentRequest]:
        """The requests sent to ``url`` (compared without the query string)."""
        return [sent for sent in self.requests if sent.base_url == url]

    def token_requests(self, host: str | None = None) -> list[SentRequest]:
        return self.sent_to(self.token_url(host))
