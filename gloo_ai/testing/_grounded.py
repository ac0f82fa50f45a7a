"""The emulator's grounded completions (gloo-api.md §4), on both path generations:
``POST /ai/v2/chat/completions/grounded`` and the Gen-2 ``/ai/v2/grounded/chat/completions``.

The request is a v2 completion (validated as the chat routes validate it: 400 for an explicit
empty ``messages`` or two routing mechanisms) plus ``rag_publisher``, ``sources_limit`` (1
to 10), ``include_citations`` and ``parallel_tool_calls`` (422 for a wrong type or a value
out of range, as FastAPI answers). ``messages`` may be omitted: Gloo then answers one user
message, "Hello world!".

"Retrieval" is deterministic: the sources are derived from the words of the last user
message (one per distinct word of four letters or more, up to ``sources_limit``, default 3)
and from the publisher's name, which is case-sensitive: a name that matches
``"GlooGrounded"`` only when case is ignored finds nothing (``sources_returned: false``, no
citations). Any other name is a publisher the emulator "has". The answer is the chat answer
prefixed with the sources it drew on. Streamed, the citations come first as a ``data:``
event carrying ``citations`` (no ``choices``), then the chat chunks; the first chunk carries
``sources_returned``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._completions import Answer, answer, completion_body, resolve_routing, text_of
from ._routes import RouteRequest, route
from ._sse import sse, stream_events
from ._validation import CompletionRequest, _Errors, invalid_request, validate_completion

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["DEFAULT_PUBLISHER", "GROUNDED_PATHS", "GROUNDED_ROUTES", "citations_for"]

GEN1_PATH: Final = "/ai/v2/chat/completions/grounded"
GEN2_PATH: Final = "/ai/v2/grounded/chat/completions"
GROUNDED_PATHS: Final = (GEN1_PATH, GEN2_PATH)
DEFAULT_PUBLISHER: Final = "GlooGrounded"
DEFAULT_SOURCES: Final = 3
_GROUNDED_FIELDS: Final = ("rag_publisher", "sources_limit", "include_citations")
_WORD = re.compile(r"[A-Za-z']+")
_PIECE = re.compile(r"\s*\S+")
_STOP: Final = frozenset(
    ("about", "been", "could", "does", "find", "from", "have", "help", "into", "like", "more",
     "most", "much", "should", "some", "than", "that", "their", "them", "then", "there",
     "they", "this", "were", "what", "when", "where", "which", "will", "with", "would", "your",
     "tell", "know", "mean", "says")
)  # fmt: skip
_TITLES: Final = (
    "Finding {w}",
    "{w} and the Christian Life",
    "A Study of {w}",
    "{w}: A Devotional",
)


def _keywords(text: str) -> list[str]:
    seen: list[str] = []
    for word in _WORD.findall(text.lower()):
        word = word.strip("'")
        if len(word) >= 4 and word not in _STOP and word not in seen:
            seen.append(word)
    return seen


def citations_for(question: str, publisher: str, limit: int) -> list[dict[str, Any]]:
    """The citations of a question: one per distinct keyword, up to ``limit``.

    Args:
        question: the last user message.
        publisher: the publisher's name.
        limit: the most citations.

    Returns:
        ``[{"item_title", "item_url", "snippets"}, ...]``; at least one.
    """
    words = _keywords(question)[:limit] or ["faith"]
    slug = re.sub(r"[^a-z0-9]+", "-", publisher.lower()).strip("-") or "publisher"
    found = []
    for i, word in enumerate(words):
        title = _TITLES[i % len(_TITLES)].format(w=word.capitalize())
        found.append(
            {
                "item_title": title,
                "item_url": f"https://content.gloo-emulator.invalid/{slug}/{word}",
                "snippets": [f"{title}: a passage on {word} from the {publisher} library."],
            }
        )
    return found


def _finds_nothing(publisher: str) -> bool:
    # Publisher names are case-sensitive: "gloogrounded" is not Gloo's dataset.
    return publisher != DEFAULT_PUBLISHER and publisher.lower() == DEFAULT_PUBLISHER.lower()


def _check_grounded(body: dict[str, Any]) -> None:
    errors = _Errors()
    publisher = body.get("rag_publisher")
    if "rag_publisher" in body and not isinstance(publisher, str):
        errors.add("string_type", "rag_publisher", "Input should be a valid string", publisher)
    for name in ("include_citations", "parallel_tool_calls"):
        if name in body and not isinstance(body[name], bool):
            errors.add("bool_type", name, "Input should be a valid boolean", body[name])
    limit = body.get("sources_limit")
    if "sources_limit" in body and limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool):
            errors.add("int_type", "sources_limit", "Input should be a valid integer", limit)
        elif limit < 1:
            msg = "Input should be greater than or equal to 1"
            errors.add("greater_than_equal", "sources_limit", msg, limit, {"ge": 1})
        elif limit > 10:
            msg = "Input should be less than or equal to 10"
            errors.add("less_than_equal", "sources_limit", msg, limit, {"le": 10})
    errors.raise_if_any()


def _grounded_answer(
    request: CompletionRequest, citations: list[dict[str, Any]], publisher: str
) -> Answer:
    """The chat answer, prefixed with its sources, cut at ``max_tokens`` words."""
    result = answer(replace(request, max_tokens=None))
    retrieved = sum(len(s.split()) for c in citations for s in c["snippets"])
    if result.content is None:
        return replace(result, prompt_tokens=result.prompt_tokens + retrieved)
    text = result.content
    if citations:
        titles = "; ".join(c["item_title"] for c in citations)
        many = "source" if len(citations) == 1 else "sources"
        text = f"Drawing on {len(citations)} {many} from {publisher} ({titles}): {text}"
    finish = result.finish_reason
    pieces = _PIECE.findall(text)
    if request.max_tokens is not None and len(pieces) > request.max_tokens:
        text = "".join(pieces[: request.max_tokens]).strip()
        finish = "length"
    return Answer(text, None, finish, result.prompt_tokens + retrieved, len(text.split()))


def grounded_completion(body: bytes) -> Reply:
    """Answer a grounded completion request (either path).

    Args:
        body: the raw request body.

    Returns:
        The completion, or its SSE events.

    Raises:
        RequestRejected: the request is invalid (400 or 422).
    """
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise invalid_request(f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise invalid_request("The request body must be a JSON object.")
    if "messages" not in payload:
        payload["messages"] = [{"role": "user", "content": "Hello world!"}]
    _check_grounded(payload)
    request = validate_completion(payload, 2)
    publisher = payload.get("rag_publisher") or DEFAULT_PUBLISHER
    limit = payload.get("sources_limit") or DEFAULT_SOURCES
    question = next(
        (text_of(m.get("content")) for m in reversed(request.messages) if m.get("role") == "user"),
        "",
    )
    citations = [] if _finds_nothing(publisher) else citations_for(question, publisher, limit)
    routing = resolve_routing(request)
    result = _grounded_answer(request, citations, publisher)
    created = int(time.time())
    completion_id = f"gen-{created}-{secrets.token_hex(10)}"
    found = bool(citations)
    cited = payload.get("include_citations") is True
    if request.stream:
        events = [sse({"citations": citations})] if cited else []
        events += stream_events(
            request,
            result,
            routing,
            completion_id=completion_id,
            created=created,
            first_extra={"sources_returned": found},
        )
        return Reply(200, events=events)
    completion = completion_body(
        request, result, routing, completion_id=completion_id, created=created
    )
    completion["sources_returned"] = found
    if cited:
        completion["citations"] = citations
    return json_reply(200, completion)


@route("POST", GEN1_PATH)
def _gen1_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    """The standard surface's grounded path."""
    return grounded_completion(request.body)


@route("POST", GEN2_PATH)
def _gen2_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    """The Gen-2 grounded path (the guarded and direct surfaces): the same answers here."""
    return grounded_completion(request.body)


GROUNDED_ROUTES: Final = [_gen1_route, _gen2_route]
