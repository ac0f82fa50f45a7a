"""The SDK's own warnings, attributed to the caller's line rather than to gloo_ai."""

from __future__ import annotations

import sys
import warnings

__all__ = ["ModelCapabilityWarning", "UnknownValueWarning", "warn_at_caller"]


class UnknownValueWarning(UserWarning):
    """A request carries a value this SDK does not know (for example a new ``tradition``).

    The value is sent as it is: the platform may know it even if this version of the SDK
    does not. Silence it with ``warnings.filterwarnings("ignore",
    category=UnknownValueWarning)`` once you know the value is right.
    """


class ModelCapabilityWarning(UserWarning):
    """A chat request asks a model for something its catalog entry says it cannot do:
    tools for a model without tool support, ``max_tokens`` below 1024 for a reasoning model,
    chat with an image-only model.

    Raised only from an already-cached model catalog (never fetched for a warning), once per
    client, model and problem. The request is sent as it is. Silence it with
    ``warnings.filterwarnings("ignore", category=ModelCapabilityWarning)``.
    """


# Frames of these packages are skipped, so the warning points at the user's own line: the
# SDK's, and pydantic's when a request model's validator warns.
_INTERNAL = ("gloo_ai", "pydantic", "pydantic_core")


def _internal(module: str) -> bool:
    return module.split(".", 1)[0] in _INTERNAL


def warn_at_caller(message: str, category: type[Warning] = UnknownValueWarning) -> None:
    """Emit a warning attributed to the first caller outside gloo_ai (and pydantic).

    Args:
        message: the warning's text.
        category: its class; `UnknownValueWarning` unless told.
    """
    frame = sys._getframe(1)  # the caller of this function: stacklevel 2
    level = 2
    while frame is not None and _internal(frame.f_globals.get("__name__", "")):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
