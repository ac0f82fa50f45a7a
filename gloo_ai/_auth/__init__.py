"""httpx auth flows: a static API key, and OAuth2 client credentials with a shared token cache.

This package owns authentication; its modules split it by concern: ``_api_key`` (the static
key), ``_flow`` (the client-credentials flow: the in-memory token, single flight under one
anyio lock, the 401 replay), ``_endpoint`` (the token endpoint's request, answer and errors),
``_store`` (the optional `TokenStore` behind the memory copy), ``_ahead`` (refresh ahead) and
``_metrics`` (`TokenMetrics` and ``on_token_refresh``). Import the names from here.
"""

from __future__ import annotations

from ._api_key import ApiKeyAuth, NoCredentialsAuth
from ._endpoint import TokenSender
from ._flow import ClientCredentialsAuth
from ._metrics import TokenMetrics

__all__ = [
    "ApiKeyAuth",
    "ClientCredentialsAuth",
    "NoCredentialsAuth",
    "TokenMetrics",
    "TokenSender",
]
