"""A client's settings from its arguments, else the environment: credentials and URLs.

``GLOO_*`` names beat their ``GLOO_AI_*`` aliases; arguments beat both.
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Any
from urllib.parse import urlsplit

from ._config import NotGiven, check_flag, check_max_retries, check_timeout
from ._exceptions import ConfigurationError
from ._tokens import TokenStore

__all__ = [
    "ENV_BASE_URL",
    "KEYWORDS_ONLY",
    "NO_CREDENTIALS",
    "check_call_defaults",
    "check_client_arguments",
    "env_value",
    "is_loopback",
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


KEYWORDS_ONLY = (
    "AsyncGloo takes keyword arguments only: pass api_key=... for an API key, or "
    "client_id=... and client_secret=... for OAuth2 client credentials (or set them in the "
    "environment, GLOO_API_KEY or GLOO_CLIENT_ID and GLOO_CLIENT_SECRET)."
)
"""The message of the `ConfigurationError` for a positional argument to `AsyncGloo`."""


def check_call_defaults(**defaults: object) -> dict[str, Any]:
    """The call defaults given (not `NOT_GIVEN`), checked: a bad one is a `ConfigurationError`."""
    checked: dict[str, Any] = {}
    for name, value in defaults.items():
        if isinstance(value, NotGiven):
            continue
        if name == "timeout":
            checked[name] = check_timeout(value, ConfigurationError)
        elif name == "retry_read_errors":
            checked[name] = check_flag(value, ConfigurationError, name)
        else:
            checked[name] = check_max_retries(value, ConfigurationError, name)
    return checked


def check_client_arguments(
    *,
    refresh_buffer: object,
    token_store: object,
    on_token_refresh: object,
    catalog_ttl: object,
    token_store_timeout: object,
    flags: dict[str, object],
) -> None:
    """Refuse a bad `AsyncGloo` argument with a `ConfigurationError` saying what to pass."""
    for name, seconds, floor in (
        ("refresh_buffer", refresh_buffer, 0.0),
        ("catalog_ttl", catalog_ttl, 0.0),
    ):
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, (int, float))
            or not seconds >= floor
        ):
            raise ConfigurationError(f"{name} must be seconds >= 0, not {seconds!r}.")
    if (
        isinstance(token_store_timeout, bool)
        or not isinstance(token_store_timeout, (int, float))
        or not 0 < token_store_timeout < float("inf")
    ):
        raise ConfigurationError(
            f"token_store_timeout must be seconds > 0, not {token_store_timeout!r}."
        )
    if token_store is not None and not isinstance(token_store, TokenStore):
        raise ConfigurationError(
            "token_store must be a TokenStore (with async get, set and delete, and lock), "
            f"such as FileTokenStore or RedisTokenStore; not {type(token_store).__name__}."
        )
    if on_token_refresh is not None and not callable(on_token_refresh):
        raise ConfigurationError("on_token_refresh must be callable.")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise ConfigurationError(f"{name} must be True or False, not {flag!r}.")


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


def is_loopback(host: str) -> bool:
    """Whether ``host`` cannot leave this machine: a loopback address, ``localhost`` (and
    ``*.localhost``), or a ``*.invalid`` name, which never resolves (the in-process emulator's
    ``http://gloo-emulator.invalid``)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".invalid")):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(name: str, url: str, *, allow_http: bool = False) -> str:
    """An http(s) URL without a trailing slash and without credentials in it.

    Plain ``http://`` is refused for any host but this machine's own (`is_loopback`) unless
    ``allow_http``: the client secret, the API key and every token would cross the network
    in the clear.
    """
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
    host = urlsplit(url).hostname or ""
    if url.startswith("http://") and not allow_http and not is_loopback(host):
        raise ConfigurationError(
            f"{name} {url!r} is plain http:// to {host!r}, another machine: the client "
            "secret, the API key and every access token would cross the network in the "
            "clear. Use https://, or pass allow_http=True to AsyncGloo() if the network "
            "between you is trusted (loopback addresses are always allowed)."
        )
    return url


def validate_base_url(url: str, *, allow_http: bool = False) -> str:
    """The platform's root URL; an endpoint's URL (``.../ai/v2``) is refused with the fix."""
    url = validate_url("base_url", url, allow_http=allow_http)
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
