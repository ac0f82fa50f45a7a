"""Run the benchmarks: ``python -m benchmarks.run`` (or ``nox -s bench``).

Starts the bench server in its own process, then measures in this (client) process, side by
side and interleaved round by round: raw httpx (the floor), AsyncGloo (API key, client
credentials, and on the aiohttp transport), and openai.AsyncOpenAI. CPU is
``time.process_time()`` of this process only; wall time is ``time.perf_counter()``. Each
figure is the median over rounds, and is printed as a ratio to the floor measured in the
same run. Writes a JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .clients import FACTORIES, SDK_LIMITS, BenchClient, Gloo, LimitedTransport, RawHttpx
from .scenarios import latency, paced_streams, report_scenarios

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"
FLOOR = "httpx"


SERVER_PID = 0


def server_cpu() -> float:
    """CPU seconds the bench server has used so far (Linux), or NaN."""
    try:
        with open(f"/proc/{SERVER_PID}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def bench_server(*, emulator: bool = False, chunks: int = 200) -> Iterator[str]:
    """Start the bench server in its own process; yield its URL."""
    global SERVER_PID
    cmd = [sys.executable, "-m", "benchmarks.server", "--chunks", str(chunks)]
    if emulator:
        cmd.append("--emulator")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    SERVER_PID = proc.pid
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.terminate()
        proc.wait(10)


async def timed(fn: Callable[[], Awaitable[object]], n: int, concurrency: int) -> dict[str, float]:
    """Run ``fn`` ``n`` times with ``concurrency`` in flight; CPU and wall seconds."""
    remaining = n
    failures = 0

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            try:
                await fn()
            except Exception:  # counted: a pool in trouble times out connecting
                failures += 1

    workers = min(concurrency, n)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return {
        "cpu": time.process_time() - cpu0,
        "wall": time.perf_counter() - wall0,
        "failures": failures,
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _summary(rounds: list[dict[str, float]], per: int) -> dict[str, Any]:
    """Per-unit medians (milliseconds, or microseconds for ``per`` chunks)."""
    cpu = [r["cpu"] / per for r in rounds]
    wall = [r["wall"] / per for r in rounds]
    return {
        "failures": sum(int(r.get("failures", 0)) for r in rounds),
        "cpu_ms": _median(cpu) * 1e3,
        "wall_ms": _median(wall) * 1e3,
        "per_s": 1 / _median(wall),
        "rounds_cpu_ms": [round(c * 1e3, 4) for c in cpu],
    }


async def throughput(
    url: str, names: list[str], concurrency: int, requests: int, rounds: int
) -> dict[str, Any]:
    """Completions at one concurrency, interleaved round by round."""
    per_round = max(requests // rounds, 2 * concurrency)
    rounds = max(3, requests // per_round)
    clients: dict[str, BenchClient] = {name: FACTORIES[name](url) for name in names}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    try:
        for client in clients.values():  # open the connections, fetch the token
            await timed(client.complete, max(concurrency, 20), concurrency)
        server_cpu0 = server_cpu()
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                results[name].append(await timed(clients[name].complete, per_round, concurrency))
        server_ms = (server_cpu() - server_cpu0) / (rounds * per_round * len(names)) * 1e3
    finally:
        for client in clients.values():
            await client.aclose()
    out = {name: _summary(rs, per_round) for name, rs in results.items()}
    out["_meta"] = {
        "requests_per_round": per_round,
        "rounds": rounds,
        "server_cpu_ms_per_request": server_ms,
        "paired": paired_ratios(out, "rounds_cpu_ms"),
    }
    return out


async def streaming(url: str, names: list[str], streams: int, rounds: int) -> dict[str, Any]:
    """Whole streams one after another; CPU per chunk."""
    clients: dict[str, BenchClient] = {name: FACTORIES[name](url) for name in names}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    chunks: dict[str, int] = {}
    per_round = max(1, streams // rounds)
    try:
        for name, client in clients.items():
            chunks[name] = await client.stream()  # warm up; count the chunks
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                results[name].append(await timed(clients[name].stream, per_round, 1))
    finally:
        for client in clients.values():
            await client.aclose()
    out: dict[str, Any] = {}
    for name, rs in results.items():
        n = per_round * chunks[name]
        cpu = [x["cpu"] / n * 1e6 for x in rs]
        out[name] = {
            "cpu_us_per_chunk": _median(cpu),
            "wall_us_per_chunk": _median([x["wall"] / n * 1e6 for x in rs]),
            "chunks_per_stream": chunks[name],
            "rounds_cpu_us": [round(c, 2) for c in cpu],
        }
    out["_meta"] = {
        "streams_per_round": per_round,
        "rounds": rounds,
        "paired": paired_ratios(out, "rounds_cpu_us"),
    }
    return out


async def cold_start(url: str, repeats: int) -> dict[str, Any]:
    """The first call of a new AsyncGloo: API key vs client credentials (token exchange)."""
    results: dict[str, list[dict[str, float]]] = {"gloo": [], "gloo_cc": []}
    for _ in range(repeats):
        for name in results:
            client = FACTORIES[name](url)
            results[name].append(await timed(client.complete, 1, 1))
            await client.aclose()
    return {name: _summary(rs, 1) for name, rs in results.items()}


POOL_CHOICES: dict[str, httpx.Limits] = {
    "1000/100 (default)": SDK_LIMITS,
    "1000/1000": httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
    "512/512": httpx.Limits(max_connections=512, max_keepalive_connections=512),
    "256/256": httpx.Limits(max_connections=256, max_keepalive_connections=256),
    "100/100": httpx.Limits(max_connections=100, max_keepalive_connections=100),
    "64/64": httpx.Limits(max_connections=64, max_keepalive_connections=64),
}


async def pool_limits(url: str, concurrency: int, requests: int, rounds: int) -> dict[str, Any]:
    """AsyncGloo at one concurrency under several pool limits, interleaved."""
    clients: dict[str, BenchClient] = {}
    for label, limits in POOL_CHOICES.items():
        http = httpx.AsyncClient(limits=limits, follow_redirects=False)
        clients[label] = Gloo(url, http_client=http, name=label)
    for limit in (64, 100):
        http = httpx.AsyncClient(
            transport=LimitedTransport(
                limit, httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
            ),
            follow_redirects=False,
        )
        label = f"limiter {limit} + {limit}/{limit}"
        clients[label] = Gloo(url, http_client=http, name=label)
    clients["httpx 100/100 (floor)"] = RawHttpx(url, limits=POOL_CHOICES["100/100"])
    names = list(clients)
    per_round = max(requests // rounds, 2 * concurrency)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    try:
        for client in clients.values():
            await timed(client.complete, concurrency, concurrency)
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                results[name].append(await timed(clients[name].complete, per_round, concurrency))
    finally:
        for client in clients.values():
            await client.aclose()
    out = {name: _summary(rs, per_round) for name, rs in results.items()}
    out["_meta"] = {"concurrency": concurrency, "requests_per_round": per_round, "rounds": rounds}
    return out


IMPORTS = {
    "httpx": "import httpx",
    "gloo_ai": "import gloo_ai",
    "from gloo_ai import AsyncGloo": "from gloo_ai import AsyncGloo",
    "openai": "import openai",
    "from openai import AsyncOpenAI": "from openai import AsyncOpenAI",
}


def import_times(repeats: int) -> dict[str, Any]:
    """Seconds to import each module in a fresh interpreter (interpreter start excluded)."""
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(repeats):
        for name, stmt in IMPORTS.items():
            code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            )
            samples[name].append(float(out.stdout))
    return {
        name: {"ms": _median(v) * 1e3, "samples_ms": [round(x * 1e3, 1) for x in v]}
        for name, v in samples.items()
    }


def memory(url: str, names: list[str], n: int) -> dict[str, Any]:
    """Each client in a fresh process with ``n`` requests held in flight."""
    out: dict[str, Any] = {}
    for name in names:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", name, url, "--n", str(n)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if proc.returncode:
            lines = proc.stderr.strip().splitlines()
            out[name] = {"error": lines[-1] if lines else f"exit code {proc.returncode}"}
        else:
            out[name] = json.loads(proc.stdout)
    return out


def machine() -> dict[str, Any]:
    import gloo_ai

    versions: dict[str, str] = {"gloo_ai": gloo_ai.__version__, "httpx": httpx.__version__}
    for mod in ("openai", "httpx2", "httpcore", "pydantic", "pydantic_core", "anyio", "uvicorn"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:
            versions[mod] = "n/a"
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "versions": versions,
    }


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:5.2f}x" if floor else "  n/a"


# Client pairs whose CPU ratio a target names (issue 13): each is also given as the median of
# its per-round ratios. The two clients of a pair run back to back in every round (the order
# rotates), so a round's ratio cancels the slow drifts of a shared machine's speed that a
# ratio of two medians keeps.
PAIRS = (("gloo_aiohttp", "aiohttp"), ("gloo", "openai"), ("gloo", "httpx"))


def paired_ratios(figures: dict[str, Any], key: str) -> dict[str, float]:
    """``{"a/b": median over rounds of a's CPU / b's CPU}`` for the `PAIRS` in ``figures``."""
    out: dict[str, float] = {}
    for a, b in PAIRS:
        if a in figures and b in figures:
            rounds = zip(figures[a][key], figures[b][key], strict=True)
            out[f"{a}/{b}"] = round(_median([x / y for x, y in rounds if y]), 3)
    return out


def _print_pairs(pairs: dict[str, float]) -> None:
    if pairs:
        shown = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in pairs.items())
        print(f"  paired CPU ratios (median of per-round ratios): {shown}")


def report(result: dict[str, Any]) -> None:
    """Print the figures with their ratio to the floor."""
    print(
        f"\nServer: {result['config']['server']}; machine: {result['machine']['cpu']}, "
        f"{result['machine']['cores']} cores, Python {result['machine']['python']}"
    )
    for level, figures in result.get("throughput", {}).items():
        meta = figures["_meta"]
        print(
            f"\nCompletions, concurrency {level} "
            f"({meta['rounds']} rounds x {meta['requests_per_round']} requests, medians; "
            f"server CPU {meta['server_cpu_ms_per_request']:.3f} ms/req):"
        )
        floor = figures[FLOOR]
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:12s} CPU {f['cpu_ms']:7.3f} ms/req {_ratio(f['cpu_ms'], floor['cpu_ms'])}"
                f"   wall {f['wall_ms']:7.3f} ms/req  {f['per_s']:8.0f} req/s "
                f"{_ratio(floor['wall_ms'], f['wall_ms'])} of floor's rate"
                + (f"   {f['failures']} FAILED" if f.get("failures") else "")
            )
        _print_pairs(meta.get("paired", {}))
    if "streaming" in result:
        figures = result["streaming"]
        meta = figures["_meta"]
        print(
            f"\nStreaming ({meta['rounds']} rounds x {meta['streams_per_round']} streams, "
            f"{figures[FLOOR]['chunks_per_stream']} chunks each, medians):"
        )
        floor = figures[FLOOR]
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:12s} CPU {f['cpu_us_per_chunk']:7.2f} us/chunk "
                f"{_ratio(f['cpu_us_per_chunk'], floor['cpu_us_per_chunk'])}"
                f"   wall {f['wall_us_per_chunk']:7.2f} us/chunk"
            )
        _print_pairs(meta.get("paired", {}))
    if "cold_start" in result:
        print("\nFirst call of a new AsyncGloo (medians):")
        for name, f in result["cold_start"].items():
            print(f"  {name:12s} CPU {f['cpu_ms']:7.3f} ms   wall {f['wall_ms']:7.3f} ms")
    if "pool" in result:
        figures = result["pool"]
        print(
            f"\nAsyncGloo pool limits (max_connections/max_keepalive) at concurrency "
            f"{figures['_meta']['concurrency']}:"
        )
        floor = figures["1000/100 (default)"]
        for name, f in figures.items():
            if name.startswith("_"):
                continue
            print(
                f"  {name:22s} CPU {f['cpu_ms']:7.3f} ms/req "
                f"{_ratio(f['cpu_ms'], floor['cpu_ms'])} of default   "
                f"{f['per_s']:8.0f} req/s"
            )
    report_scenarios(result)
    if "imports" in result:
        print("\nImport time in a fresh interpreter (medians):")
        imports = result["imports"]
        for name, f in imports.items():
            print(
                f"  {name:32s} {f['ms']:7.1f} ms  "
                f"{f['ms'] / imports['openai']['ms']:5.2f} of import openai"
            )
    if "memory" in result:
        print(f"\nMemory with {result['config']['memory_requests']} requests in flight:")
        floor = result["memory"].get(FLOOR, {})
        for name, f in result["memory"].items():
            if "error" in f:
                print(f"  {name:12s} failed: {f['error']}")
                continue
            print(
                f"  {name:12s} RSS +{f['rss_delta_mib']:6.1f} MiB   tracemalloc peak "
                f"{f['traced_peak_mib']:6.1f} MiB "
                f"{_ratio(f['traced_peak_mib'], floor.get('traced_peak_mib', 0))}   "
                f"GC-tracked objects/request {f.get('gc_objects_per_request', float('nan')):6.1f}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="gloo-ai benchmarks (see docs/performance.md)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    parser.add_argument("--requests", type=int, default=2000, help="per client and concurrency")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64, 512])
    parser.add_argument("--clients", nargs="+", default=list(FACTORIES), choices=list(FACTORIES))
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--import-repeats", type=int, default=7)
    parser.add_argument("--memory-requests", type=int, default=1000)
    parser.add_argument("--pool-requests", type=int, default=2048)
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=[
            "throughput",
            "streaming",
            "latency",
            "paced",
            "cold_start",
            "pool",
            "imports",
            "memory",
        ],
    )
    parser.add_argument(
        "--latency-requests",
        type=int,
        nargs=3,
        default=[1000, 3000, 2000],
        metavar=("SPREAD_100", "SPREAD_1000", "HELD_100"),
        help="requests in the latency scenarios: 200-2,000 ms at 100 and at 1,000 in "
        "flight, and 20%% held 500 ms at 100 in flight",
    )
    parser.add_argument("--emulator", action="store_true", help="serve the emulator (uvicorn)")
    parser.add_argument("--quick", action="store_true", help="a smoke run with small counts")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.rounds, args.streams, args.import_repeats = 150, 3, 12, 2
        args.concurrency, args.memory_requests, args.pool_requests = [1, 16], 100, 128
        args.latency_requests = [100, 300, 200]
    if FLOOR not in args.clients:
        args.clients.insert(0, FLOOR)
    result: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "server": "emulator under uvicorn" if args.emulator else "lean asyncio server",
            "requests": args.requests,
            "rounds": args.rounds,
            "streams": args.streams,
            "chunks": args.chunks,
            "memory_requests": args.memory_requests,
            "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        },
    }
    started = time.perf_counter()
    with bench_server(emulator=args.emulator, chunks=args.chunks) as url:
        if "throughput" not in args.skip:
            result["throughput"] = {}
            for c in args.concurrency:
                print(f"completions at concurrency {c} ...", flush=True)
                result["throughput"][str(c)] = asyncio.run(
                    throughput(url, args.clients, c, args.requests, args.rounds)
                )
        if "streaming" not in args.skip:
            print("streaming ...", flush=True)
            names = [n for n in args.clients if n != "gloo_cc"]
            result["streaming"] = asyncio.run(streaming(url, names, args.streams, 4))
        if "latency" not in args.skip and not args.emulator:
            result["latency"] = {}
            names = [n for n in args.clients if n != "gloo_cc"]
            spread100, spread1000, held100 = args.latency_requests
            for label, kind, c, n in (
                ("200-2,000 ms, 100 in flight", "spread", 100, spread100),
                ("200-2,000 ms, 1,000 in flight", "spread", 1000, spread1000),
                ("20 % held 500 ms, 100 in flight", "held", 100, held100),
            ):
                print(f"latency: {label} ...", flush=True)
                result["latency"][label] = asyncio.run(latency(url, names, kind, c, n))
        if "paced" not in args.skip and not args.emulator:
            print("paced streams ...", flush=True)
            names = [n for n in args.clients if n != "gloo_cc"]
            result["paced"] = asyncio.run(paced_streams(url, names, 50, 100, 20))
        if "cold_start" not in args.skip:
            result["cold_start"] = asyncio.run(cold_start(url, 7))
        if "pool" not in args.skip and not args.emulator:
            c = max(args.concurrency)
            print(f"pool limits at concurrency {c} ...", flush=True)
            result["pool"] = asyncio.run(pool_limits(url, c, args.pool_requests, 3))
        if "memory" not in args.skip and not args.emulator:
            print("memory ...", flush=True)
            names = [n for n in args.clients if n != "gloo_cc"]
            result["memory"] = memory(url, names, args.memory_requests)
    if "imports" not in args.skip:
        print("imports ...", flush=True)
        result["imports"] = import_times(args.import_repeats)
    result["config"]["seconds"] = round(time.perf_counter() - started, 1)
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nWrote {args.out} ({result['config']['seconds']} s)")


if __name__ == "__main__":
    main()
