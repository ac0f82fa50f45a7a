"""The emulator's search (``POST /ai/data/v1/search``) and recommendations
(``POST /ai/v1/data/items/recommendations/{base,verbose}``,
``POST /ai/v1/data/affiliates/referenced-items``).

Results come from a small fixed library and are derived from the query alone: the same query
always gets the same results, in the same order, with the same certainties. A snippet's
certainty grows with the words it shares with the query.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._routes import RouteRequest, route
from ._validation import RequestRejected

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["LIBRARY", "SEARCH_ROUTES"]

SEARCH_PATH: Final = "/ai/data/v1/search"
BASE_PATH: Final = "/ai/v1/data/items/recommendations/base"
VERBOSE_PATH: Final = "/ai/v1/data/items/recommendations/verbose"
AFFILIATES_PATH: Final = "/ai/v1/data/affiliates/referenced-items"

# (item id, title, type, author, snippets)
LIBRARY: Final = (
    ("item-joy", "Joy in Hard Times", "article", "Ruth Miller",
     ("True happiness is found in joy that does not depend on circumstances.",
      "Gratitude and prayer open the door to joy even in suffering.")),
    ("item-grief", "Walking Through Grief", "book", "Daniel Ortiz",
     ("Grief is the cost of love, and lament is a faithful response to loss.",
      "Community and hope carry us when grief feels too heavy.")),
    ("item-hope", "An Anchor for the Soul", "video", "Grace Chen",
     ("Hope is an anchor for the soul, firm and secure in every storm.",
      "Small faithful steps each day build a hope that lasts.")),
    ("item-forgive", "The Freedom of Forgiveness", "audio", "Samuel Reed",
     ("Forgiveness sets the prisoner free, and the prisoner is often you.",
      "Grace received becomes grace given to those who hurt us.")),
    ("item-rest", "Sabbath Rest for Busy People", "article", "Ana Lima",
     ("Rest is a gift, not a reward: Sabbath teaches us to trust.",
      "Stopping work each week reminds us that we are loved, not used.")),
    ("item-purpose", "Finding Your Purpose", "book", "Marcus Hale",
     ("Purpose is discovered in serving others with the gifts you were given.",
      "Calling grows out of faithfulness in small things.")),
)  # fmt: skip

_AFFILIATE_PUBLISHERS: Final = ("Hope Media", "Faith Together", "Living Word Press")
_WORD = re.compile(r"[a-z]+")
_STOP = frozenset(
    ("a", "an", "and", "are", "be", "for", "how", "i", "in", "is", "of", "on", "the", "to")
)  # fmt: skip
_NAMESPACE: Final = uuid.UUID("6c4b7a34-2f1e-4a57-9f0e-5d1b0c2a9e11")


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _certainty(query: str, snippet: str) -> float:
    """0.6 to 0.99: each shared word adds 0.2; a hash of both adds up to 0.1, for ties."""
    shared = len(_words(query) & _words(snippet))
    jitter = hashlib.sha256(f"{query}\n{snippet}".encode()).digest()[0] / 255 * 0.1
    return round(min(0.6 + 0.2 * shared + jitter, 0.99), 4)


def _snippets(query: str) -> list[dict[str, Any]]:
    """Every snippet of the library, scored for the query, best first."""
    found: list[dict[str, Any]] = []
    for item_id, title, kind, author, snippets in LIBRARY:
        for part, text in enumerate(snippets, start=1):
            found.append(
                {
                    "uuid": str(uuid.uuid5(_NAMESPACE, f"{item_id}/{part}")),
                    "item_id": item_id,
                    "item_title": title,
                    "type": kind,
                    "author": author,
                    "part": part,
                    "snippet": text,
                    "certainty": _certainty(query, text),
                }
            )
    found.sort(key=lambda s: (-float(s["certainty"]), str(s["uuid"])))
    return found


# -- validation (FastAPI-style 422s) ------------------------------------------------------------


def _field_error(kind: str, name: str, msg: str, value: object) -> RequestRejected:
    return RequestRejected(
        422, {"detail": [{"type": kind, "loc": ["body", name], "msg": msg, "input": value}]}
    )


def _body(request: RouteRequest) -> dict[str, Any]:
    if not isinstance(request.json, dict):
        raise RequestRejected(
            422,
            {"detail": [{"type": "model_attributes_type", "loc": ["body"],
                         "msg": "Input should be a valid dictionary", "input": None}]},
        )  # fmt: skip
    return request.json


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _field_error("missing", name, "Field required", None)
        return None
    if not isinstance(value, str):
        raise _field_error("string_type", name, "Input should be a valid string", value)
    if name == "query" and not value.strip():
        raise _field_error(
            "string_too_short", name, "String should have at least 1 character", value
        )
    return value


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _field_error("float_type", name, "Input should be a valid number", value)
    if not low <= value <= high:
        raise _field_error(
            "less_than_equal" if value > high else "greater_than_equal",
            name,
            f"Input should be between {low} and {high}",
            value,
        )
    return float(value)


def _count(body: dict[str, Any], name: str, default: int, low: int, high: int | None) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _field_error("int_type", name, "Input should be a valid integer", value)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _field_error("int_range", name, f"Input should be {bound}", value)
    return value


# -- search ---------------------------------------------------------------------------------------


@route("POST", SEARCH_PATH)
def _search_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    body = _body(request)
    query = _text(body, "query") or ""
    collection = _text(body, "collection")
    tenant = _text(body, "tenant")
    certainty = _number(body, "certainty", 0.75, 0.0, 1.0)
    limit = _count(body, "limit", 10, 1, None)
    data: list[dict[str, Any]] = []
    for found in _snippets(query):
        if found["certainty"] < certainty or len(data) >= limit:
            continue
        data.append(
            {
                "uuid": found["uuid"],
                "metadata": {
                    "creation_time": "2025-06-01T12:00:00Z",
                    "last_update_time": "2025-06-02T08:30:00Z",
                    "distance": round(1 - found["certainty"], 4),
                    "certainty": found["certainty"],
                    "score": found["certainty"],
                    "explain_score": "",
                    "is_consistent": True,
                    "rerank_score": None,
                },
                "properties": {
                    "item_title": found["item_title"],
                    "item_id": found["item_id"],
                    "publisher": tenant,
                    "publication_date": "2024-03-15T00:00:00Z",
                    "snippet": found["snippet"],
                    "type": found["type"],
                    "author": [found["author"]],
                    "summaries": None,
                },
                "references": None,
                "vector": {},
                "collection": collection,
            }
        )
    return json_reply(200, {"data": data, "intent": 1 if query.rstrip().endswith("?") else 0})


# -- recommendations -----------------------------------------------------------------------------


def _ranked_items(body: dict[str, Any]) -> tuple[list[tuple[str, list[dict[str, Any]]]], int]:
    """The items whose snippets pass the threshold: most snippets first, then the highest
    summed certainty (Gloo's ranking), and how many to return."""
    query = _text(body, "query") or ""
    threshold = _number(body, "certainty_threshold", 0.75, 0.0, 1.0)
    item_count = _count(body, "item_count", 5, 1, 50)
    by_item: dict[str, list[dict[str, Any]]] = {}
    for found in _snippets(query):
        if found["certainty"] >= threshold:
            by_item.setdefault(found["item_id"], []).append(found)
    ranked = sorted(
        by_item.items(),
        key=lambda pair: (-len(pair[1]), -sum(s["certainty"] for s in pair[1]), pair[0]),
    )
    return ranked, item_count


def _recommend(request: RouteRequest, *, verbose: bool) -> Reply:
    body = _body(request)
    _text(body, "collection")
    _text(body, "tenant")
    ranked, item_count = _ranked_items(body)
    items = []
    for item_id, snippets in ranked[:item_count]:
        first = snippets[0]
        uuids = []
        for found in snippets:
            entry: dict[str, Any] = {
                "uuid": found["uuid"],
                "ai_title": f"{found['item_title']}, part {found['part']}",
                "ai_subtitle": found["snippet"].split(",")[0][:60],
                "item_summary": f"A {found['type']} by {found['author']}.",
                "time_start": None,
                "time_end": None,
                "part": found["part"],
                "certainty": found["certainty"],
            }
            if verbose:
                entry["snippet"] = found["snippet"]
            uuids.append(entry)
        items.append(
            {
                "item_id": item_id,
                "item_title": first["item_title"],
                "item_subtitle": None,
                "item_url": f"https://example.org/items/{item_id}",
                "item_image": f"https://example.org/items/{item_id}.jpg",
                "author": [first["author"]],
                "tradition": "not_faith_specific",
                "duration": None,
                "uuids": uuids,
            }
        )
    return json_reply(200, items)


@route("POST", BASE_PATH)
def _base_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return _recommend(request, verbose=False)


@route("POST", VERBOSE_PATH)
def _verbose_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return _recommend(request, verbose=True)


@route("POST", AFFILIATES_PATH)
def _affiliates_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    ranked, item_count = _ranked_items(_body(request))
    items = []
    for index, (item_id, snippets) in enumerate(ranked[:item_count]):
        first = snippets[0]
        publisher = _AFFILIATE_PUBLISHERS[index % len(_AFFILIATE_PUBLISHERS)]
        items.append(
            {
                "item_id": item_id,
                "author": [first["author"]],
                "filename": f"{item_id}.pdf",
                "tradition": "not_faith_specific",
                "duration": None,
                "item_title": first["item_title"],
                "item_subtitle": None,
                "item_image": None,
                "item_url": f"https://example.org/affiliates/{item_id}",
                "item_tags": [first["type"]],
                "h2_id": None,
                "h2_title": None,
                "h3_id": None,
                "h3_title": None,
                "publication_date": "2024-03-15",
                "publisher": publisher,
                "publisher_id": str(uuid.uuid5(_NAMESPACE, publisher)),
                "publisher_url": "https://example.org",
                "publisher_logo": None,
                "summary": first["snippet"],
                "type": first["type"],
                "hosted_url": None,
                "snippet_count": len(snippets),
                "cumulative_certainty": round(sum(s["certainty"] for s in snippets), 4),
            }
        )
    return json_reply(200, items)


SEARCH_ROUTES = [_search_route, _base_route, _verbose_route, _affiliates_route]
