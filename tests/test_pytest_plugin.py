"""The pytest plugin: registered by the package, cheap to load, fixtures that work."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_registered_through_pytest11() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("gloo_ai") == "gloo_ai.pytest_plugin"


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, gloo_ai.pytest_plugin\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'pydantic', 'anyio', 'uvicorn', 'openai')"
        " or m.startswith('gloo_ai.') and m not in ('gloo_ai._version', 'gloo_ai.pytest_plugin')]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


SAMPLE = """
import pytest

from gloo_ai import AsyncGloo, InternalServerError
from gloo_ai.testing import GlooEmulator


@pytest.mark.asyncio
async def test_client_answers(gloo_client, gloo_emulator):
    assert isinstance(gloo_client, AsyncGloo)
    assert isinstance(gloo_emulator, GlooEmulator)
    completion = await gloo_client.chat.completions.create(
        messages=[{"role": "user", "content": "Hello"}]
    )
    assert completion.choices[0].message.content
    assert gloo_emulator.counts["/oauth2/token"] == 1


@pytest.mark.asyncio
async def test_faults_are_per_test(gloo_client, gloo_emulator):
    gloo_emulator.faults.server_error("/ai/v2/chat/completions", retryable=False)
    with pytest.raises(InternalServerError):
        await gloo_client.chat.completions.create(messages=[{"role": "user", "content": "Hi"}])
    assert gloo_emulator.counts["/ai/v2/chat/completions"] == 1


def test_served_emulator(gloo_emulator_server):
    import httpx

    token = httpx.post(
        gloo_emulator_server.url + "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "api/access"},
        auth=("emulator-client-id", "emulator-client-secret"),
    )
    assert token.status_code == 200
    assert token.json()["access_token"]
"""


def test_a_user_test_module_gets_the_fixtures_with_no_configuration(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_sample=SAMPLE)
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=3)


def test_the_fixtures_are_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures")
    result.stdout.fnmatch_lines(["*gloo_client*", "*gloo_emulator*", "*gloo_emulator_server*"])
