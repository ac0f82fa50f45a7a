"""pytest fixtures for testing code that uses gloo_ai, against the offline Gloo API emulator.

Installing gloo-ai registers this plugin (the ``pytest11`` entry point), so the fixtures are
there in every test suite with no configuration. Loading it imports nothing but pytest: the
emulator and the client are imported when a test first asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from gloo_ai import AsyncGloo
    from gloo_ai.testing import EmulatorServer, GlooEmulator

__all__ = ["gloo_client", "gloo_emulator", "gloo_emulator_server"]


@pytest.fixture
def gloo_emulator() -> GlooEmulator:
    """A fresh in-memory Gloo API for this test.

    An ASGI app with the default credentials (``GlooEmulator.DEFAULT_CLIENT_ID`` and friends);
    script failures with ``gloo_emulator.faults`` and assert on ``gloo_emulator.counts``.
    """
    from gloo_ai.testing import GlooEmulator

    return GlooEmulator()


@pytest.fixture
def gloo_client(gloo_emulator: GlooEmulator) -> AsyncGloo:
    """An `AsyncGloo` wired to ``gloo_emulator`` in-process: no sockets, no credentials.

    It needs no event loop to create, so it works with pytest-asyncio, anyio's plugin and
    trio alike; it holds no sockets, so there is nothing to close.
    """
    return gloo_emulator.client()


@pytest.fixture
def gloo_emulator_server(gloo_emulator: GlooEmulator) -> Iterator[EmulatorServer]:
    """``gloo_emulator`` served over HTTP on 127.0.0.1 (a free port), for any other client.

    ``gloo_emulator_server.url`` is its base URL. Needs uvicorn (``gloo-ai[emulator]``).
    """
    from gloo_ai.testing import EmulatorServer

    with EmulatorServer(gloo_emulator) as server:
        yield server
