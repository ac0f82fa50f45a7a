"""Shared test helpers: a fake clock, credentials cleared from the environment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from tests.loopback import LoopbackServer

if TYPE_CHECKING:
    from gloo_ai import AsyncGloo

GLOO_ENV = (
    "GLOO_CLIENT_ID",
    "GLOO_CLIENT_SECRET",
    "GLOO_AI_CLIENT_ID",
    "GLOO_AI_CLIENT_SECRET",
    "GLOO_API_KEY",
    "GLOO_AI_API_KEY",
    "GLOO_BASE_URL",
    "GLOO_AI_BASE_URL",
    "GLOO_SURFACE",
    "GLOO_AI_SURFACE",
    "GLOO_LOG",
    "GLOO_AI_LOG",
)

BASE_URL = "https://platform.ai.gloo.com"
TOKEN_URL = f"{BASE_URL}/oauth2/token"
V2_URL = f"{BASE_URL}/ai/v2/chat/completions"
V1_URL = f"{BASE_URL}/ai/v1/chat/completions"

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "s3cr3t-Value-never-shown"
ACCESS_TOKEN = "tok-VERY-secret-access-token"


class FakeClock:
    """A clock that only moves when told to (or when the SDK sleeps)."""

    def __init__(self, start: float = 1000.0, wall: float = 1_800_000_000.0) -> None:
        self.now = start
        self.wall = wall
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.wall + (self.now - 1000.0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def completion_json(content: str = "Hello!", **extra: object) -> dict[str, object]:
    """A v2 completion body as Gloo documents it."""
    body: dict[str, object] = {
        "id": "gen-1768500882-56Ha",
        "object": "chat.completion",
        "created": 1768500882,
        "model": "gloo-openai-gpt-5.2",
        "provider": "Gloo AI",
        "model_family": "OpenAI",
        "auto_routing": True,
        "routing_mechanism": "auto_routing",
        "routing_tier": "tier_2",
        "routing_confidence": 0.557,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 125, "completion_tokens": 78, "total_tokens": 203},
    }
    body.update(extra)
    return body


def token_json(token: str = ACCESS_TOKEN, expires_in: int = 3600) -> dict[str, object]:
    """A token endpoint body."""
    return {"access_token": token, "expires_in": expires_in, "token_type": "Bearer"}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real Gloo credentials or settings."""
    for name in GLOO_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


SEND_FORMS = ("httpx", "aiohttp", "aiohttp_given")
"""The ways a request leaves the SDK: the default transport, ``transport="aiohttp"`` (sent
below httpx's client), and an `aiohttp_client()` passed as ``http_client``."""


@asynccontextmanager
async def gloo_on(form: str, url: str, clock: FakeClock, **kwargs: Any) -> AsyncIterator[AsyncGloo]:
    """An AsyncGloo (API key ``"k"`` unless client credentials are given) sending the
    ``form`` way (one of `SEND_FORMS`); it, and a given http_client, closed on exit."""
    from gloo_ai import AsyncGloo
    from gloo_ai.transports import aiohttp_client

    http = aiohttp_client() if form == "aiohttp_given" else None
    if "client_id" not in kwargs:
        kwargs.setdefault("api_key", "k")
    if form == "aiohttp":
        kwargs["transport"] = "aiohttp"
    client = AsyncGloo(base_url=url, http_client=http, _clock=clock, **kwargs)
    try:
        yield client
    finally:
        await client.aclose()
        if http is not None:
            await http.aclose()
