"""The pure SSE decoder: bytes in, events out, however the bytes are split.

The fixtures in ``tests/fixtures`` are written by hand from the API facts in
``gloo-api.md`` §5 (Gloo's wire format), not produced by any emulator.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from gloo_ai._streaming import ServerSentEvent, SSEDecoder

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("v2_stream_*.txt"))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decode(*pieces: bytes) -> list[ServerSentEvent]:
    """Feed every piece, then flush; return all the events."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.flush())
    return events


def byte_by_byte(raw: bytes) -> list[bytes]:
    return [raw[i : i + 1] for i in range(len(raw))]


def random_splits(raw: bytes, rng: random.Random) -> list[bytes]:
    """Cut ``raw`` at random places (some pieces empty, some large)."""
    cuts = sorted(rng.randint(0, len(raw)) for _ in range(rng.randint(1, 40)))
    bounds = [0, *cuts, len(raw)]
    return [raw[a:b] for a, b in itertools.pairwise(bounds)]


# --- the fixtures ---------------------------------------------------------------------------


def test_fixtures_are_present() -> None:
    assert set(FIXTURE_NAMES) >= {
        "v2_stream_basic.txt",
        "v2_stream_crlf.txt",
        "v2_stream_done.txt",
        "v2_stream_error.txt",
        "v2_stream_tool_calls.txt",
        "v2_stream_usage.txt",
    }


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_whole_byte_by_byte_and_random_splits_agree(name: str) -> None:
    raw = fixture(name)
    whole = decode(raw)
    assert whole, "every fixture has events"
    assert decode(*byte_by_byte(raw)) == whole
    rng = random.Random(f"sse-{name}")
    for _ in range(200):
        assert decode(*random_splits(raw, rng)) == whole
    # Every event of Gloo's streams is a JSON object, except the [DONE] sentinel.
    for event in whole:
        assert event.event is None
        assert event.id is None
        assert event.retry is None
        if event.data != "[DONE]":
            assert isinstance(json.loads(event.data), dict)


def test_basic_fixture_events() -> None:
    events = decode(fixture("v2_stream_basic.txt"))
    payloads = [json.loads(e.data) for e in events]
    assert len(payloads) == 6
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(p["choices"][0]["delta"].get("content") or "" for p in payloads)
    assert text == (
        "The Bible calls us to forgive — freely, as we were forgiven (Col 3:13). "
        "Café prayers welcome 🙏"
    )
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(p["choices"][0]["finish_reason"] is None for p in payloads[:-1])


def test_done_fixture_ends_with_done_sentinel() -> None:
    events = decode(fixture("v2_stream_done.txt"))
    assert events[-1].data == "[DONE]"
    assert events[:-1] == decode(fixture("v2_stream_basic.txt"))


def test_crlf_fixture_decodes_like_the_lf_one() -> None:
    raw = fixture("v2_stream_crlf.txt")
    # Guard: the fixture really has CRLF line endings and comment lines (a checkout that
    # rewrote line endings would make this test meaningless).
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b": keep-alive\r\n" in raw
    assert decode(raw) == decode(fixture("v2_stream_basic.txt"))


def test_crlf_fixture_with_bare_cr_line_endings() -> None:
    raw = fixture("v2_stream_crlf.txt").replace(b"\r\n", b"\r")
    expected = decode(fixture("v2_stream_basic.txt"))
    assert decode(raw) == expected
    assert decode(*byte_by_byte(raw)) == expected


def test_usage_fixture_ends_with_usage_only_chunk() -> None:
    payloads = [json.loads(e.data) for e in decode(fixture("v2_stream_usage.txt"))]
    assert payloads[-2]["choices"][0]["finish_reason"] == "stop"
    assert payloads[-1]["choices"] == []
    assert payloads[-1]["usage"]["total_tokens"] == 203


def test_error_fixture_ends_with_error_event() -> None:
    payloads = [json.loads(e.data) for e in decode(fixture("v2_stream_error.txt"))]
    assert len(payloads) == 3
    assert payloads[-1]["error"]["code"] == 2002


# --- UTF-8 --------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["é", "🙏", "—", "\u00a0", "中"])
def test_multibyte_character_split_across_feeds(char: str) -> None:
    raw = f"data: a{char}b\n\n".encode()
    start = raw.index(char.encode())
    width = len(char.encode())
    assert width > 1
    for cut in range(start + 1, start + width):
        assert decode(raw[:cut], raw[cut:]) == [ServerSentEvent(data=f"a{char}b")]
    # Every byte of the character in its own feed, with empty feeds between them.
    pieces = [raw[:start]]
    for byte in char.encode():
        pieces += [bytes([byte]), b""]
    pieces.append(raw[start + width :])
    assert decode(*pieces) == [ServerSentEvent(data=f"a{char}b")]


