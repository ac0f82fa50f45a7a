"""A client's settings from its arguments, else the environment: credentials and URLs.

``GLOO_*`` names beat their ``GLOO_AI_*`` aliases; arguments beat both.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from ._exceptions import ConfigurationError

__all__ = [
    "ENV_BASE_URL",
    "NO_CREDENTIALS",
    "env_value",
    "pick_credentials",
    "validate_base_url",
    "validate_url",
]

ENV_CLIENT_ID = ("GLOO_CLIENT_ID", "GLOO_AI_CLIENT_ID")
ENV_CLIENT_SECRET = ("GLOO_CLIENT_SECRET", "GLOO_AI_CLIENT_SECRET")
ENV_API_KEY = ("GLOO_API_KEY", "GLOO_AI_API_KEY")
ENV_BASE_URL = ("GLOO_BASE_URL", "GLOO_AI_BASE_URL")

_NO_CREDENTIALS = (
    "No Gloo credentials found. Set GLOO_CLIENT_ID and GLOO_CLIENT_SECRET (or their aliases "
    "GLOO_AI_CLIENT_ID and GLOO_AI_CLIENT_SECRET) to your client credentials from Gloo AI "
    "Studio, or GLOO_API_KEY (alias GLOO_AI_API_KEY) to an API key; or pass client_id and "
    "client_secret, or api_key, to AsyncGloo()."
)
NO_CREDENTIALS = _NO_CREDENTIALS
"""The message of the `ConfigurationError` a call that needs credentials raises without any."""


def env_value(names: tuple[str, str]) -> str | None:
    """The first non-empty variable of ``names`` (the GLOO_* name beats its GLOO_AI_* alias)."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def pick_credentials(
    client_id: str | None, client_secret: str | None, api_key: str | None
) -> tuple[str, str, str]:
    """Pick the credentials: ("client_credentials", id, secret), ("api_key", key, ""), or
    ("none", "", "") when none are given anywhere (a call that needs them then raises the
    `ConfigurationError` of `NO_CREDENTIALS`; public calls such as the model catalog work)."""
    if (client_id or client_secret) and api_key:
        raise ConfigurationError(
            "Pass either client_id and client_secret (OAuth2 client credentials) or "
            "api_key, not both."
        )
    if api_key:
        return "api_key", api_key, ""
    if client_id or client_secret:
        client_id = client_id or env_value(ENV_CLIENT_ID)
        client_secret = client_secret or env_value(ENV_CLIENT_SECRET)
        if not client_id or not client_secret:
            missing = "client_id" if not client_id else "client_secret"
            raise ConfigurationError(
                f"{missing} is missing: pass both client_id and client_secret "
                "(or set GLOO_CLIENT_ID and GLOO_CLIENT_SECRET)."
            )
        return "client_credentials", client_id, client_secret
    env_id, env_secret, env_key = (
        env_value(ENV_CLIENT_ID),
        env_value(ENV_CLIENT_SECRET),
        env_value(ENV_API_KEY),
    )
    if (env_id or env_secret) and env_key:
        raise ConfigurationError(
            "Both client credentials (GLOO_CLIENT_ID / GLOO_CLIENT_SECRET or their GLOO_AI_* "
            "aliases) and an API key (GLOO_API_KEY or GLOO_AI_API_KEY) are set in the "
            "environment. Unset one kind, or pass the credentials you mean to AsyncGloo()."
        )
    if env_key:
        return "api_key", env_key, ""
    if env_id and env_secret:
        return "client_credentials", env_id, env_secret
    if env_id or env_secret:
        missing = "GLOO_CLIENT_SECRET" if env_id else "GLOO_CLIENT_ID"
        raise ConfigurationError(
            f"{missing} (or its GLOO_AI_* alias) is not set, but its partner is: set both "
            "GLOO_CLIENT_ID and GLOO_CLIENT_SECRET."
        )
    return "none", "", ""


# The first segment of every Gloo API path: a base URL that ends in one is an endpoint's URL.
_API_PREFIXES = ("ai", "platform", "engine", "ingestion", "oauth2")
_API_NEXT = re.compile(r"v\d+|data|token")


def validate_url(name: str, url: str) -> str:
    """An http(s) URL without a trailing slash and without credentials in it."""
    url = url.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"{name} must be an http:// or https:// URL, such as "
            f"'https://platform.ai.gloo.com'; got {_redacted(url)!r}."
        )
    if "@" in urlsplit(url).netloc:
        raise ConfigurationError(
            f"{name} must not contain a user name or password ({_redacted(url)!r}): "
            "credentials in a URL leak into logs and errors. Pass client_id and "
            "client_secret, or api_key, instead."
        )
    return url


def validate_base_url(url: str) -> str:
    """The platform's root URL; an endpoint's URL (``.../ai/v2``) is refused with the fix."""
    url = validate_url("base_url", url)
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    for i, segment in enumerate(segments):
        after = segments[i + 1] if i + 1 < len(segments) else None
        if segment in _API_PREFIXES and (after is None or _API_NEXT.fullmatch(after)):
            root = f"{parts.scheme}://{parts.netloc}" + "".join(f"/{s}" for s in segments[:i])
            raise ConfigurationError(
                f"base_url should be the platform's root URL, without an API path: the SDK "
                f"adds each endpoint's path (such as /ai/v2/chat/completions) itself. Pass "
                f"base_url={root!r} instead of {url!r}."
            )
    return url


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"***@{host}").geturl()
