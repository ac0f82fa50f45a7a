"""The examples of docs/models.md, docs/search.md, docs/chat-api.md, docs/grounded.md,
docs/responses.md and docs/embeddings.md run against the
emulator: every ``python`` block of a page, in order, in one namespace, with top-level
``await``, and ``AsyncGloo()`` pointed at an emulator on a loopback port."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gloo_ai.testing import EmulatorServer, GlooEmulator

DOCS = Path(__file__).parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: str) -> list[str]:
    return BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[GlooEmulator, str]]:
    emulator = GlooEmulator()
    with EmulatorServer(emulator) as running:
        yield emulator, running.url


def run_page(page: str, monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[str, list[Any]]:
    monkeypatch.setenv("GLOO_BASE_URL", url)
    monkeypatch.setenv("GLOO_API_KEY", GlooEmulator.DEFAULT_API_KEY)
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    out = io.StringIO()

    async def run_all() -> None:
        for block in python_blocks(page):
            code = compile(block, page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            result = eval(code, namespace)
            if asyncio.iscoroutine(result):
                await result

    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        asyncio.run(run_all())
    return out.getvalue(), list(caught)


@pytest.mark.parametrize(
    "page",
    ["models.md", "search.md", "chat-api.md", "grounded.md", "responses.md", "embeddings.md"],
)
def test_the_page_has_examples(page: str) -> None:
    assert len(python_blocks(page)) >= 2


def test_models_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = server
    before = emulator.counts["/platform/v2/models"]
    printed, caught = run_page("models.md", monkeypatch, url)
    assert "Did you mean 'gloo-openai-gpt-5-mini'" in printed
    assert "gloo-deepseek-r1 is a reasoning model" in printed
    assert caught == []  # the page records its own ModelCapabilityWarning and asserts on it
    assert emulator.counts["/platform/v2/models"] == before + 1  # cached across the page


def test_search_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    printed, caught = run_page("search.md", monkeypatch, url=server[1])
    assert "Joy in Hard Times" in printed
    assert "Walking Through Grief" in printed
    assert caught == []


def test_chat_api_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = server
    with warnings.catch_warnings():
        printed, caught = run_page("chat-api.md", monkeypatch, url)
    assert "kallm :" in printed
    assert "From a general Christian perspective" in printed  # the recommended way
    assert caught == []  # the page silences the deprecation warnings it expects
    assert emulator.chats.chats


def test_grounded_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = server
    before = {path: emulator.counts[path] for path in GROUNDED}
    printed, caught = run_page("grounded.md", monkeypatch, url)
    assert "Drawing on 2 sources from GlooGrounded (Finding Bible; " in printed
    assert "grounded: True" in printed
    assert "Finding Bible https://content.gloo-emulator.invalid/gloogrounded/bible" in printed
    assert "refused: chat.grounded.create: messages is empty" in printed
    assert "sources: ['Finding Hope', 'Grief and the Christian Life']" in printed
    assert "2 citations;" in printed
    assert caught == []
    assert [emulator.counts[path] - before[path] for path in GROUNDED] == [2, 1]


GROUNDED = ("/ai/v2/chat/completions/grounded", "/ai/v2/grounded/chat/completions")


def test_responses_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = server
    before = emulator.counts["/ai/v1/responses"], emulator.counts["/ai/v2/guarded/responses"]
    printed, caught = run_page("responses.md", monkeypatch, url)
    assert "From a general Christian perspective" in printed
    assert "From a Catholic perspective" in printed
    assert 'using the result of get_weather: "Sunny in' in printed
    assert "response.output_text.delta" not in printed  # the deltas were printed as text
    assert " completed " in printed
    assert "blocked: True" in printed
    assert "responses has no 'direct' surface" in printed
    assert caught == []
    after = emulator.counts["/ai/v1/responses"], emulator.counts["/ai/v2/guarded/responses"]
    assert "PNG: True" in printed
    assert (after[0] - before[0], after[1] - before[1]) == (7, 1)  # direct sent nothing


def test_embeddings_page_runs(
    server: tuple[GlooEmulator, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = server
    printed, caught = run_page("embeddings.md", monkeypatch, url)
    assert "0 768" in printed
    assert "gloo-baai-bge-base-en-v1.5" in printed
    closer, farther = printed.strip().splitlines()[-1].split(" > ")
    assert float(closer) > float(farther)
    assert caught == []
    assert emulator.requests[-1].path == "/ai/v2/direct/embeddings"
