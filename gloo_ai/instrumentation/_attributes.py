"""What a span says: pure functions from a call's request and answer to attributes.

No OpenTelemetry here (and no I/O): the names follow the OpenTelemetry semantic conventions
for generative AI (``gen_ai.*``), with Gloo's routing metadata as ``gloo.*``. The answer is
read by duck typing (``model``, ``usage``, ``choices``, the routing fields), so the shared
core never imports an API area's models. Contents (the messages sent and the answer) are
only read when the caller asked for them. Nothing here reads a header: no token, key or
secret can reach an attribute.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "PROVIDER",
    "CallDescription",
    "ChunkSummary",
    "completion_output",
    "describe_call",
    "input_messages",
    "output_messages",
    "response_attributes",
    "route_of",
]

AttributeValue = str | bool | int | float | Sequence[str]
Attributes = dict[str, AttributeValue]

PROVIDER = "gloo"
"""The value of ``gen_ai.provider.name`` (and of the older ``gen_ai.system``)."""

# Paths whose calls are generations (span name "chat {model}", the GenAI metrics): chat
# completions (and grounded ones), the Responses API, the stateful chat API's messages.
_GENERATIONS = (
    "/chat/completions",
    "/chat/completions/grounded",
    "/responses",
    "/message",
    "/message/kallm",
)
_EMBEDDINGS = ("/embeddings",)
# A path segment that names one object (an id), not a route: replaced by "{id}".
_ID_SEGMENT = re.compile(r"^(?!v\d+$).*\d")

# Gloo's routing metadata in an answer (or a chunk), and the attribute each goes to.
_ROUTING = {
    "routing_mechanism": "gloo.routing.mechanism",
    "routing_tier": "gloo.routing.tier",
    "routing_confidence": "gloo.routing.confidence",
    "model_family": "gloo.model_family",
    "tradition": "gloo.tradition",
    "auto_routing": "gloo.auto_routing",
}


@dataclass
class CallDescription:
    """What is known of a call before it is sent: its span's name and first attributes.

    Attributes:
        span_name: ``"chat gloo-openai-gpt-5-mini"``, ``"chat"`` (routed by Gloo) or, for a
            call that is no generation, ``"GET /engine/v2/items/{id}"``.
        operation: ``"chat"`` for a generation, else ``None``.
        attributes: the span's attributes at its start.
        metric_attributes: the subset that the metrics carry (low cardinality).
    """

    span_name: str
    operation: str | None
    attributes: Attributes = field(default_factory=dict)
    metric_attributes: Attributes = field(default_factory=dict)


def route_of(path: str) -> str:
    """The path with its id segments replaced by ``{id}`` (a low-cardinality name)."""
    return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/"))


def describe_call(
    method: str, path: str, *, base_url: str, body: object | None, capture_content: bool
) -> CallDescription:
    """Name a call's span and give its request attributes (the routing asked for, the
    requested model, the sampling parameters; the messages only with ``capture_content``)."""
    url = urlsplit(path if path.startswith(("http://", "https://")) else base_url + path)
    route = route_of(url.path)
    operation = (
        "chat"
        if route.endswith(_GENERATIONS)
        else "embeddings"
        if route.endswith(_EMBEDDINGS)
        else None
    )
    common: Attributes = {"gen_ai.provider.name": PROVIDER, "gen_ai.system": PROVIDER}
    if url.hostname:
        common["server.address"] = url.hostname
    if url.port:
        common["server.port"] = url.port
    attributes: Attributes = {**common, "http.request.method": method, "url.template": route}
    if operation is None:
        return CallDescription(
            f"{method} {route}",
            None,
            attributes,
            {**common, "http.request.method": method, "url.template": route},
        )
    common["gen_ai.operation.name"] = operation
    surface = _surface_of(route)
    if surface is not None:
        common["gloo.surface"] = surface
    attributes.update(common)
    fields = body if isinstance(body, Mapping) else {}
    model = fields.get("model")
    if isinstance(model, str):
        common["gen_ai.request.model"] = attributes["gen_ai.request.model"] = model
    routing = _requested_routing(fields)
    if routing is not None:
        attributes["gloo.request.routing"] = routing
    for key, name in (
        ("model_family", "gloo.request.model_family"),
        ("tradition", "gloo.request.tradition"),
        ("temperature", "gen_ai.request.temperature"),
        ("max_tokens", "gen_ai.request.max_tokens"),
        ("max_output_tokens", "gen_ai.request.max_tokens"),
        ("top_p", "gen_ai.request.top_p"),
    ):
        value = fields.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            attributes[name] = value
    if fields.get("stream") is True:
        attributes["gloo.request.stream"] = True
    if capture_content and operation == "chat":
        sent = fields.get("messages", fields.get("input"))  # chat, or the Responses API
        if isinstance(sent, str):
            sent = [{"role": "user", "content": sent}]
        if isinstance(sent, list):
            attributes["gen_ai.input.messages"] = input_messages(sent)
        if isinstance(fields.get("instructions"), str):
            attributes["gen_ai.system_instructions"] = json.dumps(
                [{"type": "text", "content": fields["instructions"]}], ensure_ascii=False
            )
    name = f"{operation} {model}" if isinstance(model, str) else operation
    return CallDescription(name, operation, attributes, common)


def _surface_of(route: str) -> str | None:
    # The Gen-2 surfaces have their own path prefix (/ai/v2/guarded/..., /ai/v2/direct/...);
    # Gen-2 grounded completions share one path on both, which does not tell (None).
    parts = route.split("/")
    found = next((part for part in ("guarded", "direct") if part in parts), None)
    if found is None and route.startswith("/ai/v2/grounded/"):
        return None
    return found or "standard"


def _requested_routing(fields: Mapping[str, object]) -> str | None:
    if fields.get("auto_routing") is True:
        return "auto_routing"
    if isinstance(fields.get("model_family"), str):
        return "model_family"
    if isinstance(fields.get("model"), str):
        return "model"
    return None


def response_attributes(result: object) -> Attributes:
    """The attributes of a call's answer: the routed model, the token usage, the finish
    reasons, Gloo's routing metadata and the request id (whatever the answer has of them)."""
    attributes: Attributes = {}
    request_id = getattr(result, "_request_id", None) or getattr(result, "request_id", None)
    if isinstance(request_id, str):
        attributes["gloo.request_id"] = request_id
    status = getattr(result, "status_code", None)
    if isinstance(status, int):  # a raw response (with_raw_response)
        attributes["http.response.status_code"] = status
    _model_attributes(result, attributes)
    choices = getattr(result, "choices", None)
    if isinstance(choices, list):
        reasons = [r for r in (getattr(c, "finish_reason", None) for c in choices) if r]
        if reasons:
            attributes["gen_ai.response.finish_reasons"] = [str(r) for r in reasons]
    _usage_attributes(getattr(result, "usage", None), attributes)
    return attributes