def test_multibyte_character_split_inside_a_partial_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"content":"\xf0\x9f') == []
    assert decoder.feed(b'\x99\x8f"}') == []
    assert decoder.feed(b"\n\n") == [ServerSentEvent(data='{"content":"🙏"}')]
    assert decoder.flush() == []


# --- line endings --------------------------------------------------------------------------


@pytest.mark.parametrize("eol", ["\n", "\r", "\r\n"])
def test_each_line_ending(eol: str) -> None:
    raw = f"data: one{eol}{eol}data: two{eol}data: lines{eol}{eol}".encode()
    expected = [ServerSentEvent(data="one"), ServerSentEvent(data="two\nlines")]
    assert decode(raw) == expected
    assert decode(*byte_by_byte(raw)) == expected


def test_mixed_line_endings_in_one_stream() -> None:
    raw = b"data: a\r\n\ndata: b\r\rdata: c\n\r\n"
    expected = [ServerSentEvent(data="a"), ServerSentEvent(data="b"), ServerSentEvent(data="c")]
    assert decode(raw) == expected
    assert decode(*byte_by_byte(raw)) == expected


def test_cr_at_end_of_feed_and_lf_at_start_of_next_is_one_line_ending() -> None:
    # If "\r" | "\n" counted as two line endings, the "\n" would make a blank line and
    # end the event after "a"; it must be one line ending, so "a" and "b" are one event.
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ServerSentEvent(data="a\nb")]
    decoder = SSEDecoder()
    events = decoder.feed(b"data: a\r")
    events += decoder.feed(b"\ndata: b\r")
    assert events == []  # no blank line seen yet, whatever the decoder holds back
    events += decoder.feed(b"\n\r")
    events += decoder.feed(b"\n")
    assert events == [ServerSentEvent(data="a\nb")]
    assert decoder.flush() == []


def test_blank_line_cr_split_from_its_lf_dispatches_once() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"data: x\r\n\r")
    events += decoder.feed(b"\ndata: y\r\n")
    assert events == [ServerSentEvent(data="x")]
    events += decoder.feed(b"\r\n")
    assert events == [ServerSentEvent(data="x"), ServerSentEvent(data="y")]
    assert decoder.flush() == []


def test_crlf_event_is_dispatched_by_the_feed_that_completes_it() -> None:
    # No need to wait for more bytes: "\r\n\r\n" ends the event.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\n\r\n") == [ServerSentEvent(data="x")]
    assert decoder.feed(b"data: y\n\n") == [ServerSentEvent(data="y")]


def test_event_ended_by_bare_cr_is_dispatched_without_waiting_for_more_bytes() -> None:
    # A server using bare "\r" line endings ends an event with "\r\r" and may then be silent
    # for a long time (the model is thinking). WHATWG treats "\r" as a line ending at once
    # (ignoring a "\n" right after it), so the event must come out of this feed, not be held
    # until the next bytes arrive.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r\r") == [ServerSentEvent(data="x")]


def test_two_bare_crs_split_across_feeds_are_two_line_endings() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\rdata: b\r") == [ServerSentEvent(data="a")]
    assert decoder.flush() == [ServerSentEvent(data="b")]


def test_trailing_cr_at_end_of_body_ends_the_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.flush() == [ServerSentEvent(data="a")]


# --- fields --------------------------------------------------------------------------------


def test_comments_are_ignored() -> None:
    raw = b": keep-alive\n\n:\ndata: a\n: between data lines\ndata: b\n\n: trailing\n\n"
    assert decode(raw) == [ServerSentEvent(data="a\nb")]


def test_comment_only_stream_has_no_events() -> None:
    assert decode(b": keep-alive\n\n: keep-alive\r\n\r\n") == []


def test_event_id_and_retry_fields() -> None:
    raw = b"event: message\nid: 7\nretry: 1500\ndata: {}\n\n"
    assert decode(raw) == [ServerSentEvent(data="{}", event="message", id="7", retry=1500)]


def test_event_name_and_retry_apply_to_one_event_only() -> None:
    raw = b"event: error\nretry: 10\ndata: a\n\ndata: b\n\n"
    assert decode(raw) == [
        ServerSentEvent(data="a", event="error", retry=10),
        ServerSentEvent(data="b"),
    ]


def test_last_event_id_persists_until_changed() -> None:
    raw = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid\ndata: d\n\n"
    assert [(e.data, e.id) for e in decode(raw)] == [
        ("a", "1"),
        ("b", "1"),
        ("c", "2"),
        ("d", ""),
    ]


def test_id_with_nul_is_ignored() -> None:
    raw = b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"
    assert [e.id for e in decode(raw)] == ["1", "1"]


