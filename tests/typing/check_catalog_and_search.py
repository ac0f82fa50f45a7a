"""Checked by mypy (``nox -s typecheck``), never run: the catalog, search, recommendations
and stateful chat API methods are typed, and a misspelt argument is an error.

Each misspelt argument carries ``# type: ignore[...]``; mypy runs with
``warn_unused_ignores``, so if a typo stopped being an error the ignore would be unused and
mypy would fail.
"""

from __future__ import annotations

from decimal import Decimal

from gloo_ai import AsyncGloo, Model, ModelCatalog, UsageTotals
from gloo_ai.types.chat import ChatCompletion
from gloo_ai.types.chat_api import (
    Chat,
    ChatUpdate,
    KallmMessage,
    MessageDeleted,
    MessageResponse,
    MessageStopped,
)
from gloo_ai.types.recommendations import AffiliateItem, RecommendedItem
from gloo_ai.types.search import SearchResponse


async def correct_calls(client: AsyncGloo, completion: ChatCompletion) -> None:
    catalog: ModelCatalog = await client.models.list(refresh=True, timeout=5.0)
    model: Model = await client.models.retrieve("gloo-openai-gpt-5-mini", max_retries=1)
    cost: Decimal | None = completion.estimated_cost(catalog)
    rate: Decimal | None = (
        model.pricing.input.per_million if model.pricing and model.pricing.input else None
    )
    usage: UsageTotals = client.usage
    total: Decimal | None = usage.estimated_cost(catalog)
    found: SearchResponse = await client.search.query(
        query="hope", tenant="TestOrg", collection="GlooProd", certainty=0.5, limit=3
    )
    items: list[RecommendedItem] = await client.recommendations.base(
        query="grief", tenant="TestOrg", item_count=3, certainty_threshold=0.6
    )
    verbose: list[RecommendedItem] = await client.recommendations.verbose(
        query="grief", tenant="TestOrg", media_types=["audio", "book"]
    )
    network: list[AffiliateItem] = await client.recommendations.affiliates(query="grace")
    sent: MessageResponse = await client.messages.send(
        query="What is grace?", chat_id=None, intent=1, enable_sources=2, enable_suggestions=1
    )
    kallm: KallmMessage = await client.messages.send_kallm(query="Hi", chat_id="c1")
    chat: Chat = await client.chats.retrieve("c1")
    updated: ChatUpdate = await client.chats.update("c1", field="title", value="Grace")
    deleted: MessageDeleted = await client.messages.delete(message_id="m", query_id="q")
    stopped: MessageStopped = await client.messages.stop(chat_id="c1", message_id="m")
    del cost, rate, total, found, items, verbose, network, sent, kallm, chat, updated
    del deleted, stopped


async def misspelt_arguments(client: AsyncGloo) -> None:
    await client.models.list(refesh=True)  # type: ignore[call-arg]
    await client.models.retrieve("m", timout=5)  # type: ignore[call-arg]
    await client.search.query(query="hope", tenant="T", limt=3)  # type: ignore[call-arg]
    await client.search.query(query="hope")  # type: ignore[call-arg]
    await client.recommendations.base(query="x", tenant="T", item_cont=3)  # type: ignore[call-arg]
    await client.recommendations.affiliates(query="x", tenant="T")  # type: ignore[call-arg]
    await client.messages.send(qeury="Hi")  # type: ignore[call-arg]
    await client.messages.send(query="Hi", intent=2)  # type: ignore[arg-type]
    await client.chats.update("c1", field="colour", value=1)  # type: ignore[arg-type]
    await client.messages.delete(message_id="m")  # type: ignore[call-arg]
    await client.messages.stop(chat_id="c", mesage_id="m")  # type: ignore[call-arg]
