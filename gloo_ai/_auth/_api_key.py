"""The static API key flow, and the two things every auth flow here shares.

`ApiKeyAuth` sends a key as a bearer token with no token exchange and keeps it out of its repr.
This module also owns `bearer` (the ``Authorization`` value of a token or key) and the
message a sync httpx client gets, since both flows are async-only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx

from .._exceptions import ConfigurationError
from .._httpx_objects import Triple, set_header
from .._settings import NO_CREDENTIALS

__all__ = ["SYNC_MESSAGE", "ApiKeyAuth", "NoCredentialsAuth", "bearer"]

SYNC_MESSAGE = "gloo_ai is async-only: use AsyncGloo with await."


def bearer(value: str) -> str:
    """The ``Authorization`` header value that carries ``value``."""
    return f"Bearer {value}"


class ApiKeyAuth(httpx.Auth):
    """Sends a static API key as ``Authorization: Bearer <key>``, with no token exchange."""

    def __init__(self, api_key: str) -> None:
        self._key = api_key
        self._header = bearer(api_key)
        try:  # the header as httpx keeps it, set without httpx's per-call encoding
            self._triple: Triple | None = (
                b"Authorization",
                b"authorization",
                self._header.encode(),
            )
        except UnicodeEncodeError:  # httpx raises it when the header is set
            self._triple = None

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key='***')"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise RuntimeError(SYNC_MESSAGE)

    def authorize(self, request: httpx.Request) -> httpx.Request:
        """Set the key's ``Authorization`` header on ``request``: the whole flow, which needs
        no I/O and no second request (a 401 is the answer), so a sender may call it
        directly instead of running the flow."""
        if self._triple is None:
            request.headers["Authorization"] = self._header
        else:
            set_header(request.headers, self._triple)
        return request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        yield self.authorize(request)


class NoCredentialsAuth(httpx.Auth):
    """The auth flow of a client created without credentials: a call that needs them raises
    the clear `ConfigurationError` before anything is sent (public calls pass)."""

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise ConfigurationError(NO_CREDENTIALS)  # when httpx asks for the flow: nothing sent

    def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise ConfigurationError(NO_CREDENTIALS)  # when httpx asks for the flow: nothing sent
