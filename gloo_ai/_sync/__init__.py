"""The sync client, `Gloo`: a thin layer over `AsyncGloo` (see _portal.py and _generated.py)."""

from ._generated import Gloo

__all__ = ["Gloo"]
