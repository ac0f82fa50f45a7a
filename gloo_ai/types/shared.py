"""Request models that more than one API area uses: function tools and forcing a tool."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import Field

from .._models import RequestModel

__all__ = ["FunctionDefinition", "FunctionToolParam", "NamedToolChoice", "ToolChoice"]


class FunctionDefinition(RequestModel):
    """A function the model may call: its name, description and JSON Schema parameters."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionToolParam(RequestModel):
    """A function tool offered to the model, in the chat-completions shape.

    ``{"type": "function", "function": {"name", "description", "parameters"}}``, as OpenAI
    and Gloo's chat and grounded completions take it.
    """

    type: Literal["function"] = "function"
    function: FunctionDefinition


class _NamedFunction(RequestModel):
    name: str


class NamedToolChoice(RequestModel):
    """Force a call of one named function (OpenAI's form; not in Gloo's docs)."""

    type: Literal["function"] = "function"
    function: _NamedFunction


ToolChoice: TypeAlias = Literal["none", "auto", "required"] | NamedToolChoice
"""``"none"``, ``"auto"``, ``"required"``, or a named function to force."""
