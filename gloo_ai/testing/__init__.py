"""An offline emulator of the Gloo AI API, for testing apps that use gloo_ai (or any client).

`GlooEmulator` is an ASGI application that answers like the Gloo AI API: the OAuth2 token
endpoint, chat completions v2 (routing rule, routing metadata, ``tradition``, tool calls,
structured output, SSE streams that end the way Gloo's do) and v1, with deterministic
answers. Drive it in-process with no socket::

    emulator = GlooEmulator()
    async with emulator.client() as client:
        completion = await client.chat.completions.create(
            messages=[{"role": "user", "content": "How can I be joyful in hard times?"}],
        )
    assert emulator.counts["/oauth2/token"] == 1

Script failures with `GlooEmulator.faults` (a `FaultScript`): rate limits, 5xx with Gloo's
error object, dropped connections, errors in the middle of a stream, malformed bodies,
latency and hangs. For clients that need a real socket, `EmulatorServer` serves it on a
loopback port in a thread, and `serve` serves it until interrupted; both need uvicorn
(``pip install 'gloo-ai[emulator]'``).
"""

from ._emulator import GlooEmulator, RecordedRequest
from ._faults import EmulatedDisconnect, FaultScript
from ._server import EmulatorBindError, EmulatorServer, EmulatorUnavailableError, serve

__all__ = [
    "EmulatedDisconnect",
    "EmulatorBindError",
    "EmulatorServer",
    "EmulatorUnavailableError",
    "FaultScript",
    "GlooEmulator",
    "RecordedRequest",
    "serve",
]
