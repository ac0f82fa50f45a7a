"""One client, 1,000 requests in flight, in a fresh process: ``python -m benchmarks.memory``.

The server holds every answer until all of them have arrived (``?hold=N``), so the client
really has N requests open at once. Three passes: peak RSS first (no tracing), then the
tracemalloc peak (tracing slows Python down and costs memory of its own), then the objects
the garbage collector tracks per request held in flight (what each of its collections has
to walk; a count, the same from run to run). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tracemalloc
from typing import Any

from .clients import FACTORIES


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM (the peak) to VmRSS
        f.write("5")


async def _main(client_name: str, url: str, n: int) -> dict[str, float]:
    client = FACTORIES[client_name](url)
    await client.complete()  # imports, token, first connection
    gc.collect()

    async def burst() -> None:
        query = {"hold": str(n)}
        await asyncio.gather(*(client.complete(query) for _ in range(n)))

    _reset_peak_rss()
    rss_before = _rss_kib("VmRSS")
    await burst()
    rss_peak = _rss_kib("VmHWM")
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    await burst()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    objects = await _held_objects(client, n)
    await client.aclose()
    return {
        "rss_delta_mib": (rss_peak - rss_before) / 1024,
        "rss_peak_mib": rss_peak / 1024,
        "traced_peak_mib": (peak - base) / 2**20,
        "traced_peak_kib_per_request": (peak - base) / 1024 / n,
        "gc_objects_per_request": objects,
    }


async def _held_objects(client: Any, n: int) -> float:
    """GC-tracked objects per request while ``n`` requests wait for their answers.

    ``n - 1`` requests are held for one more (``hold=n``: the ``n``-th, which a client
    capped at ``n`` connections can still send); once the count of objects stops growing,
    all are waiting, and the ``n``-th releases them."""
    query = {"hold": str(n)}
    gc.collect()
    before = len(gc.get_objects())
    tasks = [asyncio.ensure_future(client.complete(query)) for _ in range(n - 1)]
    held, last = 0, -1
    for _ in range(100):  # at most 20 s
        await asyncio.sleep(0.2)
        held = len(gc.get_objects())
        if held == last:
            break
        last = held
    gc.collect()
    held = len(gc.get_objects())
    await asyncio.gather(client.complete(query), *tasks)
    return (held - before) / (n - 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("client", choices=sorted(FACTORIES))
    parser.add_argument("url")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_main(args.client, args.url, args.n))))


if __name__ == "__main__":
    main()
