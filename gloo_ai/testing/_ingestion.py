"""The emulator's ingestion (§12): multipart file uploads, parsed for real, with duplicates
found by content hash; and the legacy real-time text upload."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._asgi import Reply, json_reply
from ._engine import duplicates_of
from ._routes import RouteRequest, route
from ._validation import RequestRejected

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["INGESTION_ROUTES", "FormPart", "parse_multipart"]


@dataclass(frozen=True)
class FormPart:
    """One part of a ``multipart/form-data`` body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> list[FormPart]:
    """The parts of a ``multipart/form-data`` body, read with the standard library.

    Raises:
        RequestRejected: not multipart, no boundary, or a part without a form-data name.
    """
    if not content_type.lower().startswith("multipart/form-data"):
        raise RequestRejected(
            400, {"detail": f"Expected multipart/form-data, not {content_type or 'nothing'}."}
        )
    if "boundary=" not in content_type:
        raise RequestRejected(400, {"detail": "The multipart body has no boundary."})
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart() or message.defects:
        raise RequestRejected(400, {"detail": "The multipart body is malformed."})
    parts = []
    for part in message.iter_parts():
        if part.get_content_disposition() != "form-data":
            raise RequestRejected(400, {"detail": "Each part must be form-data."})
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise RequestRejected(400, {"detail": "A part has no form field name."})
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        parts.append(
            FormPart(
                name,
                filename,
                part.get_content_type() if part.get("content-type") else None,
                payload if isinstance(payload, bytes) else b"",
            )
        )
    return parts


def _field_required(*loc: str) -> RequestRejected:
    detail = [{"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}]
    return RequestRejected(422, {"detail": detail})


@route("POST", "/ingestion/v2/files")
def _upload_files(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = emulator.engine
    parts = parse_multipart(request.headers.get("content-type", ""), request.body)
    fields = {p.name: p.data.decode("utf-8", "replace") for p in parts if p.filename is None}
    files = [p for p in parts if p.filename is not None]
    publisher_id = fields.get("publisher_id", "")
    if not publisher_id:
        raise _field_required("body", "publisher_id")
    other = sorted({p.name for p in files if p.name != "files"})
    if other:
        raise RequestRejected(
            422,
            {
                "detail": [
                    {
                        "type": "missing",
                        "loc": ["body", "files"],
                        "msg": f"Field required (files were sent as {', '.join(other)})",
                        "input": None,
                    }
                ]
            },
        )
    if not files:
        raise _field_required("body", "files")
    producer_id = request.query.get("producer_id")
    update = request.query.get("update")
    if (producer_id or update) and len(files) > 1:
        raise RequestRejected(
            400, {"detail": "producer_id and update are allowed with a single file only."}
        )
    ingesting: list[str] = []
    duplicates: list[str] = []
    for part in files:
        digest = hashlib.sha256(part.data).hexdigest()
        if update:
            item = state.items.get(update)
            if item is None or item.publisher_id != publisher_id:
                raise RequestRejected(404, {"detail": f"Item {update} not found."})
            item.sha256, item.size, item.filename = digest, len(part.data), part.filename
            item.started_at = state.clock()
            item.status_override = None
            item.fail = part.filename in state.failing_filenames
            item.touch()
            ingesting.append(item.item_id)
            continue
        existing = duplicates_of(state, publisher_id, digest)
        if existing is not None:
            duplicates.append(existing)
            continue
        ingesting.append(
            state.add_item(
                publisher_id, filename=part.filename, content=part.data, producer_id=producer_id
            )
        )
    return json_reply(
        200,
        {
            "success": True,
            "message": "File processing started in background.",
            "ingesting": ingesting,
            "duplicates": duplicates,
        },
    )


@route("POST", "/ingestion/v1/real_time_upload")
def _real_time_upload(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    body: Any = request.json
    if not isinstance(body, dict):
        raise RequestRejected(400, {"detail": "A JSON object is required."})
    for name in ("content", "publisher_id"):
        if not isinstance(body.get(name), str) or not body[name]:
            raise _field_required("body", name)
    metadata = {
        k: v
        for k, v in body.items()
        if k.startswith("item_") or k in ("author", "isbn", "publication_date", "evergreen")
    }
    item_id = emulator.engine.add_item(
        body["publisher_id"],
        filename=body.get("filename"),
        content=body["content"].encode(),
        producer_id=body.get("producer_id"),
        **metadata,
    )
    # Gloo's reference does not show this answer: the emulator's shape is a guess.
    return json_reply(
        200, {"success": True, "message": "Content queued for ingestion.", "item_id": item_id}
    )


INGESTION_ROUTES = [_upload_files, _real_time_upload]
