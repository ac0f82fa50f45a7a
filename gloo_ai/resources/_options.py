"""Turning a method's checked keyword arguments into its body and request options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

from .._call_options import split_call_options
from .._config import NOT_GIVEN, NotGiven, RequestOptions, RetryPolicy
from .._models import RequestModel
from ._base import invalid_arguments, request_options

__all__ = ["body_of", "call_options", "given", "options_of"]


def given(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the caller passed (neither None nor `NOT_GIVEN`)."""
    return {k: v for k, v in fields.items() if v is not None and not isinstance(v, NotGiven)}


# What most calls ask: no option of the caller's, the default policy (shared: it is frozen).
_PLAIN = {stream: RequestOptions(stream=stream) for stream in (False, True)}
# Call options that ask nothing of the request when None or an empty mapping.
_EMPTY_ALLOWED = frozenset({"extra_headers", "extra_query"})


def _asks_nothing(options: Mapping[str, Any]) -> bool:
    """Whether the caller passed no request option (``extra_body`` is part of the body)."""
    return all(
        name == "extra_body" or (name in _EMPTY_ALLOWED and _empty(value))
        for name, value in options.items()
    )


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, Mapping) and not value)


def call_options(
    options: Mapping[str, Any],
    *,
    retry: RetryPolicy,
    query: Mapping[str, object] | None = None,
    auth: bool = True,
    stream: bool = False,
) -> RequestOptions:
    """The `RequestOptions` of a call: the caller's checked options and the method's policy."""
    if retry == "default" and auth and not query and _asks_nothing(options):
        return _PLAIN[stream]
    return request_options(
        extra_headers=options.get("extra_headers"),
        extra_query=options.get("extra_query"),
        timeout=options.get("timeout", NOT_GIVEN),
        max_retries=options.get("max_retries", NOT_GIVEN),
        max_rate_limit_retries=options.get("max_rate_limit_retries", NOT_GIVEN),
        retry_read_errors=options.get("retry_read_errors", NOT_GIVEN),
        query=query,
        auth=auth,
        retry=retry,
        stream=stream,
    )


def options_of(
    kwargs: Mapping[str, Any],
    *,
    query: Mapping[str, object] | None = None,
    auth: bool = True,
    retry: RetryPolicy = "default",
    query_fields: Iterable[str] = (),
) -> tuple[dict[str, Any], RequestOptions, Mapping[str, object] | None]:
    """Split checked ``kwargs`` into the request's fields, its `RequestOptions` (the
    caller's options and the method's policy) and ``extra_body``.

    ``query_fields`` are the fields that go in the query string (beside ``query``): they are
    moved there when given, and left out of the returned fields.
    """
    fields, options = split_call_options(kwargs)
    fields = given(fields)
    params = dict(query or {})
    for name in query_fields:
        if name in fields:
            params[name] = fields.pop(name)
    request = call_options(options, retry=retry, query=params or None, auth=auth)
    return fields, request, options.get("extra_body")


def body_of(
    where: str,
    params_cls: type[RequestModel],
    fields: Mapping[str, Any],
    extra_body: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Validate ``fields`` with ``params_cls`` (raising `InvalidArgumentError` before any
    I/O) and dump the JSON body, with ``extra_body`` merged in."""
    try:
        params = params_cls.model_validate(dict(fields))
    except pydantic.ValidationError as exc:
        raise invalid_arguments(where, exc) from None
    body = params.model_dump(mode="json", exclude_none=True)
    if extra_body:
        body.update(extra_body)
    return body
