"""Secrets and transport security, token stores that hang, refresh ahead that spins.

Each case was a way to break the SDK (issue 14): plain http to another host, bad token
answers whose traceback showed the token, an emulator repr that showed the Authorization
header, a token directory anyone could write to, stores that never answer. Counts, never
timings.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import threading
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, ConfigurationError, TokenExchangeError, cli
from gloo_ai._auth._ahead import ahead_delay
from gloo_ai._config import MIN_REFRESH_INTERVAL
from gloo_ai._tokens import StoredToken, Token
from gloo_ai.stores import FileTokenStore, MemoryTokenStore
from gloo_ai.testing import RecordedRequest
from tests.conftest import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    V2_URL,
    completion_json,
    token_json,
)
from tests.test_refresh_ahead import SteppingClock, until

MESSAGES = [{"role": "user", "content": "Hi"}]


def with_locals(exc: BaseException) -> str:
    """The traceback with every frame's locals, from the frame below the test's own (whose
    locals are the test's inputs)."""
    assert exc.__traceback__ is not None
    below = exc.__traceback__.tb_next
    return "".join(
        traceback.TracebackException(type(exc), exc, below, capture_locals=True).format()
    )


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


# --- plain http and credentials in URLs -----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "http://platform.ai.gloo.com"},
        {"base_url": "http://10.0.0.5:8080"},
        {"token_url": "http://auth.example.com/oauth2/token"},
    ],
)
def test_plain_http_to_another_host_is_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="allow_http=True") as info:
        AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs)
    assert "in the clear" in str(info.value)
    assert CLIENT_SECRET not in str(info.value)


def test_plain_http_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOO_BASE_URL", "http://gloo.internal")
    with pytest.raises(ConfigurationError, match="allow_http"):
        AsyncGloo(api_key="k")


def test_plain_http_is_allowed_when_asked_for() -> None:
    client = AsyncGloo(api_key="k", base_url="http://gloo.internal:8080", allow_http=True)
    assert client.base_url == "http://gloo.internal:8080"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://x.invalid"]
)
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert AsyncGloo(api_key="k", base_url=url).base_url == url


def test_a_password_in_the_token_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as info:
        AsyncGloo(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_url="https://user:hunter2@platform.ai.gloo.com/oauth2/token",
        )
    assert "hunter2" not in str(info.value)


def test_a_constructor_error_formats_with_locals() -> None:
    try:
        AsyncGloo(api_key="k", base_url="https://user:hunter2@platform.ai.gloo.com")
    except ConfigurationError as exc:
        text = with_locals(exc)  # it used to raise AttributeError (repr of a half-built self)
    assert "self = AsyncGloo(<not configured>)" in text


# --- bad token answers ------------------------------------------------------------------------

BAD_ANSWERS = [
    pytest.param(f'{{"access_token": "{ACCESS_TOKEN}", "expires_in": {10**400}}}', id="10**400"),
    pytest.param(f'{{"access_token": "{ACCESS_TOKEN}", "expires_in": 1e400}}', id="1e400"),
    pytest.param(json.dumps({"access_token": [ACCESS_TOKEN]}), id="a-list"),
    pytest.param(json.dumps({"access_token": {"value": ACCESS_TOKEN}}), id="an-object"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("answer", BAD_ANSWERS)
async def test_a_bad_token_answer_is_a_token_exchange_error_without_the_token(
    mock: respx.MockRouter, answer: str
) -> None:
    tokens = mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, text=answer))
    api = mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as client:
        with pytest.raises(TokenExchangeError) as info:
            await client.chat.completions.create(messages=MESSAGES)
    exc = info.value
    text = with_locals(exc)
    assert "parse_token" in text
    assert ACCESS_TOKEN not in text
    assert CLIENT_SECRET not in text
    assert ACCESS_TOKEN not in repr(exc)
    assert exc.__cause__ is None
    assert exc.__context__ is None
    assert tokens.call_count == 1
    assert api.call_count == 0


# --- the emulator's recorded requests ---------------------------------------------------------


def test_recorded_request_repr_masks_credentials() -> None:
    seen = RecordedRequest(
        "POST",
        "/ai/v2/chat/completions",
        {"authorization": f"Bearer {ACCESS_TOKEN}", "x-api-key": "k-secret", "accept": "a/b"},
        None,
    )
    assert ACCESS_TOKEN not in repr(seen)
    assert "k-secret" not in repr(seen)
    assert "'authorization': '***'" in repr(seen)
    assert "'accept': 'a/b'" in repr(seen)
    assert seen.headers["authorization"] == f"Bearer {ACCESS_TOKEN}"  # the value stays


# --- FileTokenStore refuses what another user could plant -------------------------------------

KEY = "k1"
PLANTED = StoredToken("attacker-token", 4_000_000_000.0, 3600.0)


@pytest.mark.asyncio
async def test_a_world_writable_directory_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    store = FileTokenStore(shared)
    with pytest.raises(ConfigurationError, match="writable by every user"):
        await store.get(KEY)
    with pytest.raises(ConfigurationError, match="chmod 700"):
        await store.set(KEY, PLANTED)


