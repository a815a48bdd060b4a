"""Writing Workfront: create, edit (one or many), remove, copy, actions, documents and batch,
with Workfront's limits: at most 100 objects a bulk call, ``updates`` as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any
from urllib.parse import urlencode

from ..exceptions import WorkfrontAPIError
from .core import ClientCore
from .reading import fields_param

__all__ = ["MAX_BULK", "BatchRequest", "WriteOperations"]

#: Workfront's bulk limit: objects a create or update call may carry.
MAX_BULK = 100

#: One request of a batch: ``(method, path, params)``, e.g. ``("GET", "task/search", {...})``.
BatchRequest = tuple[str, str, Mapping[str, Any]]


def _updates(values: Any) -> str:
    return json.dumps(values, separators=(",", ":"), default=str)


def _record(data: Any, what: str) -> dict[str, Any]:
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        return data[0]
    if not isinstance(data, dict):
        raise WorkfrontAPIError(f"Workfront's {what} did not return an object.")
    return data


class WriteOperations(ClientCore):
    """Changes; every call goes through :meth:`ClientCore.request` (refresh, retry, errors)."""

    def create(
        self,
        objcode: str,
        values: Mapping[str, Any],
        *,
        fields: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """A new object (``POST /<obj>`` with ``updates``); Workfront's answer, with ``fields``."""
        data = {"updates": _updates(values), **fields_param(fields)}
        return _record(self.post(objcode, data), "create")

    def edit(
        self,
        objcode: str,
        obj_id: str,
        updates: Mapping[str, Any],
        *,
        fields: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Change one object (``PUT /<obj>/<id>`` with ``updates``)."""
        data = {"updates": _updates(updates), **fields_param(fields)}
        return _record(self.put(f"{objcode}/{obj_id}", data), "edit")

    def edit_many(
        self, objcode: str, updates: Sequence[Mapping[str, Any]], *, atomic: bool = False
    ) -> list[dict[str, Any]]:
        """Change many objects, each ``updates`` item with its ``ID``, 100 a call at most.

        ``atomic`` makes each call of up to 100 all or nothing (Workfront's ``atomic=true``);
        across calls it cannot: a list of 250 is three calls.
        """
        if any("ID" not in item for item in updates):
            raise ValueError("Each item of edit_many's updates needs its ID.")
        edited: list[dict[str, Any]] = []
        for start in range(0, len(updates), MAX_BULK):
            chunk = list(updates[start : start + MAX_BULK])
            data = {"updates": _updates(chunk), **({"atomic": "true"} if atomic else {})}
            result = self.put(objcode, data)
            edited.extend(result if isinstance(result, list) else [])
        return edited

    def remove(self, objcode: str, obj_id: str, *, force: bool = False) -> None:
        """Delete one object; ``force`` deletes it with what depends on it."""
        params = {"force": "true"} if force else {}
        data = self.delete(f"{objcode}/{obj_id}", **params)
        if isinstance(data, dict) and data.get("success") is False:
            raise WorkfrontAPIError(f"Workfront did not delete {objcode} {obj_id}.")

    def copy(
        self,
        objcode: str,
        obj_id: str,
        updates: Mapping[str, Any] | None = None,
        *,
        options: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """A copy of an object (``copySourceID``), with ``updates`` applied and ``options``."""
        data: dict[str, Any] = {"copySourceID": obj_id}
        if updates:
            data["updates"] = _updates(updates)
        if options:
            data["options"] = _updates(list(options))
        return _record(self.post(objcode, data), "copy")

    def execute(self, objcode: str, obj_id: str | None, action: str, **arguments: Any) -> Any:
        """An action (``PUT /<obj>/<id>/<action>``, or ``?action=`` without an ID)."""
        values = {
            key: _updates(value) if isinstance(value, (dict, list)) else value
            for key, value in arguments.items()
        }
        if obj_id:
            return self.put(f"{objcode}/{obj_id}/{action}", values)
        return self.put(objcode, {"action": action, **values})

    def upload(self, file: IO[bytes] | bytes, filename: str) -> str:
        """Upload a file's content (``POST /upload``, ``uploadedFile``); its handle."""
        data = self.request("POST", "upload", files={"uploadedFile": (filename, file)})
        handle = data.get("handle") if isinstance(data, dict) else None
        if not isinstance(handle, str) or not handle:
            raise WorkfrontAPIError("Workfront's upload did not return a handle.")
        return handle

    def attach(
        self,
        objcode: str,
        obj_id: str,
        file: IO[bytes] | bytes,
        filename: str,
        *,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Upload a file and make it a document (``DOCU``) of the object."""
        handle = self.upload(file, filename)
        values = {
            "name": name or filename,
            "handle": handle,
            "docObjCode": objcode.upper(),
            "objID": obj_id,
            "currentVersion": {"version": "v1.0", "fileName": filename},
        }
        return self.create("DOCU", values)

    def batch(self, requests: Iterable[BatchRequest], *, atomic: bool = False) -> list[Any]:
        """Several calls in one (``POST /batch``); each request's ``data``, in order.

        With ``atomic`` all succeed or none is applied, and Workfront answers only success:
        the list is then empty.
        """
        uris = [
            f"/{path.lstrip('/')}?{urlencode({**params, 'method': method.upper()}, doseq=True)}"
            for method, path, params in requests
        ]
        if not uris:
            return []
        data = {"uri": uris, "atomic": str(atomic).lower(), "concurrent": "false"}
        result = self.post("batch", data)
        if atomic:
            return []
        if not isinstance(result, list):
            raise WorkfrontAPIError("Workfront's batch did not return a list.")
        return [item.get("data") if isinstance(item, dict) else item for item in result]
