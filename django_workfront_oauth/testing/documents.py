"""Documents: ``POST /upload`` keeps a file and answers its handle; a ``DOCU`` created with that
handle, ``docObjCode``, ``objID`` and ``currentVersion {version, fileName}`` is the document.

Uploads are multipart/form-data with the file in the field ``uploadedFile``, as Workfront's SDK
and our own client send them. A handle makes one document.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .data import Record, bad
from .objects import Context

UPLOAD_FIELD = "uploadedFile"
MULTIPART = "multipart/form-data"
#: What ``currentVersion`` may carry when a document is created.
VERSION_FIELDS = frozenset({"version", "fileName"})
DEFAULT_VERSION = "v1.0"


def _parts(content_type: str, body: bytes) -> list[Message]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return []
    payload = message.get_payload()
    return (
        [part for part in payload if isinstance(part, Message)] if isinstance(payload, list) else []
    )


def upload(ctx: Context, content_type: str, body: bytes) -> dict[str, str]:
    """``POST /upload``: ``{"handle": …}`` for the file in ``uploadedFile``."""
    if content_type.split(";")[0].strip().lower() != MULTIPART:
        raise bad(f"POST /upload takes a {MULTIPART} body with the file as {UPLOAD_FIELD}.")
    for part in _parts(content_type, body):
        if part.get_param("name", header="content-disposition") != UPLOAD_FIELD:
            continue
        content = part.get_payload(decode=True)
        filename = part.get_filename() or UPLOAD_FIELD
        data = content if isinstance(content, bytes) else b""
        return {"handle": ctx.store.add_upload(filename, data, part.get_content_type())}
    raise bad(f"POST /upload found no file in a field named {UPLOAD_FIELD}.")


def document_fields(ctx: Context, changes: Record, handle: Any) -> Record:
    """What a new ``DOCU`` holds besides its own fields: the checked owner and its version."""
    if handle is None:
        raise bad("handle is required to create a DOCU: upload the file first (POST /upload).")
    stored = ctx.store.upload(handle) if isinstance(handle, str) else None
    if stored is None:
        raise bad(f"No uploaded file has the handle {handle!r} (a handle makes one DOCU).")
    owner, obj_id = changes["docObjCode"], changes["objID"]
    known = ctx.users if owner == "USER" else ctx.store.rows(owner)
    if not isinstance(obj_id, str) or obj_id not in known:
        raise bad(f"objID: there is no {owner} with ID {obj_id!r}.")
    version = changes.get("currentVersion") or {}
    unknown = sorted(set(version) - VERSION_FIELDS)
    if unknown:
        raise bad(f"{unknown[0]!r} is not a valid field of currentVersion (DOCV).")
    for name in VERSION_FIELDS & set(version):
        if not isinstance(version[name], str) or not version[name]:
            raise bad(f"currentVersion.{name} must be a non-empty string.")
    return {
        "currentVersion": {
            "ID": ctx.store.new_id("DOCV"),
            "objCode": "DOCV",
            "version": version.get("version", DEFAULT_VERSION),
            "fileName": version.get("fileName", stored.filename),
            "docSize": len(stored.content),
            "format": stored.content_type,
        }
    }
