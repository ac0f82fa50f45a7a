"""A FastAPI app that answers questions with Gloo AI, as JSON or as a live SSE stream.

- One `AsyncGloo` for the whole app: created in the lifespan (credentials from the
  environment: ``GLOO_CLIENT_ID`` / ``GLOO_CLIENT_SECRET`` or ``GLOO_API_KEY``), shared by
  every request (one connection pool, one cached token), closed on shutdown.
- `get_client` hands it to the handlers as a dependency; a test overrides it.
- ``POST /ask`` answers with JSON: the text, the model that answered and the token usage.
- ``GET /ask/stream?question=...`` (what a browser's ``EventSource`` sends) and
  ``POST /ask/stream`` relay the answer as server-sent events while it is generated; when the
  browser goes away, the upstream stream is closed at once, so its connection is released
  and no more of the answer is read.
- The SDK's errors become HTTP answers: a rate limit is a 429 with ``Retry-After``, an
  unreachable or failing Gloo a 502 or 504. Nothing from Gloo's answer (or a credential) is
  shown to the browser, only the request id to quote in a support ticket.

Run it with ``uvicorn app:app`` from this folder (see README.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from gloo_ai import APIError, APITimeoutError, AsyncGloo, AsyncStream, RateLimitError
from gloo_ai.types.chat import ChatCompletionChunk

__all__ = ["Answer", "Question", "SSEResponse", "app", "get_client", "lifespan"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create the app's one client on startup and close it on shutdown."""
    app.state.gloo = AsyncGloo()
    try:
        yield
    finally:
        await app.state.gloo.aclose()


app = FastAPI(title="Ask Gloo", lifespan=lifespan)


def get_client(request: Request) -> AsyncGloo:
    """The app's shared client (override this dependency in tests)."""
    client: AsyncGloo = request.app.state.gloo
    return client


Gloo = Annotated[AsyncGloo, Depends(get_client)]


class Question(BaseModel):
    """What the browser asks."""

    question: str = Field(min_length=1, max_length=4000)


class Answer(BaseModel):
    """The answer: its text, the model that wrote it and what it used."""

    answer: str
    model: str
    usage: dict[str, Any] | None = None


def _messages(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}]


@app.post("/ask")
async def ask(body: Question, gloo: Gloo) -> Answer:
    """Answer one question with JSON."""
    completion = await gloo.chat.completions.create(messages=_messages(body.question))
    usage = completion.usage.model_dump(exclude_none=True) if completion.usage else None
    return Answer(
        answer=completion.choices[0].message.content or "", model=completion.model, usage=usage
    )


class SSEResponse(StreamingResponse):
    """A ``text/event-stream`` answer relaying an upstream `AsyncStream`.

    However the answer ends (read to its end, the browser disconnects, an error), the
    upstream stream is closed when the response is done, so its connection goes back to the
    pool (or is closed, if unread) instead of waiting for garbage collection.
    """

    media_type = "text/event-stream"

    def __init__(self, upstream: AsyncStream[ChatCompletionChunk], status_code: int = 200) -> None:
        super().__init__(
            _relay(upstream),
            status_code,  # FastAPI's OpenAPI schema reads its default
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.upstream = upstream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):  # a disconnect cancels us: close anyway
                await self.upstream.close()


def _event(data: Mapping[str, object], event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _relay(upstream: AsyncStream[ChatCompletionChunk]) -> AsyncIterator[str]:
    try:
        async for chunk in upstream:
            for choice in chunk.choices:
                if choice.delta.content:
                    yield _event({"delta": choice.delta.content})
        yield _event({}, event="done")
    except APIError as exc:  # the stream broke after the answer's head: tell the browser
        yield _event({"error": _public_message(exc)}, event="error")
    finally:
        with anyio.CancelScope(shield=True):
            await upstream.close()


async def _open_stream(gloo: AsyncGloo, question: str) -> SSEResponse:
    # Opened before the response starts: an error here is still an HTTP status.
    upstream = await gloo.chat.completions.create(messages=_messages(question), stream=True)
    return SSEResponse(upstream)


@app.get("/ask/stream", response_class=SSEResponse)
async def ask_stream(
    gloo: Gloo, question: Annotated[str, Query(min_length=1, max_length=4000)]
) -> SSEResponse:
    """Relay the answer as server-sent events (for a browser's ``EventSource``)."""
    return await _open_stream(gloo, question)


@app.post("/ask/stream", response_class=SSEResponse)
async def ask_stream_post(body: Question, gloo: Gloo) -> SSEResponse:
    """Relay the answer as server-sent events (the question in a JSON body)."""
    return await _open_stream(gloo, body.question)


def _public_message(exc: APIError) -> str:
    request_id = getattr(exc, "request_id", None)
    suffix = f" (Gloo request id {request_id})" if request_id else ""
    if isinstance(exc, RateLimitError):
        return "Too many questions right now: try again shortly." + suffix
    if isinstance(exc, APITimeoutError):
        return "The answer took too long." + suffix
    return "The answer could not be generated." + suffix


@app.exception_handler(APIError)
async def gloo_error(request: Request, exc: APIError) -> JSONResponse:
    """Turn the SDK's errors into HTTP answers without showing Gloo's details."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimitError):
        status = 429
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    elif isinstance(exc, APITimeoutError):
        status = 504  # Gloo did not answer in time
    else:  # Gloo failed (a 4xx or 5xx), could not be reached, or sent an unreadable answer
        status = 502
    return JSONResponse({"detail": _public_message(exc)}, status_code=status, headers=headers)
