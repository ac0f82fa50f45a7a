"""Checked by mypy (``nox -s typecheck``), never run: the generic verbs' options are typed.

A misspelt option carries ``# type: ignore[call-overload]``; strict mode warns about an unused
ignore, so if the typo stopped being an error mypy would fail.
"""

from __future__ import annotations

from typing import Any

from gloo_ai import AsyncGloo
from gloo_ai._models import GlooModel


class Item(GlooModel):
    item_id: str


async def generic_verbs(client: AsyncGloo) -> None:
    item: Item = await client.get("/engine/v2/items/a", cast_to=Item, query={"x": 1})
    items: list[Item] = await client.post("/x", body={"a": 1}, cast_to=list[Item])
    anything: Any = await client.delete("/x", retry="never", auth=True)
    await client.patch("/x", body={}, timeout=5.0, max_retries=0)
    await client.put("/x", extra_headers={"X": "1"})
    await client.post("/x", files=[("files", b"data")], data={"publisher_id": "p"})
    await client.get("/x", qeury={"a": 1})  # type: ignore[call-overload]
    await client.delete("/x", retry="sometimes")  # type: ignore[call-overload]
    del item, items, anything
