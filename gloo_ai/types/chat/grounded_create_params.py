"""The arguments of ``client.chat.grounded`` and the model that validates them (§4).

`GroundedCompletionCreateKwargs` extends the chat completion arguments with the grounded
ones; `GroundedCompletionCreateParams` extends the v2 request model. A misspelt argument is
refused by mypy and, at run time, by `InvalidArgumentError`, before anything is sent.
"""

# No ``from __future__ import annotations``: ``Required`` must be seen at run time for
# ``__required_keys__`` to be right (the run-time check reads it).

from collections.abc import Iterable

from pydantic import Field, StrictBool, StrictInt

from ..._config import NotGiven
from .completion_create_params import ToolInput, _CompletionFields
from .params import CompletionCreateParams

__all__ = [
    "DEFAULT_RAG_PUBLISHER",
    "GroundedCompletionCreateKwargs",
    "GroundedCompletionCreateParams",
]

DEFAULT_RAG_PUBLISHER = "GlooGrounded"
"""The publisher Gloo grounds answers in when ``rag_publisher`` is not given: Gloo's own
faith-content dataset."""


class GroundedCompletionCreateKwargs(_CompletionFields, total=False):
    """The keyword arguments of ``chat.grounded.create()`` (but ``stream``) and of
    ``chat.grounded.stream()``.

    Those of ``chat.completions.create()`` but ``response_format`` (``messages``, the routing
    arguments, ``tradition``, ``temperature``, ``max_tokens``, ``tools``, ``tool_choice``,
    ``stream_options``, ``surface`` and the `CallOptions`), plus:

    Attributes:
        rag_publisher: the name (not the id) of the publisher whose content grounds the
            answer; case-sensitive. Gloo's default is ``"GlooGrounded"``.
        sources_limit: how many sources retrieval may return, 1 to 10.
        include_citations: add the sources to the answer as ``citations`` (when streaming,
            they come first, before the content).
        parallel_tool_calls: let the model call several tools at once.
    """

    tools: Iterable[ToolInput] | NotGiven
    rag_publisher: str | NotGiven
    sources_limit: int | NotGiven
    include_citations: bool | NotGiven
    parallel_tool_calls: bool | NotGiven


class GroundedCompletionCreateParams(CompletionCreateParams):
    """Validates the fields of a grounded completion request (routing is checked apart)."""

    rag_publisher: str | None = Field(default=None, min_length=1)
    sources_limit: StrictInt | None = Field(default=None, ge=1, le=10)
    include_citations: StrictBool | None = None
    parallel_tool_calls: StrictBool | None = None
