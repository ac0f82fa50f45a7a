"""The emulator's data engine (§11): items per publisher, in memory, that move through the
processing statuses on the emulator's clock.

An item starts ``STARTED`` when it is uploaded and advances one status every
`EngineState.step_seconds` until ``COMPLETED``; a file whose name is in
`EngineState.failing_filenames` (or an item given to `EngineState.fail`) turns ``FAILED`` at
``CHUNKING``. The listing answers in the shape `EngineState.page_shape` names.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BOOL_FIELDS",
    "LIST_FIELDS",
    "PROCESSING_STEPS",
    "SINGLE_FIELDS",
    "STRING_FIELDS",
    "EmulatedItem",
    "EngineState",
    "PageShape",
    "duplicates_of",
]

PROCESSING_STEPS: tuple[str, ...] = (
    "STARTED",
    "QUEUED",
    "FETCHING",
    "NORMALIZING",
    "CHUNKING",
    "EMBEDDING",
    "SYNCED",
    "ENRICHED",
    "COMPLETED",
)
FAIL_AT = "CHUNKING"
PageShape = Literal["list", "object", "object-without-total"]

STRING_FIELDS = (
    "item_title",
    "item_subtitle",
    "item_summary",
    "item_image",
    "item_url",
    "item_number",
    "item_extra",
    "isbn",
    "publication_date",
)
LIST_FIELDS = ("author", "item_tags")
BOOL_FIELDS = ("evergreen", "visible_in_search", "visible_in_chat")
SINGLE_FIELDS = (*STRING_FIELDS[:7], "publication_date", "author", "item_tags")


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class EmulatedItem:
    """One item the emulator holds."""

    item_id: str
    publisher_id: str
    filename: str | None
    producer_id: str | None
    sha256: str
    started_at: float
    size: int = 0
    fail: bool = False
    status_override: str | None = None
    type: str = "document"
    created_at: str = field(default_factory=_now_iso)
    updated_at: str = field(default_factory=_now_iso)
    etag: str = field(default_factory=lambda: uuid.uuid4().hex)
    fields: dict[str, Any] = field(default_factory=dict)

    def status(self, now: float, step_seconds: float) -> str:
        """The status at ``now``."""
        if self.status_override is not None:
            return self.status_override
        steps = int((now - self.started_at) / step_seconds) if step_seconds > 0 else 99
        status = PROCESSING_STEPS[min(max(steps, 0), len(PROCESSING_STEPS) - 1)]
        if self.fail and PROCESSING_STEPS.index(status) >= PROCESSING_STEPS.index(FAIL_AT):
            return "FAILED"
        return status

    def touch(self) -> None:
        self.updated_at = _now_iso()
        self.etag = uuid.uuid4().hex


class EngineState:
    """The items of every publisher, for `GlooEmulator.engine`.

    Args:
        clock: monotonic seconds (the emulator's clock), read on every request.

    Attributes:
        page_shape: how the listing answers: ``"object"`` (``{"items", "total_pages"}``,
            the default), ``"object-without-total"`` or ``"list"`` (a bare list).
        step_seconds: seconds per processing status (9 steps from STARTED to COMPLETED).
        failing_filenames: uploads with these file names turn FAILED at CHUNKING.
        items: every item by id, in the order created.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.page_shape: PageShape = "object"
        self.step_seconds = 1.0
        self.failing_filenames: set[str] = set()
        self.items: dict[str, EmulatedItem] = {}

    def reset(self) -> None:
        """Forget every item and script."""
        self.items.clear()
        self.failing_filenames.clear()

    def add_item(
        self,
        publisher_id: str,
        *,
        filename: str | None = None,
        content: bytes | None = None,
        producer_id: str | None = None,
        status: str | None = None,
        **fields: Any,
    ) -> str:
        """Add an item as if uploaded; return its id.

        Args:
            publisher_id: its publisher.
            filename: its file name.
            content: its content (for duplicate detection); a unique one by default.
            producer_id: the uploader's own id.
            status: a fixed status (default: processing starts now).
            **fields: metadata (``item_title``, ``author``...).
        """
        item_id = str(uuid.uuid4())
        data = content if content is not None else item_id.encode()
        item = EmulatedItem(
            item_id=item_id,
            publisher_id=publisher_id,
            filename=filename,
            producer_id=producer_id,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            started_at=self.clock(),
            fail=filename in self.failing_filenames,
            status_override=status,
        )
        item.fields.update(fields)
        self.items[item_id] = item
        return item_id

    def add_items(self, publisher_id: str, count: int, *, status: str = "COMPLETED") -> list[str]:
        """Add ``count`` items (``item-0.txt``...) with a fixed status; return their ids."""
        return [
            self.add_item(publisher_id, filename=f"item-{n}.txt", status=status)
            for n in range(count)
        ]

    def fail(self, item_id: str) -> None:
        """Make an item turn FAILED (at CHUNKING, or now if it is past that)."""
        self.items[item_id].fail = True

    def set_status(self, item_id: str, status: str | None) -> None:
        """Fix an item's status (None: back to the clock's)."""
        self.items[item_id].status_override = status

    def status_of(self, item_id: str) -> str:
        """An item's status now."""
        return self.items[item_id].status(self.clock(), self.step_seconds)

    def of_publisher(self, publisher_id: str) -> list[EmulatedItem]:
        """The publisher's items, in the order created."""
        return [i for i in self.items.values() if i.publisher_id == publisher_id]

    def summary(self, item: EmulatedItem) -> dict[str, Any]:
        """The item as the listing shows it."""
        body: dict[str, Any] = {
            "item_id": item.item_id,
            "item_title": item.fields.get("item_title") or item.filename,
            "filename": item.filename,
            "status": self.status_of(item.item_id),
        }
        if item.producer_id is not None:
            body["producer_id"] = item.producer_id
        return body

    def metadata(self, item: EmulatedItem) -> dict[str, Any]:
        """The item's full metadata (§11.2)."""
        body: dict[str, Any] = {
            "item_id": item.item_id,
            "status": self.status_of(item.item_id),
            "updated_at": item.updated_at,
            "etag": item.etag,
            "restore_by": None,
            "filename": item.filename,
            "type": item.type,
            "item_file": item.filename,
            "author": [],
            "item_tags": [],
            "evergreen": False,
            "visible_in_search": True,
            "visible_in_chat": True,
            "collection_memberships": [],
        }
        for name in STRING_FIELDS:
            body[name] = None
        body["item_title"] = item.filename
        body.update(item.fields)
        return body


def duplicates_of(state: EngineState, publisher_id: str, digest: str) -> str | None:
    """The id of the publisher's item with this content, if any."""
    return next((i.item_id for i in state.of_publisher(publisher_id) if i.sha256 == digest), None)
