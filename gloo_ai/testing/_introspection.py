"""The emulator's read-only view of itself: ``GET /_emulator/counts`` and ``/_emulator/requests``.

An app's tests that talk to a served emulator (``gloo emulator``, `EmulatorServer`) from
another process read what the app sent here. Both answer loopback clients only, need no
token, and are neither counted nor recorded. Credentials in recorded headers are masked.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from ._asgi import Reply, json_reply

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["PREFIX", "introspect", "masked_headers"]

PREFIX = "/_emulator/"
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "proxy-authorization"})


def masked_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with credential values replaced: ``Bearer ***`` keeps only the scheme."""
    masked = {}
    for name, value in headers.items():
        if name in _SECRET_HEADERS:
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} ***" if rest else "***"
        masked[name] = value
    return masked


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host in ("localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def introspect(emulator: GlooEmulator, method: str, path: str, client: object) -> Reply:
    """Answer a request under `PREFIX`.

    Args:
        emulator: the emulator to describe.
        method: the request's method.
        path: its path.
        client: the ASGI scope's ``client`` (``(host, port)`` or None).

    Returns:
        200 with the counts or the requests; 403 for a non-loopback client; 404 or 405.
    """
    host = client[0] if isinstance(client, (list, tuple)) and client else None
    if not _is_loopback(host):
        return json_reply(
            403, {"detail": "The /_emulator/ endpoints answer loopback clients only."}
        )
    name = path[len(PREFIX) :].strip("/")
    if name not in ("counts", "requests"):
        return json_reply(404, {"detail": "Not Found", "endpoints": ["counts", "requests"]})
    if method != "GET":
        return json_reply(405, {"detail": "Method Not Allowed"}, {"allow": "GET"})
    if name == "counts":
        return json_reply(200, dict(emulator.counts))
    recorded: list[dict[str, Any]] = [
        {
            "method": r.method,
            "path": r.path,
            "headers": masked_headers(r.headers),
            "json": r.json,
        }
        for r in list(emulator.requests)
    ]
    return json_reply(200, recorded)
