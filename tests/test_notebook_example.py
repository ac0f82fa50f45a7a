"""examples/notebook.ipynb runs in a real kernel (nbclient) against a served emulator, and
docs/getting-started.md's "In a notebook" examples run against the emulator too."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gloo_ai.testing import EmulatorServer, GlooEmulator

ROOT = Path(__file__).parent.parent
NOTEBOOK = ROOT / "examples" / "notebook.ipynb"
V2 = "/ai/v2/chat/completions"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(GlooEmulator()) as running:
        yield running


def _markdown_outputs(cell: Any) -> list[str]:
    return [
        output["data"]["text/markdown"]
        for output in cell.get("outputs", [])
        if "text/markdown" in output.get("data", {})
    ]


def test_the_example_notebook_runs_against_the_emulator(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat", reason="the notebook test needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient")
    pytest.importorskip("ipykernel", reason="the notebook test needs ipykernel")
    server.emulator.reset()
    monkeypatch.setenv("GLOO_BASE_URL", server.url)  # the kernel inherits the environment
    monkeypatch.setenv("GLOO_API_KEY", GlooEmulator.DEFAULT_API_KEY)
    for name in ("GLOO_CLIENT_ID", "GLOO_CLIENT_SECRET", "GLOO_AI_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    completion, stream, grounded, response, catalog = (
        _markdown_outputs(cell) for cell in code[1:6]
    )
    # Each rendering: the answer, the model and routing, the usage; not a one-line repr.
    assert len(completion) == 1
    assert "`gloo-openai-gpt-5.2`" in completion[0]
    assert "auto\\_routing" in completion[0]
    assert "evangelical" in completion[0]
    assert "tokens (prompt + completion)" in completion[0]
    # The stream's one output ends as the final completion's rendering, with its routing.
    assert len(stream) == 1
    assert "auto\\_routing" in stream[0]
    assert "Gloo AI" in stream[0]
    assert stream[0].split("\n\n")[0] == completion[0].split("\n\n")[0]  # the same answer
    assert "**Sources**" in grounded[0]
    assert "](https://" in grounded[0]
    assert "tokens (input + output)" in response[0]
    assert catalog[0].startswith("**12 models**")
    assert catalog[0].count("\n| `gloo-") == 12
    counts = server.emulator.counts
    assert counts[V2] == 2  # one create, one stream: nothing was sent twice
    assert counts["/ai/v1/responses"] == 1


GETTING_STARTED = ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def notebook_section_blocks() -> list[str]:
    page = GETTING_STARTED.read_text(encoding="utf-8")
    section = page.split("## In a notebook", 1)[1].split("\n## ", 1)[0]
    return BLOCK.findall(section)


def test_the_getting_started_notebook_examples_run(
    server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = notebook_section_blocks()
    assert len(blocks) >= 2
    monkeypatch.setenv("GLOO_BASE_URL", server.url)
    monkeypatch.setenv("GLOO_API_KEY", GlooEmulator.DEFAULT_API_KEY)
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    out = io.StringIO()

    async def run_all() -> None:  # one namespace, top-level await: as in a notebook
        for block in blocks:
            flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            code = compile(block, "getting-started.md", "exec", flags=flags)
            result = eval(code, namespace)
            if asyncio.iscoroutine(result):
                await result
        await namespace["client"].aclose()

    with contextlib.redirect_stdout(out):
        asyncio.run(run_all())
    # Outside a notebook, display_stream prints the text as it arrives.
    streamed = namespace["streamed"]
    assert out.getvalue().strip() == streamed.choices[0].message.content
    assert streamed.routing_mechanism == namespace["completion"].routing_mechanism
