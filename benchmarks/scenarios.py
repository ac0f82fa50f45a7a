"""The latency-bound scenarios of ``python -m benchmarks.run``: held answers, paced streams.

The bench server holds an answer ``?delay=`` milliseconds (a model that thinks) or sends a
stream's chunks ``?pace=`` milliseconds apart; ``GET /_stats`` counts its connections. Each
client runs the same seeded schedule, one client after the other.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .clients import FACTORIES, BenchClient

FLOOR = "httpx"


def _server_stats(url: str, *, reset: bool = False) -> dict[str, int]:
    answer = httpx.get(f"{url}/_stats", params={"reset": "1"} if reset else None)
    return dict(answer.json())


async def _run_all(client: BenchClient, work: list[Callable[[], Awaitable[object]]], c: int) -> int:
    """Run the calls ``work`` with ``c`` in flight; return how many raised."""
    failures = 0
    queue = iter(work)

    async def worker() -> None:
        nonlocal failures
        for call in queue:
            try:
                await call()
            except Exception:
                failures += 1

    await asyncio.gather(*(worker() for _ in range(min(c, len(work)))))
    return failures


def _delays(kind: str, n: int, seed: int = 13) -> list[int]:
    """Milliseconds each answer is held: ``spread`` 200-2,000 ms, ``held`` 20 % at 500 ms."""
    import random

    rng = random.Random(seed)
    if kind == "spread":
        return [rng.randint(200, 2000) for _ in range(n)]
    return [500 if rng.random() < 0.2 else 0 for _ in range(n)]


async def latency(
    url: str, names: list[str], kind: str, concurrency: int, requests: int
) -> dict[str, Any]:
    """Latency-bound completions: every client sends the same held answers, one after another.

    Wall time, client CPU per request, failures, and the server's count of connections (the
    most open at once, and how many were opened in all: reconnects show there).
    """
    delays = _delays(kind, requests)
    out: dict[str, Any] = {}
    for name in names:
        client = FACTORIES[name](url)
        try:
            warm = min(concurrency, 20)
            await _run_all(client, [client.complete] * warm, warm)  # open some connections
            await asyncio.to_thread(_server_stats, url, reset=True)
            work: list[Callable[[], Awaitable[object]]] = [
                functools.partial(client.complete, {"delay": str(d)} if d else None) for d in delays
            ]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            failures = await _run_all(client, work, concurrency)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            stats = await asyncio.to_thread(_server_stats, url)
        finally:
            await client.aclose()
        out[name] = {
            "wall_s": wall,
            "cpu_ms_per_request": cpu / requests * 1e3,
            "failures": failures,
            "peak_connections": stats["peak"],
            "connections_opened": stats["total"],
        }
    ideal = sum(delays) / 1000 / concurrency
    out["_meta"] = {
        "kind": kind,
        "concurrency": concurrency,
        "requests": requests,
        "ideal_s": ideal,
    }
    return out


async def paced_streams(
    url: str, names: list[str], streams: int, chunks: int, pace_ms: int
) -> dict[str, Any]:
    """``streams`` streams at once whose chunks come ``pace_ms`` apart: chunks per second."""
    query = {"pace": str(pace_ms), "chunks": str(chunks)}
    out: dict[str, Any] = {}
    for name in names:
        client = FACTORIES[name](url)
        try:
            await client.stream({"chunks": "4"})  # warm up
            cpu0, wall0 = time.process_time(), time.perf_counter()
            counts = await asyncio.gather(*(client.stream(query) for _ in range(streams)))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        finally:
            await client.aclose()
        total = sum(counts)
        out[name] = {
            "chunks_per_s": total / wall,
            "wall_s": wall,
            "cpu_us_per_chunk": cpu / total * 1e6,
            "chunks": total,
        }
    out["_meta"] = {
        "streams": streams,
        "chunks": chunks,
        "pace_ms": pace_ms,
        "ideal_chunks_per_s": streams * 1000 / pace_ms,
    }
    return out


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:5.2f}x" if floor else "  n/a"


def report_scenarios(result: dict[str, Any]) -> None:
    """Print the latency-bound and paced-stream figures, with ratios to the floor."""
    for label, figures in result.get("latency", {}).items():
        meta = figures["_meta"]
        print(
            f"\nLatency-bound ({label}: {meta['requests']} requests, {meta['concurrency']} in "
            f"flight; the held time alone would take {meta['ideal_s']:.1f} s):"
        )
        floor = figures.get(FLOOR)
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:12s} wall {f['wall_s']:7.2f} s "
                f"{_ratio(f['wall_s'], floor['wall_s']) if floor else ''}"
                f"   CPU {f['cpu_ms_per_request']:7.3f} ms/req   failures {f['failures']}"
                f"   connections: peak {f['peak_connections']}, opened {f['connections_opened']}"
            )
    if "paced" in result:
        figures = result["paced"]
        meta = figures["_meta"]
        print(
            f"\nPaced streams ({meta['streams']} at once, {meta['chunks']} chunks "
            f"{meta['pace_ms']} ms apart; at most {meta['ideal_chunks_per_s']:.0f} chunks/s):"
        )
        floor = figures.get(FLOOR)
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:12s} {f['chunks_per_s']:8.0f} chunks/s "
                f"{_ratio(f['chunks_per_s'], floor['chunks_per_s']) if floor else ''}"
                f"   CPU {f['cpu_us_per_chunk']:7.2f} us/chunk"
            )
