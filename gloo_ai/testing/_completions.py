"""Deterministic answers: text, tool calls, structured output, routing metadata and SSE.

The same request always gets the same answer (only ``id`` and ``created`` change): the text
is built from the last user message and the ``tradition``, with no randomness, so that tests
can assert on it. Token counts are whitespace word counts. `_sse` streams these answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Final

from ._schema import fill_schema
from ._validation import CompletionRequest

__all__ = [
    "TTFT_MS",
    "Answer",
    "Routing",
    "answer",
    "completion_body",
    "resolve_routing",
]

AUTO_MODEL: Final = "gloo-openai-gpt-5.2"
V1_DEFAULT_MODEL: Final = "us.meta.llama3-3-70b-instruct-v1:0"
FAMILY_MODELS: Final = {
    "OpenAI": "gloo-openai-gpt-5.2",
    "Anthropic": "gloo-anthropic-claude-sonnet-4.5",
    "Google": "gloo-google-gemini-2.5-flash",
    "Open Source": "gloo-deepseek-v3.2",
}
# Model id prefixes and their family (the first match wins).
_MODEL_FAMILIES: Final = (
    ("gloo-openai-gpt-oss", "Open Source"),
    ("gloo-openai-", "OpenAI"),
    ("gloo-anthropic-", "Anthropic"),
    ("gloo-google-", "Google"),
    ("gloo-meta-", "Open Source"),
    ("gloo-deepseek-", "Open Source"),
    ("gloo-qwen-", "Open Source"),
)
PERSPECTIVES: Final = {
    None: "From a general Christian perspective",
    "evangelical": "From an evangelical perspective",
    "catholic": "From a Catholic perspective",
    "mainline": "From a mainline Protestant perspective",
    "not_faith_specific": "Without a specific faith perspective",
}
_REFLECTIONS: Final = (
    "Scripture invites us to bring every question to God in prayer.",
    "Hope grows when we remember that we are not alone.",
    "Small, faithful steps taken each day add up over time.",
    "Community, rest and gratitude are gifts worth receiving.",
    "Grace meets us where we are, not where we think we should be.",
    "Honest lament and quiet trust can live side by side.",
)
_SIGNATURE: Final = "(An answer from the Gloo emulator.)"
TTFT_MS: Final = 150.0
_PIECE = re.compile(r"\s*\S+")


@dataclass(frozen=True)
class Routing:
    """How the emulator "routed" a request, and the metadata it reports.

    Attributes:
        model: the resolved model id.
        family: the canonical model family, where known.
        mechanism: ``auto_routing``, ``model_family`` or ``direct_model_selection`` (v2).
        tier: ``tier_1`` .. ``tier_3`` (auto routing and model family only).
        confidence: 0..1 (auto routing and model family only).
    """

    model: str
    family: str | None = None
    mechanism: str | None = None
    tier: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Answer:
    """What the "model" says: text (``content``) or one tool call.

    Attributes:
        content: the text, or None for a tool call.
        tool_call: ``{"id", "type", "function": {"name", "arguments"}}``, or None.
        finish_reason: ``stop``, ``length`` or ``tool_calls``.
        prompt_tokens: words in the conversation.
        completion_tokens: words in the answer.
    """

    content: str | None
    tool_call: dict[str, Any] | None
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int

    def usage(self) -> dict[str, int]:
        """The ``usage`` object of the answer."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def text_of(content: object) -> str:
    """The text of a message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return " ".join(text_of(message.get("content")).split())
    return ""


def resolve_routing(request: CompletionRequest) -> Routing:
    """The model and routing metadata for a request.

    Args:
        request: a validated request.

    Returns:
        The routing; tier and confidence only for auto routing and model family.
    """
    if request.version == 1:
        return Routing(model=request.model or V1_DEFAULT_MODEL)
    question = _last_user_text(request.messages)
    digest = _digest(question, request.family)
    words = len(question.split())
    tier = "tier_1" if words < 8 else "tier_2" if words < 25 else "tier_3"
    confidence = round(0.55 + digest[0] / 255 * 0.4, 3)
    if request.mechanism == "model_family" and request.family is not None:
        model = FAMILY_MODELS[request.family]
        return Routing(model, request.family, "model_family", tier, confidence)
    if request.mechanism == "direct_model_selection" and request.model is not None:
        family = next(
            (fam for prefix, fam in _MODEL_FAMILIES if request.model.startswith(prefix)), None
        )
        return Routing(request.model, family, "direct_model_selection")
    return Routing(AUTO_MODEL, "OpenAI", "auto_routing", tier, confidence)


def _reflections(*seed: object) -> tuple[str, str]:
    digest = _digest(*seed)
    n = len(_REFLECTIONS)
    first = digest[0] % n
    second = (first + 1 + digest[1] % (n - 1)) % n
    return _REFLECTIONS[first], _REFLECTIONS[second]


def _answer_text(request: CompletionRequest) -> str:
    perspective = PERSPECTIVES.get(request.tradition, PERSPECTIVES[None])
    last = request.messages[-1]
    if last.get("role") == "tool":
        name = _tool_name_of(request.messages, last.get("tool_call_id"))
        result = " ".join(text_of(last.get("content")).split()[:40])
        first, _ = _reflections(result, request.tradition)
        return f'{perspective}, using the result of {name}: "{result}". {first} {_SIGNATURE}'
    question = _last_user_text(request.messages)
    words = question.split()
    topic = " ".join(words[:20]) + (" ..." if len(words) > 20 else "")
    first, second = _reflections(question, request.tradition)
    about = f'on "{topic}"' if topic else "on your message"
    return f"{perspective}, {about}: {first} {second} {_SIGNATURE}"


def _tool_name_of(messages: list[dict[str, Any]], call_id: object) -> str:
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and call.get("id") == call_id:
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("name"), str):
                    return str(function["name"])
    return "the tool"


_TOOL_VERBS = frozenset({"fetch", "find", "lookup", "list", "make", "read", "search", "show"})


def _tool_to_call(request: CompletionRequest) -> dict[str, Any] | None:
    if not request.tools or request.messages[-1].get("role") == "tool":
        return None
    by_name = {t["name"]: t for t in request.tools}
    if request.forced_tool is not None:
        return by_name.get(request.forced_tool)
    if request.tool_choice == "required":
        return request.tools[0]
    if request.tool_choice in ("auto", None):  # with tools, no tool_choice means "auto"
        return _auto_tool(request.tools, _last_user_text(request.messages))
    return None


def _auto_tool(tools: list[dict[str, Any]], question: str) -> dict[str, Any] | None:
    """The rule of ``tool_choice="auto"``: the first tool whose name, or a word of it of
    four letters or more (not a verb such as get, list or fetch), is in the last user
    message; none otherwise (the model answers in text)."""
    words = set(re.findall(r"[a-z0-9]+", question.lower()))
    stems = {word[:-1] for word in words if word.endswith("s")}
    for tool in tools:
        name = str(tool["name"]).lower()
        if name in question.lower() or name.replace("_", " ") in question.lower():
            return tool
        parts = {p for p in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", str(tool["name"])) if p}
        for part in (p.lower() for p in parts):
            if len(part) >= 4 and part not in _TOOL_VERBS and (part in words or part in stems):
                return tool
    return None


def _structured(request: CompletionRequest, text: str) -> str | None:
    fmt = request.response_format
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        value = fill_schema(schema or {"type": "object"}, _last_user_text(request.messages))
        return json.dumps(value, ensure_ascii=False)
    if fmt.get("type") == "json_object":
        return json.dumps({"answer": text}, ensure_ascii=False)
    return None


def _count(text: str) -> int:
    return len(text.split())


def answer(request: CompletionRequest) -> Answer:
    """Decide the answer to a request: a tool call, structured output, or text.

    Args:
        request: a validated request.

    Returns:
        The answer; ``max_tokens`` cuts text to that many words (``finish_reason`` "length").
    """
    prompt = max(1, sum(_count(text_of(m.get("content"))) for m in request.messages))
    tool = _tool_to_call(request)
    if tool is not None:
        parameters = tool.get("parameters")
        arguments = json.dumps(
            fill_schema(
                parameters if isinstance(parameters, dict) else {},
                _last_user_text(request.messages),
            ),
            ensure_ascii=False,
        )
        call_id = "call_" + _digest(request.messages, tool["name"]).hex()[:24]
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": tool["name"], "arguments": arguments},
        }
        return Answer(None, call, "tool_calls", prompt, max(1, _count(arguments)))
    text = _answer_text(request)
    text = _structured(request, text) or text
    finish = "stop"
    pieces = _PIECE.findall(text)
    if request.max_tokens is not None and len(pieces) > request.max_tokens:
        text = "".join(pieces[: request.max_tokens]).strip()
        finish = "length"
    return Answer(text, None, finish, prompt, _count(text))


def _metadata(request: CompletionRequest, routing: Routing) -> dict[str, Any]:
    """The routing metadata of a v2 completion, in Gloo's order."""
    meta: dict[str, Any] = {"provider": "Gloo AI"}
    if routing.family is not None:
        meta["model_family"] = routing.family
    meta["auto_routing"] = (
        request.auto_routing
        if request.auto_routing is not None
        else routing.mechanism == "auto_routing"
    )
    meta["routing_mechanism"] = routing.mechanism
    if routing.tier is not None:
        meta["routing_tier"] = routing.tier
        meta["routing_confidence"] = routing.confidence
    if request.tradition is not None:
        meta["tradition"] = request.tradition
    return meta


