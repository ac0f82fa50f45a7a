"""Checked by mypy (``nox -s typecheck``), never run: `Gloo` has the async methods' parameter
types, and its streams, pages and helpers are the sync counterparts.

Each misspelt argument carries ``# type: ignore[...]``; mypy runs with
``warn_unused_ignores``, so if a typo stopped being an error the ignore would be unused.
"""

from __future__ import annotations

from gloo_ai import Gloo
from gloo_ai._sync._generated import (
    Stream,
    SyncChatCompletionStream,
    SyncChatCompletionStreamManager,
    SyncPaginator,
)
from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk
from gloo_ai.types.items import Item, ItemSummary
from gloo_ai.types.models import ModelCatalog

ASK = [{"role": "user", "content": "Hi"}]


def correct_calls(client: Gloo) -> None:
    completion: ChatCompletion = client.chat.completions.create(messages=ASK, max_tokens=5)
    stream: Stream[ChatCompletionChunk] = client.chat.completions.create(messages=ASK, stream=True)
    for chunk in stream:
        chunk_again: ChatCompletionChunk = chunk
    manager: SyncChatCompletionStreamManager = client.chat.completions.stream(messages=ASK)
    with manager as helper:
        events: SyncChatCompletionStream = helper
        text: str = "".join(events.text_stream)
        final: ChatCompletion = events.get_final_completion()
    catalog: ModelCatalog = client.models.list()
    listing: SyncPaginator[ItemSummary] = client.items.list("publisher")
    for summary in listing:
        summary_again: ItemSummary = summary
    item: Item = client.items.retrieve("item")
    del completion, chunk_again, text, final, catalog, summary_again, item
    client.close()


def misspelt(client: Gloo) -> None:
    client.chat.completions.create(mesages=ASK)  # type: ignore[call-overload]
    client.models.list(refresh="yes")  # type: ignore[arg-type]
    with Gloo(api_key="k", max_retry=3):  # type: ignore[call-arg]
        pass
