"""Multipart bodies: encoding, streaming from disk, retries that re-send the whole file."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import tracemalloc
from pathlib import Path

import httpx
import pytest
import respx

from gloo_ai import AsyncGloo, InternalServerError, InvalidArgumentError
from gloo_ai._multipart import MultipartBody
from tests.conftest import FakeClock, token_json
from tests.loopback import LoopbackServer, Reply

API_KEY = "key-for-multipart-tests"
BASE = "https://platform.ai.gloo.com"
UPLOAD = "/ingestion/v2/files"


async def body_of(body: MultipartBody) -> bytes:
    return b"".join([chunk async for chunk in body.stream()])


def parts_of(content_type: str, data: bytes) -> list[tuple[str | None, str | None, bytes]]:
    """(field name, filename, content) of each part, read with the standard library."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + data
    )
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition")
        assert disposition is not None
        params = dict(part.get_params(header="content-disposition")[1:])
        parts.append((params.get("name"), params.get("filename"), part.get_payload(decode=True)))
    return parts


@pytest.mark.asyncio
async def test_fields_and_files_encode_as_the_standard_library_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(b"# Grace\n")
    body = MultipartBody(
        fields={"publisher_id": "pub-1"},
        files=[("files", path), ("files", ("psalm.txt", b"The Lord is my shepherd"))],
    )
    data = await body_of(body)
    assert body.content_length == len(data)
    assert parts_of(body.content_type, data) == [
        ("publisher_id", None, b"pub-1"),
        ("files", "notes.md", b"# Grace\n"),
        ("files", "psalm.txt", b"The Lord is my shepherd"),
    ]
    assert b"Content-Type: text/plain" in data  # guessed from the file name


@pytest.mark.asyncio
async def test_a_seekable_file_object_is_sent_from_its_position_on_every_attempt() -> None:
    file = io.BytesIO(b"skip-me|the content")
    file.seek(8)
    body = MultipartBody(files=[("files", ("a.bin", file))])
    first = await body_of(body)
    second = await body_of(body)
    assert first == second
    assert parts_of(body.content_type, first)[0][2] == b"the content"
    assert body.replayable


@pytest.mark.asyncio
async def test_progress_is_monotonic_and_ends_at_the_total(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 1_000_000)
    seen: list[tuple[int, int | None]] = []
    body = MultipartBody(files=[("files", path)], on_progress=lambda s, t: seen.append((s, t)))
    await body_of(body)
    sent = [s for s, _ in seen]
    assert sent == sorted(sent)
    assert len(seen) > 3  # reported as it goes, not once at the end
    assert seen[-1] == (body.content_length, body.content_length)


