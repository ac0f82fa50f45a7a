"""The Responses API (``/ai/v1/responses``, ``/ai/v2/guarded/responses``), emulated (§7).

The request is translated into a chat request and answered by the same deterministic rules
(`_completions.answer`): the text is built from the last user message and the
``tradition``; a function tool is called when ``tool_choice`` is ``"required"`` or names it,
or when ``"auto"`` and the last user message mentions the tool's name. The answer is OpenAI's
Responses shape, strict enough for the official ``openai`` package to validate.

A stream sends the whole event sequence as named events (``event:`` + ``data:``), and ends
with ``response.completed`` whose fields are flat in the payload, as the live API sends them
(``GlooEmulator.responses_completed_shape = "nested"`` nests them under ``response``, as
Gloo's docs show).

An image-only model of the catalog (``gloo-bfl-flux-2-pro``) or an ``image_generation``
tool answers with an ``image_generation_call`` item: a 1x1 PNG (base64) whose colour
derives from the prompt.

A prompt (the last user message) containing `HARD_BLOCK_TRIGGER` is refused with a 403, the
guardrails' hard block, on both paths.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import time
import zlib
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._completions import Answer, answer, text_of
from ._routes import RouteRequest, route
from ._sse import pieces_of
from ._validation import (
    TOOL_CHOICES,
    TRADITIONS,
    CompletionRequest,
    RequestRejected,
    _Errors,
    invalid_request,
)

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["HARD_BLOCK_TRIGGER", "RESPONSES_ROUTES"]

HARD_BLOCK_TRIGGER: Final = "[guardrail-block]"
"""Put this in the last user message to get the guardrails' hard block (HTTP 403)."""

HARD_BLOCK_BODY: Final[dict[str, object]] = {
    "error": {
        "type": "guardrail_error",
        "code": "guardrail_blocked",
        "message": "The request was blocked by content guardrails.",
    }
}

_ROLES: Final = ("user", "system", "developer", "assistant")


def _check_input(value: object) -> list[dict[str, Any]]:
    """The conversation of ``input``, as chat messages (400 if it is missing or empty)."""
    if isinstance(value, str):
        if not value.strip():
            raise invalid_request("input must not be empty.")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise invalid_request("input is required: a string or a non-empty list of items.")
    messages: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise invalid_request("Each input item must be an object.")
        kind = item.get("type", "message")
        if kind == "function_call":
            call = {"id": item.get("call_id"), "type": "function"}
            call["function"] = {"name": item.get("name"), "arguments": item.get("arguments")}
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            result = output if isinstance(output, str) else json.dumps(output)
            messages.append(
                {"role": "tool", "tool_call_id": item.get("call_id"), "content": result}
            )
        elif kind == "message":
            role = item.get("role")
            if role not in _ROLES:
                raise invalid_request(f"role must be one of {', '.join(_ROLES)}, not {role!r}.")
            content = item.get("content")
            if not isinstance(content, (str, list)) or not content:
                raise invalid_request("Each message needs content: a string or a list of parts.")
            messages.append({"role": "system" if role == "developer" else role, "content": content})
        else:
            raise invalid_request(f"Unknown input item type {kind!r}.")
    return messages


def _check_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_request("tools must be a list.")
    functions = []
    for tool in tools:
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise invalid_request("Each tool must be an object with a type.")
        if tool["type"] != "function":
            continue  # a built-in tool (image_generation...): see _wants_image
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise invalid_request("Each function tool needs a name (flat, not under function).")
        functions.append(tool)
    return functions


def validate_response_request(body: object) -> tuple[CompletionRequest, dict[str, Any]]:
    """Check a Responses request; return it as a chat request, and the body.

    Raises:
        RequestRejected: 400 for a bad ``input``, tools or tool choice; 422 for a field of
            the wrong type or out of range.
    """
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    errors = _Errors()
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        errors.add("string_type", "model", "Input should be a non-empty string", model)
    tradition = body.get("tradition")
    if tradition is not None and tradition not in TRADITIONS:
        errors.enum("tradition", tradition, TRADITIONS)
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        errors.add("greater_than_equal", "max_output_tokens", "Input should be >= 1", limit)
    if "stream" in body and not isinstance(body["stream"], bool):
        errors.add("bool_type", "stream", "Input should be a valid boolean", body["stream"])
    errors.raise_if_any()
    messages = _check_input(body.get("input"))
    instructions = body.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.insert(0, {"role": "system", "content": instructions})
    request = CompletionRequest(version=2, messages=messages, mechanism="direct_model_selection")
    request.model = model
    request.tradition = tradition
    request.max_tokens = limit
    request.tools = _check_tools(body)
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        request.forced_tool = choice.get("name") if choice.get("type") == "function" else None
        if not isinstance(request.forced_tool, str):
            raise invalid_request('tool_choice must be a string or {"type": "function", "name"}.')
        if request.forced_tool not in [t["name"] for t in request.tools]:
            raise invalid_request(f"tool_choice names {request.forced_tool!r}, not in tools.")
    elif choice is not None:
        if choice not in TOOL_CHOICES:
            raise invalid_request(f"tool_choice must be one of {', '.join(TOOL_CHOICES)}.")
        request.tool_choice = choice
        if choice == "required" and not request.tools:
            raise invalid_request("tool_choice asks for a tool call, but no tools were given.")
    request.stream = body.get("stream") is True
    return request, body


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def _output_item(result: Answer, item_id: str) -> dict[str, Any]:
    if result.tool_call is not None:
        call = result.tool_call
        return {
            "type": "function_call",
            "id": item_id,
            "call_id": call["id"],
            "name": call["function"]["name"],
            "arguments": call["function"]["arguments"],
            "status": "completed",
        }
    text = {"type": "output_text", "text": result.content or "", "annotations": []}
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [text],
    }


