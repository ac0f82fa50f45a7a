"""Where AsyncGloo's CPU goes: ``python -m benchmarks.profiling``.

Two views, against the bench server in its own process:

1. cProfile of AsyncGloo at concurrency 1 (completions) and of whole streams, with the time
   grouped by owner (gloo_ai, httpx, httpcore, pydantic, json, asyncio/anyio, other) and
   the SDK's own functions listed by cumulative time. cProfile inflates the cost of many
   small Python calls, so read its shares, not its absolute times.
2. Micro-timings without I/O of each SDK step on the request path (no profiler), which give
   the absolute cost of each layer: argument validation and body building, request building,
   the auth flow, response parsing, and per stream chunk SSE decoding and model validation.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from .clients import MESSAGES, MODEL, Gloo, RawHttpx
from .run import bench_server

OWNERS = (
    ("gloo_ai", "/gloo_ai/"),
    ("httpx", "/httpx/"),
    ("httpcore", "/httpcore/"),
    ("h11", "/h11/"),
    ("pydantic", "/pydantic"),
    ("anyio", "/anyio/"),
    ("asyncio", "/asyncio/"),
    ("json", "/json/"),
)


def _owner(filename: str, name: str) -> str:
    for owner, marker in OWNERS:
        if marker in filename:
            return owner
    if filename == "~":  # built-ins: attribute them by name
        if "pydantic_core" in name or "validate" in name:
            return "pydantic"
        if "json" in name or "encode" in name or "decode" in name:
            return "json/codecs (C)"
        if "socket" in name or "select" in name or "epoll" in name or "send" in name:
            return "socket/epoll (C)"
        return "builtins"
    return "other"


async def _profiled(work: Coroutine[Any, Any, None]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    await work
    profiler.disable()
    return pstats.Stats(profiler)


def _breakdown(stats: pstats.Stats, label: str, units: int, unit: str) -> dict[str, Any]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_owner: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, name), (_cc, _nc, tt, _ct, _callers) in raw.items():
        by_owner[_owner(filename, name)] += tt
        total += tt
    sdk = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in raw.items():
        if "/gloo_ai/" in filename:
            short = filename.split("/gloo_ai/", 1)[1]
            sdk.append((ct, tt, nc, f"gloo_ai/{short}:{line}({name})"))
    sdk.sort(reverse=True)
    print(f"\n== {label}: self time by owner (cProfile; {units} {unit}) ==")
    for owner, tt in sorted(by_owner.items(), key=lambda kv: -kv[1]):
        print(f"  {owner:18s} {tt / total:6.1%}  {tt / units * 1e6:8.1f} us/{unit[:-1]}")
    print(f"  -- gloo_ai functions by cumulative time (us/{unit[:-1]}, incl. callees) --")
    for ct, tt, nc, where in sdk[:18]:
        print(f"  {ct / units * 1e6:8.1f} cum {tt / units * 1e6:7.1f} self {nc:7d} calls  {where}")
    return {
        "by_owner_share": {k: round(v / total, 4) for k, v in by_owner.items()},
        "sdk_cumulative_us": {w: round(ct / units * 1e6, 2) for ct, _tt, _nc, w in sdk[:25]},
    }


def _per_call(fn: Callable[[], object], n: int = 3000) -> float:
    """Median of 5 runs of n calls, microseconds per call."""
    times = []
    for _ in range(5):
        t = time.process_time()
        for _ in range(n):
            fn()
        times.append((time.process_time() - t) / n * 1e6)
    return sorted(times)[2]


def micro() -> dict[str, float]:
    """The SDK's steps one by one, without I/O."""
    from gloo_ai import AsyncGloo
    from gloo_ai._config import RequestOptions
    from gloo_ai._streaming import SSEDecoder
    from gloo_ai.resources.chat._request import _body, _given, routing_fields
    from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk
    from gloo_ai.types.chat.params import CompletionCreateParams

    from .server import Answers

    answers = Answers(200)
    client = AsyncGloo(api_key="k", base_url="http://127.0.0.1:1")
    transport = client._transport
    options = RequestOptions()
    fields = {**_given(messages=MESSAGES), **routing_fields(None, MODEL, None)}
    body = _body("create", CompletionCreateParams, dict(fields), None)
    completion = answers.completion
    event = answers.middle
    chunk_data = event[len(b"data: ") :].strip()
    response = httpx.Response(200, content=completion, request=httpx.Request("POST", "http://x"))
    auth = transport.state.auth

    async def auth_flow() -> None:
        request = httpx.Request("POST", "http://x")
        flow = auth.async_auth_flow(request)
        await flow.__anext__()
        await flow.aclose()

    loop = asyncio.new_event_loop()

    def run_auth() -> None:
        loop.run_until_complete(auth_flow())

    decoder = SSEDecoder()
    payload = json.loads(chunk_data)
    results = {
        "validate + dump the params (_body)": _per_call(
            lambda: _body("create", CompletionCreateParams, dict(fields), None)
        ),
        "json.dumps of the body": _per_call(
            lambda: json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        ),
        "build_request (headers, json.dumps, httpx.Request)": _per_call(
            lambda: transport.builder.build(
                "POST", "/ai/v2/chat/completions", body=body, options=options
            )
        ),
        "raw httpx.Request with the same body (floor)": _per_call(
            lambda: httpx.Request(
                "POST",
                "http://127.0.0.1:1/ai/v2/chat/completions",
                headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
                content=json.dumps(body).encode(),
            )
        ),
        "ApiKeyAuth flow (one request, incl. event loop hop)": _per_call(run_auth, 1000),
        "ChatCompletion.model_validate_json": _per_call(
            lambda: ChatCompletion.model_validate_json(completion)
        ),
        "json.loads of the completion (floor)": _per_call(lambda: json.loads(completion)),
        "response.json() (floor)": _per_call(response.json),
        "per chunk: SSEDecoder.feed": _per_call(lambda: decoder.feed(event), 20000),
        "per chunk: json.loads": _per_call(lambda: json.loads(chunk_data), 20000),
        "per chunk: ChatCompletionChunk.model_validate(dict)": _per_call(
            lambda: ChatCompletionChunk.model_validate(payload), 20000
        ),
        "per chunk: ChatCompletionChunk.model_validate_json(bytes)": _per_call(
            lambda: ChatCompletionChunk.model_validate_json(chunk_data), 20000
        ),
    }
    loop.close()
    print("\n== SDK steps without I/O (process CPU, median of 5) ==")
    for name, us in results.items():
        print(f"  {us:8.2f} us  {name}")
    return results


async def _completions(url: str, n: int, client: Any) -> None:
    for _ in range(n):
        await client.complete()


async def _streams(url: str, n: int, client: Any) -> None:
    for _ in range(n):
        await client.stream()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {}
    with bench_server(chunks=200) as url:
        for label, factory in (("raw httpx", RawHttpx), ("AsyncGloo", Gloo)):

            async def go(factory: Any = factory) -> tuple[pstats.Stats, pstats.Stats]:
                client = factory(url)
                await _completions(url, 50, client)  # warm up
                await _streams(url, 2, client)
                loop_stats = await _profiled(_completions(url, args.requests, client))
                stream_stats = await _profiled(_streams(url, args.streams, client))
                await client.aclose()
                return loop_stats, stream_stats

            completions, streams = asyncio.run(go())
            result[label] = {
                "completions_c1": _breakdown(
                    completions, f"{label}, c=1", args.requests, "requests"
                ),
                "streaming": _breakdown(streams, f"{label}, streams", args.streams * 200, "chunks"),
            }
    result["micro_us"] = micro()
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
