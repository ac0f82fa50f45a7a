"""GLOO_LOG and the SDK's log lines: one per attempt and per retry, token fetches with their
timing, over real sockets; the redacting filter; and that no secret reaches the output."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import gloo_ai
from gloo_ai import AsyncGloo, RedactingFilter, setup_logging
from gloo_ai._logs import LOG_FORMAT, redact
from gloo_ai.testing import EmulatorServer, GlooEmulator
from tests.conftest import FakeClock
from tests.loopback import LoopbackServer, Reply

CLIENT_ID = "log-test-client"
CLIENT_SECRET = "cs-LOGTEST-very-secret-value-9f3a"
API_KEY = "sk-LOGTEST-api-key-secret-77b1"
CHAT = "/ai/v2/chat/completions"
MESSAGES = [{"role": "user", "content": "Hello"}]
ROOT = Path(__file__).parent.parent

# time.msecs LEVEL logger: message
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (DEBUG|INFO|WARNING) +([\w.]+): (.*)$")
ATTEMPT = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>/\S*) -> (?P<status>\d{3}) attempt=(?P<attempt>\d+) "
    r"request_id=(?P<request_id>\S+) elapsed_ms=(?P<elapsed>\d+\.\d)$"
)
TOKEN = re.compile(
    r"^Got an access token in (?P<ms>\d+\.\d) ms \((?P<attempts>\d+) attempt\(s\)\); "
    r"it expires in (?P<expires>\d+) s$"
)


@pytest.fixture(autouse=True)
def restore_loggers() -> Iterator[None]:
    """Each test leaves the gloo_ai and httpcore loggers as it found them."""
    saved = []
    for name in ("gloo_ai", "httpcore"):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, list(logger.handlers), list(logger.filters)))
    yield
    for logger, level, handlers, filters in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.filters[:] = filters


# --------------------------------------------------------------------------- redact, by pattern

REDACTIONS = [
    ("Authorization: Bearer tok-abc.DEF_123", "Authorization: [REDACTED]"),
    ("authorization=Basic Zm9vOmJhcg==", "authorization=[REDACTED]"),
    ("sent Bearer tok-abc.DEF_123 along", "sent Bearer [REDACTED] along"),
    ("basic Zm9vOmJhcg== in a sentence", "basic [REDACTED] in a sentence"),
    (
        "{'authorization': 'Bearer x1', 'accept': '*/*'}",
        "{'authorization': '[REDACTED]', 'accept': '*/*'}",
    ),
    (
        "[(b'content-type', b'text/plain'), (b'set-cookie', b'sid=42; Path=/')]",
        "[(b'content-type', b'text/plain'), (b'set-cookie', b'[REDACTED]')]",
    ),
    (
        '{"access_token":"tok-1","expires_in":3600}',
        '{"access_token":"[REDACTED]","expires_in":3600}',
    ),
    ('{"client_secret": "s\\"3"}', '{"client_secret": "[REDACTED]"}'),
    ("{'password': 'hunter2', 'user': 'a'}", "{'password': '[REDACTED]', 'user': 'a'}"),
    ("{'password': \"it's-me\", 'u': 1}", "{'password': \"[REDACTED]\", 'u': 1}"),
    ('{"secret": "a\'b", "n": 1}', '{"secret": "[REDACTED]", "n": 1}'),
    ("password=pa,ss;word&next=1", "password=[REDACTED]&next=1"),
    (
        "grant_type=client_credentials&client_secret=s3cr3t&scope=api/access",
        "grant_type=client_credentials&client_secret=[REDACTED]&scope=api/access",
    ),
    ("GET /v1/x?api_key=k-1&page=2", "GET /v1/x?api_key=[REDACTED]&page=2"),
    ("redis://user:pa55@cache:6379/0", "redis://[REDACTED]@cache:6379/0"),
    ("https://gloo:pw@platform.ai.gloo.com/ai", "https://[REDACTED]@platform.ai.gloo.com/ai"),
]


@pytest.mark.parametrize(("text", "expected"), REDACTIONS)
def test_redact_replaces_credentials_by_pattern(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # redacting twice changes nothing more


@pytest.mark.parametrize(
    "line",
    [
        "POST /ai/v2/chat/completions -> 200 attempt=1 request_id=abc elapsed_ms=12.5",
        "Got an access token in 41.0 ms (1 attempt(s)); it expires in 3600 s",
        "Retrying GET /x in 0.50 s after HTTP 503 (request_id=-), retry 1 of 2",
        "max_tokens=10 tokens=5 https://platform.ai.gloo.com/ai/v2",
    ],
)
def test_redact_leaves_the_sdk_lines_alone(line: str) -> None:
    assert redact(line) == line


def test_the_filter_redacts_message_args_and_traceback_and_keeps_the_record() -> None:
    try:
        raise ValueError("Authorization: Bearer tok-in-traceback-123")
    except ValueError:
        record = logging.LogRecord(
            "gloo_ai",
            logging.ERROR,
            __file__,
            1,
            "sent %s to %s",
            (
                {"access_token": "tok-in-args-456"},
                "https://u:pw-in-url@h.example/x",
            ),
            sys.exc_info(),
        )
    assert RedactingFilter().filter(record) is True
    text = logging.Formatter().format(record)
    for secret in ("tok-in-traceback-123", "tok-in-args-456", "pw-in-url"):
        assert secret not in text
    assert "sent {'access_token': '[REDACTED]'} to https://[REDACTED]@h.example/x" in text
    assert record.args == ()


def test_the_filter_leaves_a_clean_record_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d attempts", (3,), None)
    assert RedactingFilter().filter(record) is True
    assert (record.msg, record.args) == ("%d attempts", (3,))


# --------------------------------------------------------------------------- setup_logging


def test_setup_logging_adds_one_readable_handler_and_replaces_it_when_called_again() -> None:
    first = setup_logging("debug", stream=io.StringIO())
    second = setup_logging("info", stream=io.StringIO())
    logger = logging.getLogger("gloo_ai")
    assert first is not None
    assert second is not None
    assert logger.handlers == [second]
    assert logger.level == logging.INFO
    assert second.formatter is not None
    assert second.formatter._fmt == LOG_FORMAT
    assert any(isinstance(f, RedactingFilter) for f in second.filters)
    assert sum(isinstance(f, RedactingFilter) for f in logger.filters) == 1


def test_setup_logging_leaves_a_logger_the_application_configured_alone() -> None:
    logger = logging.getLogger("gloo_ai")
    mine = logging.NullHandler()
    logger.addHandler(mine)
    assert setup_logging("debug", stream=io.StringIO()) is None
    assert logger.handlers == [mine]
    assert logger.level == logging.NOTSET
    logger.removeHandler(mine)
    logger.setLevel(logging.WARNING)  # a level of the application's own
    assert setup_logging("debug", stream=io.StringIO()) is None
    assert logger.level == logging.WARNING
    assert any(isinstance(f, RedactingFilter) for f in logger.filters)  # redacted anyway


def test_with_handlers_on_the_root_logger_only_the_level_is_set() -> None:
    root = logging.getLogger()
    mine = logging.NullHandler()
    root.addHandler(mine)
    try:
        assert setup_logging("debug") is None
    finally:
        root.removeHandler(mine)
    assert logging.getLogger("gloo_ai").handlers == []
    assert logging.getLogger("gloo_ai").level == logging.DEBUG


def test_an_unknown_level_warns_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOO_LOG", "loud")
    with pytest.warns(RuntimeWarning, match=r"GLOO_LOG='loud' is not a log level; set it to"):
        assert setup_logging() is None
    assert logging.getLogger("gloo_ai").level == logging.NOTSET


def test_no_gloo_log_changes_nothing_but_the_filter() -> None:
    assert setup_logging() is None
    logger = logging.getLogger("gloo_ai")
    assert (logger.level, logger.handlers) == (logging.NOTSET, [])


def test_the_filter_on_the_gloo_ai_logger_redacts_for_the_applications_handlers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup_logging()  # no GLOO_LOG: only the filter
    with caplog.at_level(logging.DEBUG, logger="gloo_ai"):
        logging.getLogger("gloo_ai").debug("sent %s", "Authorization: Bearer tok-LEAK-1")
    assert "tok-LEAK-1" not in caplog.text
    assert "sent Authorization: [REDACTED]" in caplog.text


# --------------------------------------------------------------------------- in-process, sockets


def lines_of(text: str) -> list[tuple[str, str, str]]:
    found = []
    for raw in text.splitlines():
        match = LINE.match(raw)
        assert match, f"not a log line: {raw!r}"
        found.append((match[1], match[2], match[3]))
    return found


@pytest.mark.asyncio
async def test_each_attempt_and_each_retry_is_one_line(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(
        "/things",
        Reply(no_answer="close"),
        Reply(503, body={"error": "busy"}, headers={"x-request-id": "req-503"}),
        Reply(200, body={"ok": True}, headers={"x-request-id": "req-ok"}),
    )
    out = io.StringIO()
    setup_logging("debug", stream=out)
    async with AsyncGloo(
        api_key=API_KEY, base_url=loopback.url, max_retries=2, _clock=clock
    ) as client:
        assert await client.get("/things", query={"api_key": "q-SECRET-in-query"}) == {"ok": True}
    lines = lines_of(out.getvalue())
    assert loopback.count("/things") == 3
    messages = [message for _, name, message in lines if name == "gloo_ai"]
    assert len(messages) == 5, messages  # three attempts, two retries
    failed, retry1, answer503, retry2, answer = messages
    assert re.fullmatch(
        r"GET /things -> RemoteProtocolError \(no_answer\) attempt=1 elapsed_ms=\d+\.\d", failed
    )
    assert re.fullmatch(
        r"Retrying GET /things in \d+\.\d\d s after RemoteProtocolError \(no_answer\), "
        r"retry 1 of 2",
        retry1,
    )
    first = ATTEMPT.match(answer503)
    assert first
    assert first.group("status", "attempt", "request_id") == ("503", "2", "req-503")
    assert re.fullmatch(
        r"Retrying GET /things in \d+\.\d\d s after HTTP 503 \(request_id=req-503\), "
        r"retry 2 of 2",
        retry2,
    )
    last = ATTEMPT.match(answer)
    assert last
    assert last.group("method", "path", "status", "attempt", "request_id") == (
        "GET",
        "/things",
        "200",
        "3",
        "req-ok",
    )
    assert float(last["elapsed"]) >= 0
    assert [level for level, _, _ in lines] == ["DEBUG", "INFO", "DEBUG", "INFO", "DEBUG"]
    assert len(clock.sleeps) == 2  # the fake clock slept, not the test
    for secret in (API_KEY, "q-SECRET-in-query"):
        assert secret not in out.getvalue()


@pytest.mark.asyncio
async def test_a_rate_limit_retry_names_its_own_budget(
    loopback: LoopbackServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.add(
        "/things",
        Reply(429, body={"error": "slow down"}, headers={"retry-after": "1"}),
        Reply(200, body={"ok": True}),
    )
    with caplog.at_level(logging.DEBUG, logger="gloo_ai"):
        async with AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock) as client:
            await client.get("/things")
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 1
    assert re.fullmatch(
        r"Retrying GET /things in \d+\.\d\d s after HTTP 429 \(request_id=-\), "
        r"rate-limit retry 1 of 5",
        retries[0],
    )
    attempts = [r for r in caplog.records if ATTEMPT.match(r.getMessage())]
    assert [r.levelno for r in attempts] == [logging.DEBUG, logging.DEBUG]
    assert API_KEY not in caplog.text


@pytest.mark.asyncio
async def test_token_fetches_retries_and_a_401_refresh_are_logged_without_a_token(
    emulated: tuple[GlooEmulator, str], clock: FakeClock
) -> None:
    emulator, url = emulated
    emulator.faults.status("/oauth2/token", 503)
    out = io.StringIO()
    setup_logging("debug", stream=out)
    async with AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=url, _clock=clock
    ) as client:
        await client.chat.completions.create(model="gloo-openai-gpt-5-mini", messages=MESSAGES)
        emulator.expire_tokens()
        await client.chat.completions.create(model="gloo-openai-gpt-5-mini", messages=MESSAGES)
    messages = [message for _, _, message in lines_of(out.getvalue())]
    token_attempts = [m for m in map(ATTEMPT.match, messages) if m and m["path"] == "/oauth2/token"]
    assert [m.group("status", "attempt") for m in token_attempts] == [
        ("503", "1"),
        ("200", "2"),
        ("200", "1"),
    ]
    fetched = [m for m in map(TOKEN.match, messages) if m]
    assert [(m["attempts"], m["expires"]) for m in fetched] == [("2", "3600"), ("1", "3600")]
    assert sum(m.startswith("Retrying POST /oauth2/token in ") for m in messages) == 1
    assert f"Got 401 from POST {CHAT}; refreshing the access token and retrying once" in messages
    chat = [m for m in map(ATTEMPT.match, messages) if m and m["path"] == CHAT]
    # The replay after the 401 happens inside the auth flow: one attempt of the call.
    assert [m.group("status", "attempt") for m in chat] == [("200", "1"), ("200", "1")]
    assert emulator.counts["/oauth2/token"] == 3
    assert_no_secret(out.getvalue(), emulator)


@pytest.mark.asyncio
async def test_a_failed_token_fetch_says_so_with_its_attempts(
    emulated: tuple[GlooEmulator, str], clock: FakeClock
) -> None:
    emulator, url = emulated
    emulator.faults.status("/oauth2/token", 503, times=3)
    out = io.StringIO()
    setup_logging("info", stream=out)
    client = AsyncGloo(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=url, max_retries=2, _clock=clock
    )
    async with client:
        with pytest.raises(gloo_ai.TokenUnavailableError):
            await client.chat.completions.create(model="gloo-openai-gpt-5-mini", messages=MESSAGES)
    messages = [message for _, _, message in lines_of(out.getvalue())]
    assert re.fullmatch(
        r"The token request failed after 3 attempt\(s\) in \d+\.\d ms \(InternalServerError\)",
        messages[-1],
    )
    assert len(messages) == 3  # two retries, then the failure
    assert CLIENT_SECRET not in out.getvalue()


@pytest.mark.asyncio
async def test_trace_shows_httpcore_events_through_the_redacting_handler(
    loopback: LoopbackServer, clock: FakeClock
) -> None:
    loopback.add(
        "/things",
        Reply(200, body={"ok": True}, headers={"set-cookie": "session=ck-LEAK-in-cookie"}),
    )
    out = io.StringIO()
    setup_logging("trace", stream=out)
    async with AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock) as client:
        await client.get("/things")
    lines = lines_of(out.getvalue())
    assert any(name == "httpcore.http11" for _, name, _ in lines)
    assert "receive_response_headers.complete" in out.getvalue()
    assert "(b'set-cookie', b'[REDACTED]')" in out.getvalue()
    for secret in ("ck-LEAK-in-cookie", API_KEY):
        assert secret not in out.getvalue()


# --------------------------------------------------------------------------- GLOO_LOG, fresh env

CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    import anyio.lowlevel
    from gloo_ai import AsyncGloo

    class Clock:  # real time, but retries do not sleep
        def monotonic(self): return time.monotonic()
        def time(self): return time.time()
        async def sleep(self, seconds): await anyio.lowlevel.checkpoint()

    async def main():
        async with AsyncGloo(
            client_id=sys.argv[2], client_secret=sys.argv[3], base_url=sys.argv[1],
            _clock=Clock(),
        ) as client:
            answer = await client.chat.completions.create(
                model="gloo-openai-gpt-5-mini", messages=[{"role": "user", "content": "Hi"}]
            )
            print("answer:", bool(answer.choices[0].message.content))

    asyncio.run(main())
    """
)


