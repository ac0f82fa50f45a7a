"""Deterministic values that satisfy a JSON Schema: tool arguments and structured output."""

from __future__ import annotations

from typing import Any

__all__ = ["fill_schema"]

_MAX_DEPTH = 12

_STRING_FORMATS = {
    "date": "2026-01-01",
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "emulator@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def fill_schema(schema: object, text: str) -> object:
    """Build a value for ``schema``: required properties only, strings from ``text``.

    Objects get their ``required`` properties (recursively), strings ``text`` (or a sample of
    their ``format``), numbers 1 (moved into ``minimum``/``maximum``), booleans true, enums and
    ``anyOf``/``oneOf`` their first choice, arrays their ``minItems`` items (usually none).
    ``$ref`` is resolved against the schema's ``$defs`` / ``definitions``.

    Args:
        schema: a JSON Schema (a dict; anything else yields an empty object).
        text: the text strings are filled with.

    Returns:
        A JSON-ready value.
    """
    if not isinstance(schema, dict):
        return {}
    return _fill(schema, schema, text, 0)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: object = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str)]
        kind = next((k for k in kinds if k != "null"), kinds[0] if kinds else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _fill(schema: dict[str, Any], root: dict[str, Any], text: str, depth: int) -> object:
    schema = _resolve(schema, root)
    if depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
            choice = usable[0] if usable else options[0]
            return _fill(choice if isinstance(choice, dict) else {}, root, text, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        value: dict[str, object] = {}
        for name in names:
            prop = properties.get(name)
            value[name] = _fill(prop if isinstance(prop, dict) else {}, root, text, depth + 1)
        return value
    if kind == "array":
        count = schema.get("minItems")
        items = schema.get("items")
        if not isinstance(count, int) or count < 1:
            return []
        item = items if isinstance(items, dict) else {}
        return [_fill(item, root, text, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, text)


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    value: float = 1
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, (int, float)) and value < low:
        value = low
    if isinstance(high, (int, float)) and value > high:
        value = high
    return int(value) if integer else value


def _string(schema: dict[str, Any], text: str) -> str:
    fmt = schema.get("format")
    value = _STRING_FORMATS.get(fmt, text) if isinstance(fmt, str) else text
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and high >= 0:
        value = value[:high]
    if isinstance(low, int) and len(value) < low:
        value = value + "x" * (low - len(value))
    return value
