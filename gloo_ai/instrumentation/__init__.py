"""OpenTelemetry instrumentation: spans and metrics for every call, retry and token refresh.

Off unless enabled, and free when off: ``import gloo_ai`` does not import OpenTelemetry, and
a call pays one attribute check. Enable it for every client with `instrument` (or for one
with ``AsyncGloo(instrument=True)``); it needs the ``otel`` extra
(``pip install 'gloo-ai[otel]'``, which brings ``opentelemetry-api`` only). See
docs/observability.md for what is recorded.
"""

from __future__ import annotations

from ._otel import Instrumentation
from ._setup import instrument, uninstrument

__all__ = ["Instrumentation", "instrument", "uninstrument"]
