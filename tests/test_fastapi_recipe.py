"""The documented FastAPI recipes run as written, with no network and no credentials.

docs/testing.md "Testing a FastAPI app that uses the SDK" shows an ``app.py`` and a
``test_app.py``: both are written out exactly as the page has them and run by pytest in a
fresh process whose environment holds no ``GLOO_*`` variable, or wrong ones (collecting the
tests must not need them, nor break on them). docs/getting-started.md "In a FastAPI app"
is run against the served emulator.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from gloo_ai.testing import EmulatorServer, GlooEmulator

pytest_plugins = ["pytester"]

DOCS = Path(__file__).parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def section_blocks(page: str, heading: str) -> list[str]:
    """The ``python`` blocks of one ``## heading`` section of a docs page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.find("\n## ", start + 1)
    return BLOCK.findall(text[start : end if end != -1 else None])


def recipe_files() -> dict[str, str]:
    """The files of the testing recipe, by the name in each block's first line."""
    files = {}
    for block in section_blocks("testing.md", "Testing a FastAPI app that uses the SDK"):
        first = block.splitlines()[0]
        assert first.startswith("# "), f"a recipe block names its file first: {first!r}"
        files[first.removeprefix("# ")] = block
    return files


@pytest.fixture
def no_gloo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GLOO_"):
            monkeypatch.delenv(name)


def test_the_recipe_is_an_app_and_its_tests() -> None:
    files = recipe_files()
    assert sorted(files) == ["app.py", "test_app.py"]
    assert "AsyncGloo()" not in files["app.py"].split("async def lifespan")[0]  # not at import


# A machine's environment the tests must not depend on: a plain-http URL off loopback and
# both kinds of credential (each refused by AsyncGloo()); a client built at import time
# would fail the collection.
HOSTILE_ENV = {
    "GLOO_BASE_URL": "http://gloo.example.com",
    "GLOO_API_KEY": "a-key-from-the-shell",
    "GLOO_CLIENT_ID": "an-id-from-the-shell",
}


@pytest.mark.parametrize("env", [{}, HOSTILE_ENV], ids=["no-gloo-env", "hostile-env"])
@pytest.mark.usefixtures("no_gloo_env")
def test_the_testing_recipe_runs_as_written(
    env: dict[str, str], pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name, code in recipe_files().items():
        pytester.makepyfile(**{name.removesuffix(".py"): code})
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        # Newer starlette test clients prefer httpx2 (which the newest openai brings along)
        # and warn when they fall back to httpx; that is the environment's, not the recipe's.
        "-W",
        "ignore:Using `httpx` with `starlette.testclient` is deprecated",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.asyncio
@pytest.mark.usefixtures("no_gloo_env")
async def test_the_getting_started_app_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    (code,) = section_blocks("getting-started.md", "In a FastAPI app")
    namespace: dict[str, object] = {"__name__": "getting_started_app"}
    exec(compile(code, "getting-started.md", "exec"), namespace)  # import time: no credentials
    app = namespace["app"]
    emulator = GlooEmulator()
    with EmulatorServer(emulator) as server:
        monkeypatch.setenv("GLOO_BASE_URL", server.url)
        monkeypatch.setenv("GLOO_CLIENT_ID", emulator.client_id)
        monkeypatch.setenv("GLOO_CLIENT_SECRET", emulator.client_secret)
        async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                answers = [await http.get("/ask", params={"q": q}) for q in ("Hi", "Grace?")]
            gloo = app.state.gloo  # type: ignore[attr-defined]
        assert gloo.is_closed
    assert [answer.status_code for answer in answers] == [200, 200]
    assert all(answer.json()["answer"] for answer in answers)
    assert emulator.counts["/oauth2/token"] == 1
