"""The options every API call takes, and the check of a method's keyword arguments.

A resource method declares its arguments once, as a `TypedDict` that extends `CallOptions`,
and takes them as ``**kwargs: Unpack[ThatTypedDict]``: mypy then refuses a misspelt argument,
and `check_arguments` refuses it at run time, before any I/O, naming the close match.

This module is shared by every API area: it must not import ``gloo_ai.resources`` or
``gloo_ai.types.<area>``.
"""

# No ``from __future__ import annotations`` here: the TypedDicts are read at run time
# (``__required_keys__`` / ``__optional_keys__``), so their annotations must be evaluated.

import difflib
import functools
from collections.abc import Iterable, Mapping
from typing import Any, cast

from typing_extensions import TypedDict

from ._config import NotGiven, Timeout
from ._exceptions import InvalidArgumentError

__all__ = [
    "CallOptions",
    "ReadCallOptions",
    "UnexpectedArgumentError",
    "check_arguments",
    "split_call_options",
]


class CallOptions(TypedDict, total=False):
    """The per-call options of every API method, beside the request's own fields.

    Attributes:
        extra_headers: headers to add to this request.
        extra_query: query parameters to add to this request.
        extra_body: fields to add to the JSON body (for fields this SDK does not know).
        timeout: this call's timeout, overriding the client's (seconds, an `httpx.Timeout`,
            or None for no timeout).
        max_retries: this call's retries of errors, overriding the client's.
        max_rate_limit_retries: this call's retries of rate limits (429), overriding the
            client's.
        retry_read_errors: whether this call may be retried after it was sent but not
            answered in full (a read timeout, a dropped connection), overriding the client's;
            the server may have processed it, so a generation may be billed twice.
    """

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | Timeout | NotGiven | None
    max_retries: int | NotGiven
    max_rate_limit_retries: int | NotGiven
    retry_read_errors: bool | NotGiven


class ReadCallOptions(TypedDict, total=False):
    """The per-call options of a method that sends no body (a GET, a DELETE): those of
    `CallOptions` but ``extra_body``.

    Attributes:
        extra_headers: headers to add to this request.
        extra_query: query parameters to add to this request.
        timeout: this call's timeout, overriding the client's.
        max_retries: this call's retries of errors, overriding the client's.
        max_rate_limit_retries: this call's retries of rate limits, overriding the client's.
        retry_read_errors: whether this call may be retried after a read error.
    """

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    timeout: float | Timeout | NotGiven | None
    max_retries: int | NotGiven
    max_rate_limit_retries: int | NotGiven
    retry_read_errors: bool | NotGiven


_CALL_OPTION_NAMES: frozenset[str] = CallOptions.__optional_keys__


class UnexpectedArgumentError(InvalidArgumentError, TypeError):
    """A call got an argument its method does not take, or lacks a required one.

    An `InvalidArgumentError` (so nothing was sent), and also a `TypeError`, which is what
    Python raises for a wrong keyword argument, so code that catches either keeps working.
    """


@functools.cache
def _names(spec: type[Mapping[str, Any]]) -> tuple[frozenset[str], frozenset[str]]:
    required: frozenset[str] = spec.__required_keys__  # type: ignore[attr-defined]
    optional: frozenset[str] = spec.__optional_keys__  # type: ignore[attr-defined]
    return required, required | optional


def check_arguments(
    where: str,
    kwargs: Mapping[str, object],
    spec: type[Mapping[str, Any]],
    *,
    also: Iterable[str] = (),
) -> None:
    """Refuse keyword arguments that ``spec`` does not declare, and missing required ones.

    Args:
        where: the method, as the user writes it (``"chat.completions.parse"``).
        kwargs: the ``**kwargs`` the method received.
        spec: the `TypedDict` that declares them (its ``__required_keys__`` and
            ``__optional_keys__``).
        also: the method's other parameters, offered as close matches too (a misspelt
            ``max_step`` lands in ``**kwargs`` but means ``max_steps``).

    Raises:
        UnexpectedArgumentError: an unknown argument (with the closest allowed name, if
            any) or a missing required one; raised before any I/O.
    """
    required, allowed = _names(spec)
    if allowed.issuperset(kwargs) and required <= kwargs.keys():
        return  # every call that is right: two set checks
    unknown = [name for name in kwargs if name not in allowed]
    if unknown:
        candidates = sorted(allowed | set(also))
        problems = []
        for name in unknown:
            close = difflib.get_close_matches(name, candidates, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{name!r}{hint}")
        if len(problems) == 1:
            message = f"{where}() got an unexpected argument {problems[0]}"
        else:
            message = f"{where}() got unexpected arguments: {', '.join(problems)}"
        if not any("did you mean" in p for p in problems):
            message += f". It takes: {', '.join(candidates)}."
        raise UnexpectedArgumentError(message)
    missing = sorted(required - kwargs.keys())
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise UnexpectedArgumentError(
            f"{where}() is missing the required argument{plural} "
            f"{', '.join(repr(name) for name in missing)}."
        )


def split_call_options(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], CallOptions]:
    """Split checked keyword arguments into the request's fields and the `CallOptions`.

    Args:
        kwargs: arguments already checked by `check_arguments`.

    Returns:
        ``(fields, options)``: a new dict of everything but the call options, and those.
    """
    fields: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for name, value in kwargs.items():
        (options if name in _CALL_OPTION_NAMES else fields)[name] = value
    return fields, cast(CallOptions, options)
