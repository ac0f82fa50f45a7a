"""Token stores: one token request between clients, processes and hosts that share a store.

The file store runs everywhere POSIX; the Redis store runs against a real ``redis-server``
(``GLOO_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``): without one the Redis tests
skip locally and fail under ``CI=true``. In-process tests use respx and a `FakeClock` and count
token requests; multi-process tests start worker processes against the emulator on loopback and
count the token requests it received. ``anyio.fail_after`` and barrier timeouts only stop a
hung test; nothing asserts on timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import stat
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, ConfigurationError
from gloo_ai._auth import ClientCredentialsAuth
from gloo_ai._tokens import store_key
from gloo_ai.stores import (
    FileTokenStore,
    MemoryTokenStore,
    RedisTokenStore,
    StoredToken,
    TokenStore,
)
from gloo_ai.stores import _file as file_module
from gloo_ai.testing import EmulatorServer
from tests import store_worker
from tests.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    FakeClock,
    completion_json,
)
from tests.test_auth import CompletionsEndpoint, TokenEndpoint

posix_only = pytest.mark.skipif(os.name != "posix", reason="FileTokenStore needs POSIX")
MESSAGES = [{"role": "user", "content": "How can I be joyful in hard times?"}]
HANG_GUARD = 20  # seconds; only stops a hung test, never asserts on timing
WORKERS = 4
KEY = store_key(TOKEN_URL, CLIENT_ID)


def client_for(clock: FakeClock, store: TokenStore | None, **kwargs: Any) -> AsyncGloo:
    return AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, _clock=clock, token_store=store, **kwargs
    )


def auth_of(client: AsyncGloo) -> ClientCredentialsAuth:
    auth = client._transport.state.auth
    assert isinstance(auth, ClientCredentialsAuth)
    return auth


def fresh(clock: FakeClock, value: str = "tok-stored", lifetime: float = 3600.0) -> StoredToken:
    return StoredToken(value, clock.time() + lifetime, lifetime)


@contextlib.contextmanager
def mocked(tokens: TokenEndpoint) -> Iterator[tuple[respx.Route, respx.Route]]:
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        v2 = mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
        yield token_route, v2


async def create(client: AsyncGloo) -> None:
    completion = await client.chat.completions.create(messages=MESSAGES)
    assert completion.choices[0].message.content == "Hello!"


# --- StoredToken and the protocol -----------------------------------------------------------------


def test_stored_token_hides_its_value_and_round_trips_through_json() -> None:
    token = StoredToken("tok-SECRET", 1_800_000_000.5, 3600.0)
    assert "tok-SECRET" not in repr(token)
    assert "tok-SECRET" not in str(token)
    assert StoredToken.from_json(token.to_json()) == token


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[]",
        b'{"access_token": "", "expires_at": 1, "lifetime": 1}',
        b'{"access_token": "t", "expires_at": "1", "lifetime": 1}',
        b'{"access_token": "t", "expires_at": 1, "lifetime": 0}',
        b'{"access_token": "t", "expires_at": true, "lifetime": 1}',
        b'{"access_token": "t", "expires_at": NaN, "lifetime": 1}',
    ],
)
def test_unparseable_stored_token_is_none(data: bytes) -> None:
    assert StoredToken.from_json(data) is None


def test_stored_token_freshness_uses_the_refresh_buffer_capped_at_half_the_lifetime() -> None:
    token = StoredToken("t", 1000.0, 3600.0)
    assert token.is_fresh(939.0, 60.0)
    assert not token.is_fresh(940.0, 60.0)
    short = StoredToken("t", 1000.0, 60.0)  # buffer capped at 30 s
    assert short.is_fresh(969.0, 60.0)
    assert not short.is_fresh(970.0, 60.0)


def test_store_key_hides_the_client_id_and_never_uses_the_secret() -> None:
    key = store_key(TOKEN_URL, CLIENT_ID)
    assert len(key) == 64
    assert CLIENT_ID not in key
    assert key != store_key("https://other.example/oauth2/token", CLIENT_ID)
    assert key != store_key(TOKEN_URL, "another-client")


@posix_only
def test_the_stores_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MemoryTokenStore(), TokenStore)
    assert isinstance(FileTokenStore(tmp_path), TokenStore)


def test_a_non_store_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="token_store must be a TokenStore"):
        AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_store=object())  # type: ignore[arg-type]


# --- memory store ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_memory_store_delete_only_if_it_is_still_that_token(clock: FakeClock) -> None:
    store = MemoryTokenStore()
    await store.set("k", fresh(clock, "tok-1"))
    await store.delete("k", "tok-other")
    assert await store.get("k") == fresh(clock, "tok-1")
    await store.delete("k", "tok-1")
    assert await store.get("k") is None


@pytest.mark.asyncio
async def test_clients_sharing_a_memory_store_make_one_token_request(clock: FakeClock) -> None:
    store = MemoryTokenStore()
    tokens = TokenEndpoint()
    with mocked(tokens) as (token_route, v2):
        async with client_for(clock, store) as one, client_for(clock, store) as two:
            with anyio.fail_after(HANG_GUARD):
                await asyncio.gather(*(create(c) for c in (one, two) for _ in range(50)))
            assert token_route.call_count == 1
            assert v2.call_count == 100
            assert auth_of(two).metrics.adopted + auth_of(one).metrics.adopted == 1


# --- file store -----------------------------------------------------------------------------------


@posix_only
@pytest.mark.asyncio
async def test_file_store_writes_a_private_file_in_a_private_directory(
    tmp_path: Path, clock: FakeClock
) -> None:
    directory = tmp_path / "cache" / "gloo-ai"
    store = FileTokenStore(directory)
    assert await store.get(KEY) is None
    await store.set(KEY, fresh(clock, "tok-1"))
    path = store.path(KEY)
    assert path.parent == directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await store.get(KEY) == fresh(clock, "tok-1")
    assert sorted(p.name for p in directory.iterdir()) == [f"{KEY}.json"]
    assert CLIENT_ID not in path.name
    assert "tok-1" not in repr(store)


@posix_only
@pytest.mark.asyncio
async def test_file_store_write_is_atomic(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileTokenStore(tmp_path)
    await store.set(KEY, fresh(clock, "tok-1"))
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        replaced.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(file_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        await store.set(KEY, fresh(clock, "tok-2"))
    # The new token went to a temporary file in the same directory, which was cleaned up;
    # the old file is intact.
    ((src, dst),) = replaced
    assert Path(src).parent == tmp_path
    assert Path(dst) == store.path(KEY)
    assert sorted(p.name for p in os.scandir(tmp_path)) == [f"{KEY}.json"]
    assert await store.get(KEY) == fresh(clock, "tok-1")

    monkeypatch.setattr(file_module.os, "replace", real_replace)
    await store.set(KEY, fresh(clock, "tok-2"))
    assert await store.get(KEY) == fresh(clock, "tok-2")
    assert stat.S_IMODE(store.path(KEY).stat().st_mode) == 0o600


@posix_only
@pytest.mark.asyncio
async def test_file_store_delete_only_if_it_is_still_that_token(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    await store.delete(KEY, "tok-1")  # nothing there: no error
    await store.set(KEY, fresh(clock, "tok-1"))
    await store.delete(KEY, "tok-other")
    assert await store.get(KEY) == fresh(clock, "tok-1")
    await store.delete(KEY, "tok-1")
    assert await store.get(KEY) is None


@posix_only
@pytest.mark.asyncio
async def test_file_store_hashes_keys_that_are_not_file_names(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    await store.set("../../etc/passwd", StoredToken("t", 2e9, 3600.0))
    (only,) = os.listdir(tmp_path)
    assert only.endswith(".json")
    assert ".." not in only


@posix_only
def test_file_store_default_directory_is_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert FileTokenStore().directory == tmp_path / "xdg" / "gloo-ai"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert FileTokenStore().directory == tmp_path / "home" / ".cache" / "gloo-ai"


def test_file_store_refuses_a_system_without_fcntl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_module, "fcntl", None)
    with pytest.raises(ConfigurationError, match="needs a POSIX system"):
        FileTokenStore()


@posix_only
@pytest.mark.asyncio
async def test_corrupt_file_counts_as_missing_and_is_replaced(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    store.path(KEY).write_text('{"access_token": "tok-trunc')
    assert await store.get(KEY) is None
    tokens = TokenEndpoint()
    with mocked(tokens) as (token_route, _):
        async with client_for(clock, store) as client:
            await create(client)
    assert token_route.call_count == 1
    stored = await store.get(KEY)
    assert stored is not None
    assert stored.access_token == "tok-1"


@posix_only
@pytest.mark.asyncio
async def test_two_clients_sharing_a_file_store_make_one_token_request(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    tokens = TokenEndpoint()
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=tokens.side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, store) as one, client_for(clock, store) as two:
            with anyio.fail_after(HANG_GUARD):
                await asyncio.gather(*(create(c) for c in (one, two) for _ in range(20)))
            assert token_route.call_count == 1
            assert set(completions.authorizations) == {"Bearer tok-1"}

            # Both memory copies go stale; the first to notice refreshes, the other adopts.
            clock.advance(3600 - 60)
            with anyio.fail_after(HANG_GUARD):
                await create(one)
                await create(two)
            assert token_route.call_count == 2
            assert completions.authorizations[-2:] == ["Bearer tok-2"] * 2
            assert auth_of(one).metrics.refreshes + auth_of(two).metrics.refreshes == 2
            assert auth_of(one).metrics.adopted + auth_of(two).metrics.adopted == 2


@posix_only
@pytest.mark.asyncio
async def test_a_token_in_the_store_is_adopted_without_a_token_request(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    await store.set(KEY, fresh(clock, "tok-stored", lifetime=3600))
    completions = CompletionsEndpoint()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, store) as client:
            await create(client)
            metrics = client.token_metrics
            assert metrics is not None
            assert metrics.seconds_to_expiry == pytest.approx(3600)
            clock.advance(100)
            await create(client)  # from memory now: no store read
            assert metrics.seconds_to_expiry == pytest.approx(3500)
    assert token_route.call_count == 0
    assert completions.authorizations == ["Bearer tok-stored"] * 2
    assert metrics.adopted == 1
    assert metrics.refreshes == 0


@posix_only
@pytest.mark.asyncio
async def test_a_stored_token_inside_the_refresh_buffer_is_not_adopted(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    await store.set(KEY, StoredToken("tok-old", clock.time() + 59, 3600))
    with mocked(TokenEndpoint()) as (token_route, _):
        async with client_for(clock, store) as client:
            await create(client)
    assert token_route.call_count == 1
    stored = await store.get(KEY)
    assert stored is not None
    assert stored.access_token == "tok-1"
    assert stored.expires_at == pytest.approx(clock.time() + 3600)


@posix_only
@pytest.mark.asyncio
async def test_a_401_removes_the_refused_token_from_the_store(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = FileTokenStore(tmp_path)
    await store.set(KEY, fresh(clock, "tok-revoked"))
    completions = CompletionsEndpoint(httpx.Response(401, json={"detail": "revoked"}))
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, store) as client:
            await create(client)
    assert completions.authorizations == ["Bearer tok-revoked", "Bearer tok-1"]
    assert token_route.call_count == 1
    stored = await store.get(KEY)
    assert stored is not None
    assert stored.access_token == "tok-1"


class _RefusedTokenStaysStore(MemoryTokenStore):
    """A store whose delete does nothing, so the refused token stays readable."""

    async def delete(self, key: str, access_token: str) -> None:
        return None


@pytest.mark.asyncio
async def test_a_refused_token_is_not_adopted_again_even_if_it_stays_stored(
    clock: FakeClock,
) -> None:
    store = _RefusedTokenStaysStore()
    await store.set(KEY, fresh(clock, "tok-revoked"))
    completions = CompletionsEndpoint(httpx.Response(401, json={"detail": "revoked"}))
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, store) as client:
            await create(client)
    assert completions.authorizations == ["Bearer tok-revoked", "Bearer tok-1"]
    assert token_route.call_count == 1


class _SignalsWhenWaiting(FileTokenStore):
    """Sets ``waiting`` on the second read: the one a waiter makes after missing the lock."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.reads = 0
        self.waiting = anyio.Event()

    async def get(self, key: str) -> StoredToken | None:
        token = await super().get(key)
        self.reads += 1
        if self.reads == 2:
            self.waiting.set()
        return token


