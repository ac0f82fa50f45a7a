"""The SDK's logging: ``GLOO_LOG``, a readable stderr handler, and the redacting filter.

Everything the SDK logs goes to the ``gloo_ai`` logger. `setup_logging` turns it on with one
`logging.StreamHandler` to stderr (time, level, message), unless the application already
configured logging itself; the first `AsyncGloo` of a process calls it once with the level in
``GLOO_LOG`` (``info``, ``debug``, ``trace`` or ``warning``). `RedactingFilter` rewrites a
record whose text carries a credential (``Bearer`` / ``Basic`` values, ``Authorization`` and
cookie headers, ``access_token`` / ``client_secret`` / ``api_key`` / ``password`` values in
JSON, Python or form text, URL userinfo); it sits on the ``gloo_ai`` logger from the first
client on, and on the handler `setup_logging` adds, and users may attach it to their own
handlers. Redacting is pure (`redact`); only `setup_logging` touches logging's global state.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO, TYPE_CHECKING

from ._error_bodies import request_id_of
from ._settings import env_value
from ._warnings import warn_at_caller

if TYPE_CHECKING:
    import httpx

    from ._budget import CallBudget

__all__ = [
    "ENV_LOG",
    "LOG_FORMAT",
    "LOG_LEVELS",
    "RedactingFilter",
    "auto_setup",
    "log_attempt",
    "log_retry",
    "redact",
    "setup_logging",
]

ENV_LOG = ("GLOO_LOG", "GLOO_AI_LOG")
"""The environment variable (and its alias) that turns the SDK's logging on."""

