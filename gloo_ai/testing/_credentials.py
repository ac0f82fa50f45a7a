"""The emulator's credentials: the OAuth2 token endpoint and the bearer check of every route."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote_plus

from ._asgi import Reply, json_reply

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["basic_credentials", "check_bearer", "issue_token"]


def issue_token(emulator: GlooEmulator, headers: dict[str, str], body: bytes) -> Reply:
    """Answer ``POST /oauth2/token``: client credentials (Basic or form) for a bearer token."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    grant = form.get("grant_type")
    if grant is None:
        return json_reply(400, {"error": "invalid_request"})
    if grant != "client_credentials":
        return json_reply(400, {"error": "unsupported_grant_type"})
    client_id, client_secret = basic_credentials(headers.get("authorization", ""))
    if client_id is None:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if not (
        client_id is not None
        and client_secret is not None
        and secrets.compare_digest(client_id.encode(), emulator.client_id.encode())
        and secrets.compare_digest(client_secret.encode(), emulator.client_secret.encode())
    ):
        return json_reply(401, {"error": "invalid_client"}, {"www-authenticate": "Basic"})
    token = secrets.token_urlsafe(32)
    emulator._tokens[token] = emulator.clock() + emulator.token_lifetime
    return json_reply(
        200,
        {
            "access_token": token,
            "expires_in": int(emulator.token_lifetime),
            "token_type": "Bearer",
            "scope": "api/access",
        },
        {"cache-control": "no-store"},
    )


def check_bearer(emulator: GlooEmulator, headers: dict[str, str]) -> Reply | None:
    """None when ``headers`` carry a valid bearer token or API key, else the 401 to send."""
    value = headers.get("authorization", "").strip()
    if not value:
        return json_reply(
            401,
            {"error": "Missing Authorization", "code": "unauthorized_missing_authorization"},
        )
    scheme, _, credential = value.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        if credential in emulator.api_keys:
            return None
        expires_at = emulator._tokens.get(credential)
        if expires_at is not None and emulator.clock() < expires_at:
            return None
    return json_reply(
        401, {"error": "Invalid or expired token", "code": "unauthorized_invalid_token"}
    )


def basic_credentials(header: str) -> tuple[str | None, str | None]:
    """The (id, secret) of a Basic Authorization header; ("", "") when unreadable."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""  # present but unreadable: wrong credentials
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        return "", ""
    return unquote_plus(client_id), unquote_plus(client_secret)