@posix_only
@pytest.mark.asyncio
async def test_a_waiter_stops_waiting_for_the_file_lock_when_a_token_appears(
    tmp_path: Path, clock: FakeClock
) -> None:
    import fcntl

    store = _SignalsWhenWaiting(tmp_path)
    # Another process holds the lock (an open file description of our own stands in for it).
    holder = os.open(tmp_path / f"{KEY}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        with mocked(TokenEndpoint()) as (token_route, _):
            async with client_for(clock, store) as client:
                with anyio.fail_after(HANG_GUARD):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(create, client)
                        await store.waiting.wait()
                        await FileTokenStore(tmp_path).set(KEY, fresh(clock, "tok-other"))
        assert token_route.call_count == 0
        assert auth_of(client).metrics.adopted == 1
    finally:
        os.close(holder)


class _BrokenStore:
    """A store whose every method fails, as a Redis outage would."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def get(self, key: str) -> StoredToken | None:
        self.calls.append("get")
        raise ConnectionError(f"store down; {CLIENT_SECRET}")

    async def set(self, key: str, token: StoredToken) -> None:
        self.calls.append("set")
        raise ConnectionError("store down")

    async def delete(self, key: str, access_token: str) -> None:
        self.calls.append("delete")
        raise ConnectionError("store down")

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        self.calls.append("lock")
        raise ConnectionError("store down")
        yield  # pragma: no cover


@pytest.mark.asyncio
async def test_a_failing_store_is_logged_and_bypassed(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = _BrokenStore()
    caplog.set_level(logging.WARNING, logger="gloo_ai")
    completions = CompletionsEndpoint(httpx.Response(401, json={"detail": "expired"}))
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(side_effect=TokenEndpoint().side_effect())
        mock.post(V2_URL).mock(side_effect=completions.side_effect())
        async with client_for(clock, store) as client:
            await create(client)
    assert token_route.call_count == 2  # the first token, and the refresh after the 401
    assert completions.authorizations == ["Bearer tok-1", "Bearer tok-2"]
    assert store.calls == ["get", "lock", "set", "delete", "get", "lock", "set"]
    metrics = auth_of(client).metrics
    assert metrics.store_errors == 7
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 7
    assert all("going on without it" in w and "ConnectionError" in w for w in warnings)
    assert not any(CLIENT_SECRET in w or "tok-" in w for w in caplog.messages)


class _LockBreaksOnRelease(MemoryTokenStore):
    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        yield
        raise ConnectionError("release failed")


@pytest.mark.asyncio
async def test_a_failed_lock_release_does_not_fail_the_request(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gloo_ai")
    with mocked(TokenEndpoint()) as (token_route, _):
        async with client_for(clock, _LockBreaksOnRelease()) as client:
            await create(client)
    assert token_route.call_count == 1
    assert auth_of(client).metrics.store_errors == 1
    assert "in unlock" in caplog.text


@pytest.mark.asyncio
async def test_a_token_endpoint_failure_under_the_lock_releases_it(clock: FakeClock) -> None:
    from gloo_ai import TokenExchangeError

    store = MemoryTokenStore()
    with respx.mock(assert_all_called=False) as mock:
        token_route = mock.post(TOKEN_URL).mock(
            side_effect=[
                httpx.Response(401, json={"error": "invalid_client"}),
                httpx.Response(200, json={"access_token": "tok-ok", "expires_in": 3600}),
            ]
        )
        mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
        async with client_for(clock, store) as client:
            with pytest.raises(TokenExchangeError):
                await create(client)
            with anyio.fail_after(HANG_GUARD):  # the lock was released: this does not hang
                await create(client)
    assert token_route.call_count == 2
    metrics = auth_of(client).metrics
    assert (metrics.refreshes, metrics.failures) == (1, 1)


# --- metrics and the refresh hook --------------------------------------------------------------


@pytest.mark.asyncio
async def test_token_metrics_and_the_refresh_hook(clock: FakeClock) -> None:
    seen: list[tuple[int, int, float | None]] = []

    def hook(metrics: Any) -> None:
        seen.append((metrics.refreshes, metrics.failures, metrics.seconds_to_expiry))

    with respx.mock(assert_all_called=False) as mock:
        mock.post(TOKEN_URL).mock(
            side_effect=[
                httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600}),
                httpx.Response(400, json={"error": "invalid_client"}),
            ]
        )
        mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
        async with client_for(clock, None, on_token_refresh=hook, max_retries=0) as client:
            metrics = client.token_metrics
            assert metrics is not None
            assert metrics.seconds_to_expiry is None
            await create(client)
            assert metrics.refreshes == 1
            assert metrics.last_latency == 0.0  # the fake clock did not move
            clock.advance(3600)
            with pytest.raises(Exception, match="refused"):
                await create(client)
    assert seen == [(1, 0, 3600.0), (1, 1, 0.0)]
    assert "tok-1" not in repr(metrics)


@pytest.mark.asyncio
async def test_a_failing_refresh_hook_is_logged_and_ignored(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(metrics: Any) -> None:
        raise RuntimeError("metrics backend down")

    with mocked(TokenEndpoint()) as (token_route, _):
        async with client_for(clock, None, on_token_refresh=hook) as client:
            await create(client)
    assert token_route.call_count == 1
    assert "on_token_refresh raised" in caplog.text


def test_api_key_clients_have_no_token_metrics() -> None:
    assert AsyncGloo(api_key="k").token_metrics is None


# --- worker processes against the emulator ----------------------------------------------------


def run_workers(base_url: str, kind: str, where: str, prefix: str = "") -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    processes = [
        context.Process(
            target=store_worker.work, args=(base_url, kind, where, prefix, barrier), daemon=True
        )
        for _ in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    codes = [process.exitcode for process in processes]
    for process in processes:
        if process.is_alive():  # pragma: no cover - only after a hang
            process.kill()
    assert codes == [0] * WORKERS, f"worker exit codes: {codes}"


@posix_only
def test_worker_processes_sharing_a_file_store_make_one_token_request(tmp_path: Path) -> None:
    with EmulatorServer() as server:
        run_workers(server.url, "file", str(tmp_path))
        counts = server.emulator.counts
    assert counts["/oauth2/token"] == 1
    assert counts["/ai/v2/chat/completions"] == WORKERS


# --- Redis store -------------------------------------------------------------------------------

REDIS_URL = os.environ.get("GLOO_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on a reachable Redis server; its keys go afterwards."""
    message = ""
    try:
        import redis
    except ImportError:
        message = "redis-py is not installed (pip install 'gloo-ai[redis]')"
    else:
        sync = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        try:
            sync.ping()
        except redis.RedisError as exc:
            message = (
                f"no Redis server at {REDIS_URL} ({type(exc).__name__}); start one with "
                "`redis-server --port 6379 --bind 127.0.0.1` or set GLOO_TEST_REDIS_URL"
            )
            sync.close()
    if message:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The Redis tests must run in CI: {message}")
        pytest.skip(message)
    prefix = f"gloo-ai-test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = list(sync.scan_iter(match=prefix + "*"))
        if keys:
            sync.delete(*keys)
        sync.close()


@contextlib.asynccontextmanager
async def redis_store(prefix: str, **kwargs: Any) -> AsyncIterator[RedisTokenStore]:
    store = RedisTokenStore(REDIS_URL, prefix=prefix, **kwargs)
    try:
        yield store
    finally:
        await store.aclose()


@pytest.mark.asyncio
async def test_redis_store_round_trip_with_an_expiry(redis_prefix: str, clock: FakeClock) -> None:
    async with redis_store(redis_prefix) as store:
        assert await store.get(KEY) is None
        await store.set(KEY, fresh(clock, "tok-1", lifetime=3600))
        assert await store.get(KEY) == fresh(clock, "tok-1", lifetime=3600)
        client = store._redis()
        ttl = await client.pttl(redis_prefix + KEY)
        assert 0 < ttl <= 3600 * 1000
        # An expired token is not stored at all.
        await store.set("gone", StoredToken("tok-old", 1.0, 3600))
        assert await store.get("gone") is None
        # A corrupt value counts as missing.
        await client.set(redis_prefix + "bad", b"{not json")
        assert await store.get("bad") is None


@pytest.mark.asyncio
async def test_redis_store_delete_only_if_it_is_still_that_token(
    redis_prefix: str, clock: FakeClock
) -> None:
    async with redis_store(redis_prefix) as store:
        await store.delete(KEY, "tok-1")  # nothing there: no error
        await store.set(KEY, fresh(clock, "tok-1"))
        await store.delete(KEY, "tok-other")
        assert await store.get(KEY) == fresh(clock, "tok-1")
        await store.delete(KEY, "tok-1")
        assert await store.get(KEY) is None


@pytest.mark.asyncio
async def test_redis_lock_release_only_by_its_owner(redis_prefix: str) -> None:
    async with redis_store(redis_prefix) as store:
        client = store._redis()
        lock_key = redis_prefix + KEY + ":lock"
        async with store.lock(KEY):
            assert await client.exists(lock_key) == 1
        assert await client.exists(lock_key) == 0
        async with store.lock(KEY):
            # Our lock expired and someone else took it: leaving must not release theirs.
            await client.set(lock_key, "someone-else", px=60_000)
        assert await client.get(lock_key) == b"someone-else"


@pytest.mark.asyncio
async def test_clients_sharing_a_redis_store_make_one_token_request(
    redis_prefix: str, clock: FakeClock
) -> None:
    async with redis_store(redis_prefix) as store:
        tokens = TokenEndpoint()
        with mocked(tokens) as (token_route, v2):
            async with client_for(clock, store) as one, client_for(clock, store) as two:
                with anyio.fail_after(HANG_GUARD):
                    await asyncio.gather(*(create(c) for c in (one, two) for _ in range(20)))
                assert token_route.call_count == 1
                clock.advance(3600 - 60)
                with anyio.fail_after(HANG_GUARD):
                    await asyncio.gather(create(one), create(two))
                assert token_route.call_count == 2
                assert v2.call_count == 42
        stored = await store.get(KEY)
        assert stored is not None
        assert stored.access_token == "tok-2"


@pytest.mark.asyncio
async def test_a_redis_lock_whose_holder_died_is_taken_over(
    redis_prefix: str, clock: FakeClock
) -> None:
    async with redis_store(redis_prefix, lock_timeout=0.2) as store:
        client = store._redis()
        lock_key = redis_prefix + KEY + ":lock"
        # A holder took the lock and died before releasing it.
        await client.set(lock_key, "dead-holder", px=200)
        with mocked(TokenEndpoint()) as (token_route, _):
            async with client_for(clock, store) as gloo:
                with anyio.fail_after(HANG_GUARD):
                    await create(gloo)
        assert token_route.call_count == 1
        assert await client.exists(lock_key) == 0  # ours, released


class _RedisSignalsWhenWaiting(RedisTokenStore):
    def __init__(self, url: str, prefix: str) -> None:
        super().__init__(url, prefix=prefix)
        self.reads = 0
        self.waiting = anyio.Event()

    async def get(self, key: str) -> StoredToken | None:
        token = await super().get(key)
        self.reads += 1
        if self.reads == 2:
            self.waiting.set()
        return token


@pytest.mark.asyncio
async def test_a_waiter_stops_waiting_for_the_redis_lock_when_a_token_appears(
    redis_prefix: str, clock: FakeClock
) -> None:
    store = _RedisSignalsWhenWaiting(REDIS_URL, redis_prefix)
    try:
        client = store._redis()
        await client.set(redis_prefix + KEY + ":lock", "busy-holder", px=60_000)
        with mocked(TokenEndpoint()) as (token_route, _):
            async with client_for(clock, store) as gloo:
                with anyio.fail_after(HANG_GUARD):
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(create, gloo)
                        await store.waiting.wait()
                        await store.set(KEY, fresh(clock, "tok-other"))
        assert token_route.call_count == 0
        assert auth_of(gloo).metrics.adopted == 1
        assert await client.get(redis_prefix + KEY + ":lock") == b"busy-holder"
    finally:
        await store.aclose()


def test_worker_processes_sharing_a_redis_store_make_one_token_request(
    redis_prefix: str,
) -> None:
    with EmulatorServer() as server:
        run_workers(server.url, "redis", REDIS_URL, redis_prefix)
        counts = server.emulator.counts
    assert counts["/oauth2/token"] == 1
    assert counts["/ai/v2/chat/completions"] == WORKERS


@pytest.mark.asyncio
async def test_an_unreachable_redis_is_bypassed(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gloo_ai")
    store = RedisTokenStore("redis://:hunter2@127.0.0.1:1/0")
    try:
        with mocked(TokenEndpoint()) as (token_route, _):
            async with client_for(clock, store) as client:
                await create(client)
        assert token_route.call_count == 1
        assert auth_of(client).metrics.store_errors == 3  # get, lock, set
    finally:
        await store.aclose()
    assert "hunter2" not in caplog.text
    assert "hunter2" not in repr(store)
    assert repr(store) == "RedisTokenStore(url='redis://127.0.0.1:1/0', prefix='gloo-ai:token:')"


def test_redis_store_refuses_bad_arguments() -> None:
    with pytest.raises(ConfigurationError, match="lock_timeout"):
        RedisTokenStore("redis://127.0.0.1", lock_timeout=0)
    with pytest.raises(ConfigurationError, match="unix:// URL"):
        RedisTokenStore("http://127.0.0.1")
    import redis

    with pytest.raises(ConfigurationError, match="synchronous"):
        RedisTokenStore(redis.Redis())


def test_redis_store_without_redis_py_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(ImportError, match=r"pip install 'gloo-ai\[redis\]'") as info:
        RedisTokenStore("redis://127.0.0.1")
    assert isinstance(info.value, ConfigurationError)


def test_redis_store_under_trio_is_a_clear_error() -> None:
    import trio

    from gloo_ai import ConfigurationError as Refused

    async def main() -> None:
        store = RedisTokenStore("redis://127.0.0.1:1/0")
        with mocked(TokenEndpoint()):
            async with AsyncGloo(
                client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_store=store
            ) as client:
                with pytest.raises(Refused, match="asyncio only"):
                    await create(client)

    trio.run(main)


def test_importing_gloo_ai_does_not_import_redis() -> None:
    import subprocess

    code = (
        "import sys, gloo_ai, gloo_ai.stores; from gloo_ai import AsyncGloo; "
        "assert 'redis' not in sys.modules, 'redis imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