LOG_LEVELS = {"warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}
"""The values of ``GLOO_LOG`` and their levels; ``trace`` is ``debug`` plus httpcore's
connection events."""

LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s"
"""The format of the handler `setup_logging` adds (time, level, logger, message)."""

log = logging.getLogger("gloo_ai")

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_REDACTED = "[REDACTED]"
_SECRET_KEYS = (
    r"access_token|refresh_token|id_token|client_secret|api_key|apikey|x-api-key|"
    r"password|passwd|secret|token"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Headers by name, as text ("Authorization: x"), JSON, a dict's or httpcore's tuple repr.
    (
        re.compile(
            r"""(?i)((?:proxy-)?authorization|set-cookie|cookie|x-api-key)"""
            r"""(['"]?\s*[:=,]\s*(?:b?['"])?)([^'"\r\n]+)"""
        ),
        rf"\1\2{_REDACTED}",
    ),
    # A credential after its scheme, wherever it is.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+"), rf"\1\2{_REDACTED}"),
    # "key": "value" in JSON, 'key': 'value' in a Python repr.
    (
        re.compile(rf"""(?i)((["'])(?:{_SECRET_KEYS})\2\s*:\s*b?(["']))((?:(?!\3)[^\\]|\\.)*)"""),
        rf"\1{_REDACTED}",
    ),
    # key=value in a form body or a query string.
    (
        re.compile(rf"(?i)(?<![A-Za-z0-9_-])((?:{_SECRET_KEYS})=)([^&\s\"']+)"),
        rf"\1{_REDACTED}",
    ),
    # URL userinfo: scheme://user:password@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s'\"]+@"), rf"\1{_REDACTED}@"),
)


def redact(text: str) -> str:
    """``text`` with every credential the patterns know replaced by ``[REDACTED]``.

    Covers ``Bearer`` and ``Basic`` values, ``Authorization``, ``Proxy-Authorization``,
    ``Cookie``, ``Set-Cookie`` and ``X-Api-Key`` header values, ``access_token``,
    ``refresh_token``, ``client_secret``, ``api_key``, ``password``, ``secret`` and
    ``token`` values in JSON, Python reprs and form or query text, and the userinfo of a URL.
    Redacting twice changes nothing more.
    """
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A `logging.Filter` that redacts credentials from a record's message, arguments,
    traceback and stack (by pattern: see `redact`); it never drops a record.

    The SDK puts one on the ``gloo_ai`` logger and on the handler `setup_logging` adds. Put
    it on your own handler to redact what other libraries log too (httpx and httpcore log
    URLs and headers at DEBUG)::

        handler = logging.StreamHandler()
        handler.addFilter(gloo_ai.RedactingFilter())

    A record it changes carries the redacted text as its message and no arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_HANDLER_MARK = "_gloo_ai_handler"
_done = False


def _has_filter(target: logging.Filterer) -> bool:
    return any(isinstance(f, RedactingFilter) for f in target.filters)


def _parse_level(level: str | int) -> tuple[int, bool] | None:
    """(level, trace) for a ``GLOO_LOG`` value or a logging level; None if unknown."""
    if isinstance(level, int) and not isinstance(level, bool):
        return level, False
    name = str(level).strip().lower()
    if name == "trace":
        return logging.DEBUG, True
    if name in LOG_LEVELS:
        return LOG_LEVELS[name], False
    return None


def setup_logging(
    level: str | int | None = None, *, stream: IO[str] | None = None
) -> logging.Handler | None:
    """Turn on the SDK's log lines: the ``gloo_ai`` logger at ``level``, printed to stderr.

    ``level`` is ``"warning"``, ``"info"`` (retries and token refreshes), ``"debug"`` (also
    one line per attempt: method, path, status, attempt, request id, elapsed time),
    ``"trace"`` (also httpcore's connection events) or a `logging` level; the default is
    ``GLOO_LOG`` (alias ``GLOO_AI_LOG``). An unknown value warns (`RuntimeWarning`) and
    changes nothing. An empty or unset ``GLOO_LOG`` changes nothing either.

    It adds one `logging.StreamHandler` (to ``stream``, else stderr) with `LOG_FORMAT` and a
    `RedactingFilter`, unless you configured logging yourself: if the ``gloo_ai`` logger has
    a handler of yours, or a level you set, it is left alone; if the root logger has a
    handler (and no ``stream`` is given), only the ``gloo_ai`` level is set, so the lines go
    to your handler. Calling it
    again replaces its own handler rather than adding another. `AsyncGloo` calls it once per
    process, with ``GLOO_LOG``.

    Returns:
        the handler it added, or ``None`` if it added none.
    """
    logger = logging.getLogger("gloo_ai")
    if not _has_filter(logger):
        logger.addFilter(RedactingFilter())
    if level is None:
        level = env_value(ENV_LOG)
        if level is None:
            return None
    parsed = _parse_level(level)
    if parsed is None:
        warn_at_caller(
            f"GLOO_LOG={str(level)[:20]!r} is not a log level; set it to info, debug, trace or "
            "warning (the SDK's logging stays off).",
            RuntimeWarning,
        )
        return None
    value, trace = parsed
    ours = [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]
    if len(ours) < len(logger.handlers) or (logger.level != logging.NOTSET and not ours):
        return None  # the application configured the gloo_ai logger: leave it alone
    for handler in ours:
        logger.removeHandler(handler)
    logger.setLevel(value)
    if stream is None and logging.getLogger().handlers and not ours:
        return None  # the application logs: its handlers print the lines (redacted)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, _DATE_FORMAT))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    if trace:
        _trace_httpcore(handler)
    return handler


def _trace_httpcore(handler: logging.Handler) -> None:
    """Show httpcore's connection events (connect, TLS, headers sent, answer's head) through
    the SDK's handler, redacted; only if the application has not configured httpcore."""
    httpcore = logging.getLogger("httpcore")
    if any(not getattr(h, _HANDLER_MARK, False) for h in httpcore.handlers):
        return
    for old in list(httpcore.handlers):
        httpcore.removeHandler(old)
    httpcore.setLevel(logging.DEBUG)
    httpcore.addHandler(handler)


def auto_setup() -> None:
    """`setup_logging` from ``GLOO_LOG``, once per process (the first `AsyncGloo`)."""
    global _done
    if _done:
        return
    _done = True
    setup_logging()


def log_attempt(
    request: httpx.Request,
    attempt: int,
    elapsed: float,
    *,
    response: httpx.Response | None = None,
    failure: str = "",
) -> None:
    """The DEBUG line of one attempt: method, path (never the query), the status or the
    failure, the attempt number, the request id (of an answer) and the elapsed ms."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    if response is None:
        outcome = f"{failure} attempt={attempt}"
    else:
        request_id = request_id_of(response.headers) or "-"
        outcome = f"{response.status_code} attempt={attempt} request_id={request_id}"
    log.debug(
        "%s %s -> %s elapsed_ms=%.1f", request.method, request.url.path, outcome, elapsed * 1000
    )


def log_retry(
    request: httpx.Request, delay: float, cause: str, budget: CallBudget, *, rate_limited: bool
) -> None:
    """The INFO line of one retry (already taken from ``budget``): method, path, the wait,
    the cause, and which retry of which budget (``retry`` or ``rate-limit retry``) it is."""
    if rate_limited:
        kind, done, most = (
            "rate-limit retry",
            budget.rate_limit_retries,
            budget.max_rate_limit_retries,
        )
    else:
        kind, done, most = "retry", budget.retries, budget.max_retries
    log.info(
        "Retrying %s %s in %.2f s after %s, %s %d of %d",
        request.method,
        request.url.path,
        delay,
        cause,
        kind,
        done,
        most,
    )
