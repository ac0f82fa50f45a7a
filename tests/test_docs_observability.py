"""The examples of docs/observability.md, run in order against the emulator in-process
(``AsyncGloo()`` is the emulator's client), with what they print checked; the OTLP setup,
which needs a collector and an exporter package, is a fragment that must compile. (The
page's blocks also run as pasted against a served emulator in tests/test_docs_run.py.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

import gloo_ai
from gloo_ai.testing import GlooEmulator
from tests.conftest import FakeClock

PAGE = Path(__file__).parent.parent / "docs" / "observability.md"
TEXT = PAGE.read_text(encoding="utf-8")
FENCE = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
FRAGMENT = re.compile(r"<!--\s*fragment:\s*(\S.*?)\s*-->\s*$")


def blocks() -> list[tuple[str, bool]]:
    """Each block's code, and whether it is a fragment (marked on the line before it)."""
    found = []
    for match in FENCE.finditer(TEXT):
        before = TEXT[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        found.append((match.group(1), FRAGMENT.search(before) is not None))
    return found


def test_the_page_has_its_examples_and_its_otlp_fragment() -> None:
    runnable = [code for code, fragment in blocks() if not fragment]
    fragments = [code for code, fragment in blocks() if fragment]
    assert len(runnable) == 3
    assert len(fragments) == 1
    assert "OTLPSpanExporter" in fragments[0]
    ast.parse(fragments[0])


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
        for number, (code, fragment) in enumerate(blocks(), 1):
            if not fragment:
                exec(compile(code, f"{PAGE.name} example {number}", "exec"), namespace)
    finally:
        gloo_ai.uninstrument()
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["gloo.token_refresh", "chat gloo-openai-gpt-5-mini"]
    assert out[2].startswith("gloo-openai-gpt-5-mini ")
    assert out[3] == "chat True"
    assert "Who wrote Psalm 23?" in out[4]
