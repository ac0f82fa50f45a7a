"""The fault script: errors, drops, garbage and latency for the next requests to a route."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

__all__ = ["EmulatedDisconnect", "Fault", "FaultKind", "FaultScript"]

FaultKind = Literal[
    "status", "drop", "stream_error", "malformed", "delay", "hang", "rate_limit", "server_error"
]


class EmulatedDisconnect(httpx.RemoteProtocolError):
    """Raised by the emulator to drop a connection in the middle of a body.

    Under a real server (uvicorn) the client sees a broken connection. In-process,
    `httpx.ASGITransport` buffers whole bodies and re-raises the app's exceptions, so the
    client sees this exception itself: being an `httpx.RemoteProtocolError` (a transport
    error), it is what a dropped connection looks like to httpx and to the SDK.
    """


@dataclass
class Fault:
    """One scripted fault and how many more requests it answers.

    Attributes:
        kind: what the fault does.
        times: how many more requests it answers.
        status: the HTTP status of a status-type fault.
        body: the body of a status-type fault (JSON-encoded unless bytes or str).
        headers: extra headers of a status-type fault.
        after_events: SSE events sent before a drop or an in-band error.
        seconds: the added latency of a delay.
    """

    kind: FaultKind
    times: int
    status: int = 200
    body: object | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_events: int = 1
    seconds: float = 0.0


def _check_times(times: int) -> int:
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError(f"times must be a whole number >= 1, not {times!r}.")
    return times


def _check_route(route: str) -> str:
    if not isinstance(route, str) or not route.startswith("/"):
        raise ValueError(f"route must be a path such as '/ai/v2/chat/completions', not {route!r}.")
    return route


def _error_object(
    *, code: int, name: str, retryable: bool | None, message: str, kind: str
) -> dict[str, object]:
    error: dict[str, object] = {
        "type": kind,
        "code": code,
        "name": name,
        "fault": "provider",
        "message": message,
    }
    if retryable is not None:
        error["retryable"] = retryable
    return {"error": error}


class FaultScript:
    """Scripted faults, answered by the next requests to a route in FIFO order.

    Each method queues a fault for ``times`` requests to ``route`` (a path such as
    ``"/ai/v2/chat/completions"`` or ``"/oauth2/token"``); faults queued for the same route
    are answered one after the other. A faulted request is still counted and recorded.
    The script may be changed from another thread while a server runs the emulator.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {}

    def _add(self, route: str, fault: Fault) -> None:
        route = _check_route(route)
        _check_times(fault.times)
        with self._lock:
            self._queues.setdefault(route, deque()).append(fault)

    def _take(self, route: str) -> Fault | None:
        """Consume one request's share of the first fault queued for ``route``.

        Args:
            route: the request's path.

        Returns:
            The fault that answers this request, or None if none is queued.
        """
        with self._lock:
            queue = self._queues.get(route)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.popleft()
            return fault

    def pending(self, route: str) -> int:
        """How many requests to ``route`` the queued faults will still answer.

        Args:
            route: a path.

        Returns:
            The sum of the remaining ``times`` of the faults queued for ``route``.
        """
        with self._lock:
            return sum(f.times for f in self._queues.get(route, ()))

    def status(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        body: object | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with an HTTP status.

        Args:
            route: the path to fault.
            status: the HTTP status to answer with.
            times: how many requests get this answer.
            body: the body: bytes or str as they are, anything else as JSON (default
                ``{"detail": <reason phrase>}``).
            headers: extra response headers.
        """
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, not {status!r}.")
        self._add(
            route,
            Fault("status", times, status=status, body=body, headers=dict(headers or {})),
        )

    def rate_limit(self, route: str, *, times: int = 1, retry_after: float = 1.0) -> None:
        """Answer 429 with a ``Retry-After`` header and Gloo's rate-limit body.

        Args:
            route: the path to fault.
            times: how many requests get this answer.
            retry_after: the seconds sent in ``Retry-After``.
        """
        seconds = f"{retry_after:g}"
        self._add(
            route,
            Fault(
                "rate_limit",
                times,
                status=429,
                body={"error": "Rate limit exceeded", "code": "too_many_requests"},
                headers={"retry-after": seconds},
            ),
        )

    def server_error(
        self,
        route: str,
        *,
        times: int = 1,
        status: int = 503,
        retryable: bool | None = True,
        code: int = 2002,
        name: str = "PROVIDER_UNAVAILABLE",
    ) -> None:
        """Answer a 5xx (or any status) with a Gloo AI error object.

        Args:
            route: the path to fault.
            times: how many requests get this answer.
            status: the HTTP status.
            retryable: the error's ``retryable`` flag; None leaves it out.
            code: the numeric error code.
            name: the symbolic error name.
        """
        body = _error_object(
            code=code,
            name=name,
            retryable=retryable,
            message="The model provider is unavailable (emulated).",
            kind="service_unavailable_error",
        )
        self._add(route, Fault("server_error", times, status=status, body=body))

    def drop(self, route: str, *, times: int = 1, after_events: int = 1) -> None:
        """Drop the connection in the middle of the body.

        A plain answer is cut after half its body; a stream after ``after_events`` events.
        See `EmulatedDisconnect` for what an in-process client sees.

        Args:
            route: the path to fault.
            times: how many requests are dropped.
            after_events: the SSE events sent before the drop.
        """
        self._add(route, Fault("drop", times, after_events=max(0, after_events)))

    def stream_error(
        self,
        route: str,
        *,
        times: int = 1,
        after_events: int = 1,
        code: int = 2002,
        name: str = "PROVIDER_UNAVAILABLE",
        retryable: bool = True,
    ) -> None:
        """Send ``data: {"error": {...}}`` after ``after_events`` events, then end the stream.

        A request that does not stream gets the same error object with HTTP 503 instead.

        Args:
            route: the path to fault.
            times: how many requests get this answer.
            after_events: the SSE events sent before the error event.
            code: the numeric error code.
            name: the symbolic error name.
            retryable: the error's ``retryable`` flag.
        """
        body = _error_object(
            code=code,
            name=name,
            retryable=retryable,
            message="The model provider failed in the middle of the answer (emulated).",
            kind="service_unavailable_error",
        )
        self._add(
            route,
            Fault("stream_error", times, status=503, body=body, after_events=max(0, after_events)),
        )

    def malformed(self, route: str, *, times: int = 1) -> None:
        """Answer 200 with a body that is not JSON (on a stream: a data line that is not JSON).

        Args:
            route: the path to fault.
            times: how many requests get this answer.
        """
        self._add(route, Fault("malformed", times))

    def delay(self, route: str, seconds: float, *, times: int = 1) -> None:
        """Wait ``seconds`` before answering normally.

        Args:
            route: the path to fault.
            seconds: the added latency.
            times: how many requests are delayed.
        """
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError(f"seconds must be a number >= 0, not {seconds!r}.")
        self._add(route, Fault("delay", times, seconds=float(seconds)))

    def hang(self, route: str, *, times: int = 1) -> None:
        """Never answer, until the client gives up (cancels or disconnects).

        Args:
            route: the path to fault.
            times: how many requests hang.
        """
        self._add(route, Fault("hang", times))

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._queues.clear()