@pytest.mark.asyncio
async def test_a_symlinked_token_file_is_refused(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(PLANTED.to_json())
    store = FileTokenStore(private)
    os.symlink(elsewhere, store.path(KEY))
    with pytest.raises(ConfigurationError, match="symbolic link"):
        await store.get(KEY)


@pytest.mark.asyncio
async def test_a_planted_token_is_never_sent(mock: respx.MockRouter, tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    elsewhere = tmp_path / "planted.json"
    elsewhere.write_text(PLANTED.to_json())
    store = FileTokenStore(private)
    async with AsyncGloo(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as probe:
        key = probe._transport.state.auth.store_key  # type: ignore[attr-defined]
    os.symlink(elsewhere, store.path(key))
    mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
    api = mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_store=store
    ) as client:
        with pytest.raises(ConfigurationError, match="symbolic link"):
            await client.chat.completions.create(messages=MESSAGES)
    assert api.call_count == 0


# --- token stores that hang are bypassed ------------------------------------------------------


class HangingStore(MemoryTokenStore):
    """A store one of whose calls never returns."""

    def __init__(self, hangs: str) -> None:
        super().__init__()
        self.hangs = hangs

    async def get(self, key: str) -> StoredToken | None:
        if self.hangs == "get":
            await anyio.sleep_forever()
        return await super().get(key)

    async def set(self, key: str, token: StoredToken) -> None:
        if self.hangs == "set":
            await anyio.sleep_forever()
        await super().set(key, token)

    @contextlib.asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        if self.hangs == "lock":
            await anyio.sleep_forever()
        async with super().lock(key):
            yield


@pytest.mark.asyncio
@pytest.mark.parametrize("hangs", ["get", "lock", "set"])
async def test_a_hanging_store_call_is_bypassed_and_logged(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture, hangs: str
) -> None:
    tokens = mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
    api = mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
    async with AsyncGloo(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_store=HangingStore(hangs),
        token_store_timeout=0.05,
    ) as client:
        with anyio.fail_after(10):  # a hang guard, not a timing assertion
            await client.chat.completions.create(messages=MESSAGES)
        metrics = client.token_metrics
        assert metrics is not None
        assert metrics.store_errors >= 1
    assert tokens.call_count == 1
    assert api.call_count == 1
    assert f"took longer than 0.1 s (in {hangs})" in caplog.text


@pytest.mark.parametrize("value", [0, -1, float("inf"), "5", True])
def test_a_bad_store_timeout_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="token_store_timeout"):
        AsyncGloo(api_key="k", token_store_timeout=value)  # type: ignore[arg-type]


@contextlib.contextmanager
def silent_listener() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a wedged Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()


@pytest.mark.asyncio
async def test_redis_that_never_answers_is_bypassed(mock: respx.MockRouter) -> None:
    pytest.importorskip("redis")
    from gloo_ai.stores import RedisTokenStore

    tokens = mock.post(TOKEN_URL).mock(return_value=httpx.Response(200, json=token_json()))
    api = mock.post(V2_URL).mock(return_value=httpx.Response(200, json=completion_json()))
    with silent_listener() as port:
        store = RedisTokenStore(f"redis://127.0.0.1:{port}/0")
        redis = store._redis()
        assert redis.connection_pool.connection_kwargs["socket_timeout"] == 5.0
        assert redis.connection_pool.connection_kwargs["socket_connect_timeout"] == 5.0
        async with AsyncGloo(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_store=store,
            token_store_timeout=0.1,
        ) as client:
            with anyio.fail_after(10):  # a hang guard
                await client.chat.completions.create(messages=MESSAGES)
        await store.aclose()
    assert tokens.call_count == 1
    assert api.call_count == 1


# --- refresh ahead with a tiny expires_in -----------------------------------------------------


def test_the_refresh_ahead_delay_has_a_floor() -> None:
    token = Token("t", expires_at=1000.01, lifetime=0.01)
    assert ahead_delay(token, now=1000.0, buffer=60.0, jitter=0.0) == MIN_REFRESH_INTERVAL


@pytest.mark.asyncio
async def test_refresh_ahead_with_a_tiny_lifetime_does_not_spin(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    clock = SteppingClock()
    tokens = mock.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 0.01})
    )
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_ahead=True, _clock=clock
    ):
        await until(lambda: len(clock.sleepers) == 1)
        for _ in range(20):  # two seconds of fake time, in steps
            clock.advance(0.1)
            for _ in range(20):
                await anyio.lowlevel.checkpoint()
    # Before: 472 token requests in 2 s. Now at most one a second, plus the first.
    assert tokens.call_count <= 3
    assert all(s >= MIN_REFRESH_INTERVAL for s in clock.sleeps)


# --- the CLI ----------------------------------------------------------------------------------


def test_the_cli_refuses_plain_http_to_another_host_unless_allowed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLOO_API_KEY", "k")
    code = cli.main(["models", "--base-url", "http://10.255.255.1:9"], out=io.StringIO())
    assert code != cli.EXIT_OK
    assert "allow_http" in capsys.readouterr().err
    args = cli.build_parser().parse_args(
        ["models", "--base-url", "http://10.255.255.1:9", "--allow-http"]
    )
    assert cli._make_client(args).base_url == "http://10.255.255.1:9"
