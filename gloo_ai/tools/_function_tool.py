"""Function tools: definitions from models, functions or dicts; parsing and running calls.

Shared by every area that offers tools to a model (chat, grounded completions, the
Responses API): a tool is defined once and each area sends it in its own shape.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast, overload

import anyio.to_thread
import pydantic

from .._error_bodies import loads
from .._exceptions import GlooError, InvalidArgumentError
from .._json_schema import to_strict_json_schema
from .._models import validation_summary
from ..types.shared import FunctionToolParam, NamedToolChoice
from ._signature import docstring_parts, encode_result, function_model, is_async

__all__ = [
    "FunctionTool",
    "ParsedToolCall",
    "ToolArgumentsError",
    "ToolCallLike",
    "UnknownToolError",
    "function_tool",
    "parse_tool_call",
    "resolve_tool_fields",
]

ArgsT = TypeVar("ArgsT")
_M = TypeVar("_M", bound=pydantic.BaseModel)


class ToolArgumentsError(GlooError, ValueError):
    """The model called a tool with arguments that are not valid JSON or do not validate.

    Attributes:
        tool_name: the tool the model called.
        arguments: the arguments text the model sent.
    """

    def __init__(self, message: str, *, tool_name: str, arguments: str) -> None:
        super().__init__(message)
        self.tool_name = tool_name
        self.arguments = arguments


class UnknownToolError(GlooError, LookupError):
    """The model called a tool that is not among the tools offered.

    Attributes:
        tool_name: the name the model called.
        available: the names of the tools offered.
    """

    def __init__(self, tool_name: str, available: Iterable[str]) -> None:
        self.tool_name = tool_name
        self.available = tuple(available)
        names = ", ".join(repr(n) for n in self.available) or "none"
        super().__init__(
            f"The model called the tool {tool_name!r}, which was not offered (offered: {names})."
        )

    def __str__(self) -> str:
        return str(self.args[0])


class FunctionTool(Generic[ArgsT]):
    """A function tool: its definition for ``tools=``, and how to parse and run its calls.

    Make one with `function_tool`. ``ArgsT`` is the type of the parsed arguments: the
    pydantic model (a generated one for a function), or ``dict[str, Any]`` for a raw schema.

    Attributes:
        name: the function name the model calls.
        param: the definition to pass in ``tools=`` (a `FunctionToolParam`).
        arguments_model: the pydantic model the arguments are parsed into, or None for a
            tool made from a raw schema dict.
        function: the callable run by `call`, or None for a model or a raw schema.
    """

    def __init__(
        self,
        param: FunctionToolParam,
        arguments_model: type[pydantic.BaseModel] | None,
        function: Callable[..., Any] | None,
    ) -> None:
        self.param = param
        self.name: str = param.function.name
        self.arguments_model = arguments_model
        self.function = function

    def __repr__(self) -> str:
        return f"FunctionTool(name={self.name!r})"

    def parse_arguments(self, arguments: str) -> ArgsT:
        """Parse the JSON ``function.arguments`` text the model sent.

        Args:
            arguments: the arguments text (empty text counts as ``{}``).

        Returns:
            An ``arguments_model`` instance, or a dict for a raw-schema tool.

        Raises:
            ToolArgumentsError: the text is not JSON, or the fields are wrong.
        """
        text = arguments if arguments.strip() else "{}"
        model = self.arguments_model
        if model is None:
            try:
                value = loads(text)
            except ValueError as exc:
                raise self._error(f"that are not valid JSON ({exc})", arguments) from None
            if not isinstance(value, dict):
                raise self._error("that are not a JSON object", arguments)
            return cast("ArgsT", value)
        try:
            return cast("ArgsT", model.model_validate_json(text))
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if any(e["type"] == "json_invalid" for e in errors):
                problem = f"that are not valid JSON ({errors[0]['msg']})"
            else:
                problem = f"that have wrong fields ({validation_summary(exc)})"
            raise self._error(problem, arguments) from None

    def _error(self, problem: str, arguments: str) -> ToolArgumentsError:
        shown = arguments if len(arguments) <= 200 else arguments[:200] + "…"
        return ToolArgumentsError(
            f"The model called the tool {self.name!r} with arguments {problem}. It sent: {shown!r}",
            tool_name=self.name,
            arguments=arguments,
        )

    async def call(self, arguments: str) -> str:
        """Parse the arguments and run the function: async ones directly, sync ones in a thread.

        Args:
            arguments: the JSON arguments text the model sent.

        Returns:
            The result as text: a string as it is, a pydantic model as its JSON, anything
            else JSON-encoded.

        Raises:
            ToolArgumentsError: the arguments are not valid.
            InvalidArgumentError: the tool has no function to run.
        """
        return await self._invoke(self.parse_arguments(arguments))

    async def _invoke(self, parsed: object) -> str:
        function = self.function
        if function is None:
            raise InvalidArgumentError(
                f"The tool {self.name!r} has no function to run; make it from a function with "
                "function_tool(fn)."
            )
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for parameter in inspect.signature(function).parameters.values():
            value = getattr(parsed, parameter.name)
            if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[parameter.name] = value
        if is_async(function):
            result = await function(*args, **kwargs)
        else:
            result = await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
            if inspect.isawaitable(result):
                result = await result
        return encode_result(result)


@dataclass(frozen=True)
class ParsedToolCall(Generic[ArgsT]):
    """A tool call of the model, matched to its tool, with its arguments parsed.

    Attributes:
        id: the call id, to answer with `tool_result`.
        tool: the tool called.
        arguments: the parsed arguments.
    """

    id: str
    tool: FunctionTool[ArgsT]
    arguments: ArgsT

    @property
    def name(self) -> str:
        """The name of the tool called."""
        return self.tool.name


def _definition(
    name: str, description: str | None, parameters: dict[str, Any], strict: bool | None
) -> FunctionToolParam:
    if strict:
        parameters = to_strict_json_schema(parameters)
    try:
        return FunctionToolParam.model_validate(
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": description,
                    "parameters": parameters,
                    "strict": strict,
                },
            }
        )
    except pydantic.ValidationError as exc:
        raise InvalidArgumentError(f"Invalid tool {name!r}: {validation_summary(exc)}") from None


@overload
def function_tool(
    obj: FunctionTool[ArgsT],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> FunctionTool[ArgsT]: ...


@overload
def function_tool(
    obj: type[_M],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> FunctionTool[_M]: ...


@overload
def function_tool(
    obj: Mapping[str, Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> FunctionTool[dict[str, Any]]: ...


@overload
def function_tool(
    obj: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> FunctionTool[Any]: ...


def function_tool(
    obj: FunctionTool[Any] | type[pydantic.BaseModel] | Mapping[str, Any] | Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> FunctionTool[Any]:
    """Define a function tool from a pydantic model, a typed function, or a schema dict.

    * A pydantic model class: its JSON schema is the parameters, its class name the name,
      its docstring the description. Calls parse into the model; there is no function to run.
    * A typed function, sync or async: the parameters' schema is generated by pydantic from
      its signature (defaults, ``Optional``, lists, enums, ``Annotated[..., Field(...)]``), its
      name is the tool name, the first paragraph of its docstring the description and its
      Google-style ``Args:`` entries the parameters' descriptions.
    * A dict: ``{"name", "description", "parameters"}`` or the full
      ``{"type": "function", "function": {...}}``; calls parse into plain dicts.

    Args:
        obj: the model class, function or dict (a `FunctionTool` is returned as it is).
        name: the tool name (default: the class or function name).
        description: the description (default: from the docstring).
        strict: send ``"strict": true`` with a strict schema (every property required, no
            extra properties), as OpenAI's strict mode needs; None leaves it out.

    Returns:
        The `FunctionTool`; pass it (or its ``.param``) in ``tools=``.

    Raises:
        InvalidArgumentError: a parameter has no annotation, or the definition is invalid.
    """
    if isinstance(obj, FunctionTool):
        return obj
    if isinstance(obj, type) and issubclass(obj, pydantic.BaseModel):
        summary = inspect.cleandoc(obj.__doc__) if obj.__doc__ else None
        param = _definition(
            name or obj.__name__,
            description if description is not None else summary,
            obj.model_json_schema(),
            strict,
        )
        return FunctionTool(param, obj, None)
    if isinstance(obj, Mapping):
        spec: Mapping[str, Any] = obj
        if obj.get("type") == "function" and isinstance(obj.get("function"), Mapping):
            spec = obj["function"]
        param = _definition(
            str(name or spec.get("name", "")),
            description if description is not None else spec.get("description"),
            dict(spec.get("parameters") or {"type": "object", "properties": {}}),
            strict if strict is not None else spec.get("strict"),
        )
        return FunctionTool(param, None, None)
    if callable(obj):
        tool_name = str(name or getattr(obj, "__name__", type(obj).__name__))
        model = function_model(obj, tool_name)
        summary, _ = docstring_parts(obj)
        param = _definition(
            tool_name,
            description if description is not None else summary,
            model.model_json_schema(),
            strict,
        )
        return FunctionTool(param, model, obj)
    raise InvalidArgumentError(
        "A tool must be a pydantic model class, a typed function or a schema dict, "
        f"not {type(obj).__name__}."
    )


class _CalledFunction(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> str: ...


class ToolCallLike(Protocol):
    """What `parse_tool_call` reads of a tool call: its ``id`` and ``function``."""

    @property
    def id(self) -> str | None: ...
    @property
    def function(self) -> _CalledFunction: ...


def parse_tool_call(
    call: ToolCallLike,
    tools: Iterable[FunctionTool[Any]] | Mapping[str, FunctionTool[Any]],
) -> ParsedToolCall[Any]:
    """Match a tool call to its tool and parse its arguments.

    Args:
        call: a tool call from ``message.tool_calls``.
        tools: the tools offered (or a mapping of name to tool).

    Returns:
        The call with its tool and parsed arguments.

    Raises:
        UnknownToolError: no tool has the name the model called.
        ToolArgumentsError: the arguments are not valid JSON or have wrong fields.
    """
    by_name = dict(tools) if isinstance(tools, Mapping) else {t.name: t for t in tools}
    tool = by_name.get(call.function.name)
    if tool is None:
        raise UnknownToolError(call.function.name, by_name)
    return ParsedToolCall(call.id or "", tool, tool.parse_arguments(call.function.arguments))


def resolve_tool_fields(fields: dict[str, object]) -> None:
    """Turn `FunctionTool` objects in a request's ``tools`` and ``tool_choice`` into params.

    Args:
        fields: the request fields, changed in place.
    """
    tools = fields.get("tools")
    if isinstance(tools, list):
        fields["tools"] = [t.param if isinstance(t, FunctionTool) else t for t in tools]
    choice = fields.get("tool_choice")
    if isinstance(choice, FunctionTool):
        fields["tool_choice"] = NamedToolChoice.model_validate(
            {"type": "function", "function": {"name": choice.name}}
        )
