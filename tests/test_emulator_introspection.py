"""The emulator's own read-only endpoints (``/_emulator/counts``, ``/_emulator/requests``)
and stream pacing (``chunk_delay_ms`` and the ``x-emulator-chunk-delay-ms`` header)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gloo_ai.testing import GlooEmulator

V2 = "/ai/v2/chat/completions"
ASK = {"messages": [{"role": "user", "content": "What is hope?"}], "auto_routing": True}
AUTH = {"Authorization": f"Bearer {GlooEmulator.DEFAULT_API_KEY}"}


@pytest.mark.asyncio
async def test_counts_and_requests_show_what_was_sent_without_counting_themselves() -> None:
    emulator = GlooEmulator()
    async with emulator.http_client() as http:
        assert (await http.get("/_emulator/counts")).json() == {}
        await http.post(V2, json=ASK, headers=AUTH)
        counts = (await http.get("/_emulator/counts")).json()
        recorded = (await http.get("/_emulator/requests")).json()
    assert counts == {V2: 1}
    assert [(r["method"], r["path"], r["json"]) for r in recorded] == [("POST", V2, ASK)]
    assert recorded[0]["headers"]["authorization"] == "Bearer ***"
    assert len(emulator.requests) == 1


@pytest.mark.asyncio
async def test_they_need_no_token_are_read_only_and_list_what_exists() -> None:
    emulator = GlooEmulator()
    async with emulator.http_client() as http:
        assert (await http.post("/_emulator/counts")).status_code == 405
        missing = await http.get("/_emulator/nothing")
    assert missing.status_code == 404
    assert missing.json()["endpoints"] == ["counts", "requests"]


@pytest.mark.asyncio
async def test_a_client_that_is_not_on_loopback_is_refused() -> None:
    emulator = GlooEmulator()
    transport = httpx.ASGITransport(app=emulator, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        refused = await http.get("/_emulator/requests")
    assert refused.status_code == 403
    assert "loopback" in refused.json()["detail"]


class _Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("setting", "header", "expected"),
    [(0.0, None, None), (30.0, None, 0.03), (30.0, "5", 0.005), (0.0, "12.5", 0.0125)],
)
async def test_streams_are_paced_by_the_setting_or_the_request_header(
    monkeypatch: pytest.MonkeyPatch, setting: float, header: str | None, expected: float | None
) -> None:
    sleeps = _Sleeps()
    monkeypatch.setattr("gloo_ai.testing._asgi.anyio", sleeps)
    emulator = GlooEmulator(chunk_delay_ms=setting)
    headers: dict[str, Any] = dict(AUTH)
    if header is not None:
        headers["x-emulator-chunk-delay-ms"] = header
    async with emulator.http_client() as http:
        answer = await http.post(V2, json={**ASK, "stream": True}, headers=headers)
    events = answer.text.count("data: ")
    assert events > 3
    if expected is None:
        assert sleeps.calls == []
    else:
        assert sleeps.calls == [expected] * (events - 1)  # between events, not before the first


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), True])
def test_a_bad_chunk_delay_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="chunk_delay_ms must be milliseconds >= 0"):
        GlooEmulator(chunk_delay_ms=bad)
