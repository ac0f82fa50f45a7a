"""Gloo's surfaces: which family of paths serves a generation (gloo-api.md §0.1, §3.6).

Gloo serves chat completions, grounded completions and the Responses API on up to three
surfaces:

- ``"standard"``: the documented paths (``/ai/v2/chat/completions``, ...), Gloo's values layer
  and its default guardrails;
- ``"guarded"``: the Gen-2 paths with guardrails always on (``/ai/v2/guarded/...``), which
  may refuse or reword crisis input;
- ``"direct"``: the Gen-2 paths with no guardrails or values layer (``/ai/v2/direct/...``).

A client picks one (``AsyncGloo(surface=...)``, else ``GLOO_SURFACE``, else ``"standard"``)
and a call may override it (``surface=...``). Each area declares its paths as a
`SurfacePaths`; a surface an area does not have is refused before sending.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, get_args

from ._exceptions import ConfigurationError, InvalidArgumentError

__all__ = [
    "ENV_SURFACE",
    "SURFACES",
    "Surface",
    "SurfacePaths",
    "check_surface",
    "surface_from_env",
]

Surface: TypeAlias = Literal["standard", "guarded", "direct"]
"""A Gloo surface: ``"standard"``, ``"guarded"`` (guardrails always on) or ``"direct"``
(no guardrails or values layer)."""

SURFACES: Final[tuple[Surface, ...]] = get_args(Surface)
ENV_SURFACE: Final = ("GLOO_SURFACE", "GLOO_AI_SURFACE")


def check_surface(value: object, error: type[Exception], *, where: str = "surface") -> Surface:
    """Return ``value`` as a `Surface`, or raise ``error`` naming the allowed values."""
    for surface in SURFACES:
        if value == surface:
            return surface
    raise error(f"{where} must be one of {', '.join(repr(s) for s in SURFACES)}; not {value!r}.")


def surface_from_env() -> Surface | None:
    """The surface ``GLOO_SURFACE`` (or ``GLOO_AI_SURFACE``) names, None when unset."""
    for name in ENV_SURFACE:
        value = os.environ.get(name)
        if value:
            return check_surface(value.strip().lower(), ConfigurationError, where=name)
    return None


@dataclass(frozen=True)
class SurfacePaths:
    """The paths of one API area on each surface; None where the area has no such path.

    Args:
        area: the area as the user writes it (``"chat.grounded"``), for messages.
        standard: the path on the standard surface.
        guarded: the path on the guarded surface.
        direct: the path on the direct surface.
    """

    area: str
    standard: str | None
    guarded: str | None
    direct: str | None

    def path(self, surface: Surface) -> str:
        """The path on ``surface``.

        Raises:
            InvalidArgumentError: the area has no path on that surface; nothing was sent.
        """
        found: str | None = getattr(self, surface)
        if found is None:
            offered = [s for s in SURFACES if getattr(self, s) is not None]
            raise InvalidArgumentError(
                f"{self.area} has no {surface!r} surface on Gloo; use surface="
                + " or ".join(repr(s) for s in offered)
                + "."
            )
        return found
