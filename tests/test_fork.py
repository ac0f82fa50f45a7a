"""A client used in a process forked after it was created gets its own pool and lock."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import warnings
from typing import Literal

import httpx
import pytest

from gloo_ai import AsyncGloo, ConfigurationError
from tests.conftest import CLIENT_ID, CLIENT_SECRET, completion_json, token_json
from tests.loopback import LoopbackServer, Reply

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "fork"), reason="needs os.fork"
)
MESSAGES = [{"role": "user", "content": "Hello"}]
V2_PATH = "/ai/v2/chat/completions"


def _fork(target: object, *args: object) -> int:
    """Run ``target(*args)`` in a forked child; return its exit code."""
    context = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a process with threads (the loopback server's)
        # may deadlock; the child here only uses the forking thread.
        warnings.simplefilter("ignore", DeprecationWarning)
        process = context.Process(target=target, args=args)
        process.start()
    process.join(timeout=60)
    assert process.exitcode is not None, "the child did not finish"
    return process.exitcode


def _child_uses(client: AsyncGloo) -> None:
    async def call() -> None:
        async with client:
            completion = await client.chat.completions.create(messages=MESSAGES)
            assert completion.choices[0].message.content == "Hello!"

    asyncio.run(call())


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_a_forked_child_opens_its_own_connection_and_keeps_the_token(
    loopback: LoopbackServer, transport: Literal["httpx", "aiohttp"]
) -> None:
    if transport == "aiohttp":
        pytest.importorskip("aiohttp")
    loopback.default("/oauth2/token", Reply(200, token_json()))
    loopback.default(V2_PATH, Reply(200, completion_json()))
    client = AsyncGloo(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=loopback.url,
        transport=transport,
    )

    async def parent_call() -> None:
        await client.chat.completions.create(messages=MESSAGES)

    loop = asyncio.new_event_loop()  # stays open: the parent keeps using its pool
    try:
        loop.run_until_complete(parent_call())
        assert loopback.connections_opened == 1
        assert _fork(_child_uses, client) == 0
        # The child opened a connection of its own and reused the parent's cached token.
        assert loopback.connections_opened == 2
        assert loopback.count("/oauth2/token") == 1
        assert loopback.count(V2_PATH) == 2
        # The parent's pooled connection was not disturbed by the child.
        loop.run_until_complete(parent_call())
        assert loopback.connections_opened == 2
        loop.run_until_complete(client.aclose())
    finally:
        loop.close()
    assert loopback.wait_closed() == 0


def _child_expects_configuration_error(client: AsyncGloo) -> None:
    async def call() -> None:
        with pytest.raises(ConfigurationError, match="forked"):
            await client.chat.completions.create(messages=MESSAGES)

    asyncio.run(call())


def test_a_user_http_client_with_open_connections_is_refused_after_fork(
    loopback: LoopbackServer,
) -> None:
    loopback.default(V2_PATH, Reply(200, completion_json()))

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            client = AsyncGloo(api_key="k", base_url=loopback.url, http_client=http)
            await client.chat.completions.create(messages=MESSAGES)
            assert _fork(_child_expects_configuration_error, client) == 0
            await client.chat.completions.create(messages=MESSAGES)  # the parent is fine

    asyncio.run(run())
    assert loopback.wait_closed() == 0
