"""The emulator's route table: each API area registers its own routes here.

A route is a method, a path pattern (``{name}`` matches one path segment) and a handler that
takes the emulator and the request and returns a `Reply`. The emulator matches the path,
answers 405 for a known path with another method, checks the bearer token unless the route
is public, and turns `RequestRejected` into its JSON error. A new area adds a module with its
handlers and one line to `ROUTES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from ._asgi import Reply

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["Route", "RouteRequest", "Router", "route"]


@dataclass(frozen=True)
class RouteRequest:
    """What a handler gets: the request, its path parameters and its query.

    Attributes:
        method: the HTTP method.
        path: the path, without the query string.
        params: the values of the pattern's ``{name}`` segments.
        query: the query parameters (the last value of each name).
        headers: the headers, with lower-case names.
        body: the raw body.
        json: the body decoded as JSON, or None.
    """

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = field(default=None)


Handler = Callable[["GlooEmulator", RouteRequest], Reply]


@dataclass(frozen=True)
class Route:
    """One route: ``method`` on ``pattern``, answered by ``handler``."""

    method: str
    pattern: str
    handler: Handler
    public: bool = False  # True: no bearer token needed (the token endpoint, the catalog)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters if ``path`` matches the pattern, else None."""
        found = _compile(self.pattern).fullmatch(path)
        return found.groupdict() if found is not None else None


def route(method: str, pattern: str, *, public: bool = False) -> Callable[[Handler], Route]:
    """Declare a handler as a route (a decorator)."""

    def declare(handler: Handler) -> Route:
        return Route(method.upper(), pattern, handler, public)

    return declare


class Router:
    """Finds the route of a request."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = list(routes)

    def find(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """The matching route and its parameters, or None and the methods the path allows."""
        allowed: list[str] = []
        for candidate in self.routes:
            params = candidate.match(path)
            if params is None:
                continue
            if candidate.method == method:
                return candidate, params, []
            allowed.append(candidate.method)
        return None, {}, allowed


def query_of(raw: bytes) -> dict[str, str]:
    """The query string's parameters, the last value of each name."""
    parsed = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    return {name: values[-1] for name, values in parsed.items()}


_COMPILED: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(pattern)
    if compiled is None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
        compiled = _COMPILED[pattern] = re.compile(regex)
    return compiled
