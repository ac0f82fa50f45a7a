"""`instrument` and `uninstrument` (the global slot), and the slot of a client's ``instrument=``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._exceptions import ConfigurationError
from .._hooks import GLOBAL_HOOKS, HookSlot
from ._otel import Instrumentation

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["instrument", "slot_for", "uninstrument"]


def instrument(
    *,
    capture_content: bool = False,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> Instrumentation:
    """Record OpenTelemetry spans and metrics for every client that was not built with
    ``instrument=`` (those built before this call too), until `uninstrument`.

    Args:
        capture_content: also record the messages sent and the answers (off by default:
            they may hold personal data).
        tracer_provider: where spans go (default: OpenTelemetry's global provider).
        meter_provider: where metrics go (default: OpenTelemetry's global provider).

    Returns:
        The `Instrumentation` now in use (calling `instrument` again replaces it).

    Raises:
        ConfigurationError: ``opentelemetry-api`` is not installed (``pip install
            'gloo-ai[otel]'``).
    """
    hooks = Instrumentation(
        capture_content=capture_content,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )
    GLOBAL_HOOKS.hooks = hooks
    return hooks


def uninstrument() -> None:
    """Stop what `instrument` started (clients built with ``instrument=True`` keep theirs)."""
    GLOBAL_HOOKS.hooks = None


def slot_for(instrument: object) -> HookSlot:
    """The hook slot of a client built with ``instrument=``: ``None`` follows `instrument`
    (the global slot), ``True`` records with the global OpenTelemetry providers, ``False``
    never records, an `Instrumentation` records with it."""
    if instrument is None:
        return GLOBAL_HOOKS
    if instrument is False:
        return HookSlot()
    if instrument is True:
        return HookSlot(Instrumentation())
    if isinstance(instrument, Instrumentation):
        return HookSlot(instrument)
    raise ConfigurationError(
        "instrument must be True, False, None (follow gloo_ai.instrument()) or a "
        f"gloo_ai.Instrumentation, not {type(instrument).__name__}."
    )
