"""Embeddings (``POST /ai/v2/direct/embeddings``), emulated (§13).

Each text's vector is a deterministic function of the text and the model: the sum of one
pseudo-random vector per word (from SHA-256 of the model and the lower-cased word), then
unit-normalised, `DIMENSIONS` floats. The same text always gets the same vector, and texts
that share words point in similar directions, so cosine similarity ranks them sensibly.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from ._asgi import Reply, json_reply
from ._routes import RouteRequest, route
from ._validation import RequestRejected, _Errors, invalid_request

if TYPE_CHECKING:
    from ._emulator import GlooEmulator

__all__ = ["DIMENSIONS", "EMBEDDINGS_ROUTES", "embed"]

DIMENSIONS: Final = 768
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=4096)
def _word_vector(model: str, word: str) -> tuple[float, ...]:
    values: list[float] = []
    counter = 0
    while len(values) < DIMENSIONS:
        block = hashlib.sha256(f"{model}\0{word}\0{counter}".encode()).digest()
        values.extend(n / 2**31 - 1.0 for n in struct.unpack(">8I", block))
        counter += 1
    return tuple(values[:DIMENSIONS])


def embed(model: str, text: str) -> list[float]:
    """The emulator's unit-length embedding of ``text`` by ``model``.

    Args:
        model: the model id (a different model gives different vectors).
        text: the text (not empty).

    Returns:
        `DIMENSIONS` floats whose squares sum to 1.
    """
    words = _WORD.findall(text.lower()) or [text]
    total = [0.0] * DIMENSIONS
    for word in words:
        for i, value in enumerate(_word_vector(model, word)):
            total[i] += value
    norm = math.sqrt(sum(v * v for v in total)) or 1.0
    return [v / norm for v in total]


def _texts(body: object) -> tuple[str, list[str]]:
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    errors = _Errors()
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        errors.add("string_type", "model", "Input should be a non-empty string", model)
    given = body.get("input")
    texts = [given] if isinstance(given, str) else given
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        errors.add("list_type", "input", "Input should be a string or a list of strings", given)
    errors.raise_if_any()
    assert isinstance(model, str)
    assert isinstance(texts, list)
    if not texts:
        raise invalid_request("input must not be empty: give at least one text.")
    for i, text in enumerate(texts):
        if not text.strip():
            raise invalid_request(f"input[{i}] is empty: every text needs some content.")
    return model, texts


@route("POST", "/ai/v2/direct/embeddings")
def _embeddings_route(emulator: GlooEmulator, request: RouteRequest) -> Reply:
    if request.json is None:
        raise RequestRejected(400, {"detail": "The request body is not valid JSON."})
    model, texts = _texts(request.json)
    tokens = sum(len(text.split()) for text in texts)
    data: list[dict[str, Any]] = [
        {"object": "embedding", "index": i, "embedding": embed(model, text)}
        for i, text in enumerate(texts)
    ]
    return json_reply(
        200,
        {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        },
    )


EMBEDDINGS_ROUTES = [_embeddings_route]
