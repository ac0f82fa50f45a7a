"""Building the `httpx.Request` of one attempt: URL, headers, body, extensions. No I/O.

`RequestBuilder` holds what every request of a client shares (the base URL, the default
headers, the body limits, the default timeout) in the form a request needs it: the URL of
each path made once, the default headers as raw pairs that a call's own are appended to (so
httpx normalises the list once), the timeout as httpx's extension. `Transport` builds each
attempt's request here and sends it.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from . import _httpx_objects
from ._config import NotGiven, RequestOptions
from ._exceptions import InvalidArgumentError
from ._httpx_objects import Triple
from ._limits import EXTENSION, WHOLE_BODY, BodyLimits
from ._multipart import MultipartBody

__all__ = ["RequestBuilder", "encode_json", "timeout_extension"]

_ENCODER = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
)
# json's C encoder, made once: ``JSONEncoder.encode`` makes a new one for every body, which
# cost about 40 % of encoding a chat request. No circular check (a body that refers to
# itself nests until `RecursionError`, refused below with its own message).
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Callable[[object, int], list[str]] | None = (
    _make_c_encoder(
        None,  # no markers: no circular check
        _ENCODER.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        None,  # no indent
        ":",
        ",",
        False,  # sort_keys
        False,  # skipkeys
        False,  # allow_nan
    )
    if _make_c_encoder is not None
    else None
)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ACCEPT = {False: "application/json", True: "text/event-stream"}
_ACCEPT_TRIPLE: dict[bool, Triple] = {
    stream: (b"Accept", b"accept", value.encode()) for stream, value in _ACCEPT.items()
}
_JSON_TYPE: Triple = (b"Content-Type", b"content-type", b"application/json")
# Headers a call sets itself: a default naming one of them takes the merging path.
_PER_CALL_HEADERS = frozenset(
    {"accept", "content-type", "content-length", "host", "transfer-encoding"}
)
_URL_CACHE_SIZE = 256


class RequestBuilder:
    """Builds each attempt's request from a client's shared settings and a call's options.

    Args:
        base_url: prefix of every relative path.
        headers: headers sent with every call (``User-Agent`` and the user's defaults).
        limits: the body limits, carried to the transport as a request extension.
        timeout: the default timeout of a call.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        limits: BodyLimits,
        timeout: float | httpx.Timeout | None,
    ) -> None:
        self.base_url = base_url
        self.limits = limits
        self.timeout_ext = timeout_extension(timeout)
        self._headers = httpx.Headers(headers)
        # The defaults as httpx keeps headers, ready to be joined with a call's own; None
        # when a default names a header the SDK sets per call (then the merging path).
        self._triples: list[Triple] | None = (
            list(_httpx_objects.header_triples(self._headers))
            if _PER_CALL_HEADERS.isdisjoint(name.lower() for name in headers)
            else None
        )
        self._urls: dict[str, tuple[httpx.URL, Triple]] = {}

    def build(
        self,
        method: str,
        path: str,
        *,
        body: object | None,
        options: RequestOptions,
        encoded: bytes | None = None,
    ) -> httpx.Request:
        """Build the request for one attempt.

        ``body`` is None (no body, or one given as ``encoded``), a `MultipartBody`
        (streamed anew for each attempt), or anything JSON-serialisable; ``encoded`` is a
        JSON body already encoded (a retried call does not encode it again, and the call
        need not keep the body itself while it waits).
        """
        url, host = self._url(path)
        params = options.query
        if options.extra_query:
            params = {**(params or {}), **options.extra_query}
        if isinstance(body, MultipartBody):  # streamed: httpx frames it (chunked)
            headers = self._merged_headers(options, body.headers())
            request = httpx.Request(
                method, url, headers=headers, content=body.stream(), params=params
            )
        else:
            if encoded is None and body is not None:
                encoded = encode_json(body)
            request = self._bytes_request(method, url, host, encoded, options, params)
        request.extensions[EXTENSION] = self.limits
        if not options.stream:
            request.extensions[WHOLE_BODY] = self.limits.response_bytes
        request.extensions["timeout"] = (
            self.timeout_ext
            if isinstance(options.timeout, NotGiven)
            else timeout_extension(options.timeout)
        )
        return request

    def _bytes_request(
        self,
        method: str,
        url: httpx.URL,
        host: Triple,
        encoded: bytes | None,
        options: RequestOptions,
        params: Mapping[str, Any] | None,
    ) -> httpx.Request:
        """A request with a JSON body (``encoded``), or none, with the headers httpx would
        add (``Host``, ``Content-Length``) set here, so that httpx does not rebuild the
        header list."""
        content = encoded if encoded is not None else b""
        if params is not None:
            url = httpx.URL(url, params=params)
        length = str(len(content)) if content or method in _BODY_METHODS else None
        triples = self._triples
        if triples is not None and not options.extra_headers:  # the common case: no merging
            headers = [host, *triples, _ACCEPT_TRIPLE[options.stream]]
            if encoded is not None:
                headers.append(_JSON_TYPE)
            if length is not None:
                headers.append((b"Content-Length", b"content-length", length.encode()))
            return _httpx_objects.request(
                method.upper(), url, _httpx_objects.headers_from_triples(headers), content, {}
            )
        json_type = {"Content-Type": "application/json"} if encoded is not None else None
        merged = self._merged_headers(options, json_type)
        if "host" not in merged:
            merged["Host"] = url.netloc.decode("ascii")
        if length is not None and "content-length" not in merged:
            merged["Content-Length"] = length
        request = httpx.Request(method, url, headers=merged, stream=httpx.ByteStream(content))
        request._content = content  # what read() would set: .content works, as with content=
        return request

    def _merged_headers(
        self, options: RequestOptions, body_headers: Mapping[str, str] | None
    ) -> httpx.Headers:
        """The defaults, then the SDK's ``Accept`` and the body's headers, then the call's."""
        headers = self._headers.copy()
        headers["Accept"] = _ACCEPT[options.stream]
        if body_headers:
            headers.update(body_headers)
        if options.extra_headers:
            headers.update(options.extra_headers)
        return headers

    def _url(self, path: str) -> tuple[httpx.URL, Triple]:
        """The URL of ``path`` and its ``Host`` header, made once per path."""
        found = self._urls.get(path)
        if found is None:
            absolute = path.startswith(("http://", "https://"))
            url = httpx.URL(path if absolute else self.base_url + path)
            found = (url, (b"Host", b"host", url.netloc))
            if len(self._urls) < _URL_CACHE_SIZE:
                self._urls[path] = found
        return found


