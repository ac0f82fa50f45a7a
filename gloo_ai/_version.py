"""The version of the gloo-ai distribution."""

__version__ = "0.1.0"
