"""Where a streamed chunk's CPU goes, layer by layer: ``python -m benchmarks.stream_path``.

No network: each step reads the same 200-event body (the bench server's events, one per
piece, as the server writes them) from an in-memory `httpx.Response`, so what differs between
steps is only the code on top. Steps are interleaved round by round and timed with
``time.process_time()``; each figure is the median over rounds, in microseconds per chunk,
and the SDK's steps are also given as the difference to the step before (the cost of that
layer). The network part (h11, httpcore, the socket), the same for every client, is not in
these figures: `benchmarks.run` measures it end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from gloo_ai import AsyncGloo
from gloo_ai._sse import SSEDecoder
from gloo_ai._streaming import AsyncStream, JSONEventDecoder
from gloo_ai.resources.chat._chunk_stream import ChunkRules, is_chunk_error
from gloo_ai.types.chat import ChatCompletionChunk

from .clients import MESSAGES, MODEL
from .server import Answers

URL = "http://127.0.0.1/ai/v2/chat/completions"  # loopback: plain http is allowed


def _pieces(chunks: int) -> list[bytes]:
    a = Answers(chunks)
    return [a.first] + [a.middle] * (chunks - 2) + [a.last]


def _response(pieces: list[bytes]) -> httpx.Response:
    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    return httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        content=body(),
        request=httpx.Request("POST", URL),
    )


async def raw_lines(pieces: list[bytes]) -> int:
    """The floor: httpx's ``aiter_lines`` and ``json.loads`` per ``data:`` line."""
    n = 0
    async for line in _response(pieces).aiter_lines():
        if line.startswith("data:"):
            json.loads(line[5:])
            n += 1
    return n


async def bytes_only(pieces: list[bytes]) -> int:
    """httpx's ``aiter_bytes``, what AsyncStream reads."""
    n = 0
    async for _ in _response(pieces).aiter_bytes():
        n += 1
    return n


async def sse(pieces: list[bytes]) -> int:
    """+ the SSE decoder."""
    decoder, n = SSEDecoder(), 0
    async for piece in _response(pieces).aiter_bytes():
        n += len(decoder.feed(piece))
    return n


async def validated(pieces: list[bytes]) -> int:
    """+ ChatCompletionChunk validation (JSONEventDecoder)."""
    response = _response(pieces)
    decoder, n = SSEDecoder(), 0
    decode = JSONEventDecoder(ChatCompletionChunk, response, is_error=is_chunk_error)
    async for piece in response.aiter_bytes():
        for event in decoder.feed(piece):
            decode(event)
            n += 1
    return n


async def ruled(pieces: list[bytes]) -> int:
    """+ chat's stream rules (ChunkRules.accept)."""
    response = _response(pieces)
    decoder, n = SSEDecoder(), 0
    decode = JSONEventDecoder(ChatCompletionChunk, response, is_error=is_chunk_error)
    accept = ChunkRules(include_usage=False).accept
    async for piece in response.aiter_bytes():
        for event in decoder.feed(piece):
            item = decode(event)
            if item is not None:
                accept(item)
                n += 1
    return n


async def stream(pieces: list[bytes]) -> int:
    """AsyncStream itself: the same parts behind its async iterator."""
    response = _response(pieces)
    s = AsyncStream(
        response=response,
        decode=JSONEventDecoder(ChatCompletionChunk, response, is_error=is_chunk_error),
        rules=ChunkRules(include_usage=False, request=response.request),
    )
    n = 0
    async for _ in s:
        n += 1
    return n


def _client(pieces: list[bytes]) -> AsyncGloo:
    def handler(request: httpx.Request) -> httpx.Response:
        return _response(pieces)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncGloo(api_key="k", base_url="http://127.0.0.1", http_client=http)


async def sdk(pieces: list[bytes], client: AsyncGloo) -> int:
    """The whole SDK: ``client.chat.completions.create(stream=True)`` (request included)."""
    s = await client.chat.completions.create(messages=MESSAGES, model=MODEL, stream=True)
    n = 0
    async for _ in s:
        n += 1
    return n


async def measure(pieces: list[bytes], rounds: int, streams: int) -> dict[str, float]:
    chunks = len(pieces)
    client = _client(pieces)
    steps: dict[str, Callable[[], Awaitable[int]]] = {
        "raw httpx: aiter_lines + json.loads (floor)": lambda: raw_lines(pieces),
        "aiter_bytes": lambda: bytes_only(pieces),
        "+ SSEDecoder.feed": lambda: sse(pieces),
        "+ ChatCompletionChunk validation": lambda: validated(pieces),
        "+ ChunkRules.accept": lambda: ruled(pieces),
        "AsyncStream (its iterator)": lambda: stream(pieces),
        "client.chat.completions.create(stream=True)": lambda: sdk(pieces, client),
    }
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for name, step in steps.items():  # warm up; check every step sees every chunk
        assert await step() == chunks, name
    for r in range(rounds):
        names = list(steps)
        names = names[r % len(names) :] + names[: r % len(names)]
        for name in names:
            cpu0 = time.process_time()
            for _ in range(streams):
                await steps[name]()
            samples[name].append((time.process_time() - cpu0) / (streams * chunks) * 1e6)
    await client.aclose()
    return {name: statistics.median(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(_pieces(args.chunks), args.rounds, args.streams))
    print(f"CPU per chunk, no network (median of {args.rounds} rounds x {args.streams} streams):")
    before: float | None = None
    for name, us in figures.items():
        layer = f"  (+{us - before:5.2f})" if before is not None and name.startswith("+") else ""
        print(f"  {us:7.2f} us{layer}  {name}")
        if not name.startswith("raw"):
            before = us


if __name__ == "__main__":
    main()
