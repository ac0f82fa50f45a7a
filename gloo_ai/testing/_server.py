"""Serving the emulator over real HTTP with uvicorn: blocking (`serve`) or in a thread.

uvicorn is an optional dependency (``pip install 'gloo-ai[emulator]'``), imported only here
and only when a server starts.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from .._exceptions import ConfigurationError
from ._emulator import GlooEmulator
from ._faults import EmulatedDisconnect

if TYPE_CHECKING:
    import uvicorn

__all__ = [
    "EmulatorBindError",
    "EmulatorServer",
    "EmulatorUnavailableError",
    "bind",
    "check_host",
    "serve",
]

_INSTALL_HINT = (
    "Serving the Gloo emulator over HTTP needs uvicorn, which is not installed. Install it "
    "with: pip install 'gloo-ai[emulator]'"
)
_STARTUP_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0
# Requests still hanging at shutdown are cancelled after this many seconds.
_GRACEFUL_SHUTDOWN = 2


class EmulatorUnavailableError(ConfigurationError, ImportError):
    """uvicorn, which serves the emulator over HTTP, is not installed."""


class EmulatorBindError(ConfigurationError, OSError):
    """The emulator's address cannot be bound: the port is taken, or the address is wrong."""


def bind(host: str, port: int) -> tuple[socket.socket, str]:
    """Bind a listening socket on ``host``:``port`` (0: a free port) before anything starts.

    Returns:
        The socket and the URL it serves (``http://HOST:PORT``, with the port bound).

    Raises:
        EmulatorBindError: the port is taken or the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            message = (
                f"Port {port} on {host} is already in use (another emulator or server is "
                "running there): choose another port, or 0 for a free one."
            )
        else:
            message = f"Cannot bind {host}:{port}: {exc.strerror or exc}."
        raise EmulatorBindError(message) from None
    bound = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    return sock, f"http://{shown}:{bound}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_non_loopback: bool = False) -> None:
    """Refuse to serve on an address other machines can reach, unless asked to.

    Args:
        host: the address to bind.
        allow_non_loopback: allow a non-loopback address.

    Raises:
        ConfigurationError: ``host`` is not a loopback address and that was not allowed.
    """
    if allow_non_loopback or _is_loopback(host):
        return
    raise ConfigurationError(
        f"Refusing to serve the Gloo emulator on {host!r}, which is not a loopback address: "
        "anyone who can reach it could use it. Use 127.0.0.1 (the default), or allow a "
        "non-loopback address explicitly if you mean it (allow_non_loopback=True; with the "
        "gloo command, --allow-non-loopback)."
    )


class _HideEmulatedDisconnects(logging.Filter):
    """Keeps uvicorn from logging the drops the fault script asked for as app errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, EmulatedDisconnect)


def _quiet_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideEmulatedDisconnects) for f in logger.filters):
        logger.addFilter(_HideEmulatedDisconnects())


def _config(
    emulator: GlooEmulator, *, host: str, port: int, log_level: str, quiet: bool
) -> uvicorn.Config:
    try:
        import uvicorn
    except ImportError as exc:
        raise EmulatorUnavailableError(_INSTALL_HINT) from exc
    _quiet_drops()
    return uvicorn.Config(
        emulator,
        host=host,
        port=port,
        log_level=log_level,
        interface="asgi3",
        lifespan="on",
        http="h11",
        ws="none",
        loop="asyncio",
        access_log=not quiet,
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN,
    )


def serve(
    emulator: GlooEmulator | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    allow_non_loopback: bool = False,
    log_level: str = "warning",
    access_log: bool = False,
    on_ready: Callable[[str], object] | None = None,
) -> None:
    """Serve the emulator over HTTP until interrupted (Ctrl-C); blocks.

    The address is bound first, so a taken port fails at once; ``on_ready`` is called with
    the real URL (the chosen port when ``port`` is 0) once the server accepts connections.

    Args:
        emulator: the emulator to serve (default: a new `GlooEmulator`).
        host: the address to bind; a loopback address unless ``allow_non_loopback``.
        port: the port to bind; 0 picks a free one.
        allow_non_loopback: allow binding an address other machines can reach.
        log_level: uvicorn's log level.
        access_log: log one line per request (uvicorn's access log).
        on_ready: called with the URL (``http://HOST:PORT``) once the server listens.

    Raises:
        ConfigurationError: ``host`` is not a loopback address and that was not allowed.
        EmulatorUnavailableError: uvicorn is not installed (also an `ImportError`).
        EmulatorBindError: the port is taken or the address cannot be bound.
    """
    check_host(host, allow_non_loopback=allow_non_loopback)
    config = _config(
        emulator or GlooEmulator(), host=host, port=port, log_level=log_level, quiet=not access_log
    )
    import uvicorn

    sock, url = bind(host, port)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_ready is not None:
                on_ready(url)

    try:
        _Server(config).run(sockets=[sock])
    finally:
        sock.close()


class EmulatorServer:
    """The emulator on a real loopback HTTP port, served by uvicorn in a background thread.

    For clients that need a socket (curl, the official ``openai`` package)::

        with EmulatorServer() as server:
            ...  # send requests to server.url

    Args:
        emulator: the emulator to serve (default: a new `GlooEmulator`).
        host: a loopback address to bind.
        port: the port; 0 picks a free one.

    Attributes:
        emulator: the emulator being served.
        url: ``http://HOST:PORT``, set once the server has started.
    """

    def __init__(
        self, emulator: GlooEmulator | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        check_host(host)
        self.emulator = emulator if emulator is not None else GlooEmulator()
        self.host = host
        self.port = port
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        return f"EmulatorServer(url={self.url!r})"

    def __enter__(self) -> EmulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Bind the port, start serving in a thread, and wait until the server listens."""
        if self._thread is not None:
            raise RuntimeError("This EmulatorServer has already been started.")
        config = _config(self.emulator, host=self.host, port=0, log_level="warning", quiet=True)
        import uvicorn

        ready = threading.Event()

        class _Server(uvicorn.Server):
            async def startup(self, sockets: list[socket.socket] | None = None) -> None:
                try:
                    await super().startup(sockets=sockets)
                finally:
                    ready.set()

        sock, url = bind(self.host, self.port)
        self._socket = sock
        self._server = server = _Server(config)
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="gloo-emulator", daemon=True
        )
        self._thread.start()
        if not ready.wait(_STARTUP_TIMEOUT) or not server.started:
            self.stop()
            raise RuntimeError("The emulator's HTTP server did not start.")
        self.url = url

    def stop(self) -> None:
        """Stop the server and wait for its thread (requests still hanging are cancelled)."""
        server, thread, sock = self._server, self._thread, self._socket
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(_STOP_TIMEOUT)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(_STOP_TIMEOUT)
        if sock is not None:
            sock.close()
        self._server = self._thread = self._socket = None
