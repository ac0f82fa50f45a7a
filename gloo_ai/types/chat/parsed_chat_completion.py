"""A chat completion whose message content was parsed into a pydantic model."""

from __future__ import annotations

from typing import Generic, TypeVar

from .chat_completion import ChatCompletion, ChatCompletionMessage, Choice

__all__ = ["ParsedChatCompletion", "ParsedChatCompletionMessage", "ParsedChoice"]

ContentT = TypeVar("ContentT")


class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[ContentT]):
    """The assistant's message, with its JSON content parsed.

    Attributes:
        parsed: the content as an instance of the requested model, or None when the
            platform refused (see ``refusal``) or the model answered with tool calls.
    """

    parsed: ContentT | None = None


class ParsedChoice(Choice, Generic[ContentT]):
    """One answer of a `ParsedChatCompletion`."""

    message: ParsedChatCompletionMessage[ContentT]


class ParsedChatCompletion(ChatCompletion, Generic[ContentT]):
    """A `ChatCompletion` returned by ``client.chat.completions.parse()``.

    ``completion.choices[0].message.parsed`` is typed as the ``response_format`` model.
    """

    choices: list[ParsedChoice[ContentT]]  # type: ignore[assignment]
