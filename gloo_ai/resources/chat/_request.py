"""What v2 and v1 chat completions share: the routing rule, the body, and sending it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import pydantic
from pydantic import BaseModel

from ..._call_options import CallOptions, split_call_options
from ..._config import NOT_GIVEN, NotGiven
from ..._exceptions import InvalidArgumentError
from ..._streaming import AsyncStream
from ..._surface import SurfacePaths
from ...tools._function_tool import resolve_tool_fields
from ...types.chat import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionMessage,
)
from ...types.chat.params import ToolCallFunctionParam, ToolCallParam
from ...types.usage import UsageTotals
from .._base import AsyncAPIResource, invalid_arguments
from .._catalog import metered, metered_model, warn_about_request
from .._options import call_options
from ._chunk_stream import chunk_stream_parser

if TYPE_CHECKING:
    import httpx

__all__ = ["check_stream", "refuse_stream", "routing_fields"]

# How an area reads a streamed answer: ``(include_usage=...) -> parser of the response``.
StreamParser: TypeAlias = Callable[..., Callable[["httpx.Response"], AsyncStream[Any]]]


def _message_input(message: object) -> object:
    if type(message) is dict:  # the common case, before the ABC checks below
        return message
    if isinstance(message, ChatCompletionMessage):
        return AssistantMessage(
            content=message.content,
            refusal=message.refusal,
            tool_calls=[
                ToolCallParam(
                    id=call.id,
                    function=ToolCallFunctionParam(
                        name=call.function.name, arguments=call.function.arguments
                    ),
                )
                for call in message.tool_calls
            ]
            if message.tool_calls
            else None,
        )
    if isinstance(message, (BaseModel, Mapping)):
        return message
    raise InvalidArgumentError(
        f"Each message must be a dict or a message model, not {type(message).__name__}: "
        'for example {"role": "user", "content": "Hello"}.'
    )


def _given(**fields: object) -> dict[str, object]:
    return {k: v for k, v in fields.items() if v is not None and not isinstance(v, NotGiven)}


def routing_fields(auto_routing: object, model: object, model_family: object) -> dict[str, object]:
    """Gloo's routing rule: exactly one of auto_routing=True, model, model_family.

    None of them means auto routing, Gloo's recommended mode. With ``model`` or
    ``model_family``, ``auto_routing: false`` is sent explicitly, as Gloo's docs do. A value
    of the wrong type (``model=123``, ``model_family=[]``) is refused, never dropped: a
    dropped one would silently route the request elsewhere.
    """
    _check_routing_value("model", model, "a model id such as 'gloo-openai-gpt-5-mini'")
    _check_routing_value("model_family", model_family, "a family name such as 'openai'")
    if not (auto_routing is None or isinstance(auto_routing, (bool, NotGiven))):
        raise InvalidArgumentError(
            f"auto_routing must be True or False, not {type(auto_routing).__name__} "
            f"{auto_routing!r}."
        )
    chosen = []
    if auto_routing is True:
        chosen.append("auto_routing=True")
    if isinstance(model, str):
        chosen.append(f"model={model!r}")
    if isinstance(model_family, str):
        chosen.append(f"model_family={model_family!r}")
    if len(chosen) > 1:
        raise InvalidArgumentError(
            "Gloo routes a request by exactly one mechanism, but this call passed "
            f"{' and '.join(chosen)}. Pass only one of auto_routing=True, model=... or "
            "model_family=... (or none of them for auto routing)."
        )
    if isinstance(model, str):
        return {"auto_routing": False, "model": model}
    if isinstance(model_family, str):
        return {"auto_routing": False, "model_family": model_family}
    if auto_routing is False:
        raise InvalidArgumentError(
            "auto_routing=False needs model=... or model_family=... to say which model to "
            "use; omit auto_routing to let Gloo choose."
        )
    return {"auto_routing": True}


def _check_routing_value(name: str, value: object, example: str) -> None:
    if value is None or isinstance(value, NotGiven):
        return
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"{name} must be a str ({example}), not {type(value).__name__} {value!r}."
        )
    if not value.strip():
        raise InvalidArgumentError(f"{name} must not be empty: pass {example}, or omit it.")


def check_stream(stream: object) -> None:
    """Refuse a ``stream`` that is not a bool (``stream="yes"`` would mean "do not stream")."""
    if not (stream is None or isinstance(stream, (bool, NotGiven))):
        raise InvalidArgumentError(
            f"stream must be True or False, not {type(stream).__name__} {stream!r}."
        )


def refuse_stream(kwargs: Mapping[str, object], message: str) -> None:
    """Raise `InvalidArgumentError` with ``message`` if ``kwargs`` asks to stream.

    ``stream=False`` is tolerated (it changes nothing), and removed from ``kwargs``.
    """
    if kwargs.get("stream"):
        raise InvalidArgumentError(message)
    if "stream" in kwargs and isinstance(kwargs, dict):
        del kwargs["stream"]


def _body(
    where: str,
    params_cls: type[pydantic.BaseModel],
    fields: dict[str, object],
    extra_body: Mapping[str, object] | None,
) -> dict[str, Any]:
    messages = fields.get("messages")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Iterable):
        raise InvalidArgumentError(
            f"{where}: messages must be a list of messages, for example "
            '[{"role": "user", "content": "Hello"}].'
        )
    fields["messages"] = [_message_input(m) for m in messages]
    tools = fields.get("tools")
    if isinstance(tools, Iterable) and not isinstance(tools, (list, str, bytes, Mapping)):
        fields["tools"] = list(tools)
    resolve_tool_fields(fields)
    try:
        params = params_cls.model_validate(fields)
    except pydantic.ValidationError as exc:
        raise invalid_arguments(where, exc) from None
    body = params.model_dump(mode="json", exclude_none=True)
    if extra_body:
        body.update(extra_body)
    return body


def _wants_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, Mapping) and options.get("include_usage") is True


class _CompletionsBase(AsyncAPIResource):
    """What the completion areas share. `_create` and `_send` check and build the call at
    once (raising before anything is sent) and return the call's coroutine for the caller
    to await: no coroutine frames of their own on the way to the wire."""

    def _create(
        self,
        path: str | SurfacePaths,
        where: str,
        params_cls: type[pydantic.BaseModel],
        kwargs: Mapping[str, Any],
        *,
        stream: bool | NotGiven,
        routed: bool,
        completion_cls: type[ChatCompletion] = ChatCompletion,
        stream_parser: StreamParser = chunk_stream_parser,
    ) -> Coroutine[Any, Any, ChatCompletion | AsyncStream[Any]]:
        """Build the body from checked ``kwargs`` (``routed``: apply Gloo's routing rule)
        and send it; the answer is a ``completion_cls``, or a stream by ``stream_parser``."""
        check_stream(stream)
        given, options = split_call_options(kwargs)
        surface = given.pop("surface", NOT_GIVEN)
        if isinstance(path, SurfacePaths):
            path = self._surface_path(path, surface)
        fields = _given(**given, stream=stream if isinstance(stream, bool) else None)
        if routed:
            fields.update(
                routing_fields(
                    fields.pop("auto_routing", NOT_GIVEN),
                    fields.pop("model", NOT_GIVEN),
                    fields.pop("model_family", NOT_GIVEN),
                )
            )
        return self._send(
            path,
            where,
            params_cls,
            fields,
            stream=stream is True,
            options=options,
            completion_cls=completion_cls,
            stream_parser=stream_parser,
        )

    def _send(
        self,
        path: str,
        where: str,
        params_cls: type[pydantic.BaseModel],
        fields: dict[str, object],
        *,
        stream: bool,
        options: CallOptions,
        completion_cls: type[ChatCompletion] = ChatCompletion,
        stream_parser: StreamParser = chunk_stream_parser,
    ) -> Coroutine[Any, Any, ChatCompletion | AsyncStream[Any]]:
        body = _body(where, params_cls, fields, options.get("extra_body"))
        shared = self._requester.shared
        warn_about_request(shared, body)  # from the cached catalog only
        request = call_options(options, retry="default", stream=stream)
        return self._request(
            "POST",
            path,
            body=body,
            options=request,
            parse=metered(
                stream_parser(include_usage=_wants_usage(body)),
                shared.get(UsageTotals),
            )
            if stream
            else metered_model(shared, completion_cls),
        )
