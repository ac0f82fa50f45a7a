"""The retry policy as pure functions: server waits, backoff, retryable statuses, decisions.

Everything here is plain values in, plain values out: no client, no I/O, no clock.
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone

import httpx
import pytest

from gloo_ai._config import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY
from gloo_ai._retry import (
    RETRYABLE_STATUSES,
    RetryDecision,
    backoff_delay,
    decide,
    is_retryable_status,
    server_wait,
)

# A wall-clock "now" on a whole second, so HTTP dates (whole seconds) compare exactly.
NOW = 1_800_000_000.0

SPENDING_LIMIT = {"error": "Weekly spending limit reached", "code": "too_many_requests"}
RATE_LIMIT = {"error": "Rate limit exceeded", "code": "too_many_requests"}


def http_date(epoch: float) -> str:
    """``epoch`` as an IMF-fixdate, the form servers send in ``Retry-After``."""
    return email.utils.format_datetime(datetime.fromtimestamp(epoch, tz=timezone.utc), usegmt=True)


def headers(**values: str) -> httpx.Headers:
    """Response headers as the transport passes them (case-insensitive)."""
    names = {
        "retry_after": "Retry-After",
        "retry_after_ms": "retry-after-ms",
        "reset": "X-RateLimit-Reset",
    }
    return httpx.Headers({names[k]: v for k, v in values.items()})


# --- server_wait ----------------------------------------------------------------------------


def test_constants_are_the_documented_ones() -> None:
    assert INITIAL_RETRY_DELAY == 0.5
    assert MAX_RETRY_DELAY == 8.0
    assert MAX_RETRY_AFTER == 60.0
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRYABLE_STATUSES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("3", 3.0, id="integer-seconds"),
        pytest.param("120", 120.0, id="large-integer-seconds"),
        pytest.param("1.5", 1.5, id="fractional"),
        pytest.param("0.25", 0.25, id="fractional-below-one"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-5", 0.0, id="negative-clamped-to-zero"),
        pytest.param("-0.5", 0.0, id="negative-fraction-clamped"),
        pytest.param(" 7 ", 7.0, id="surrounding-whitespace"),
        pytest.param(http_date(NOW + 30), 30.0, id="http-date-future"),
        pytest.param(http_date(NOW + 3600), 3600.0, id="http-date-far-future"),
        pytest.param(http_date(NOW), 0.0, id="http-date-now"),
        pytest.param(http_date(NOW - 30), 0.0, id="http-date-past"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="http-date-long-past"),
        pytest.param("soon", None, id="garbage-word"),
        pytest.param("", None, id="empty"),
        pytest.param("3 seconds", None, id="number-with-unit"),
        pytest.param("nan", None, id="nan"),
        pytest.param("inf", None, id="infinity"),
        pytest.param("Wed, 99 Foo 2015 07:28:00 GMT", None, id="garbage-date"),
    ],
)
def test_retry_after(value: str, expected: float | None) -> None:
    assert server_wait(headers(retry_after=value), NOW) == expected


def test_retry_after_obsolete_asctime_date_is_read_as_gmt() -> None:
    # RFC 9110 says recipients must accept the asctime form, which carries no time zone.
    then = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc).timestamp()
    assert server_wait(headers(retry_after="Sun Nov  6 08:49:37 1994"), then - 10) == 10.0


def test_retry_after_http_date_is_relative_to_the_now_argument() -> None:
    date = http_date(NOW + 30)
    assert server_wait(headers(retry_after=date), NOW) == 30.0
    assert server_wait(headers(retry_after=date), NOW + 10) == 20.0
    assert server_wait(headers(retry_after=date), NOW + 100) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1500", 1.5, id="milliseconds"),
        pytest.param("250.5", 0.2505, id="fractional-milliseconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("-100", 0.0, id="negative-clamped"),
        pytest.param("120000", 120.0, id="two-minutes"),
        pytest.param("nope", None, id="garbage"),
    ],
)
def test_retry_after_ms(value: str, expected: float | None) -> None:
    assert server_wait(headers(retry_after_ms=value), NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("30", 30.0, id="delay-seconds"),
        pytest.param("0", 0.0, id="delay-zero"),
        pytest.param("2.5", 2.5, id="delay-fractional"),
        pytest.param("-3", 0.0, id="delay-negative-clamped"),
        pytest.param("86400", 86400.0, id="delay-one-day"),
        pytest.param(str(int(NOW) + 30), 30.0, id="epoch-seconds-future"),
        pytest.param(str(int(NOW) - 30), 0.0, id="epoch-seconds-past"),
        pytest.param(str(int(NOW)), 0.0, id="epoch-seconds-now"),
        pytest.param(str(int(NOW) * 1000 + 30_000), 30.0, id="epoch-milliseconds-future"),
        pytest.param(str(int(NOW) * 1000 + 1_500), 1.5, id="epoch-milliseconds-fraction"),
        pytest.param(str(int(NOW) * 1000 - 30_000), 0.0, id="epoch-milliseconds-past"),
        pytest.param("garbage", None, id="garbage"),
    ],
)
def test_x_ratelimit_reset_told_apart_by_size(value: str, expected: float | None) -> None:
    assert server_wait(headers(reset=value), NOW) == expected


def test_no_wait_headers_means_none() -> None:
    assert server_wait(httpx.Headers(), NOW) is None
    assert server_wait(httpx.Headers({"content-type": "application/json"}), NOW) is None


def test_header_names_are_case_insensitive_through_httpx_headers() -> None:
    assert server_wait(httpx.Headers({"RETRY-AFTER": "4"}), NOW) == 4.0
    assert server_wait(httpx.Headers({"Retry-After-Ms": "400"}), NOW) == 0.4
    assert server_wait(httpx.Headers({"x-ratelimit-reset": "9"}), NOW) == 9.0


def test_plain_lowercase_mapping_is_accepted() -> None:
    assert server_wait({"retry-after": "4"}, NOW) == 4.0
    assert server_wait({"retry-after-ms": "400"}, NOW) == 0.4
    assert server_wait({"x-ratelimit-reset": "9"}, NOW) == 9.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            {"retry_after_ms": "1500", "retry_after": "3", "reset": "30"}, 1.5, id="ms-wins"
        ),
        pytest.param(
            {"retry_after_ms": "1500", "retry_after": "3"}, 1.5, id="ms-beats-retry-after"
        ),
        pytest.param({"retry_after_ms": "1500", "reset": "30"}, 1.5, id="ms-beats-reset"),
        pytest.param({"retry_after": "3", "reset": "30"}, 3.0, id="retry-after-beats-reset"),
        pytest.param(
            {"retry_after": http_date(NOW + 5), "reset": "30"}, 5.0, id="date-beats-reset"
        ),
        pytest.param({"retry_after_ms": "0", "retry_after": "3"}, 0.0, id="ms-zero-still-wins"),
        pytest.param(
            {"retry_after_ms": "bad", "retry_after": "3", "reset": "30"},
            3.0,
            id="garbage-ms-falls-through",
        ),
        pytest.param(
            {"retry_after": "bad", "reset": "30"}, 30.0, id="garbage-retry-after-falls-through"
        ),
        pytest.param(
            {"retry_after_ms": "x", "retry_after": "y", "reset": "z"}, None, id="all-garbage"
        ),
    ],
)
def test_precedence(values: dict[str, str], expected: float | None) -> None:
    assert server_wait(headers(**values), NOW) == expected


# --- backoff_delay --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retries_done", "expected"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (6, 8.0), (20, 8.0)],
)
def test_backoff_without_jitter_doubles_then_caps(retries_done: int, expected: float) -> None:
    assert backoff_delay(retries_done, 0.0) == expected


@pytest.mark.parametrize("retries_done", range(8))
def test_full_jitter_shortens_by_a_quarter(retries_done: int) -> None:
    base = backoff_delay(retries_done, 0.0)
    assert backoff_delay(retries_done, 1.0) == pytest.approx(base * 0.75)


@pytest.mark.parametrize("retries_done", range(8))
@pytest.mark.parametrize("jitter", [0.0, 0.1, 0.25, 0.5, 0.75, 0.999999])
def test_jitter_only_shortens_and_by_at_most_a_quarter(retries_done: int, jitter: float) -> None:
    base = backoff_delay(retries_done, 0.0)
    delay = backoff_delay(retries_done, jitter)
    assert base * 0.75 <= delay <= base
    assert delay == pytest.approx(base * (1 - 0.25 * jitter))


def test_backoff_never_exceeds_the_cap() -> None:
    assert max(backoff_delay(n, 0.0) for n in range(64)) == MAX_RETRY_DELAY


# --- is_retryable_status --------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("body", [None, "", "upstream failure", {}, RATE_LIMIT])
def test_retryable_statuses(status: int, body: object) -> None:
    assert is_retryable_status(status, body) is True


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 418, 422, 501, 505])
@pytest.mark.parametrize("body", [None, "nope", {}, {"detail": "Error generating response."}])
def test_not_retryable_statuses(status: int, body: object) -> None:
    assert is_retryable_status(status, body) is False


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(503, {"error": "down", "retryable": False}, False, id="503-flat-false"),
        pytest.param(
            503,
            {"error": {"code": 2002, "name": "PROVIDER_UNAVAILABLE", "retryable": False}},
            False,
            id="503-nested-false",
        ),
        pytest.param(503, {"error": "down", "retryable": True}, True, id="503-flat-true"),
        pytest.param(
            503,
            {
                "error": {
                    "type": "service_unavailable_error",
                    "code": 2002,
                    "name": "PROVIDER_UNAVAILABLE",
                    "fault": "provider",
                    "retryable": True,
                    "message": "The provider is unavailable.",
                }
            },
            True,
            id="503-nested-true",
        ),
        pytest.param(
            500, {"error": {"code": 1001, "retryable": False}}, False, id="500-nested-false"
        ),
        pytest.param(
            400,
            {"error": {"code": 1001, "name": "INVALID_REQUEST", "retryable": False}},
            False,
            id="400-nested-false",
        ),
        pytest.param(
            408, {"error": {"code": 2001, "name": "PROVIDER_TIMEOUT"}}, True, id="408-no-flag"
        ),
        pytest.param(503, {"error": "down", "retryable": "no"}, True, id="non-bool-flag-ignored"),
        pytest.param(503, {"error": "down", "retryable": None}, True, id="null-flag-ignored"),
    ],
)
def test_the_gloo_retryable_flag_decides(status: int, body: object, expected: bool) -> None:
    assert is_retryable_status(status, body) is expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(SPENDING_LIMIT, id="flat-error"),
        pytest.param({"detail": "Spending limit exceeded for this week"}, id="fastapi-detail"),
        pytest.param(
            {"error": {"code": 3001, "name": "SPEND_LIMIT", "message": "Weekly spend limit hit"}},
            id="nested",
        ),
        pytest.param("Weekly spending limit reached", id="text-body"),
        pytest.param(
            {"error": "Weekly spending limit reached", "retryable": True},
            id="spending-beats-retryable-true",
        ),
    ],
)
def test_429_spending_limit_is_not_retried(body: object) -> None:
    assert is_retryable_status(429, body) is False


def test_spending_limit_words_only_matter_on_a_429() -> None:
    assert is_retryable_status(503, SPENDING_LIMIT) is True


# --- decide ---------------------------------------------------------------------------------


def _decide(
    status: int = 503,
    hdrs: httpx.Headers | None = None,
    body: object = None,
    retries_done: int = 0,
    max_retries: int = 2,
    jitter: float = 0.0,
    **kwargs: float,
) -> RetryDecision:
    return decide(
        status=status,
        headers=hdrs if hdrs is not None else httpx.Headers(),
        body=body,
        retries_done=retries_done,
        max_retries=max_retries,
        now=NOW,
        jitter=jitter,
        **kwargs,
    )


@pytest.mark.parametrize("retries_done", [0, 1, 2, 3, 4, 5])
def test_decide_backs_off_without_server_wait(retries_done: int) -> None:
    decision = _decide(retries_done=retries_done, max_retries=10, jitter=0.3)
    assert decision == RetryDecision(
        retry=True, delay=backoff_delay(retries_done, 0.3), server_wait=None
    )


def test_decide_stops_when_retries_are_used_up() -> None:
    assert _decide(retries_done=2, max_retries=2) == RetryDecision(retry=False)
    assert _decide(retries_done=5, max_retries=2).retry is False
    assert _decide(retries_done=0, max_retries=0).retry is False


def test_decide_exhausted_still_reports_the_server_wait() -> None:
    decision = _decide(429, headers(retry_after="3"), retries_done=2, max_retries=2)
    assert decision == RetryDecision(retry=False, server_wait=3.0)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_decide_does_not_retry_client_errors(status: int) -> None:
    assert _decide(status).retry is False


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_decide_retries_retryable_statuses(status: int) -> None:
    decision = _decide(status)
    assert decision.retry is True
    assert decision.delay == 0.5


def test_decide_honours_the_server_wait() -> None:
    decision = _decide(429, headers(retry_after="3"), jitter=0.9)
    assert decision == RetryDecision(retry=True, delay=3.0, server_wait=3.0)


def test_decide_keeps_the_backoff_floor_under_a_zero_server_wait() -> None:
    assert _decide(503, headers(retry_after="0")) == RetryDecision(
        retry=True, delay=0.5, server_wait=0.0
    )


def test_decide_honours_a_server_wait_at_the_cap() -> None:
    decision = _decide(429, headers(retry_after=str(int(MAX_RETRY_AFTER))))
    assert decision == RetryDecision(retry=True, delay=60.0, server_wait=60.0)


@pytest.mark.parametrize(
    "hdrs",
    [
        pytest.param(headers(retry_after="61"), id="retry-after"),
        pytest.param(headers(retry_after="3600"), id="retry-after-hour"),
        pytest.param(headers(retry_after_ms="90000"), id="retry-after-ms"),
        pytest.param(headers(retry_after=http_date(NOW + 600)), id="http-date"),
        pytest.param(headers(reset=str(int(NOW) + 600)), id="reset-epoch"),
        pytest.param(headers(reset=str(int(NOW) * 1000 + 600_000)), id="reset-epoch-ms"),
    ],
)
def test_decide_refuses_a_server_wait_above_the_cap(hdrs: httpx.Headers) -> None:
    decision = _decide(429, hdrs)
    assert decision.retry is False
    assert decision.server_wait is not None
    assert decision.server_wait > MAX_RETRY_AFTER


def test_decide_cap_is_configurable() -> None:
    assert _decide(429, headers(retry_after="3"), max_server_wait=2.0) == RetryDecision(
        retry=False, server_wait=3.0
    )
    assert _decide(429, headers(retry_after="3600"), max_server_wait=7200.0) == RetryDecision(
        retry=True, delay=3600.0, server_wait=3600.0
    )


def test_decide_body_flag_false_beats_retryable_status_and_server_wait() -> None:
    decision = _decide(503, headers(retry_after="1"), body={"error": {"retryable": False}})
    assert decision == RetryDecision(retry=False, server_wait=1.0)


def test_decide_body_flag_true_makes_a_retry() -> None:
    assert _decide(503, body={"error": {"retryable": True}}).retry is True


def test_decide_spending_limit_is_final_even_with_a_short_wait() -> None:
    decision = _decide(429, headers(retry_after="1"), body=SPENDING_LIMIT)
    assert decision == RetryDecision(retry=False, server_wait=1.0)


def test_decide_plain_rate_limit_is_retried() -> None:
    assert _decide(429, body=RATE_LIMIT) == RetryDecision(retry=True, delay=0.5)
