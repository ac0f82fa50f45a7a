"""`LinearConnectionPool`: httpcore's pool with a linear assignment pass, the default.

Two kinds of test. Against stub connections (no I/O, but in an event loop, which
httpcore's request events need), the linear pass is compared decision
by decision with httpcore's own on many seeded random pool states: the same connections
kept, closed and created, the same request given the same connection. Against the loopback
server (which counts connections), both pools are driven through httpx the same way and
must open and keep the same number of connections; respx and trio work on the default.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpcore
import httpx
import pytest
import respx
import trio
from httpcore._async.connection_pool import AsyncPoolRequest

from gloo_ai import AsyncGloo
from gloo_ai._connection_pool import LinearConnectionPool, install_linear_pool, is_supported
from tests.conftest import completion_json
from tests.loopback import LoopbackServer, Reply

PATH = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
ORIGINS = [httpcore.URL("http://a.test/x").origin, httpcore.URL("http://b.test/x").origin]


class StubConnection:
    """A connection's state, as the pool reads it; available = idle and not yet assigned.

    "expired" is an idle connection whose keep-alive ran out or whose server closed it:
    httpcore still calls it idle and available; only ``has_expired`` tells.
    """

    def __init__(self, pool: Any, origin: httpcore.Origin, name: str, state: str) -> None:
        self.pool, self.origin, self.name, self.state = pool, origin, name, state

    def __repr__(self) -> str:
        return self.name

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == self.origin

    def is_closed(self) -> bool:
        return self.state == "closed"

    def is_idle(self) -> bool:
        return self.state in ("idle", "expired")

    def has_expired(self) -> bool:
        return self.state == "expired"

    def is_available(self) -> bool:
        assigned = any(r.connection is self for r in self.pool._requests)
        return self.state in ("idle", "expired") and not assigned  # expired: still IDLE


def _stub_pool(cls: type[httpcore.AsyncConnectionPool], **limits: int) -> Any:
    created: list[str] = []

    class Pool(cls):  # type: ignore[misc, valid-type]
        def create_connection(self, origin: httpcore.Origin) -> Any:
            created.append(f"new{len(created)}")
            return StubConnection(self, origin, created[-1], "connecting")

    pool = Pool(**limits)
    pool.created = created
    return pool


def _scenario(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    max_connections = rng.randint(1, 8)
    return {
        "max_connections": max_connections,
        # At or above the connection count: there the stock pool's idle count is right.
        "max_keepalive_connections": max_connections + rng.randint(0, 2),
        "connections": [
            (rng.randrange(2), rng.choice(["idle", "busy", "closed", "expired"]))
            for _ in range(rng.randint(0, max_connections))
        ],
        "requests": [(rng.randrange(2), rng.random() < 0.6) for _ in range(rng.randint(0, 6))],
    }


def _run(
    cls: type[httpcore.AsyncConnectionPool], scenario: dict[str, Any], *, sweep: bool = True
) -> dict[str, Any]:
    pool = _stub_pool(
        cls,
        max_connections=scenario["max_connections"],
        max_keepalive_connections=scenario["max_keepalive_connections"],
    )
    pool._connections = [
        StubConnection(pool, ORIGINS[o], f"c{i}", state)
        for i, (o, state) in enumerate(scenario["connections"])
    ]
    busy = [c for c in pool._connections if c.state == "busy"]
    for i, (o, queued) in enumerate(scenario["requests"]):
        request = AsyncPoolRequest(httpcore.Request("GET", f"http://{'ab'[o]}.test/{i}"))
        if not queued and busy:
            request.assign_to_connection(busy.pop())
        pool._requests.append(request)
    if not sweep:
        pool._next_sweep = float("inf")  # a pass between two sweeps
    closing = pool._assign_requests_to_connections()
    return {
        "kept": [c.name for c in pool._connections],
        "closing": sorted(c.name for c in closing),
        "assigned": [getattr(r.connection, "name", None) for r in pool._requests],
    }


@pytest.mark.asyncio
async def test_the_linear_pass_decides_as_httpcore_does() -> None:
    compared = 0
    for seed in range(1000):
        scenario = _scenario(seed)
        stock = _run(httpcore.AsyncConnectionPool, scenario)
        linear = _run(LinearConnectionPool, scenario)
        if set(stock["closing"]) & set(stock["assigned"]):
            # httpcore's bug: it closed an idle connection it had just given a request (that
            # request then fails over to another pass). The linear pass never does.
            assert not set(linear["closing"]) & set(linear["assigned"]), seed
            continue
        assert linear == stock, seed
        compared += 1
    assert compared > 900


@pytest.mark.asyncio
async def test_an_idle_connection_given_a_request_is_not_closed_for_another() -> None:
    scenario = {
        "max_connections": 2,
        "max_keepalive_connections": 2,
        "connections": [(0, "idle"), (0, "busy")],
        "requests": [(0, True), (1, True)],  # the second is for another origin
    }
    stock = _run(httpcore.AsyncConnectionPool, scenario)
    assert stock["assigned"] == ["c0", "new0"]
    assert stock["closing"] == ["c0"]
    linear = _run(LinearConnectionPool, scenario)
    assert linear["assigned"] == ["c0", None]
    assert linear["closing"] == []


@pytest.mark.asyncio
async def test_idle_connections_are_counted_as_idle_not_as_all() -> None:
    # 6 connections, 3 busy and 3 idle, keep-alive 4: httpcore closes idle ones because it
    # compares all 6 with 4; the linear pool keeps the 3 idle ones (3 <= 4).
    scenario = {
        "max_connections": 10,
        "max_keepalive_connections": 4,
        "connections": [(0, "busy")] * 3 + [(0, "idle")] * 3,
        "requests": [],
    }
    assert _run(LinearConnectionPool, scenario)["closing"] == []
    assert _run(httpcore.AsyncConnectionPool, scenario)["closing"] == ["c3", "c4"]
    scenario["max_keepalive_connections"] = 1
    assert _run(LinearConnectionPool, scenario)["closing"] == ["c3", "c4"]  # the oldest idle


@pytest.mark.asyncio
async def test_a_queued_request_takes_an_idle_connection_before_surplus_ones_are_closed() -> None:
    scenario = {
        "max_connections": 10,
        "max_keepalive_connections": 1,
        "connections": [(0, "idle"), (0, "idle"), (0, "idle")],
        "requests": [(0, True)],
    }
    result = _run(LinearConnectionPool, scenario)
    assert result["assigned"] == ["c0"]
    assert result["closing"] == ["c1"]  # c2 is the one idle connection kept
    assert result["kept"] == ["c0", "c2"]


@pytest.mark.asyncio
async def test_between_sweeps_only_the_chosen_idle_connection_is_checked_for_expiry() -> None:
    scenario = {
        "max_connections": 10,
        "max_keepalive_connections": 10,
        "connections": [(0, "expired"), (0, "idle"), (0, "expired")],
        "requests": [(0, True)],
    }
    swept = _run(LinearConnectionPool, scenario)
    assert swept["closing"] == ["c0", "c2"]  # as httpcore: every expired idle one
    assert swept["assigned"] == ["c1"]
    between = _run(LinearConnectionPool, scenario, sweep=False)
    assert between["closing"] == ["c0"]  # chosen first, found expired, closed
    assert between["assigned"] == ["c1"]
    assert between["kept"] == ["c1", "c2"]  # c2 waits for the next sweep


@pytest.mark.asyncio
async def test_the_sweep_runs_once_per_interval() -> None:
    pool = _stub_pool(LinearConnectionPool, max_connections=4)
    pool._connections = [StubConnection(pool, ORIGINS[0], "c0", "idle")]
    checks = 0

    def has_expired() -> bool:
        nonlocal checks
        checks += 1
        return False

    pool._connections[0].has_expired = has_expired
    for _ in range(5):
        pool._assign_requests_to_connections()
    assert checks == 1
    pool._next_sweep = 0.0  # the interval has passed
    pool._assign_requests_to_connections()
    assert checks == 2


@pytest.mark.asyncio
async def test_a_connection_given_to_a_request_that_has_not_started_is_not_given_again() -> None:
    pool = _stub_pool(LinearConnectionPool, max_connections=4)
    idle = StubConnection(pool, ORIGINS[0], "c0", "idle")
    idle.is_available = lambda: True  # type: ignore[method-assign]  # as httpcore's: idle
    pool._connections = [idle]
    first = AsyncPoolRequest(httpcore.Request("GET", "http://a.test/1"))
    pool._requests.append(first)
    pool._assign_requests_to_connections()
    assert first.connection is idle
    second = AsyncPoolRequest(httpcore.Request("GET", "http://a.test/2"))
    pool._requests.append(second)  # before the first request has started on c0
    assert pool._assign_requests_to_connections() == []
    assert second.connection is not idle
    assert [c.name for c in pool._connections] == ["c0", "new0"]


@pytest.mark.asyncio
async def test_a_full_pool_queues_requests_in_order() -> None:
    scenario = {
        "max_connections": 2,
        "max_keepalive_connections": 2,
        "connections": [(0, "busy"), (0, "busy")],
        "requests": [(0, False), (0, False), (0, True), (0, True)],
    }
    assert _run(LinearConnectionPool, scenario)["assigned"] == ["c1", "c0", None, None]


def test_the_default_client_gets_the_linear_pool() -> None:
    client = AsyncGloo(api_key="k")
    pool = client._transport.state._http._transport._pool  # type: ignore[attr-defined]
    assert type(pool) is LinearConnectionPool
    assert (pool._max_connections, pool._max_keepalive_connections) == (1000, 100)


def test_other_httpcore_versions_keep_the_stock_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_supported("1.0.9")
    assert not is_supported("1.1.0")
    assert not is_supported("2.0")
    monkeypatch.setattr(httpcore, "__version__", "1.1.0")
    http = httpx.AsyncClient()
    assert install_linear_pool(http) is False
    assert type(http._transport._pool) is httpcore.AsyncConnectionPool  # type: ignore[attr-defined]


def test_an_http2_pool_is_left_alone() -> None:
    http = httpx.AsyncClient()
    http._transport._pool._http2 = True  # type: ignore[attr-defined]  # (http2=True needs h2)
    assert install_linear_pool(http) is False


def test_a_custom_transport_is_left_alone() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert install_linear_pool(http) is False


def _http(linear: bool, **limits: int) -> httpx.AsyncClient:
    http = httpx.AsyncClient(limits=httpx.Limits(**limits))
    if linear:
        assert install_linear_pool(http)
    return http


@pytest.mark.asyncio
@pytest.mark.parametrize("linear", [False, True], ids=["httpcore", "linear"])
async def test_sequential_requests_reuse_one_connection(
    loopback: LoopbackServer, linear: bool
) -> None:
    loopback.default(PATH, Reply(body=completion_json()))
    async with _http(linear, max_connections=10) as http:
        for _ in range(5):
            assert (await http.post(loopback.url + PATH, json={})).status_code == 200
        assert len(http._transport._pool.connections) == 1  # type: ignore[attr-defined]
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("linear", [False, True], ids=["httpcore", "linear"])
async def test_max_connections_caps_concurrent_requests(
    loopback: LoopbackServer, linear: bool
) -> None:
    loopback.default(PATH, Reply(body=completion_json()))
    async with _http(linear, max_connections=3, max_keepalive_connections=3) as http:
        answers = await asyncio.gather(
            *(http.post(loopback.url + PATH, json={}) for _ in range(24))
        )
        assert [a.status_code for a in answers] == [200] * 24
        assert len(http._transport._pool.connections) == 3  # type: ignore[attr-defined]
    assert loopback.connections_opened == 3
    assert loopback.count(PATH) == 24


@pytest.mark.asyncio
@pytest.mark.parametrize("linear", [False, True], ids=["httpcore", "linear"])
async def test_at_most_max_keepalive_idle_connections_stay_open(
    loopback: LoopbackServer, linear: bool
) -> None:
    loopback.default(PATH, Reply(body=completion_json()))
    async with _http(linear, max_connections=8, max_keepalive_connections=2) as http:
        await asyncio.gather(*(http.post(loopback.url + PATH, json={}) for _ in range(8)))
        assert len(http._transport._pool.connections) == 2  # type: ignore[attr-defined]
        assert loopback.wait_closed(open_at_most=2) == 2
        await http.post(loopback.url + PATH, json={})  # one of the two idle ones
        assert len(http._transport._pool.connections) == 2  # type: ignore[attr-defined]
    assert loopback.connections_opened <= 8


@pytest.mark.asyncio
async def test_respx_intercepts_the_default_client() -> None:
    with respx.mock(base_url="https://platform.ai.gloo.com") as router:
        route = router.post(PATH).respond(json=completion_json())
        async with AsyncGloo(api_key="k") as client:
            await client.chat.completions.create(messages=MESSAGES, model="m")
    assert route.call_count == 1


def test_trio_works_on_the_default_client(loopback: LoopbackServer) -> None:
    loopback.default(PATH, Reply(body=completion_json()))

    async def main() -> None:
        async with AsyncGloo(api_key="k", base_url=loopback.url) as client:
            for _ in range(3):
                await client.chat.completions.create(messages=MESSAGES, model="m")
            pool = client._transport.state._http._transport._pool  # type: ignore[attr-defined]
            assert type(pool) is LinearConnectionPool

    trio.run(main)
    assert loopback.count(PATH) == 3
    assert loopback.connections_opened == 1


@pytest.mark.asyncio
async def test_answers_without_cookies_skip_the_cookie_jar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.cookiejar

    calls = 0
    original = http.cookiejar.CookieJar.extract_cookies

    def counting(self: http.cookiejar.CookieJar, response: Any, request: Any) -> None:
        nonlocal calls
        calls += 1
        original(self, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counting)
    with respx.mock(base_url="https://platform.ai.gloo.com") as router:
        router.post(PATH).mock(
            side_effect=[
                httpx.Response(200, json=completion_json()),
                httpx.Response(200, json=completion_json(), headers={"set-cookie": "a=1"}),
            ]
        )
        async with AsyncGloo(api_key="k") as client:
            await client.chat.completions.create(messages=MESSAGES, model="m")
            assert calls == 0
            await client.chat.completions.create(messages=MESSAGES, model="m")
            assert calls == 1  # a Set-Cookie answer is stored as httpx stores it
            assert client._transport.state._http.cookies.get("a") == "1"  # type: ignore[attr-defined]