def encode_json(body: object) -> bytes:
    """Encode a JSON body compactly; a value JSON cannot carry is an `InvalidArgumentError`.

    NaN and infinity are refused (JSON has no such numbers: ``NaN`` on the wire is invalid
    JSON), and so is a lone surrogate, which UTF-8 cannot encode.
    """
    try:
        if _C_ENCODE is None:  # pragma: no cover - a Python without json's C encoder
            return _ENCODER.encode(body).encode()
        return "".join(_C_ENCODE(body, 0)).encode()
    except (TypeError, ValueError) as exc:
        if isinstance(exc, UnicodeEncodeError):
            exc = ValueError("a string holds a lone surrogate, which UTF-8 cannot encode")
        elif "Out of range float" in str(exc):
            exc = ValueError("NaN and infinity are not JSON numbers (found in the body)")
        raise InvalidArgumentError(
            f"The request body cannot be sent as JSON: {exc}. Pass finite numbers and "
            "plain text (str, int, float, bool, None, lists and dicts)."
        ) from None
    except RecursionError:
        raise InvalidArgumentError(
            "The request body is nested too deeply (or refers to itself) to send as JSON."
        ) from None


def timeout_extension(timeout: float | httpx.Timeout | None) -> dict[str, Any]:
    """httpx's per-request ``timeout`` extension for ``timeout``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout.as_dict()
    return httpx.Timeout(timeout).as_dict()
