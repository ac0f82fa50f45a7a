"""``gloo upload PUBLISHER_ID FILE...``: upload files, show progress, optionally wait.

Each file is sent in its own request, so that its item id (and, with ``--wait``, its final
status) is known per file, and its progress bar is its own. On a terminal the bars and the
status line redraw in place; otherwise plain lines are written.
"""

from __future__ import annotations

import argparse
import collections
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._client import AsyncGloo
    from .types.ingestion import ProcessingResult

__all__ = ["add_upload_parser", "upload"]

_BAR_WIDTH = 30


def add_upload_parser(
    commands: argparse._SubParsersAction[Any],
    common: argparse.ArgumentParser,
) -> None:
    """Add the ``upload`` command to the ``gloo`` parser."""
    upload = commands.add_parser(
        "upload", parents=[common], help="upload files for ingestion (--wait to follow them)"
    )
    upload.add_argument("publisher_id", metavar="PUBLISHER_ID", help="the publisher's id")
    upload.add_argument("files", metavar="FILE", nargs="+", type=Path, help="files to upload")
    upload.add_argument(
        "--producer-id", metavar="ID", help="your own id for the item (a single FILE only)"
    )
    upload.add_argument(
        "--wait", action="store_true", help="poll until every item is COMPLETED or FAILED"
    )
    upload.add_argument(
        "--wait-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="how long --wait waits in all (default 600)",
    )
    upload.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between polls with --wait (default 5)",
    )


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"  # pragma: no cover


@dataclass
class _Progress:
    """One file's progress: a bar redrawn in place on a terminal, else one line at the end."""

    name: str
    err: TextIO
    tty: bool
    last: int = -1

    def __call__(self, sent: int, total: int | None) -> None:
        if not self.tty:
            return
        if total:
            percent = min(100, sent * 100 // total)
            if percent == self.last:
                return
            self.last = percent
            filled = _BAR_WIDTH * percent // 100
            bar = "#" * filled + "." * (_BAR_WIDTH - filled)
            line = f"{self.name} [{bar}] {percent:3d}% {_size(sent)}/{_size(total)}"
        else:
            line = f"{self.name} {_size(sent)}"
        self.err.write("\r" + line)
        self.err.flush()

    def done(self, outcome: str) -> None:
        if self.tty:
            self.err.write("\n")
        self.err.write(f"{self.name}: {outcome}\n")
        self.err.flush()


def _status_line(result: ProcessingResult) -> str:
    counts = collections.Counter(
        str(s) if s is not None else "NOT LISTED" for s in result.statuses.values()
    )
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    return f"waiting: {', '.join(parts)}"


def _watcher(err: TextIO, tty: bool) -> Callable[[ProcessingResult], None]:
    previous = ""

    def show(result: ProcessingResult) -> None:
        nonlocal previous
        line = _status_line(result)
        if line == previous:
            return
        if tty:
            err.write("\r\x1b[2K" + line)
        else:
            err.write(line + "\n")
        err.flush()
        previous = line

    return show


async def upload(client: AsyncGloo, args: argparse.Namespace, out: TextIO, err: TextIO) -> bool:
    """Run ``gloo upload``; print ``FILE<TAB>ITEM_ID[<TAB>STATUS]`` per file on ``out``.

    Returns:
        True when every item was accepted (and, with ``--wait``, none FAILED).
    """
    from ._exceptions import InvalidArgumentError

    files: list[Path] = args.files
    if args.producer_id is not None and len(files) > 1:
        raise InvalidArgumentError("--producer-id applies to a single FILE only.")
    tty = bool(getattr(err, "isatty", lambda: False)())
    ids: dict[Path, str] = {}
    async with client:
        for path in files:
            progress = _Progress(path.name, err, tty)
            result = await client.ingestion.upload_files(
                args.publisher_id, path, producer_id=args.producer_id, on_progress=progress
            )
            if result.ingesting:
                ids[path] = result.ingesting[0]
                progress.done(f"ingesting as {ids[path]}")
            elif result.duplicates:
                ids[path] = result.duplicates[0]
                progress.done(f"duplicate of {ids[path]}")
            else:
                progress.done(f"not accepted: {result.message or 'no item id returned'}")
        if not args.wait:
            for path, item_id in ids.items():
                out.write(f"{path}\t{item_id}\n")
            return len(ids) == len(files)
        final = await client.ingestion.wait_until_processed(
            args.publisher_id,
            list(ids.values()),
            timeout=args.wait_timeout,
            poll_interval=args.poll_interval,
            on_poll=_watcher(err, tty),
        )
    if tty:
        err.write("\n")
    for path, item_id in ids.items():
        out.write(f"{path}\t{item_id}\t{final.statuses.get(item_id)}\n")
    if final.failed:
        err.write(f"gloo: {len(final.failed)} item(s) FAILED: {', '.join(final.failed)}\n")
    return len(ids) == len(files) and not final.failed
