"""Function tools, shared by every API area that lets a model call tools.

Define a tool once, from a typed function, a pydantic model or a schema dict, and pass it as
``tools=[...]`` to chat completions (and the other areas that take tools)::

    from gloo_ai.tools import function_tool

    def get_weather(city: str) -> str:
        \"\"\"The current weather in a city.\"\"\"
        return "sunny"

    tool = function_tool(get_weather)

Everything here is also importable from ``gloo_ai``.
"""

from __future__ import annotations

from ._function_tool import (
    FunctionTool,
    ParsedToolCall,
    ToolArgumentsError,
    ToolCallLike,
    UnknownToolError,
    function_tool,
    parse_tool_call,
)

__all__ = [
    "FunctionTool",
    "ParsedToolCall",
    "ToolArgumentsError",
    "ToolCallLike",
    "UnknownToolError",
    "function_tool",
    "parse_tool_call",
]
