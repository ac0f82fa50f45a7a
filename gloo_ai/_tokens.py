"""Access tokens: what the token endpoint returns, and when one is due for refresh."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Token", "refresh_buffer"]


@dataclass(frozen=True, eq=False)
class Token:
    """An access token and the monotonic time at which it expires.

    The token's value never appears in ``repr()`` or ``str()``. Tokens compare by identity,
    so "is this still the cached token?" asks about this very token.
    """

    value: str = field(repr=False)
    expires_at: float
    lifetime: float

    def needs_refresh(self, now: float, buffer: float) -> bool:
        """Whether the token is expired or inside its refresh window at ``now``."""
        return now >= self.expires_at - refresh_buffer(buffer, self.lifetime)

    def __str__(self) -> str:
        return repr(self)


def refresh_buffer(buffer: float, lifetime: float) -> float:
    """The refresh window for a token: ``buffer``, but never more than half its lifetime.

    A token that lives 60 s with a 60 s buffer would otherwise be stale on arrival and fetched
    again for every call.
    """
    return min(buffer, lifetime / 2.0)
