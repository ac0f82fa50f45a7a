"""The emulator's data-engine routes (§11): list, read, update, bulk-update and delete the
items that `EngineState` holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._asgi import Reply, json_reply
from ._engine import (
    BOOL_FIELDS,
    LIST_FIELDS,
    SINGLE_FIELDS,
    STRING_FIELDS,
    EmulatedItem,
    EngineState,
)
from ._routes import RouteRequest, route
from ._validation import RequestRejected

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["ENGINE_ROUTES"]


def _state(emulator: GlooEmulator) -> EngineState:
    return emulator.engine


def _positive_int(value: str | None, name: str, default: int, maximum: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise _unprocessable(["query", name], f"Input should be 1 to {maximum}")
    return int(value)


def _unprocessable(loc: list[str], msg: str) -> RequestRejected:
    return RequestRejected(422, {"detail": [{"type": "value_error", "loc": loc, "msg": msg}]})


def _owned(state: EngineState, item_id: str, publisher_id: str | None) -> EmulatedItem:
    item = state.items.get(item_id)
    if item is None:
        raise RequestRejected(404, {"detail": f"Item {item_id} not found."})
    if publisher_id is not None and item.publisher_id != publisher_id:
        raise RequestRejected(
            403, {"detail": "The item does not belong to this publisher.", "code": "forbidden"}
        )
    return item


@route("GET", "/engine/v2/publisher/{publisher_id}/items")
def _list_items(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = _state(emulator)
    items = state.of_publisher(request.params["publisher_id"])
    if "page" not in request.query and "page_size" not in request.query:
        return json_reply(200, [state.summary(i) for i in items])  # the documented example
    page = _positive_int(request.query.get("page"), "page", 1, 10**9)
    size = _positive_int(request.query.get("page_size"), "page_size", 1000, 1000)
    chunk = [state.summary(i) for i in items[(page - 1) * size : page * size]]
    if state.page_shape == "list":
        return json_reply(200, chunk)
    body: dict[str, Any] = {"items": chunk}
    if state.page_shape == "object":
        body["total_pages"] = max(1, -(-len(items) // size))
    return json_reply(200, body)


@route("GET", "/engine/v2/items/{item_id}")
def _get_item(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = _state(emulator)
    return json_reply(200, state.metadata(_owned(state, request.params["item_id"], None)))


def _body(request: RouteRequest) -> dict[str, Any]:
    if not isinstance(request.json, dict):
        raise _unprocessable(["body"], "A JSON object is required")
    return request.json


@route("PATCH", "/engine/v2/item")
def _update_item(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = _state(emulator)
    body = _body(request)
    publisher_id = body.get("publisher_id")
    if not isinstance(publisher_id, str) or not publisher_id:
        raise _unprocessable(["body", "publisher_id"], "Field required")
    if not state.of_publisher(publisher_id):
        raise RequestRejected(400, {"detail": f"Publisher {publisher_id} not found."})
    item_id = body.get("item_id")
    if not item_id and body.get("producer_id"):
        found = [
            i for i in state.of_publisher(publisher_id) if i.producer_id == body["producer_id"]
        ]
        if not found:
            raise RequestRejected(404, {"detail": f"Item {body['producer_id']} not found."})
        item_id = found[0].item_id
    if not isinstance(item_id, str) or not item_id:
        raise _unprocessable(["body", "item_id"], "item_id or producer_id is required")
    item = _owned(state, item_id, publisher_id)
    for name in SINGLE_FIELDS:
        if name in body:
            item.fields[name] = body[name]
    item.touch()
    return json_reply(200, {"success": True, "message": f"Item {item_id} has been updated."})


def _matches(state: EngineState, item: EmulatedItem, criteria: dict[str, Any]) -> bool:
    meta = state.metadata(item)
    checks: list[bool] = []
    for key, value in criteria.items():
        if value is None:
            continue
        if key == "item_ids":
            checks.append(item.item_id in value)
        elif key == "types":
            checks.append(item.type in value)
        elif key == "statuses":
            checks.append(meta["status"] in value)
        elif key == "authors":
            checks.append(bool(set(meta["author"] or ()) & set(value)))
        elif key == "tags":
            checks.append(bool(set(meta["item_tags"] or ()) & set(value)))
        elif key in BOOL_FIELDS:
            checks.append(meta[key] == value)
        elif key == "search":
            text = f"{meta.get('item_title') or ''} {meta.get('item_summary') or ''}"
            checks.append(str(value).lower() in text.lower())
        elif key in ("created_after", "updated_after"):
            checks.append(getattr(item, key.replace("_after", "_at")) > str(value))
        elif key in ("created_before", "updated_before"):
            checks.append(getattr(item, key.replace("_before", "_at")) < str(value))
        else:
            raise _unprocessable(["body", "filter", key], "Extra inputs are not permitted")
    return all(checks)


def _apply(item: EmulatedItem, state: EngineState, op: dict[str, Any]) -> None:
    kind, name, value = op.get("op"), op.get("field"), op.get("value")
    if name not in (*STRING_FIELDS, *LIST_FIELDS, *BOOL_FIELDS):
        raise _unprocessable(["body", "ops", "field"], f"{name!r} is not an editable field")
    if kind == "replace":
        item.fields[name] = value
        return
    if kind not in ("append", "remove") or name not in LIST_FIELDS:
        raise _unprocessable(["body", "ops", "op"], f"{kind!r} cannot apply to {name!r}")
    values = value if isinstance(value, list) else [value]
    current = list(state.metadata(item)[name] or [])
    if kind == "append":
        current += [v for v in values if v not in current]
    else:
        current = [v for v in current if v not in values]
    item.fields[name] = current


@route("PATCH", "/engine/v2/items")
def _bulk_update(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = _state(emulator)
    publisher_id = request.query.get("publisher_id")
    if not publisher_id:
        raise _unprocessable(["query", "publisher_id"], "Field required")
    body = _body(request)
    criteria, ops = body.get("filter"), body.get("ops")
    if not isinstance(criteria, dict):
        raise _unprocessable(["body", "filter"], "Field required")
    if not isinstance(ops, list) or not ops:
        raise _unprocessable(["body", "ops"], "Field required")
    limit = body.get("limit", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 10000:
        raise _unprocessable(["body", "limit"], "Input should be 1 to 10000")
    matched = [i for i in state.of_publisher(publisher_id) if _matches(state, i, criteria)]
    results = []
    for item in matched[:limit]:
        for op in ops:
            _apply(item, state, op)
        item.touch()
        results.append(
            {
                "item_id": item.item_id,
                "success": True,
                "error": None,
                "etag": item.etag,
                "updated_at": item.updated_at,
            }
        )
    return json_reply(
        200,
        {
            "success": True,
            "total_matched": len(matched),
            "total_patched": len(results),
            "total_failed": 0,
            "results": results,
            "message": f"Patched {len(results)} item(s).",
            "filter_applied": criteria,
        },
    )


@route("DELETE", "/engine/v2/items")
def _delete_items(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    state = _state(emulator)
    ids = _body(request).get("item_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 1000:
        raise RequestRejected(400, {"detail": "item_ids must list 1 to 1000 item ids."})
    results = [_delete_one(state, item_id) for item_id in ids]
    deleted = sum(1 for r in results if r["success"])
    return json_reply(
        200,
        {
            "success": deleted == len(ids),
            "mode": "hard",
            "total_requested": len(ids),
            "total_deleted": deleted,
            "total_failed": len(ids) - deleted,
            "results": results,
            "message": f"Deleted {deleted} of {len(ids)} item(s).",
        },
    )


def _delete_one(state: EngineState, item_id: object) -> dict[str, Any]:
    item = state.items.pop(item_id, None) if isinstance(item_id, str) else None
    if item is None:
        return {"item_id": str(item_id), "success": False, "error": "Item not found."}
    stores = ("weaviate", "s3", "chunk_enrichments", "files", "database")
    return {
        "item_id": item.item_id,
        "success": True,
        "error": None,
        "deleted_from": dict.fromkeys(stores, True),
    }


ENGINE_ROUTES = [_list_items, _get_item, _update_item, _bulk_update, _delete_items]
