"""One call's budget: what it may still spend beyond its first request.

A call (``client.chat.completions.create(...)``) may send more than one request: retries of
an error, retries of a rate limit, the token request it waits for (and that request's own
retries), and one replay after a 401. All of them draw on one `CallBudget`, so that attempts
add up instead of multiplying: with ``max_retries=2`` a call makes at most 2 retries of errors
in all, whether the API or the token endpoint failed. The budget travels in a context
variable (`CURRENT_CALL`), because the token request is sent from inside httpx's auth flow,
in the same task as the call; a token request with no call around it (refresh ahead) gets a
budget of its own.

The call's timeout travels with it too: the token request a call waits for gets, phase by
phase, the shorter of its own timeout and the call's (`tighter_timeout`), so ``timeout=1``
bounds the wait for a token as well.

Pure state, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["CURRENT_CALL", "CallBudget", "tighter_timeout"]

TimeoutPhases = Mapping[str, "float | None"]


@dataclass(slots=True)
class CallBudget:
    """The retries one call has left, shared by every request it sends.

    Attributes:
        max_retries: retries of errors (connection failures, timeouts where the policy
            allows, 408 and 5xx answers) the call may make in all.
        max_rate_limit_retries: retries of rate limits (429) the call may make in all.
        timeout: the call's per-phase timeout (an httpx timeout extension), which also
            bounds the token request the call waits for; None: no timeout.
        retries: retries of errors made so far.
        rate_limit_retries: retries of rate limits made so far.
        replayed: whether the one replay after a 401 was used.
    """

    max_retries: int
    max_rate_limit_retries: int
    timeout: TimeoutPhases | None = None
    retries: int = 0
    rate_limit_retries: int = 0
    replayed: bool = False

    def take_retry(self) -> bool:
        """Spend one retry of an error; False if none is left."""
        if self.retries >= self.max_retries:
            return False
        self.retries += 1
        return True

    def take_rate_limit_retry(self) -> bool:
        """Spend one retry of a rate limit; False if none is left."""
        if self.rate_limit_retries >= self.max_rate_limit_retries:
            return False
        self.rate_limit_retries += 1
        return True

    def take_replay(self) -> bool:
        """Spend the call's one replay after a 401; False if it was used."""
        if self.replayed:
            return False
        self.replayed = True
        return True


CURRENT_CALL: ContextVar[CallBudget | None] = ContextVar("gloo_ai_current_call", default=None)
"""The budget of the call running in this task, if any (set by the transport)."""


def tighter_timeout(own: TimeoutPhases, call: TimeoutPhases | None) -> dict[str, float | None]:
    """Phase by phase, the shorter of two timeouts (None in a phase: no limit there)."""
    if call is None:
        return dict(own)
    merged: dict[str, float | None] = {}
    for phase in own.keys() | call.keys():
        a, b = own.get(phase), call.get(phase)
        merged[phase] = b if a is None else a if b is None else min(a, b)
    return merged
