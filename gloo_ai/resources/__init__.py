"""The API's resources, one module per area, mirroring the attribute path on the client."""

from .chat import AsyncChat, AsyncCompletions, AsyncCompletionsV1, AsyncGrounded

__all__ = ["AsyncChat", "AsyncCompletions", "AsyncCompletionsV1", "AsyncGrounded"]
