"""``gloo upload``: progress per file, --wait with a status line, the exit code of FAILED."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from gloo_ai import AsyncGloo, cli
from gloo_ai.testing import GlooEmulator
from tests.conftest import FakeClock

PUB = "3f0e5a0c-0000-4000-8000-000000000001"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> GlooEmulator:
    """The CLI's --emulator client, on a fake clock (no real waiting)."""
    clock = FakeClock()
    emulator = GlooEmulator(clock=clock.monotonic)

    def make_client(args: argparse.Namespace) -> AsyncGloo:
        assert args.emulator
        return emulator.client(_clock=clock)

    monkeypatch.setattr(cli, "_make_client", make_client)
    return emulator


def files(tmp_path: Path, *names: str) -> list[str]:
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(name.encode() * 50_000)
        paths.append(str(path))
    return paths


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


def test_upload_prints_one_line_per_file_when_not_a_tty(
    emulator: GlooEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = files(tmp_path, "a.txt", "b.md")
    code, text = run("upload", "--emulator", PUB, *paths)
    assert code == cli.EXIT_OK
    lines = [line.split("\t") for line in text.splitlines()]
    assert [line[0] for line in lines] == paths
    assert {line[1] for line in lines} == set(emulator.engine.items)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"a.txt: ingesting as {lines[0][1]}",
        f"b.md: ingesting as {lines[1][1]}",
    ]
    assert "\r" not in err
    assert emulator.counts["/ingestion/v2/files"] == 2  # one request per file


def test_upload_draws_a_progress_bar_per_file_on_a_terminal(
    emulator: GlooEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, _ = run("upload", "--emulator", PUB, *files(tmp_path, "a.txt", "b.txt"))
    assert code == cli.EXIT_OK
    drawn = terminal.getvalue()
    for name in ("a.txt", "b.txt"):
        assert f"\r{name} [" in drawn
        assert f"{name} [{'#' * 30}] 100%" in drawn


def test_upload_wait_shows_statuses_and_exits_nonzero_when_an_item_failed(
    emulator: GlooEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.engine.failing_filenames.add("bad.pdf")
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    code, text = run(
        "upload",
        "--emulator",
        PUB,
        *files(tmp_path, "good.txt", "bad.pdf"),
        "--wait",
        "--poll-interval",
        "1",
    )
    assert code == cli.EXIT_FAILED
    statuses = {Path(line.split("\t")[0]).name: line.split("\t")[2] for line in text.splitlines()}
    assert statuses == {"good.txt": "COMPLETED", "bad.pdf": "FAILED"}
    drawn = terminal.getvalue()
    assert "\r\x1b[2Kwaiting: 2 STARTED" in drawn
    assert "1 COMPLETED, 1 FAILED" in drawn
    assert "item(s) FAILED" in drawn


def test_upload_wait_succeeds_with_plain_status_lines(
    emulator: GlooEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run("upload", "--emulator", PUB, *files(tmp_path, "a.txt"), "--wait")
    assert code == cli.EXIT_OK
    assert text.rstrip().endswith("\tCOMPLETED")
    err = capsys.readouterr().err
    assert "waiting: 1 STARTED" in err.splitlines()
    assert "waiting: 1 COMPLETED" in err.splitlines()


def test_upload_wait_timeout_is_a_one_line_error(
    emulator: GlooEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(
        "upload", "--emulator", PUB, *files(tmp_path, "a.txt"), "--wait", "--wait-timeout", "2"
    )
    assert code == cli.EXIT_API
    assert "still processing" in capsys.readouterr().err.splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--producer-id", "p"], "single FILE"),
        ([], "not a file"),
    ],
)
def test_upload_usage_errors(
    emulator: GlooEmulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    paths = files(tmp_path, "a.txt", "b.txt") if argv else [str(tmp_path / "missing.pdf")]
    code, _ = run("upload", "--emulator", PUB, *paths, *argv)
    assert code == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert emulator.counts["/ingestion/v2/files"] == 0
