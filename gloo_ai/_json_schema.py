"""JSON Schema helpers shared by every area: OpenAI's strict mode."""

from __future__ import annotations

import copy
from typing import Any

from ._exceptions import InvalidArgumentError

__all__ = ["to_strict_json_schema"]


def to_strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Make a JSON schema meet the rules of OpenAI's strict mode.

    Every object gets ``additionalProperties: false`` (unless it maps free-form keys to a
    schema) and lists all its properties in ``required``; ``default: null`` is dropped;
    a ``$ref`` with sibling keywords is inlined; a single-item ``allOf`` is flattened.
    ``$defs`` (and ``definitions``) are kept and made strict too. The input is not changed.

    Args:
        schema: a JSON schema, such as pydantic's ``model_json_schema()``.

    Returns:
        A strict copy.
    """
    root = copy.deepcopy(schema)
    return _strict(root, root)


def _strict(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    for key in ("$defs", "definitions"):
        defs = node.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                if isinstance(sub, dict):
                    defs[name] = _strict(sub, root)
    if node.get("type") == "object" or "properties" in node:
        if not isinstance(node.get("additionalProperties"), dict):
            node["additionalProperties"] = False
        properties = node.get("properties")
        if isinstance(properties, dict):
            node["required"] = list(properties)
            for name, sub in properties.items():
                if isinstance(sub, dict):
                    properties[name] = _strict(sub, root)
    items = node.get("items")
    if isinstance(items, dict):
        node["items"] = _strict(items, root)
    for key in ("anyOf", "oneOf", "allOf"):
        options = node.get(key)
        if isinstance(options, list):
            node[key] = [_strict(o, root) if isinstance(o, dict) else o for o in options]
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        del node["allOf"]
        node.update(all_of[0])
    if "default" in node and node["default"] is None:
        del node["default"]
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        target = _resolve_ref(root, ref)
        del node["$ref"]
        merged = {**target, **node}
        return _strict(merged, root)
    return node


def _resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise InvalidArgumentError(f"Cannot make the schema strict: unsupported $ref {ref!r}.")
    node: object = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise InvalidArgumentError(f"Cannot make the schema strict: $ref {ref!r} not found.")
    return copy.deepcopy(node)
