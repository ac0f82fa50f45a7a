"""The documented recipe for testing a FastAPI app that uses the SDK, with no network."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI

from gloo_ai import AsyncGloo
from gloo_ai.testing import GlooEmulator

app = FastAPI()


def get_gloo() -> AsyncGloo:  # pragma: no cover - always overridden in tests
    return AsyncGloo()


@app.post("/ask")
async def ask(question: str, gloo: AsyncGloo = Depends(get_gloo)) -> dict[str, str | None]:  # noqa: B008
    completion = await gloo.chat.completions.create(
        messages=[{"role": "user", "content": question}]
    )
    return {"answer": completion.choices[0].message.content}


@pytest.mark.asyncio
async def test_ask(gloo_client: AsyncGloo, gloo_emulator: GlooEmulator) -> None:
    app.dependency_overrides[get_gloo] = lambda: gloo_client
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            answer = await http.post("/ask", params={"question": "How can I be joyful?"})
    finally:
        app.dependency_overrides.clear()
    assert answer.status_code == 200
    assert answer.json()["answer"]
    assert gloo_emulator.counts["/ai/v2/chat/completions"] == 1
    assert gloo_emulator.counts["/oauth2/token"] == 1
