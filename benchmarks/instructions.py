"""Instructions per request, counted by valgrind: ``python -m benchmarks.instructions``.

CPU time on a shared machine drifts by tens of percent from one run to the next; the number
of instructions a client executes per request does not. This runs each client in a fresh
process under valgrind's callgrind twice, with ``--small`` and ``--large`` requests after
the same warm-up, against the bench server (in its own process, not under valgrind); the
difference of the two totals divided by the difference of the counts is the client's
instructions per request, start-up and imports cancelled out. It counts instructions only:
not cache misses, not time in the kernel (the same sockets for every client), so it is a
floor for a CPU ratio, not a stand-in for one (docs/performance.md).

Needs valgrind (``apt-get install valgrind``); not run by ``nox -s bench`` (each client
takes about two minutes). Example:
``python -m benchmarks.instructions --clients aiohttp gloo_aiohttp --concurrency 64``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys

from .clients import FACTORIES
from .run import ROOT, bench_server, timed

WARM_UP = 200


def _child(url: str, name: str, concurrency: int, n: int) -> None:
    async def main() -> None:
        client = FACTORIES[name](url)
        await timed(client.complete, WARM_UP, concurrency)
        await timed(client.complete, n, concurrency)
        await client.aclose()

    asyncio.run(main())


def _instructions(url: str, name: str, concurrency: int, n: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += ["-m", "benchmarks.instructions", "--child", url, name, str(concurrency), str(n)]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode or found is None:
        raise RuntimeError(f"valgrind failed for {name}: {proc.stderr[-500:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--child", nargs=4, metavar=("URL", "CLIENT", "CONCURRENCY", "N"))
    parser.add_argument("--clients", nargs="+", default=["aiohttp", "gloo_aiohttp"])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=1200)
    args = parser.parse_args(argv)
    if args.child:
        url, name, concurrency, n = args.child
        _child(url, name, int(concurrency), int(n))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    counts: dict[str, float] = {}
    with bench_server() as url:
        for name in args.clients:
            small = _instructions(url, name, args.concurrency, args.small)
            large = _instructions(url, name, args.concurrency, args.large)
            counts[name] = (large - small) / (args.large - args.small)
    first = args.clients[0]
    print(f"Instructions per request at concurrency {args.concurrency} (valgrind):")
    for name, count in counts.items():
        print(f"  {name:14s} {count / 1000:8.1f} k   {count / counts[first]:5.2f}x {first}")


if __name__ == "__main__":
    main()
