"""The Responses API's request, built without I/O: the body, its tools, its input items.

Pure functions: `response_body` turns checked keyword arguments into the JSON body (raising
`InvalidArgumentError` before anything is sent), `guardrail_block` rewrites a 403's message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from ..._exceptions import InvalidArgumentError, PermissionDeniedError
from ..._models import GlooModel
from ..._status_errors import STATUS_HINTS
from ...tools import FunctionTool
from ...types.responses import (
    ResponseCreateParams,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
)
from ...types.shared import FunctionToolParam
from .._base import invalid_arguments

__all__ = ["guardrail_block", "input_item", "response_body", "tool_param"]

GUARDRAIL_MESSAGE = (
    "The prompt was blocked by Gloo's guardrails (a hard block, HTTP 403): sending it again "
    "unchanged is blocked again. Rephrase the input, or answer the user another way."
)


def tool_param(tool: object) -> object:
    """A tool in the Responses shape (flat ``name`` and ``parameters``).

    A `FunctionTool`, a chat-shaped `FunctionToolParam` or a chat-shaped dict
    (``{"type": "function", "function": {...}}``) is flattened; anything else is left to the
    request model to validate.
    """
    if isinstance(tool, FunctionTool):
        tool = tool.param
    if isinstance(tool, FunctionToolParam):
        return {"type": "function", **tool.function.model_dump(exclude_none=True)}
    if isinstance(tool, Mapping) and isinstance(tool.get("function"), Mapping):
        flat = {k: v for k, v in tool.items() if k != "function"}
        return {**flat, **tool["function"]}
    return tool


def _tool_choice(choice: object) -> object:
    if isinstance(choice, FunctionTool):
        return {"type": "function", "name": choice.name}
    if isinstance(choice, Mapping) and isinstance(choice.get("function"), Mapping):
        return {"type": "function", "name": choice["function"].get("name")}
    return choice


def input_item(item: object) -> object:
    """An item of ``input``: output items of an earlier `Response` become input items."""
    if isinstance(item, ResponseOutputMessage):
        return {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": item.text}],
        }
    if isinstance(item, ResponseFunctionToolCall):
        return {
            "type": "function_call",
            "call_id": item.call_id,
            "name": item.name,
            "arguments": item.arguments,
        }
    if isinstance(item, GlooModel):
        raise InvalidArgumentError(
            f"A {type(item).__name__} cannot be sent back as input; send the messages and "
            "function calls of the response (and their function_call_output items)."
        )
    if isinstance(item, (pydantic.BaseModel, Mapping)):
        return item
    raise InvalidArgumentError(
        f"Each input item must be a dict or a model, not {type(item).__name__}: for example "
        '{"role": "user", "content": "Hello"}.'
    )


def response_body(
    where: str, fields: dict[str, Any], extra_body: Mapping[str, object] | None
) -> dict[str, Any]:
    """The JSON body of a Responses request, from the caller's given fields.

    Raises:
        InvalidArgumentError: a missing or empty ``input`` or ``model``, a value out of
            range, a malformed tool or input item; nothing was sent.
    """
    given = fields.get("input")
    if isinstance(given, bytes) or (not isinstance(given, str) and not isinstance(given, Iterable)):
        raise InvalidArgumentError(
            f"{where}: input must be a string or a list of messages, for example "
            '"What is grace?" or [{"role": "user", "content": "What is grace?"}].'
        )
    if not isinstance(given, str):
        items = [input_item(item) for item in given]
        if not items:
            raise InvalidArgumentError(
                f"{where}: input is an empty list; give at least one message, for example "
                '[{"role": "user", "content": "What is grace?"}].'
            )
        fields["input"] = items
    tools = fields.get("tools")
    if tools is not None:
        if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Iterable):
            raise InvalidArgumentError(f"{where}: tools must be a list of tools.")
        fields["tools"] = [tool_param(tool) for tool in tools]
    if "tool_choice" in fields:
        fields["tool_choice"] = _tool_choice(fields["tool_choice"])
    try:
        params = ResponseCreateParams.model_validate(fields)
    except pydantic.ValidationError as exc:
        raise invalid_arguments(where, exc) from None
    body = params.model_dump(mode="json", exclude_none=True)
    if extra_body:
        body.update(extra_body)
    return body


def guardrail_block(error: PermissionDeniedError) -> PermissionDeniedError:
    """Say in a Responses 403's message that Gloo's guardrails blocked the prompt.

    A 403 in the plain permission shape (``{"code": "forbidden"}``: the credentials may not
    use this model) keeps its message; any other 403 of the Responses API is the guardrails'
    hard block (gloo-api.md §7).
    """
    if str(error.code) == "forbidden":
        return error
    original = error.message.replace(f". {STATUS_HINTS[403]}", "")  # not a permission problem
    message = f"{GUARDRAIL_MESSAGE} ({original})"
    error.message = message
    error.args = (message,)
    return error
