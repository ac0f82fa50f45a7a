"""What instrumentation costs: ``python -m benchmarks.instrumentation [--baseline DIR]``.

Two figures, each the median over interleaved rounds (and, per call, the minimum too: the
least disturbed by other load), each round a fresh process per mode, printed as ratios to
the "not installed" mode of the same run:

- import: seconds to ``import gloo_ai`` and build an `AsyncGloo`;
- per call: CPU seconds of one ``chat.completions.create`` answered by an in-process
  `httpx.MockTransport` (no network, no server), so the SDK's own work is what is measured.

Modes: ``not-installed`` (``opentelemetry`` cannot be imported), ``disabled`` (installed,
not enabled: the default), ``enabled`` (`Instrumentation` with the SDK's providers and an
exporter that drops everything: what recording itself costs), and with ``--baseline DIR``
``baseline`` (the ``gloo_ai`` of another checkout, without the hooks). Each process also
reports whether any ``opentelemetry`` module was imported. The ``disabled`` processes also
run a paired A/B in one process (blocks of calls alternating between the hooks check and
the code from before the hooks), free of the noise between processes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import asyncio, importlib.abc, json, sys, time

MODE, CALLS = sys.argv[1], int(sys.argv[2])
if MODE in ("not-installed", "baseline"):
    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ModuleNotFoundError(name)
            return None
    sys.meta_path.insert(0, Block())

started = time.perf_counter()
import httpx
import gloo_ai
client = gloo_ai.AsyncGloo(api_key="bench-key", base_url="https://bench.invalid", http_client=None)
import_seconds = time.perf_counter() - started

BODY = json.dumps({
    "id": "gen-1", "object": "chat.completion", "created": 1, "model": "gloo-openai-gpt-5.2",
    "provider": "Gloo AI", "model_family": "OpenAI", "routing_mechanism": "auto_routing",
    "routing_tier": "tier_2", "routing_confidence": 0.5,
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Hello!"}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
}).encode()

def answer(request):
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json",
                                                       "x-request-id": "req-1"})

kwargs = {}
if MODE == "enabled":
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Drop()))
    meters = MeterProvider(metric_readers=[InMemoryMetricReader()])
    kwargs["instrument"] = gloo_ai.Instrumentation(tracer_provider=provider, meter_provider=meters)

async def main():
    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with gloo_ai.AsyncGloo(api_key="bench-key", base_url="https://bench.invalid",
                                 http_client=http, **kwargs) as client:
        messages = [{"role": "user", "content": "hi"}]
        for _ in range(50):  # warm up
            await client.chat.completions.create(messages=messages)
        cpu = time.process_time()
        for _ in range(CALLS):
            await client.chat.completions.create(messages=messages)
        return (time.process_time() - cpu) / CALLS

per_call = asyncio.run(main())


async def paired():
    # In this one process, blocks of calls alternate between Requester.request as it is
    # (the hooks check, off) and as it was before the hooks (main's code, inlined here).
    import functools
    import statistics

    from gloo_ai import _requester
    from gloo_ai._response import RAW_RESPONSE

    with_check = _requester.Requester.request

    def without_hooks(self, method, path, *, body=None, options=_requester._NO_OPTIONS,
                      parse):
        if RAW_RESPONSE.get():
            parse = functools.partial(_requester._raw_response, parse)
        return self._transport.request(method, path, body=body, options=options, parse=parse)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    ratios = []
    async with gloo_ai.AsyncGloo(api_key="bench-key", base_url="https://bench.invalid",
                                 http_client=http) as client:
        messages = [{"role": "user", "content": "hi"}]
        for block in range(40):
            order = [("check", with_check), ("none", without_hooks)]
            seconds = {}
            for name, request in order if block % 2 else order[::-1]:
                _requester.Requester.request = request
                cpu = time.process_time()
                for _ in range(CALLS // 20):
                    await client.chat.completions.create(messages=messages)
                seconds[name] = time.process_time() - cpu
            ratios.append(seconds["check"] / seconds["none"])
    _requester.Requester.request = with_check
    return statistics.median(ratios)


paired_ratio = asyncio.run(paired()) if MODE == "disabled" else 0.0
otel = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
hooks = hasattr(client._transport, "instrumentation")
print(json.dumps({"import": import_seconds, "per_call": per_call, "otel_modules": len(otel),
                  "hooks": hooks, "paired": paired_ratio}))
"""


def run_child(mode: str, calls: int, baseline: Path | None) -> dict[str, float]:
    # ``python -c`` imports from its working directory first: the baseline's checkout, or this.
    cwd = baseline if mode == "baseline" else ROOT
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(calls)],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--baseline", type=Path, help="a checkout whose gloo_ai has no hooks")
    args = parser.parse_args()
    modes = ["not-installed", "disabled", "enabled"]
    if args.baseline is not None:
        modes.insert(0, "baseline")
    samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for number in range(args.rounds):
        shift = number % len(modes)  # rotate the order, so that no mode always runs first
        for mode in modes[shift:] + modes[:shift]:
            samples[mode].append(run_child(mode, args.calls, args.baseline))
    floor = {
        k: statistics.median(s[k] for s in samples["not-installed"]) for k in ("import", "per_call")
    }
    print(f"{args.rounds} rounds, {args.calls} calls per process; ratios to not-installed")
    low = {k: min(s[k] for s in samples["not-installed"]) for k in ("import", "per_call")}
    print(f"{'mode':<14} {'import':>8} {'per call':>9} {'min call':>9} {'otel modules':>13}")
    results = {}
    for mode in modes:
        med = {k: statistics.median(s[k] for s in samples[mode]) for k in ("import", "per_call")}
        otel = max(int(s["otel_modules"]) for s in samples[mode])
        assert all(bool(s["hooks"]) == (mode != "baseline") for s in samples[mode]), mode
        least = min(s["per_call"] for s in samples[mode])
        results[mode] = {**med, "min_per_call": least, "otel_modules": otel}
        print(
            f"{mode:<14} {med['import'] / floor['import']:>8.2f} "
            f"{med['per_call'] / floor['per_call']:>9.2f} "
            f"{least / low['per_call']:>9.2f} {otel:>13}"
        )
    paired = statistics.median(s["paired"] for s in samples["disabled"])
    print(f"paired, in one process: the hooks check (off) / no hooks = {paired:.3f} per call")
    results["paired_check_over_none"] = {"per_call": paired}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