def test_retry_that_is_not_a_number_is_ignored() -> None:
    raw = b"retry: soon\ndata: a\n\nretry: 12x\ndata: b\n\nretry: -5\ndata: c\n\n"
    assert [e.retry for e in decode(raw)] == [None, None, None]


def test_retry_with_non_ascii_digits_is_ignored() -> None:
    # WHATWG: retry is used only if it "consists of only ASCII digits". str.isdigit() is
    # true for "²" and "١٢" (Arabic-Indic digits) too, and int("²") raises ValueError.
    raw = "retry: ²\ndata: a\n\nretry: ١٢\ndata: b\n\n".encode()
    events = decode(raw)
    assert [e.data for e in events] == ["a", "b"]
    assert [e.retry for e in events] == [None, None]


def test_event_without_data_is_not_dispatched() -> None:
    raw = b"event: ping\nid: 9\n\ndata: a\n\n"
    # The event name is reset; the id (the "last event id") is kept.
    assert decode(raw) == [ServerSentEvent(data="a", id="9")]


def test_multi_line_data_joined_with_newline() -> None:
    raw = b"data: first\ndata: second\ndata:\ndata: fourth\n\n"
    assert decode(raw) == [ServerSentEvent(data="first\nsecond\n\nfourth")]


def test_only_one_space_after_colon_is_removed() -> None:
    raw = b"data:no space\n\ndata:  two spaces\n\ndata:\ttab\n\n"
    assert [e.data for e in decode(raw)] == ["no space", " two spaces", "\ttab"]


def test_field_without_colon_has_empty_value() -> None:
    assert decode(b"data\n\n") == [ServerSentEvent(data="")]
    assert decode(b"data\ndata\n\n") == [ServerSentEvent(data="\n")]


def test_value_may_contain_colons() -> None:
    raw = b'data: {"a": "b:c"}\n\n'
    assert decode(raw) == [ServerSentEvent(data='{"a": "b:c"}')]


def test_unknown_fields_and_wrong_case_are_ignored() -> None:
    raw = b"foo: bar\nData: nope\nEVENT: x\ndata: yes\n\n"
    assert decode(raw) == [ServerSentEvent(data="yes")]


# --- end of body ---------------------------------------------------------------------------


def test_final_event_without_blank_line_is_returned_by_flush() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [ServerSentEvent(data="a")]
    assert decoder.flush() == [ServerSentEvent(data="b")]


def test_final_line_without_any_line_ending_is_returned_by_flush() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"x": 1}') == []
    assert decoder.flush() == [ServerSentEvent(data='{"x": 1}')]


@pytest.mark.parametrize(
    "name", ["v2_stream_basic.txt", "v2_stream_usage.txt", "v2_stream_crlf.txt"]
)
def test_fixture_without_its_last_blank_line(name: str) -> None:
    raw = fixture(name)
    trimmed = raw.rstrip(b"\r\n")
    assert decode(trimmed) == decode(raw)
    assert decode(*byte_by_byte(trimmed)) == decode(raw)


def test_flush_on_empty_decoder() -> None:
    assert SSEDecoder().flush() == []
    assert decode(b"") == []


def test_incomplete_utf8_at_end_of_body_does_not_raise() -> None:
    events = decode(b"data: caf\xc3")
    assert len(events) == 1
    assert events[0].data.startswith("caf")


# --- BOM -----------------------------------------------------------------------------------


def test_leading_bom_is_stripped() -> None:
    raw = b"\xef\xbb\xbfdata: a\n\n"
    assert decode(raw) == [ServerSentEvent(data="a")]
    assert decode(*byte_by_byte(raw)) == [ServerSentEvent(data="a")]


def test_bom_split_from_the_rest() -> None:
    assert decode(b"\xef\xbb", b"\xbfdata: a\n\n") == [ServerSentEvent(data="a")]
    assert decode(b"", b"\xef\xbb\xbf", b"data: a\n\n") == [ServerSentEvent(data="a")]


def test_only_the_first_bom_is_stripped() -> None:
    # A second BOM is part of the first line's field name ("\ufeffdata"), an unknown field.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == [ServerSentEvent(data="b")]


def test_bom_later_in_the_stream_is_kept() -> None:
    assert decode("data: a\n\ndata: \ufeffb\n\n".encode()) == [
        ServerSentEvent(data="a"),
        ServerSentEvent(data="\ufeffb"),
    ]


def test_fixture_with_bom_decodes_the_same() -> None:
    raw = fixture("v2_stream_usage.txt")
    rng = random.Random(1234)
    for _ in range(50):
        assert decode(*random_splits(b"\xef\xbb\xbf" + raw, rng)) == decode(raw)
