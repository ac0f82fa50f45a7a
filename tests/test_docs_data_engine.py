"""The examples of docs/data-engine.md, run in order against the emulator on a fake clock."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

import gloo_ai
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.items import ItemStatus
from tests.conftest import FakeClock

PAGE = Path(__file__).parent.parent / "docs" / "data-engine.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) == 7


def test_every_example_runs_against_the_emulator(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    emulator = GlooEmulator(clock=clock.monotonic)

    def client(**kwargs: Any) -> gloo_ai.AsyncGloo:
        return emulator.client(_clock=clock, **kwargs)

    monkeypatch.setattr(gloo_ai, "AsyncGloo", client)
    monkeypatch.chdir(tmp_path)
    for number, block in enumerate(BLOCKS, 1):
        namespace: dict[str, Any] = {"__name__": f"docs_example_{number}"}
        exec(compile(block, f"{PAGE.name} example {number}", "exec"), namespace)
        if "main" in namespace:
            asyncio.run(namespace["main"]())
    out = capsys.readouterr().out
    assert "ingesting: ['" in out
    assert "completed: ['" in out
    assert "1 deleted" in out
    assert "1 matched, 1 changed" in out  # the hymn tagged by the update example
    titles = {item.fields.get("item_title") for item in emulator.engine.items.values()}
    assert "Amazing Grace" in titles
    scripted: GlooEmulator = namespace["emulator"]  # the last example's own emulator
    assert len(scripted.engine.items) == 2500
    assert scripted.engine.status_of(namespace["ids"][0]) == ItemStatus.EMBEDDING