@pytest.fixture
def emulated() -> Iterator[tuple[GlooEmulator, str]]:
    emulator = GlooEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with EmulatorServer(emulator) as server:
        yield emulator, server.url


def run_child(url: str, level: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOO_")}
    env["GLOO_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", CHILD, url, CLIENT_ID, CLIENT_SECRET],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def issued_tokens(emulator: GlooEmulator) -> list[str]:
    tokens = set()
    for request in emulator.requests:
        value = request.headers.get("authorization", "")
        if value.startswith("Bearer "):
            tokens.add(value.removeprefix("Bearer "))
    assert tokens, "no request carried a token"
    return sorted(tokens)


def assert_no_secret(text: str, emulator: GlooEmulator) -> None:
    import base64

    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    for secret in (CLIENT_SECRET, basic, *issued_tokens(emulator)):
        assert secret not in text, f"a secret ({secret[:6]}...) leaked: {text}"


def test_gloo_log_debug_prints_each_attempt_retry_and_token_fetch(
    emulated: tuple[GlooEmulator, str],
) -> None:
    emulator, url = emulated
    emulator.faults.status(CHAT, 503)
    done = run_child(url, "debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "answer: True\n"
    lines = lines_of(done.stderr)
    messages = [message for _, name, message in lines]
    assert {name for _, name, _ in lines} == {"gloo_ai"}
    token_attempts = [m for m in map(ATTEMPT.match, messages) if m and m["path"] == "/oauth2/token"]
    assert [m.group("method", "status", "attempt") for m in token_attempts] == [
        ("POST", "200", "1")
    ]
    fetched = [m for m in map(TOKEN.match, messages) if m]
    assert len(fetched) == 1
    assert fetched[0]["attempts"] == "1"
    assert fetched[0]["expires"] == "3600"
    assert float(fetched[0]["ms"]) >= 0
    chat = [m for m in map(ATTEMPT.match, messages) if m and m["path"] == CHAT]
    assert [m.group("method", "status", "attempt") for m in chat] == [
        ("POST", "503", "1"),
        ("POST", "200", "2"),
    ]
    assert all(len(m["request_id"]) == 32 for m in chat)  # the emulator's hex request ids
    retries = [m for m in messages if m.startswith("Retrying")]
    assert len(retries) == 1
    assert retries[0].startswith(f"Retrying POST {CHAT} in ")
    assert f"after HTTP 503 (request_id={chat[0]['request_id']}), retry 1 of 2" in retries[0]
    assert emulator.counts[CHAT] == 2
    assert emulator.counts["/oauth2/token"] == 1
    assert_no_secret(done.stderr + done.stdout, emulator)


def test_gloo_log_info_prints_retries_and_token_fetches_not_each_attempt(
    emulated: tuple[GlooEmulator, str],
) -> None:
    emulator, url = emulated
    emulator.faults.status(CHAT, 502)
    done = run_child(url, "INFO")
    assert done.returncode == 0, done.stderr
    lines = lines_of(done.stderr)
    assert [level for level, _, _ in lines] == ["INFO", "INFO"]
    assert TOKEN.match(lines[0][2])
    assert lines[1][2].startswith(f"Retrying POST {CHAT} in ")
    assert_no_secret(done.stderr, emulator)


def test_gloo_log_trace_adds_httpcore_connection_events_redacted(
    emulated: tuple[GlooEmulator, str],
) -> None:
    emulator, url = emulated
    done = run_child(url, "trace")
    assert done.returncode == 0, done.stderr
    names = [name for _, name, _ in lines_of(done.stderr)]
    assert "gloo_ai" in names
    assert any(name.startswith("httpcore.") for name in names)
    assert "connect_tcp" in done.stderr
    assert_no_secret(done.stderr, emulator)


def test_a_bad_gloo_log_warns_once_and_the_call_still_works(
    emulated: tuple[GlooEmulator, str],
) -> None:
    _emulator, url = emulated
    done = run_child(url, "verbose")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "answer: True\n"
    assert done.stderr.count("RuntimeWarning: GLOO_LOG='verbose' is not a log level") == 1
    assert "Got an access token" not in done.stderr


# --------------------------------------------------------------------------- the docs' examples


def test_the_logging_docs_examples_run() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = page.split("## Logging", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 2
    namespace: dict[str, object] = {"__name__": "docs_example", "__file__": "configuration.md"}
    for block in blocks:
        exec(compile(block, "configuration.md", "exec"), namespace)
    handler = namespace["handler"]
    assert isinstance(handler, logging.Handler)
    for name in ("gloo_ai", "httpx", "httpcore"):
        logging.getLogger(name).removeHandler(handler)
