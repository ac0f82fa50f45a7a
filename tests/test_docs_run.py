"""Every Python block of README.md and docs/*.md runs as pasted, against the emulator.

A page's blocks run in order in one session, as when they are pasted one after another into
``python -m asyncio`` (top-level ``await`` works, and so does ``asyncio.run(main())``), with
``GLOO_BASE_URL`` and the credentials pointing at an emulator served on a loopback port. A
block that cannot run as it stands (it needs a Redis server, another process, a file of
yours) says so on the line before it: ``<!-- fragment: why -->``; the test checks that every
other block runs, so a doc example cannot rot.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import inspect
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gloo_ai import AsyncGloo, Gloo
from gloo_ai.testing import EmulatorServer, GlooEmulator

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
FRAGMENT = re.compile(r"<!--\s*fragment:\s*(\S.*?)\s*-->\s*$")
# Pages whose examples run in a test of their own (with a fake clock or fixtures they need).
RUN_ELSEWHERE = {"data-engine.md": "tests/test_docs_data_engine.py"}


@dataclass
class Block:
    """One ``python`` block: where it is, its code, and why it does not run (if it does not)."""

    page: str
    line: int
    code: str
    fragment: str | None


def blocks_of(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        fragment = FRAGMENT.search(before)
        line = text.count("\n", 0, match.start()) + 2
        found.append(
            Block(page.name, line, match.group(1), fragment.group(1) if fragment else None)
        )
    return found


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[GlooEmulator, str]]:
    emulator = GlooEmulator()
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


def run_blocks(blocks: list[Block], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run ``blocks`` in one namespace (no event loop is running here); return what they
    printed."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    out = io.StringIO()
    monkeypatch.chdir(tmp_path)
    loop = asyncio.new_event_loop()
    try:
        with contextlib.redirect_stdout(out):
            for block in blocks:
                where = f"{block.page}:{block.line}"
                code = compile(block.code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                if code.co_flags & inspect.CO_COROUTINE:
                    loop.run_until_complete(eval(code, namespace))
                else:
                    exec(code, namespace)
    finally:
        # The session ends, as a REPL's would: close the clients it left open.
        for value in list(namespace.values()):
            if isinstance(value, AsyncGloo | httpx.AsyncClient):
                loop.run_until_complete(value.aclose())
            elif isinstance(value, Gloo):
                value.close()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        namespace.clear()
        gc.collect()
    return out.getvalue()


def _runnable_pages() -> list[Path]:
    return [p for p in PAGES if p.name not in RUN_ELSEWHERE and blocks_of(p)]


@pytest.mark.parametrize("page", _runnable_pages(), ids=lambda p: p.name)
def test_every_runnable_block_of_the_page_runs(
    page: Path,
    served: tuple[GlooEmulator, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    emulator, url = served
    monkeypatch.setenv("GLOO_BASE_URL", url)
    monkeypatch.setenv("GLOO_CLIENT_ID", emulator.client_id)
    monkeypatch.setenv("GLOO_CLIENT_SECRET", emulator.client_secret)
    runnable = [b for b in blocks_of(page) if b.fragment is None]
    if not runnable:
        pytest.skip(f"{page.name} has only fragments")
    run_blocks(runnable, tmp_path, monkeypatch)


def test_most_blocks_run_and_each_fragment_says_why() -> None:
    every = [b for p in PAGES for b in blocks_of(p)]
    fragments = [b for b in every if b.fragment is not None]
    assert all(len(b.fragment or "") >= 8 for b in fragments)
    assert len(fragments) <= len(every) // 4, [f"{b.page}:{b.line}" for b in fragments]


def test_pages_run_elsewhere_have_their_test() -> None:
    for page, test in RUN_ELSEWHERE.items():
        assert (ROOT / test).is_file()
        assert page in (ROOT / test).read_text(encoding="utf-8")


def test_the_reference_page_lists_its_sections_and_names() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "reference_toc", ROOT / "scripts" / "reference_toc.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert text == module.render(text), (
        "docs/reference.md is stale: run python scripts/reference_toc.py"
    )
