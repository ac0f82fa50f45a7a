"""httpx objects made from parts already in httpx's form (_httpx_objects.py): each one must
be what httpx's own constructor makes, on this httpx and in the fallback for another."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gloo_ai import _httpx_objects as objects
from gloo_ai._error_bodies import request_id_of

URL = httpx.URL("https://api.example.com/ai/v2/chat/completions")
PAIRS = [
    (b"Host", b"api.example.com"),
    (b"User-Agent", b"gloo-ai-python/test"),
    (b"Accept", b"application/json"),
    (b"Content-Type", b"application/json"),
    (b"Content-Length", b"2"),
]
TRIPLES = [(name, name.lower(), value) for name, value in PAIRS]
MAKERS = [
    pytest.param((objects._fast_headers, objects._fast_request, objects._fast_response), id="fast"),
    pytest.param(
        (objects._public_headers, objects._public_request, objects._public_response),
        id="fallback",
    ),
]


def _state(obj: Any) -> dict[str, Any]:
    """An object's attributes, with the nested httpx objects by value."""
    out = dict(vars(obj))
    if "headers" in out:
        out["headers"] = vars(out["headers"])
    if "url" in out:
        out["url"] = str(out["url"])
    out.pop("stream", None)
    out.pop("_request", None)
    return out


def test_this_httpx_takes_the_fast_path() -> None:
    assert objects.FAST
    assert objects.request is objects._fast_request


@pytest.mark.parametrize("makers", MAKERS)
def test_a_request_is_what_httpx_builds(makers: Any) -> None:
    make_headers, make_request, _ = makers
    built = httpx.Request("POST", URL, headers=PAIRS, content=b"{}", extensions={"x": 1})
    made = make_request("POST", URL, make_headers(list(TRIPLES)), b"{}", {"x": 1})
    assert _state(made) == _state(built)
    assert made.content == b"{}"
    assert made.headers.raw == PAIRS
    assert made.headers["content-type"] == "application/json"


def test_the_fast_request_keeps_the_url_object() -> None:
    """One URL object per path: the aiohttp transport parses each once (its cache is by id)."""
    made = objects.request("POST", URL, objects.headers_from_triples(list(TRIPLES)), b"", {})
    assert made.url is URL


@pytest.mark.asyncio
async def test_a_made_request_body_can_be_read_again() -> None:
    made = objects.request("POST", URL, objects.headers_from_triples(list(TRIPLES)), b"{}", {})
    assert await made.aread() == b"{}"
    assert b"".join([part async for part in made.stream]) == b"{}"  # type: ignore[union-attr]


@pytest.mark.parametrize("makers", MAKERS)
def test_a_response_is_what_httpx_builds(makers: Any) -> None:
    make_headers, make_request, make_response = makers
    request = make_request("GET", URL, make_headers(list(TRIPLES)), b"", {})
    extensions = {"http_version": b"HTTP/1.1", "reason_phrase": b"OK"}
    stream = httpx.ByteStream(b"{}")
    built = httpx.Response(
        200, headers=PAIRS, stream=stream, request=request, extensions=extensions
    )
    made = make_response(200, make_headers(list(TRIPLES)), stream, request, extensions)
    assert _state(made) == _state(built)
    assert made.request is request
    made.extensions["reason_phrase"] = b"changed"
    assert extensions["reason_phrase"] == b"OK"  # copied, as httpx copies them


def test_headers_from_pairs_are_httpx_headers() -> None:
    raw = ((b"Content-Type", b"application/json"), (b"X-Request-ID", b"req_1"))
    made = objects.headers_from_pairs(raw)
    assert vars(made) == vars(httpx.Headers(list(raw)))
    assert made["x-request-id"] == "req_1"


@pytest.mark.parametrize(
    "raw",
    [
        [(b"x-request-id", b"req_1")],
        [(b"X-Request-Id", b"a"), (b"x-request-id", b"b")],  # repeated: joined, as httpx does
        [(b"x-request-id", "r\u00e9q".encode())],  # UTF-8
        [(b"x-request-id", b"r\xe9q")],  # Latin-1
        [(b"x-request-id", b"req_1"), (b"x-other", "\u00e9".encode())],  # another not ASCII
        [(b"content-type", b"text/plain")],  # absent
    ],
)
def test_header_value_is_what_httpx_get_returns(raw: list[tuple[bytes, bytes]]) -> None:
    headers = httpx.Headers(raw)
    assert objects.header_value(headers, b"x-request-id") == headers.get("x-request-id")


def test_request_id_of_reads_either_name() -> None:
    assert request_id_of(httpx.Headers({"Request-Id": "req_2"})) == "req_2"
    assert request_id_of(httpx.Headers({"X-Request-ID": "a", "Request-Id": "b"})) == "a"
    assert request_id_of(httpx.Headers()) is None


def test_names_any() -> None:
    headers = httpx.Headers([(b"Set-Cookie", b"a=1"), (b"Content-Type", b"x")])
    assert objects.names_any(headers, frozenset({b"set-cookie"}))
    assert not objects.names_any(headers, frozenset({b"set-cookie2"}))


def test_another_layout_of_httpx_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A version of httpx whose objects have other attributes turns the fast path off."""
    assert objects._same_layout()
    init = httpx.Request.__init__

    def with_more(self: httpx.Request, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.priority = 0  # type: ignore[attr-defined]

    monkeypatch.setattr(httpx.Request, "__init__", with_more)
    assert not objects._same_layout()


@pytest.mark.parametrize(
    "raw",
    [
        [(b"Accept", b"*/*")],  # absent: added last
        [(b"Authorization", b"old"), (b"Accept", b"*/*")],  # present: replaced in place
        [(b"authorization", b"a"), (b"Accept", b"*/*"), (b"AUTHORIZATION", b"b")],  # twice
    ],
)
def test_set_header_is_httpx_setitem(raw: list[tuple[bytes, bytes]]) -> None:
    expected = httpx.Headers(raw)
    expected["Authorization"] = "Bearer k"
    made = httpx.Headers(raw)
    objects.set_header(made, (b"Authorization", b"authorization", b"Bearer k"))
    assert vars(made) == vars(expected)


def test_an_api_key_header_is_set_as_httpx_sets_it() -> None:
    from gloo_ai._auth import ApiKeyAuth

    request = httpx.Request("POST", URL, headers={"Authorization": "x", "Accept": "*/*"})
    ApiKeyAuth("k").authorize(request)
    assert request.headers.raw[-1] == (b"Accept", b"*/*")
    assert request.headers.get_list("authorization") == ["Bearer k"]
    odd = httpx.Request("GET", URL)
    with pytest.raises(UnicodeEncodeError):  # as httpx raises it: nothing is sent
        ApiKeyAuth("\ud800").authorize(odd)