def _png(seed: bytes) -> bytes:
    """A 1x1 PNG whose colour comes from ``seed``: a deterministic "generated image"."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00" + seed[:3])
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _wants_image(emulator: GlooEmulator, body: dict[str, Any]) -> bool:
    """An image-only model of the catalog (no "text" output), or an image_generation tool."""
    tools = body.get("tools") or []
    if any(isinstance(t, dict) and t.get("type") == "image_generation" for t in tools):
        return True
    model = next((m for m in emulator.models if m.get("id") == body.get("model")), None)
    outputs = model.get("output_modalities") if model is not None else None
    return isinstance(outputs, list) and "text" not in outputs


def image_item(prompt: str, item_id: str) -> dict[str, Any]:
    """The ``image_generation_call`` output item of ``prompt``: a base64 PNG."""
    image = _png(hashlib.sha256(prompt.encode()).digest())
    return {
        "type": "image_generation_call",
        "id": item_id,
        "status": "completed",
        "result": base64.b64encode(image).decode("ascii"),
        "revised_prompt": prompt,
    }


def response_body(
    request: CompletionRequest,
    body: dict[str, Any],
    result: Answer,
    response_id: str,
    *,
    image: bool = False,
) -> dict[str, Any]:
    """The whole response object of an answer (``status`` ``"completed"`` or
    ``"incomplete"`` when ``max_output_tokens`` cut it); ``image``: a generated image."""
    item_id = ("fc_" if result.tool_call is not None else "msg_") + response_id[5:]
    incomplete = result.finish_reason == "length" and not image
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "model": request.model,
        "status": "incomplete" if incomplete else "completed",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": {},
        "output": [
            image_item(_last_user_text(request.messages), "ig_" + response_id[5:])
            if image
            else _output_item(result, item_id)
        ],
        "parallel_tool_calls": True,
        "temperature": body.get("temperature"),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": None,
        "usage": {
            "input_tokens": result.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": result.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        },
    }
    if request.tradition is not None:
        response["tradition"] = request.tradition
    return response


def _named(payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def stream_events(response: dict[str, Any], *, nested: bool) -> list[bytes]:
    """The named SSE events of a streamed response, ``response.created`` to
    ``response.completed`` (flat, unless ``nested``)."""
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    start = {**response, "status": "in_progress", "output": [], "usage": None}
    start["incomplete_details"] = None
    add("response.created", response=start)
    add("response.in_progress", response=start)
    item = response["output"][0]
    common = {"item_id": item["id"], "output_index": 0}
    if item["type"] == "image_generation_call":
        opening = {**item, "status": "in_progress", "result": None}
        add("response.output_item.added", output_index=0, item=opening)
    elif item["type"] == "function_call":
        add("response.output_item.added", output_index=0, item={**item, "arguments": ""})
        for piece in pieces_of(item["arguments"]):
            add("response.function_call_arguments.delta", **common, delta=piece)
        add("response.function_call_arguments.done", **common, arguments=item["arguments"])
    else:
        text = item["content"][0]["text"]
        opening = {**item, "status": "in_progress", "content": []}
        add("response.output_item.added", output_index=0, item=opening)
        part = {"type": "output_text", "text": "", "annotations": []}
        add("response.content_part.added", **common, content_index=0, part=part)
        for piece in pieces_of(text):
            add("response.output_text.delta", **common, content_index=0, delta=piece, logprobs=[])
        add("response.output_text.done", **common, content_index=0, text=text, logprobs=[])
        add("response.content_part.done", **common, content_index=0, part=item["content"][0])
    add("response.output_item.done", output_index=0, item=item)
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    if nested:
        add(final, response=response)
    else:
        add(final, **{k: v for k, v in response.items() if k != "type"})
    return [_named(event) for event in events]


def _respond(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    if request.json is None:
        raise invalid_request("The request body is not valid JSON.")
    chat, body = validate_response_request(request.json)
    if HARD_BLOCK_TRIGGER in _last_user_text(chat.messages):
        raise RequestRejected(403, HARD_BLOCK_BODY)
    result = answer(chat)
    image = _wants_image(emulator, body)
    response = response_body(chat, body, result, f"resp_{secrets.token_hex(12)}", image=image)
    if chat.stream:
        nested = emulator.responses_completed_shape == "nested"
        return Reply(200, events=stream_events(response, nested=nested))
    return json_reply(200, response)


@route("POST", "/ai/v1/responses")
def _responses_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    return _respond(emulator, request)


@route("POST", "/ai/v2/guarded/responses")
def _guarded_responses_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    """The Gen-2 guarded surface: the same body and answers here."""
    return _respond(emulator, request)


RESPONSES_ROUTES = [_responses_route, _guarded_responses_route]
