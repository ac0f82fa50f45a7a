"""Structured output: strict JSON schemas from pydantic models, and parsing the answers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pydantic

from ..._exceptions import APIResponseValidationError, GlooError, InvalidArgumentError
from ..._json_schema import to_strict_json_schema
from ..._models import validation_summary
from ...types.chat.chat_completion import ChatCompletion
from ...types.chat.parsed_chat_completion import (
    ParsedChatCompletion,
    ParsedChatCompletionMessage,
    ParsedChoice,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "LengthFinishReasonError",
    "ResponseFormatT",
    "ResponseParseError",
    "parse_completion",
    "response_format_param",
    "to_strict_json_schema",
]

_T = TypeVar("_T", bound=pydantic.BaseModel)
ResponseFormatT = TypeVar("ResponseFormatT", bound=pydantic.BaseModel)
"""The pydantic model ``parse()`` parses into."""

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class LengthFinishReasonError(GlooError):
    """The answer was cut off at ``max_tokens`` (``finish_reason == "length"``).

    The JSON is incomplete, so it was not parsed: raise ``max_tokens`` and try again.

    Attributes:
        completion: the cut-off completion.
    """

    def __init__(self, completion: ChatCompletion) -> None:
        usage = completion.usage
        spent = f" after {usage.completion_tokens} tokens" if usage is not None else ""
        super().__init__(
            f"The model's answer was cut off{spent} (finish_reason 'length'), so its JSON is "
            "incomplete and was not parsed. Raise max_tokens (reasoning models need about 1024 "
            "or more) and try again."
        )
        self.completion = completion


class ResponseParseError(APIResponseValidationError):
    """The model's answer is not valid JSON, or does not validate against the requested model.

    Attributes:
        completion: the completion whose content failed to parse.
        content: the content text that failed.
        response_format: the pydantic model it was parsed into.
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        completion: ChatCompletion,
        content: str | None,
        response_format: type[pydantic.BaseModel],
    ) -> None:
        super().__init__(message, response=response, body=content)
        self.completion = completion
        self.content = content
        self.response_format = response_format


def schema_name(model: type[pydantic.BaseModel]) -> str:
    """The name of a model as OpenAI's ``json_schema.name`` allows it (``[A-Za-z0-9_-]{1,64}``).

    Args:
        model: a pydantic model class.

    Returns:
        Its class name, with other characters replaced by ``_``.
    """
    return _NAME_UNSAFE.sub("_", model.__name__)[:64] or "response"


def response_format_param(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The strict ``json_schema`` response format for a pydantic model.

    Args:
        model: a pydantic model class.

    Returns:
        ``{"type": "json_schema", "json_schema": {"name", "strict": True, "schema"}}``.

    Raises:
        InvalidArgumentError: ``model`` is not a pydantic model class.
    """
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        raise InvalidArgumentError(
            "response_format must be a pydantic model class (a subclass of pydantic.BaseModel), "
            f"not {model!r}; for a raw response format use create(response_format={{...}})."
        )
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema_name(model),
            "strict": True,
            "schema": to_strict_json_schema(model.model_json_schema()),
        },
    }


def parse_completion(
    completion: ChatCompletion,
    response_format: type[_T],
    response: httpx.Response,
) -> ParsedChatCompletion[_T]:
    """Parse each choice's JSON content into ``response_format``.

    A refusal (``message.refusal`` set, or ``finish_reason == "content_filter"``) and an
    answer with tool calls are not parsed: ``parsed`` stays None.

    Args:
        completion: the completion.
        response_format: the pydantic model to parse into.
        response: the HTTP response it came from (for errors).

    Returns:
        The completion, as a `ParsedChatCompletion`.

    Raises:
        LengthFinishReasonError: a choice was cut off at ``max_tokens``.
        ResponseParseError: a choice's content is not valid JSON or does not validate.
    """
    choices: list[ParsedChoice[_T]] = []
    for choice in completion.choices:
        message = choice.message
        if choice.finish_reason == "length":
            raise LengthFinishReasonError(completion)
        parsed: _T | None = None
        refused = message.refusal is not None or choice.finish_reason == "content_filter"
        if not refused and not message.tool_calls:
            parsed = _parse_content(completion, message.content, response_format, response)
        fields = message.model_dump(exclude_unset=True)
        fields.pop("parsed", None)
        parsed_message = ParsedChatCompletionMessage[Any](**fields, parsed=parsed)
        choice_fields = choice.model_dump(exclude_unset=True)
        choice_fields["message"] = parsed_message
        choices.append(ParsedChoice[Any](**choice_fields))
    fields = completion.model_dump(exclude_unset=True)
    fields["choices"] = choices
    result = ParsedChatCompletion[Any](**fields)
    result._request_id = completion._request_id
    return cast("ParsedChatCompletion[_T]", result)


def _parse_content(
    completion: ChatCompletion,
    content: str | None,
    response_format: type[_T],
    response: httpx.Response,
) -> _T:
    where = f"{completion.model!r} answered"
    name = response_format.__name__
    if content is None:
        raise ResponseParseError(
            f"{where} with no content (and no refusal), so there is nothing to parse into {name}.",
            response=response,
            completion=completion,
            content=content,
            response_format=response_format,
        )
    try:
        return response_format.model_validate_json(content)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            problem = f"with content that is not valid JSON ({errors[0]['msg']})"
        else:
            problem = f"with JSON that does not match {name}: {validation_summary(exc)}"
        raise ResponseParseError(
            f"{where} {problem}. Expected a JSON object for {name}; content: {_clip(content)}",
            response=response,
            completion=completion,
            content=content,
            response_format=response_format,
        ) from exc


def _clip(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