def _model_attributes(source: object, attributes: Attributes) -> None:
    model = getattr(source, "model", None)
    if isinstance(model, str) and model:
        attributes["gen_ai.response.model"] = model
    response_id = getattr(source, "id", None)
    if isinstance(response_id, str) and response_id:
        attributes["gen_ai.response.id"] = response_id
    for key, name in _ROUTING.items():
        value = getattr(source, key, None)
        if isinstance(value, (str, int, float, bool)):
            attributes[name] = value


def _usage_attributes(usage: object, attributes: Attributes) -> None:
    if usage is None:
        return
    for keys, name in (
        (("prompt_tokens", "input_tokens"), "gen_ai.usage.input_tokens"),
        (("completion_tokens", "output_tokens"), "gen_ai.usage.output_tokens"),
    ):
        for key in keys:  # chat's names, else the Responses API's
            value = getattr(usage, key, None)
            if isinstance(value, int) and not isinstance(value, bool):
                attributes[name] = value
                break


def input_messages(messages: Sequence[object]) -> str:
    """The messages sent, as the conventions' ``gen_ai.input.messages`` JSON (role, parts)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        parts: list[dict[str, Any]] = []
        content = message.get("content")
        if role == "tool":
            parts.append(
                {"type": "tool_call_response", "id": message.get("tool_call_id"), "result": content}
            )
        else:
            parts.extend(_text_parts(content))
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                function = call.get("function") or {}
                parts.append(
                    {
                        "type": "tool_call",
                        "id": call.get("id"),
                        "name": function.get("name") if isinstance(function, Mapping) else None,
                        "arguments": function.get("arguments")
                        if isinstance(function, Mapping)
                        else None,
                    }
                )
        out.append({"role": role, "parts": parts})
    return json.dumps(out, ensure_ascii=False, default=str)


def _text_parts(content: object) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    if isinstance(content, list):
        return [
            {"type": "text", "content": part.get("text")}
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        ]
    return []


def output_messages(texts: Mapping[int, str], reasons: Mapping[int, str]) -> str:
    """The answer, as the conventions' ``gen_ai.output.messages`` JSON: one message per
    choice, with its text and finish reason."""
    out = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": texts[index]}] if texts.get(index) else [],
            "finish_reason": reasons.get(index, ""),
        }
        for index in sorted({*texts, *reasons})
    ]
    return json.dumps(out, ensure_ascii=False)


def completion_output(result: object) -> str | None:
    """``gen_ai.output.messages`` of a whole completion (``None`` if it has no choices)."""
    choices = getattr(result, "choices", None)
    if not isinstance(choices, list):
        text = getattr(result, "output_text", None)  # a Responses API answer
        return output_messages({0: text}, {}) if isinstance(text, str) else None
    texts: dict[int, str] = {}
    reasons: dict[int, str] = {}
    for position, choice in enumerate(choices):
        index = getattr(choice, "index", position)
        index = index if isinstance(index, int) else position
        content = getattr(getattr(choice, "message", None), "content", None)
        if isinstance(content, str):
            texts[index] = content
        reason = getattr(choice, "finish_reason", None)
        if reason:
            reasons[index] = str(reason)
    return output_messages(texts, reasons)


class ChunkSummary:
    """What the chunks of a stream said so far: the routed model, the routing metadata, the
    usage, the finish reasons per choice, and (when contents are captured) the text.

    Args:
        capture_content: also keep the text of each choice.
    """

    def __init__(self, *, capture_content: bool) -> None:
        self._capture = capture_content
        self.chunks = 0
        self.attributes: Attributes = {}
        self.reasons: dict[int, str] = {}
        self.texts: dict[int, str] = {}

    def add(self, chunk: object) -> None:
        """Take in one chunk."""
        self.chunks += 1
        _model_attributes(chunk, self.attributes)
        _usage_attributes(getattr(chunk, "usage", None), self.attributes)
        inner = getattr(chunk, "response", None)  # a Responses API event with its response
        if inner is not None:
            _model_attributes(inner, self.attributes)
            _usage_attributes(getattr(inner, "usage", None), self.attributes)
        for choice in getattr(chunk, "choices", None) or ():
            index = getattr(choice, "index", 0)
            index = index if isinstance(index, int) else 0
            reason = getattr(choice, "finish_reason", None)
            if reason:
                self.reasons[index] = str(reason)
            if self._capture:
                text = getattr(getattr(choice, "delta", None), "content", None)
                if isinstance(text, str):
                    self.texts[index] = self.texts.get(index, "") + text

    def final_attributes(self) -> Attributes:
        """The attributes of the whole stream so far."""
        attributes = dict(self.attributes)
        if self.reasons:
            attributes["gen_ai.response.finish_reasons"] = [
                self.reasons[i] for i in sorted(self.reasons)
            ]
        if self._capture and (self.texts or self.reasons):
            attributes["gen_ai.output.messages"] = output_messages(self.texts, self.reasons)
        return attributes
