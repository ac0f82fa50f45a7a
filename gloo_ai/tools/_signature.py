"""How a tool is read from a Python function (its schema and docs) and how results are sent."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any

import pydantic
import pydantic_core

from .._exceptions import InvalidArgumentError

__all__ = ["docstring_parts", "encode_result", "function_model", "is_async"]

_ARGS_HEADER = re.compile(r"^(Args|Arguments|Parameters):\s*$")
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def encode_result(result: object) -> str:
    """A tool's return value as the text of its ``tool`` message.

    Args:
        result: what the tool returned.

    Returns:
        A string as it is, a pydantic model as its JSON, anything else JSON-encoded.
    """
    if isinstance(result, str):
        return result
    if isinstance(result, pydantic.BaseModel):
        return result.model_dump_json()
    return pydantic_core.to_json(result).decode()


def is_async(function: Callable[..., Any]) -> bool:
    """Whether calling ``function`` returns a coroutine (an async function or ``__call__``)."""
    call = getattr(function, "__call__", None)  # noqa: B004 - callable objects
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)


def docstring_parts(obj: object) -> tuple[str | None, dict[str, str]]:
    """The first paragraph of a docstring, and the Google-style ``Args:`` descriptions."""
    doc = inspect.getdoc(obj)
    if not doc:
        return None, {}
    summary = doc.split("\n\n", 1)[0].strip()
    if _ARGS_HEADER.match(summary.splitlines()[0]):
        summary = ""
    params: dict[str, str] = {}
    current: str | None = None
    params_indent = 0
    in_args = False
    for line in doc.splitlines():
        if _ARGS_HEADER.match(line):
            in_args, current = True, None
            continue
        if not in_args:
            continue
        if line and not line[0].isspace():
            break  # the next section
        stripped = line.strip()
        match = _ARG_LINE.match(stripped)
        indent = len(line) - len(line.lstrip())
        if match and (current is None or indent <= params_indent):
            current, params_indent = match.group(1).lstrip("*"), indent
            params[current] = match.group(2).strip()
        elif current is not None and stripped:
            params[current] = f"{params[current]} {stripped}".strip()
    return " ".join(summary.split()) or None, params


def function_model(function: Callable[..., Any], name: str) -> type[pydantic.BaseModel]:
    """A pydantic model of a function's parameters (unknown fields forbidden).

    Args:
        function: a function whose parameters all have type annotations.
        name: the tool name (the model's name and schema title).

    Returns:
        The model.

    Raises:
        InvalidArgumentError: a parameter has no annotation, is ``*args``/``**kwargs``, or
            has a type pydantic cannot describe.
    """
    try:
        signature = inspect.signature(function)
        hints = typing.get_type_hints(function, include_extras=True)
    except (TypeError, ValueError, NameError) as exc:
        raise InvalidArgumentError(
            f"Cannot read the signature of the tool function {name!r}: {exc}"
        ) from None
    _, docs = docstring_parts(function)
    unannotated = [
        p.name
        for p in signature.parameters.values()
        if p.name not in hints
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if unannotated:
        raise InvalidArgumentError(
            f"The tool function {name!r} has parameters without type annotations: "
            f"{', '.join(unannotated)}. Annotate every parameter (for example `city: str`) so "
            "that its JSON schema can be generated."
        )
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise InvalidArgumentError(
                f"The tool function {name!r} takes *{parameter.name}; a tool needs named, "
                "annotated parameters only."
            )
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        description = docs.get(parameter.name)
        if description and not isinstance(default, pydantic.fields.FieldInfo):
            default = pydantic.Field(default, description=description)
        fields[parameter.name] = (hints[parameter.name], default)
    try:
        model: type[pydantic.BaseModel] = pydantic.create_model(
            name, __config__=pydantic.ConfigDict(extra="forbid"), **fields
        )
        model.model_json_schema()
    except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError) as exc:
        raise InvalidArgumentError(
            f"Cannot build the arguments schema of the tool function {name!r}: {exc}"
        ) from None
    return model
