"""``gloo emulator``: serve the Gloo API emulator over HTTP on a loopback port.

The address is bound before anything is printed: a taken port or a missing uvicorn fails
with `EXIT_UNAVAILABLE` and one line. Once the server listens, the URL (with the chosen port,
for ``--port 0``) goes to stdout alone, and the credentials to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

__all__ = ["EXIT_UNAVAILABLE", "add_emulator_parser", "run_emulator"]

EXIT_UNAVAILABLE = 6


def add_emulator_parser(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``emulator`` command (with only the options that apply to it)."""
    emulator = commands.add_parser(
        "emulator",
        help="serve the Gloo API emulator over HTTP",
        description="Serve the Gloo API emulator over HTTP on a loopback port. The URL is "
        "printed on stdout once it listens; GET /_emulator/counts and /_emulator/requests "
        "show what it received.",
    )
    emulator.add_argument(
        "--port", type=int, default=8000, help="the port (default 8000; 0 picks a free one)"
    )
    emulator.add_argument("--host", default="127.0.0.1", help="the address (default 127.0.0.1)")
    emulator.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow binding to an address other than loopback",
    )
    emulator.add_argument("--log", action="store_true", help="print one line per request")
    emulator.add_argument(
        "--chunk-delay-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="milliseconds between the chunks of a stream (default 0)",
    )
    emulator.add_argument(
        "--debug", action="store_true", help="show tracebacks", default=argparse.SUPPRESS
    )


def run_emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """Serve until interrupted.

    Raises:
        EmulatorBindError, EmulatorUnavailableError: the server cannot start (the caller
            exits with `EXIT_UNAVAILABLE`).
        ConfigurationError: a non-loopback address without ``--allow-non-loopback``.
    """
    from .testing import GlooEmulator, serve

    if not args.chunk_delay_ms >= 0:
        from ._exceptions import ConfigurationError

        raise ConfigurationError(
            f"--chunk-delay-ms must be milliseconds >= 0, not {args.chunk_delay_ms}."
        )
    emulator = GlooEmulator(chunk_delay_ms=args.chunk_delay_ms)

    def ready(url: str) -> None:
        print(url, file=out, flush=True)
        print(
            f"gloo: the Gloo API emulator listens on {url} (client id "
            f"{emulator.client_id!r}, secret {emulator.client_secret!r}, API key "
            f"{emulator.api_keys[0]!r}). Ctrl-C stops it.",
            file=err,
            flush=True,
        )

    serve(
        emulator,
        host=args.host,
        port=args.port,
        allow_non_loopback=args.allow_non_loopback,
        access_log=args.log,
        on_ready=ready,
    )
