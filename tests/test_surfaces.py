"""Gloo's surfaces (standard, guarded, direct): the client setting, ``GLOO_SURFACE``, the
per-call override, and the path each picks; bad values refused before sending."""

from __future__ import annotations

import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, ConfigurationError, InvalidArgumentError
from gloo_ai.testing import GlooEmulator
from tests.conftest import BASE_URL, completion_json

USER = [{"role": "user", "content": "What is grace?"}]
PATHS = {
    "standard": "/ai/v2/chat/completions",
    "guarded": "/ai/v2/guarded/chat/completions",
    "direct": "/ai/v2/direct/chat/completions",
}


def _client(**kwargs: object) -> AsyncGloo:
    return AsyncGloo(api_key="key", max_retries=0, **kwargs)  # type: ignore[arg-type]


def test_the_default_surface_is_standard() -> None:
    client = _client()
    assert client.surface == "standard"
    assert "surface" not in repr(client)


def test_the_surface_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLOO_SURFACE", "Guarded")
    assert _client().surface == "guarded"
    assert _client(surface="direct").surface == "direct"
    monkeypatch.setenv("GLOO_AI_SURFACE", "direct")
    assert _client().surface == "guarded"  # GLOO_* beats its GLOO_AI_* alias
    assert "surface='guarded'" in repr(_client())


@pytest.mark.parametrize("bad", ["gaurded", "", 3, "STANDARD "])
def test_a_bad_surface_argument_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="'standard', 'guarded', 'direct'"):
        _client(surface=bad)


def test_a_bad_gloo_surface_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOO_SURFACE", "safe")
    with pytest.raises(ConfigurationError, match="GLOO_SURFACE must be one of"):
        _client()


def test_with_options_keeps_or_changes_the_surface() -> None:
    client = _client(surface="guarded")
    assert client.with_options(max_retries=1).surface == "guarded"
    assert client.with_options(surface="direct").surface == "direct"
    assert client.surface == "guarded"
    with pytest.raises(ConfigurationError):
        client.with_options(surface="nope")  # type: ignore[arg-type]


@pytest.mark.parametrize("surface", sorted(PATHS))
@pytest.mark.asyncio
@respx.mock
async def test_each_surface_sends_chat_completions_to_its_path(surface: str) -> None:
    route = respx.post(f"{BASE_URL}{PATHS[surface]}").respond(200, json=completion_json())
    async with _client(surface=surface) as client:
        await client.chat.completions.create(messages=USER)
    assert route.call_count == 1
    assert b"surface" not in route.calls.last.request.content


@pytest.mark.asyncio
@respx.mock
async def test_a_call_overrides_the_client_surface() -> None:
    guarded = respx.post(f"{BASE_URL}{PATHS['guarded']}").respond(200, json=completion_json())
    direct = respx.post(f"{BASE_URL}{PATHS['direct']}").respond(200, json=completion_json())
    async with _client(surface="guarded") as client:
        await client.chat.completions.create(messages=USER, surface="direct")
        await client.chat.completions.create(messages=USER)
    assert (guarded.call_count, direct.call_count) == (1, 1)


@pytest.mark.asyncio
@respx.mock(assert_all_called=False)
async def test_a_bad_surface_on_a_call_is_refused_before_sending() -> None:
    route = respx.route().respond(200, json=completion_json())
    async with _client() as client:
        with pytest.raises(InvalidArgumentError, match=r"chat\.completions: surface must be"):
            await client.chat.completions.create(messages=USER, surface="safe")  # type: ignore[typeddict-item]
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_the_emulator_serves_every_surface_and_streams_on_them() -> None:
    emulator = GlooEmulator()
    async with emulator.client() as client:
        for surface in ("standard", "guarded", "direct"):
            completion = await client.chat.completions.create(messages=USER, surface=surface)  # type: ignore[arg-type]
            assert completion.choices[0].message.content
            async with client.chat.completions.stream(messages=USER, surface=surface) as stream:  # type: ignore[arg-type]
                final = await stream.get_final_completion()
            assert final.choices[0].message.content == completion.choices[0].message.content
    for path in PATHS.values():
        assert emulator.counts[path] == 2


@pytest.mark.asyncio
async def test_parse_and_run_tools_follow_the_surface() -> None:
    emulator = GlooEmulator()

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    async with emulator.client(surface="direct") as client:
        await client.chat.completions.run_tools(messages=USER, tools=[add])
    assert emulator.counts[PATHS["direct"]] >= 1
    assert emulator.counts.get(PATHS["standard"], 0) == 0


def test_the_area_without_a_surface_names_the_ones_it_has() -> None:
    from gloo_ai._surface import SurfacePaths

    paths = SurfacePaths("responses", standard="/a", guarded="/b", direct=None)
    with pytest.raises(
        InvalidArgumentError, match=r"responses has no 'direct' surface.*'standard' or 'guarded'"
    ):
        paths.path("direct")
    assert isinstance(httpx.URL(BASE_URL + paths.path("guarded")), httpx.URL)