def completion_body(
    request: CompletionRequest,
    result: Answer,
    routing: Routing,
    *,
    completion_id: str,
    created: int,
) -> dict[str, Any]:
    """The JSON body of a non-streamed completion (v2's shape, or OpenAI's for v1).

    Args:
        request: the validated request.
        result: the answer.
        routing: the routing.
        completion_id: the completion id.
        created: the creation time (unix seconds).

    Returns:
        The body.
    """
    message: dict[str, Any] = {"role": "assistant", "content": result.content}
    tool_calls = [result.tool_call] if result.tool_call is not None else None
    if request.version == 1:
        message.update(
            refusal=None, annotations=[], audio=None, function_call=None, tool_calls=tool_calls
        )
        usage: dict[str, Any] = result.usage()
        usage.update(completion_tokens_details=None, prompt_tokens_details=None)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": routing.model,
            "service_tier": None,
            "system_fingerprint": "fp",
            "choices": [
                {
                    "finish_reason": result.finish_reason,
                    "index": 0,
                    "logprobs": None,
                    "message": message,
                }
            ],
            "usage": usage,
        }
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": routing.model,
        **_metadata(request, routing),
        "choices": [{"index": 0, "finish_reason": result.finish_reason, "message": message}],
        "usage": result.usage(),
    }
