"""Validation of completion requests, with the error bodies Gloo answers them with.

Problems with ``messages``, the routing rule and tool choice answer 400 with Gloo's AI error
object; a field of the wrong type, out of range or not in its enum answers 422 with the
FastAPI-style ``{"detail": [...]}`` list, as the platform's FastAPI backend does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = ["CompletionRequest", "RequestRejected", "invalid_request", "validate_completion"]

ROLES: Final = ("system", "user", "assistant", "tool")
TRADITIONS: Final = ("evangelical", "catholic", "mainline", "not_faith_specific")
FAMILIES: Final = {
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "google": "Google",
    "open source": "Open Source",
}
TOOL_CHOICES: Final = ("none", "auto", "required")
V1_REFUSED: Final = ("auto_routing", "model_family", "tradition")

Mechanism = Literal["auto_routing", "model_family", "direct_model_selection"]


class RequestRejected(Exception):
    """A request the emulator answers with an error status and body.

    Args:
        status: the HTTP status.
        body: the JSON body.
    """

    def __init__(self, status: int, body: dict[str, object]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def invalid_request(message: str) -> RequestRejected:
    """A 400 with Gloo's AI error object (``1001 INVALID_REQUEST``, fault client).

    Args:
        message: what is wrong with the request.

    Returns:
        The error to raise.
    """
    return RequestRejected(
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": 1001,
                "name": "INVALID_REQUEST",
                "fault": "client",
                "retryable": False,
                "message": message,
            }
        },
    )


@dataclass
class CompletionRequest:
    """A valid completion request, as the answering code needs it.

    Attributes:
        version: 1 or 2 (the endpoint).
        messages: the conversation, as sent.
        mechanism: how the model is chosen (v2 only).
        model: the ``model`` field, if sent.
        family: the canonical ``model_family`` (``"OpenAI"`` ...), if sent.
        auto_routing: the ``auto_routing`` field, if sent.
        tradition: the ``tradition`` field, if sent.
        max_tokens: the ``max_tokens`` field, if sent.
        tools: the offered functions (each ``{"name", "parameters", ...}``).
        tool_choice: ``"none"``, ``"auto"``, ``"required"`` or None.
        forced_tool: the function named by the object form of ``tool_choice``.
        stream: whether to answer with SSE.
        include_usage: whether a stream ends with a usage chunk.
        response_format: the ``response_format`` field, if sent.
    """

    version: int
    messages: list[dict[str, Any]]
    mechanism: Mechanism | None = None
    model: str | None = None
    family: str | None = None
    auto_routing: bool | None = None
    tradition: str | None = None
    max_tokens: int | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | None = None
    forced_tool: str | None = None
    stream: bool = False
    include_usage: bool = False
    response_format: dict[str, Any] | None = None


class _Errors:
    """Collects FastAPI-style (pydantic v2) validation errors."""

    def __init__(self) -> None:
        self.items: list[dict[str, object]] = []

    def add(
        self, kind: str, name: str, msg: str, value: object, ctx: dict[str, object] | None = None
    ) -> None:
        item: dict[str, object] = {"type": kind, "loc": ["body", name], "msg": msg, "input": value}
        if ctx:
            item["ctx"] = ctx
        self.items.append(item)

    def enum(self, name: str, value: object, choices: tuple[str, ...]) -> None:
        quoted = [f"'{c}'" for c in choices]
        expected = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
        self.add("enum", name, f"Input should be {expected}", value, {"expected": expected})

    def raise_if_any(self) -> None:
        if self.items:
            raise RequestRejected(422, {"detail": self.items})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_messages(messages: object) -> list[dict[str, Any]]:
    if messages is None:
        raise invalid_request("messages is required: a non-empty list of messages.")
    if not isinstance(messages, list) or not messages:
        raise invalid_request("messages must be a non-empty list of messages.")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid_request(f"messages[{i}] must be an object with role and content.")
        role = message.get("role")
        if role not in ROLES:
            raise invalid_request(
                f"messages[{i}].role must be one of {', '.join(ROLES)}, not {role!r}."
            )
        content = message.get("content")
        if role == "assistant" and content is None and message.get("tool_calls"):
            continue
        if not isinstance(content, (str, list)):
            raise invalid_request(f"messages[{i}].content must be a string or a list of parts.")
    return messages


def _check_tools(body: dict[str, Any], errors: _Errors) -> list[dict[str, Any]]:
    tools = body.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        errors.add("list_type", "tools", "Input should be a valid list", tools)
        return []
    functions = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(function, dict) or not isinstance(name, str) or not name:
            errors.add("missing", "tools", "Each tool needs function.name", tool)
            return []
        functions.append(function)
    return functions


def _check_tool_choice(
    body: dict[str, Any], errors: _Errors
) -> tuple[str | None, str | None, bool]:
    """Return (tool_choice string, forced function name, whether it was given)."""
    choice = body.get("tool_choice")
    if choice is None:
        return None, None, False
    if isinstance(choice, str):
        if choice not in TOOL_CHOICES:
            errors.enum("tool_choice", choice, TOOL_CHOICES)
        return choice, None, True
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or not name:
        errors.add(
            "model_attributes_type",
            "tool_choice",
            'Input should be "none", "auto", "required" or '
            '{"type": "function", "function": {"name": ...}}',
            choice,
        )
        return None, None, True
    return None, name, True


def _check_fields(body: dict[str, Any], version: int, errors: _Errors) -> None:
    for name in ("auto_routing", "stream"):
        if name in body and not isinstance(body[name], bool):
            errors.add("bool_type", name, "Input should be a valid boolean", body[name])
    for name in ("model", "model_family", "tradition"):
        value = body.get(name)
        if name in body and not isinstance(value, str):
            errors.add("string_type", name, "Input should be a valid string", value)
    family = body.get("model_family")
    if isinstance(family, str) and family.strip().lower() not in FAMILIES:
        errors.enum("model_family", family, tuple(FAMILIES))
    tradition = body.get("tradition")
    if isinstance(tradition, str) and tradition not in TRADITIONS:
        errors.enum("tradition", tradition, TRADITIONS)
    if isinstance(body.get("model"), str) and not body["model"]:
        msg = "String should have at least 1 character"
        errors.add("string_too_short", "model", msg, "", {"min_length": 1})
    top = 2 if version == 2 else 1
    temperature = body.get("temperature")
    if "temperature" in body and temperature is not None:
        if not _is_number(temperature):
            errors.add("float_type", "temperature", "Input should be a valid number", temperature)
        elif temperature < 0:
            msg = "Input should be greater than or equal to 0"
            errors.add("greater_than_equal", "temperature", msg, temperature, {"ge": 0})
        elif temperature > top:
            msg = f"Input should be less than or equal to {top}"
            errors.add("less_than_equal", "temperature", msg, temperature, {"le": top})
    max_tokens = body.get("max_tokens")
    if "max_tokens" in body and max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            errors.add("int_type", "max_tokens", "Input should be a valid integer", max_tokens)
        elif max_tokens < 1:
            msg = "Input should be greater than or equal to 1"
            errors.add("greater_than_equal", "max_tokens", msg, max_tokens, {"ge": 1})
    for name in ("stream_options", "response_format"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            errors.add("dict_type", name, "Input should be a valid dictionary", body[name])


def _routing(body: dict[str, Any]) -> Mechanism:
    chosen = [
        name
        for name, given in (
            ("auto_routing", body.get("auto_routing") is True),
            ("model", body.get("model") is not None),
            ("model_family", body.get("model_family") is not None),
        )
        if given
    ]
    if len(chosen) > 1:
        raise invalid_request(
            f"only one routing mechanism allowed: got {' and '.join(chosen)}. Send exactly one "
            "of auto_routing: true, model or model_family."
        )
    if not chosen:
        raise invalid_request(
            "a routing mechanism is required: send exactly one of auto_routing: true, model "
            "or model_family."
        )
    mechanisms: dict[str, Mechanism] = {
        "auto_routing": "auto_routing",
        "model": "direct_model_selection",
        "model_family": "model_family",
    }
    return mechanisms[chosen[0]]


def validate_completion(body: object, version: int) -> CompletionRequest:
    """Check a decoded completion request body for the v1 or v2 endpoint.

    Args:
        body: the decoded JSON body.
        version: 1 or 2.

    Returns:
        The request, ready to answer.

    Raises:
        RequestRejected: the request is invalid (400 or 422).
    """
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    messages = _check_messages(body.get("messages"))
    errors = _Errors()
    if version == 1:
        for name in V1_REFUSED:
            if name in body:
                errors.add("extra_forbidden", name, "Extra inputs are not permitted", body[name])
    _check_fields(body, version, errors)
    tools = _check_tools(body, errors)
    tool_choice, forced, choice_given = _check_tool_choice(body, errors)
    errors.raise_if_any()

    request = CompletionRequest(version=version, messages=messages)
    if version == 2:
        request.mechanism = _routing(body)
        family = body.get("model_family")
        request.family = FAMILIES[family.strip().lower()] if isinstance(family, str) else None
        request.auto_routing = body.get("auto_routing")
        request.tradition = body.get("tradition")
    request.model = body.get("model")
    request.max_tokens = body.get("max_tokens")
    request.tools = tools
    request.tool_choice = tool_choice
    request.forced_tool = forced
    if choice_given and (tool_choice == "required" or forced) and not tools:
        raise invalid_request("tool_choice asks for a tool call, but no tools were given.")
    if forced and forced not in [t["name"] for t in tools]:
        raise invalid_request(f"tool_choice names the function {forced!r}, which is not in tools.")
    request.stream = body.get("stream") is True
    options = body.get("stream_options")
    request.include_usage = isinstance(options, dict) and options.get("include_usage") is True
    request.response_format = body.get("response_format")
    return request
