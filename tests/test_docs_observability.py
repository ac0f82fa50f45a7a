"""The examples of docs/observability.md: its ``python`` blocks run in order against the
emulator (``AsyncGloo()`` is the emulator's client); its ``py`` block, the OTLP setup that
needs a collector and an exporter package, is a fragment that must compile."""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import gloo_ai
from gloo_ai.testing import GlooEmulator
from tests.conftest import FakeClock

PAGE = Path(__file__).parent.parent / "docs" / "observability.md"
TEXT = PAGE.read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", TEXT, re.DOTALL | re.MULTILINE)
FRAGMENTS = re.findall(r"^```py\n(.*?)^```", TEXT, re.DOTALL | re.MULTILINE)


def test_the_page_has_its_examples_and_its_otlp_fragment() -> None:
    assert len(BLOCKS) == 3
    assert len(FRAGMENTS) == 1
    assert "OTLPSpanExporter" in FRAGMENTS[0]
    ast.parse(FRAGMENTS[0])


def test_every_example_runs_against_the_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    emulator = GlooEmulator()

    def client(**kwargs: Any) -> gloo_ai.AsyncGloo:
        return emulator.client(_clock=clock, **kwargs)

    monkeypatch.setattr(gloo_ai, "AsyncGloo", client)
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    try:
        for number, block in enumerate(BLOCKS, 1):
            exec(compile(block, f"{PAGE.name} example {number}", "exec"), namespace)
        for main in ("main", "stream_main", "content_main"):
            asyncio.run(namespace[main]())
    finally:
        gloo_ai.uninstrument()
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["gloo.token_refresh", "chat gloo-openai-gpt-5-mini"]
    assert out[2].startswith("gloo-openai-gpt-5-mini ")
    assert out[3] == "chat True"
    assert "Who wrote Psalm 23?" in out[4]
