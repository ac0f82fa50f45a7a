"""The SDK's own CPU per completion, without I/O: ``python -m benchmarks.sdk_cost``.

`AsyncGloo(transport="aiohttp")` with its aiohttp session replaced by a stand-in that answers
at once with the bench server's completion (same headers and body): what is left is the
SDK's work per call (checking the arguments, building and validating the body, the request,
the auth flow, the transport adapter, the retry loop, parsing the answer into a
`ChatCompletion`), measured on a warm loop one call after another, and at each layer down
the path (so that a layer's cost is the difference to the one below it). With real
sockets and many calls in flight the same work costs two to three times as much (colder
caches, more garbage collection): read these as the share of the SDK, not as a prediction
of the CPU per request (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .clients import MESSAGES, MODEL
from .server import Answers

PATH = "/ai/v2/chat/completions"


class _Answer:
    """What the adapter reads of an aiohttp response."""

    def __init__(self, body: bytes, version: Any) -> None:
        self.status = 200
        self.reason = "OK"
        self.version = version
        self.content_length = len(body)
        self._body = body
        self.raw_headers = (
            (b"Content-Type", b"application/json"),
            (b"Content-Length", str(len(body)).encode()),
            (b"x-request-id", b"req_0123456789abcdef"),
            (b"Date", b"Sun, 06 Dec 2026 10:00:00 GMT"),
        )
        from multidict import CIMultiDict, CIMultiDictProxy

        self.headers = CIMultiDictProxy(
            CIMultiDict((k.decode(), v.decode()) for k, v in self.raw_headers)
        )

    @property
    def content(self) -> _Answer:
        return self  # a transport that streams the body reads ``content.iter_any()``

    async def iter_any(self) -> AsyncIterator[bytes]:
        yield self._body

    async def read(self) -> bytes:
        return self._body

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Session:
    def __init__(self, answer: _Answer) -> None:
        self._answer = answer

    async def request(self, *args: Any, **kwargs: Any) -> _Answer:
        return self._answer

    async def close(self) -> None:
        pass


async def _per_call(fn: Callable[[], Awaitable[object]], n: int, repeats: int) -> float:
    for _ in range(min(n, 500)):
        await fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n):
            await fn()
        best = min(best, (time.process_time() - start) / n)
    return best * 1e6


def _as_is(response: object) -> object:
    return response


async def measure(completion: bytes, n: int, repeats: int) -> dict[str, float]:
    """Microseconds of CPU per call at each layer (the best of ``repeats`` runs of ``n``),
    each answered with ``completion``."""
    import aiohttp

    from gloo_ai import AsyncGloo
    from gloo_ai._config import RequestOptions

    client = AsyncGloo(api_key="k", base_url="http://127.0.0.1:9", transport="aiohttp")
    transport = client._transport
    adapter: Any = transport.state.http()._transport
    session = _Session(_Answer(completion, aiohttp.HttpVersion(1, 1)))
    adapter._get_session = lambda: session
    options = RequestOptions()
    body = {"messages": MESSAGES, "model": MODEL, "auto_routing": False}
    request = transport.builder.build("POST", PATH, body=body, options=options)
    request.headers["Authorization"] = "Bearer k"
    layers: dict[str, Callable[[], Awaitable[object]]] = {
        "transport adapter": lambda: adapter.handle_async_request(request),
        "+ send (auth, cookies)": lambda: transport.state.send(request, auth=transport.state.auth),
        "+ Transport.request (build, encode, retry loop)": lambda: transport.request(
            "POST", PATH, body=body, options=options, parse=_as_is
        ),
        "create() (arguments, body, parse)": lambda: client.chat.completions.create(
            messages=MESSAGES, model=MODEL
        ),
    }
    out: dict[str, float] = {}
    for label, fn in layers.items():
        try:
            out[label] = await _per_call(fn, n, repeats)
        except AttributeError:  # a layer an older version of the SDK does not have
            out[label] = float("nan")
    await client.aclose()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    completion = Answers(5).completion  # the emulator's body, made before the loop runs
    results = asyncio.run(measure(completion, args.calls, args.repeats))
    print("SDK CPU per call without I/O, AsyncGloo(transport='aiohttp') (best of runs):")
    for label, us in results.items():
        print(f"  {label:50s} {us:7.1f} us")


if __name__ == "__main__":
    main()