class OneShot(io.RawIOBase):
    """A stream that cannot be rewound, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


@pytest.mark.asyncio
async def test_a_one_shot_stream_is_chunked_and_not_replayable() -> None:
    body = MultipartBody(files=[("files", ("pipe.txt", OneShot(b"once only")))])
    assert not body.replayable
    assert body.content_length is None
    assert "Content-Length" not in body.headers()
    data = await body_of(body)
    assert parts_of(body.content_type, data)[0][2] == b"once only"
    with pytest.raises(InvalidArgumentError, match="cannot be rewound"):
        await body_of(body)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("files", "/no/such/file.pdf")], "not a file"),
        ([("files", 42)], "path, bytes or a binary file object"),
        ([("files", io.StringIO("text"))], "binary mode"),
        ([("files", ("name-only",))], "filename, content"),
    ],
)
def test_bad_files_are_refused_before_anything_is_sent(files: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        MultipartBody(files=files)  # type: ignore[arg-type]


def test_a_form_field_must_be_text() -> None:
    with pytest.raises(InvalidArgumentError, match="publisher_id"):
        MultipartBody(fields={"publisher_id": ["a"]})  # type: ignore[dict-item]


def test_quotes_and_newlines_in_names_are_escaped() -> None:
    body = MultipartBody(files=[("files", ('evil"\r\nX-Injected: 1.txt', b"x"))])
    assert b'filename="evil%22%0D%0AX-Injected: 1.txt"' in body.files[0].header(body.boundary)


# --- through the client ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_post_with_files_sends_multipart_through_the_client(tmp_path: Path) -> None:
    path = tmp_path / "sermon.pdf"
    path.write_bytes(b"%PDF-1.7 ...")
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(BASE + UPLOAD).respond(200, json={"success": True, "ingesting": ["i"]})
        async with AsyncGloo(api_key=API_KEY) as client:
            result = await client.post(UPLOAD, files=[("files", path)], data={"publisher_id": "p"})
    assert result == {"success": True, "ingesting": ["i"]}
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    parts = parts_of(request.headers["Content-Type"], request.content)
    assert parts == [("publisher_id", None, b"p"), ("files", "sermon.pdf", b"%PDF-1.7 ...")]


@pytest.mark.asyncio
async def test_a_bad_file_sends_nothing() -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(BASE + UPLOAD).respond(200, json={})
        async with AsyncGloo(api_key=API_KEY) as client:
            with pytest.raises(InvalidArgumentError):
                await client.post(UPLOAD, files=[("files", "/no/such.pdf")])
    assert route.call_count == 0


@pytest.mark.asyncio
async def test_a_retried_upload_resends_the_whole_file(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    loopback.add(UPLOAD, Reply(503, {"detail": "busy"}), Reply(200, {"success": True}))
    clock = FakeClock()
    async with AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock) as client:
        await client.post(UPLOAD, files=[("files", path)], data={"publisher_id": "p"})
    first, second = loopback.seen
    assert first.body == second.body
    assert first.size > path.stat().st_size
    content = parts_of(first.headers["content-type"], first.body)[1][2]
    assert hashlib.sha256(content).digest() == hashlib.sha256(path.read_bytes()).digest()
    assert len(clock.sleeps) == 1


@pytest.mark.asyncio
async def test_a_one_shot_upload_is_attempted_once(loopback: LoopbackServer) -> None:
    loopback.add(UPLOAD, Reply(503, {"detail": "busy"}), Reply(200, {"success": True}))
    clock = FakeClock()
    async with AsyncGloo(api_key=API_KEY, base_url=loopback.url, _clock=clock) as client:
        with pytest.raises(InternalServerError):
            await client.post(UPLOAD, files=[("files", ("p.txt", OneShot(b"data" * 1000)))])
    assert loopback.count(UPLOAD) == 1
    assert loopback.seen[0].headers["transfer-encoding"] == "chunked"
    assert clock.sleeps == []


@pytest.mark.asyncio
async def test_a_50_mb_upload_streams_from_disk(loopback: LoopbackServer, tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    path = tmp_path / "large.bin"
    with path.open("wb") as file:
        for _ in range(size // (1024 * 1024)):
            file.write(b"\x01" * (1024 * 1024))
    loopback.digest_bodies = True  # the server keeps the digest only, not 50 MB
    loopback.add(UPLOAD, Reply(200, {"success": True}))
    async with AsyncGloo(api_key=API_KEY, base_url=loopback.url) as client:
        await client.post(UPLOAD, files=[("files", path)])  # warm up imports and the pool
        loopback.add(UPLOAD, Reply(200, {"success": True}))
        tracemalloc.start()
        try:
            baseline, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            await client.post(UPLOAD, files=[("files", path)])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert loopback.seen[-1].size > size
    assert peak - baseline < 10 * 1024 * 1024, f"{(peak - baseline) / 2**20:.1f} MiB above baseline"


@pytest.mark.asyncio
async def test_token_requests_are_not_multipart(tmp_path: Path) -> None:
    # The client-credentials flow sends its own form body, whatever the call's body kind.
    path = tmp_path / "a.txt"
    path.write_bytes(b"a")
    with respx.mock(assert_all_called=False) as mock:
        token = mock.post(BASE + "/oauth2/token").respond(200, json=token_json())
        mock.post(BASE + UPLOAD).respond(200, json={})
        async with AsyncGloo(client_id="id", client_secret="secret") as client:
            await client.post(UPLOAD, files=[("files", path)])
    sent: httpx.Request = token.calls.last.request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
