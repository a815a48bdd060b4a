"""A bare HTTP client for the emulator's REST API, in either authentication style, for the tests
of its writes, reports, documents and batches."""

from __future__ import annotations

import json
from typing import Any

import requests

from django_workfront_oauth.testing import WorkfrontEmulator
from tests.emulator.helpers import TIMEOUT

INVALID_PARAMETER = "com.attask.common.InvalidParameterException"
NOT_FOUND = "com.attask.common.NotFoundException"


def as_json(value: Any) -> str:
    return json.dumps(value)


class API:
    """Calls ``/attask/api/v21.0/…`` with a legacy session or an IMS Bearer token."""

    def __init__(self, emu: WorkfrontEmulator, style: str = "session") -> None:
        self.emu = emu
        self.style = style
        if style == "session":
            self.headers = {"SessionID": emu.issue_tokens()["access_token"]}
        else:
            self.headers = {
                "Authorization": f"Bearer {emu.ims_issue_tokens()['access_token']}",
                "x-api-key": emu.ims_client_id,
                "x-gw-ims-org-id": emu.ims_org_id,
            }

    def __repr__(self) -> str:
        return f"<API {self.style}>"

    def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.emu.api_url()}/{path}",
            headers={**self.headers, **(headers or {})},
            timeout=TIMEOUT,
            **kwargs,
        )

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        """The ``data`` of a call that must succeed."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data"}, body
        return body["data"]

    def error(self, method: str, path: str, status: int = 400, **kwargs: Any) -> dict[str, str]:
        """The ``error`` of a call that must fail with ``status``."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error"}, body
        return dict(body["error"])

    # Shortcuts -----------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        return self.data("GET", path, params=params)

    def create(self, objcode: str, values: Any, **params: Any) -> Any:
        """The SDK's way: the updates as the JSON body."""
        return self.data("POST", objcode, json=values, params=params)

    def project(self, name: str = "A project", **values: Any) -> dict[str, Any]:
        return dict(self.create("PROJ", {"name": name, **values}))

    def task(self, project_id: str, name: str = "A task", **values: Any) -> dict[str, Any]:
        return dict(self.create("TASK", {"name": name, "projectID": project_id, **values}))

    def upload(self, content: bytes = b"hello", filename: str = "note.txt") -> str:
        answer = self.data("POST", "upload", files={"uploadedFile": (filename, content)})
        return str(answer["handle"])
