"""The response of a (non-streaming) chat completion, with Gloo's routing metadata."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ... import _display as md
from ..._models import GlooModel

if TYPE_CHECKING:
    from ..models import Model, ModelCatalog

__all__ = [
    "ChatCompletion",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Choice",
    "CompletionUsage",
    "FinishReason",
    "Function",
    "RoutingMechanism",
    "RoutingMetadata",
]

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter"] | str
"""Why the model stopped; values this SDK does not know yet are kept as strings."""

RoutingMechanism: TypeAlias = (
    Literal["auto_routing", "model_family", "direct_model_selection"] | str
)
"""How Gloo chose the model; values this SDK does not know yet are kept as strings."""


class Function(GlooModel):
    """The function a tool call asks for. ``arguments`` is a JSON string: parse it."""

    name: str
    arguments: str = ""


class ChatCompletionMessageToolCall(GlooModel):
    """One tool call in an assistant message. ``id`` is ``""`` where the server sent none."""

    id: str = ""
    type: Literal["function"] | str = "function"
    function: Function


class ChatCompletionMessage(GlooModel):
    """The assistant's message: text, tool calls, or a refusal.

    ``refusal`` is set (with ``finish_reason == "content_filter"``) when the platform declines
    to answer; ``content`` may then be ``None``.
    """

    role: Literal["assistant"] | str = "assistant"  # a new role is kept as a string
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatCompletionMessageToolCall] | None = None


class Choice(GlooModel):
    """One answer of a completion."""

    index: int = 0
    message: ChatCompletionMessage
    finish_reason: FinishReason | None = None
    logprobs: Any = None


class CompletionUsage(GlooModel):
    """Token counts. The cache fields appear only where Gloo reports them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cache_tokens: int | None = None
    cache_hit_rate: float | None = None
    cache_read_input_tokens: int | None = None
    completion_tokens_details: dict[str, Any] | None = None
    prompt_tokens_details: dict[str, Any] | None = None


class RoutingMetadata(GlooModel):
    """Gloo's routing metadata, on completions and on stream chunks.

    ``routing_tier`` and ``routing_confidence`` are present only for ``auto_routing`` and
    ``model_family`` routing; ``tradition`` only when the request set one.
    """

    provider: str | None = None
    model_family: str | None = None
    auto_routing: bool | None = None
    routing_mechanism: RoutingMechanism | None = None
    routing_tier: str | None = None
    routing_confidence: float | None = None
    # Gloo's traditions; one this SDK does not know yet is kept as a string.
    tradition: Literal["evangelical", "catholic", "mainline", "not_faith_specific"] | str | None = (
        None
    )
    usage: CompletionUsage | None = None

    def _routing_facts(self) -> list[tuple[str, str | None]]:
        """The routing metadata as facts for a notebook's table (escaped)."""
        confidence = self.routing_confidence
        return [
            ("routing", md.inline(self.routing_mechanism) if self.routing_mechanism else None),
            ("tier", md.inline(self.routing_tier) if self.routing_tier else None),
            ("confidence", md.number(confidence) if confidence is not None else None),
            ("family", md.inline(self.model_family) if self.model_family else None),
            ("provider", md.inline(self.provider) if self.provider else None),
            ("tradition", md.inline(self.tradition) if self.tradition else None),
        ]


def _usage_fact(usage: CompletionUsage | None) -> str | None:
    if usage is None:
        return None
    return (
        f"{md.number(usage.prompt_tokens)} + {md.number(usage.completion_tokens)} = "
        f"{md.number(usage.total_tokens)}"
    )


def _choice_markdown(choice: Choice) -> str:
    message = choice.message
    parts: list[str | None] = []
    if message.content or not (message.refusal or message.tool_calls):
        parts.append(md.answer_text(message.content))
    if message.refusal:
        parts.append(f"**Refusal:** {md.inline(message.refusal, 2000)}")
    for call in message.tool_calls or ():
        parts.append(
            f"**Tool call** {md.code(call.function.name)} {md.code(call.function.arguments)}"
        )
    return md.markdown(*parts)


class ChatCompletion(RoutingMetadata):
    """A chat completion: OpenAI's shape plus Gloo's routing metadata (`RoutingMetadata`).

    ``id``, ``created`` and ``model`` are ``""``, ``0`` and ``""`` where the server sent none.
    """

    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[Choice]
    service_tier: str | None = None
    system_fingerprint: str | None = None

    def estimated_cost(self, catalog: ModelCatalog | Iterable[Model]) -> Decimal | None:
        """The exact cost in dollars of this completion's ``usage`` at ``model``'s rates in
        ``catalog`` (``await client.models.list()``, cached). Gloo's answers carry no cost:
        this is the SDK's estimate from the published rates.

        Returns:
            The cost, or None when the model is not in the catalog, a rate it needs is
            missing, or the completion has no usage.
        """
        from ..models import catalog_of

        return catalog_of(catalog).estimated_cost(self.model, self.usage)

    def _repr_markdown_(self) -> str:
        """How Jupyter shows a completion: the answer, then its model, routing and usage.

        The model's text is escaped (no raw HTML, no remote images); `repr()` is unchanged.
        """
        return md.markdown(*self._markdown_blocks())

    def _markdown_blocks(self) -> list[str]:
        many = len(self.choices) > 1
        blocks = [
            (f"**Choice {c.index}**\n\n" if many else "") + _choice_markdown(c)
            for c in self.choices
        ] or ["*(no choices)*"]
        finish = ", ".join(md.inline(c.finish_reason) for c in self.choices if c.finish_reason)
        blocks.append(
            md.facts(
                [
                    ("model", md.code(self.model) if self.model else None),
                    *self._routing_facts(),
                    ("finish", finish or None),
                    ("tokens (prompt + completion)", _usage_fact(self.usage)),
                ]
            )
        )
        return blocks
