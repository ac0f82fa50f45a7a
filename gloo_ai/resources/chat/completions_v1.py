"""``client.chat.completions_v1``: the deprecated chat completions v1 endpoint."""

from __future__ import annotations

from typing import Literal, overload

from typing_extensions import Unpack

from ..._call_options import check_arguments
from ..._config import NOT_GIVEN, NotGiven
from ..._streaming import AsyncStream
from ...types.chat import ChatCompletion, ChatCompletionChunk
from ...types.chat.completion_create_params import CompletionV1CreateKwargs
from ...types.chat.params import CompletionV1CreateParams
from .._base import raw_response_wrapper, warn_deprecated
from ._request import _CompletionsBase

__all__ = ["AsyncCompletionsV1"]

V1_PATH = "/ai/v1/chat/completions"


class AsyncCompletionsV1(_CompletionsBase):
    """Deprecated chat completions v1: ``POST /ai/v1/chat/completions``.

    V1 takes Bedrock-style model ids such as ``"us.meta.llama3-3-70b-instruct-v1:0"`` and has
    no routing, ``tradition`` or routing metadata. Every call emits a `DeprecationWarning`;
    move to `AsyncCompletions.create` (v2).
    """

    @property
    def with_raw_response(self) -> AsyncCompletionsV1WithRawResponse:
        """The same methods, returning the `APIResponse` (status, headers, request id)."""
        return AsyncCompletionsV1WithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] | NotGiven = ...,
        **kwargs: Unpack[CompletionV1CreateKwargs],
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **kwargs: Unpack[CompletionV1CreateKwargs]
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self, *, stream: bool, **kwargs: Unpack[CompletionV1CreateKwargs]
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self,
        *,
        stream: bool | NotGiven = NOT_GIVEN,
        **kwargs: Unpack[CompletionV1CreateKwargs],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion on the deprecated v1 endpoint.

        The arguments are declared in `CompletionV1CreateKwargs`; a misspelt one (or a v2-only
        one such as ``auto_routing``) is refused by mypy and, at run time, by
        `InvalidArgumentError`.

        Args:
            stream: return an `AsyncStream` of `ChatCompletionChunk` instead.
            **kwargs: the request, `CompletionV1CreateKwargs`:

                - ``messages`` (required): the conversation (roles ``system``, ``user``,
                  ``assistant``, ``tool``).
                - ``model``: a Bedrock-style id; the platform's default is
                  ``"us.meta.llama3-3-70b-instruct-v1:0"``.
                - ``temperature``: 0 to 1.
                - ``max_tokens``: at least 1.
                - ``tools``: function tools the model may call.
                - ``tool_choice``: ``"none"``, ``"auto"``, ``"required"`` or a named function.
                - ``extra_headers``, ``extra_query``, ``extra_body``, ``timeout``,
                  ``max_retries``: as for v2's `create`.

        Returns:
            A `ChatCompletion`, or an `AsyncStream[ChatCompletionChunk]` with ``stream=True``.
        """
        where = "chat.completions_v1.create"
        check_arguments(where, kwargs, CompletionV1CreateKwargs, also=("stream",))
        warn_deprecated(
            "Gloo's chat completions v1 endpoint is deprecated: use "
            "client.chat.completions.create() (v2) with a gloo-* model id or auto routing."
        )
        return await self._create(
            V1_PATH, where, CompletionV1CreateParams, kwargs, stream=stream, routed=False
        )


class AsyncCompletionsV1WithRawResponse:
    """``client.chat.completions_v1.with_raw_response``: methods that return `APIResponse`."""

    def __init__(self, completions: AsyncCompletionsV1) -> None:
        self.create = raw_response_wrapper(completions.create)
