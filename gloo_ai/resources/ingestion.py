"""``client.ingestion``: upload files (streamed), wait until they are processed, and the
legacy real-time text upload."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pydantic
from typing_extensions import Unpack

from .._call_options import check_arguments, split_call_options
from .._exceptions import GlooError, InvalidArgumentError
from .._multipart import FileInput, ProgressCallback
from .._requester import multipart
from ..types.ingestion import (
    ProcessingResult,
    RealTimeUploadKwargs,
    RealTimeUploadParams,
    RealTimeUploadResult,
    UploadResult,
)
from ..types.items import ItemStatus, ReadOptions
from ._base import AsyncAPIResource, invalid_arguments, warn_deprecated
from ._options import call_options
from .items import MAX_PAGE_SIZE, AsyncItems, segment

__all__ = ["AsyncIngestion", "IngestionTimeoutError"]

UPLOAD_PATH = "/ingestion/v2/files"
REAL_TIME_PATH = "/ingestion/v1/real_time_upload"


class IngestionTimeoutError(GlooError, TimeoutError):
    """`AsyncIngestion.wait_until_processed` ran out of time with items still processing.

    Also a `TimeoutError`. The items may still finish: wait again with the ids in
    ``pending``.

    Attributes:
        pending: the ids of the items not yet ``COMPLETED`` or ``FAILED``.
        result: every item's status at the last poll (a `ProcessingResult`).
        timeout: the seconds waited.
    """

    def __init__(self, message: str, *, result: ProcessingResult, timeout: float) -> None:
        super().__init__(message)
        self.result = result
        self.pending = result.pending
        self.timeout = timeout

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class AsyncIngestion(AsyncAPIResource):
    """Put content into Gloo's data engine."""

    async def upload_files(
        self,
        publisher_id: str,
        files: FileInput | Sequence[FileInput],
        *,
        producer_id: str | None = None,
        update: str | None = None,
        on_progress: ProgressCallback | None = None,
        **options: Unpack[ReadOptions],
    ) -> UploadResult:
        """Upload files for ingestion (``POST /ingestion/v2/files``, multipart).

        Files are streamed from disk as the body goes out, never read whole into memory.
        Processing happens in the background: the answer lists the new items
        (``ingesting``) and the existing items whose content a file repeats
        (``duplicates``); follow them with `wait_until_processed`. Set titles, authors and
        tags afterwards with ``client.items.update`` (the upload takes none).

        Retried like any POST (``retry="default"``): a repeat of an upload that reached the
        server is found to be a duplicate by its content, so the file is not ingested twice
        (its id is then under ``duplicates``). A file object that cannot be rewound is sent
        once only.

        Example::

            result = await client.ingestion.upload_files(
                publisher_id, [Path("sermon.pdf"), ("notes.txt", b"Psalm 23")]
            )

        Args:
            publisher_id: the publisher the items belong to.
            files: one file or a list; each a path, a binary file object, or a
                ``(filename, content)`` / ``(filename, content, content_type)`` tuple (bytes
                need a name this way: Gloo reads the type from it).
            producer_id: your own id for the item (a single file only).
            update: the id of an existing item whose content this file replaces (a single
                file only).
            on_progress: called with ``(bytes_sent, total_bytes)`` as the body goes out
                (``total_bytes`` is None when a file's size is unknown).
            **options: ``extra_headers``, ``extra_query``, ``timeout``, ``max_retries``.

        Raises:
            InvalidArgumentError: no files, an unreadable path, bytes without a name, or
                ``producer_id`` / ``update`` with more than one file; nothing was sent.
            PermissionDeniedError: the organisation lacks ingestion access, or does not own
                the publisher.
        """
        where = "ingestion.upload_files"
        check_arguments(
            where, options, ReadOptions, also=("producer_id", "update", "on_progress", "files")
        )
        segment(publisher_id, "publisher_id")
        file_list = _file_list(files)
        if not file_list:
            raise InvalidArgumentError(f"{where}() needs at least one file.")
        for name, value in (("producer_id", producer_id), ("update", update)):
            if value is None:
                continue
            segment(value, name)
            if len(file_list) > 1:
                raise InvalidArgumentError(
                    f"{name}= applies to a single file, but {len(file_list)} were given: "
                    "upload that file on its own."
                )
        query = {"producer_id": producer_id, "update": update}
        body = multipart(
            files=[("files", file) for file in file_list],
            data={"publisher_id": publisher_id},
            on_progress=on_progress,
        )
        return await self._requester.call(
            "POST",
            UPLOAD_PATH,
            cast_to=UploadResult,
            body=body,
            options=call_options(
                options,
                retry="default",
                query={k: v for k, v in query.items() if v is not None} or None,
            ),
        )

    async def wait_until_processed(
        self,
        publisher_id: str,
        item_ids: Iterable[str],
        *,
        timeout: float = 600.0,
        poll_interval: float = 15.0,
        on_poll: Callable[[ProcessingResult], object] | None = None,
    ) -> ProcessingResult:
        """Poll the publisher's item list until every item is ``COMPLETED`` or ``FAILED``.

        Gloo has no job endpoint; its listing is the place to watch (the single item's
        status can go stale). A ``FAILED`` item is reported in the result, not raised:
        check ``result.failed``. Cancelling the task (or a timeout around it) stops the
        wait at once.

        Example::

            result = await client.ingestion.wait_until_processed(
                publisher_id, upload.ingesting, timeout=600
            )
            for item_id in result.failed:
                print("failed:", item_id)

        Args:
            publisher_id: the items' publisher.
            item_ids: the ids to wait for (``upload.ingesting``).
            timeout: seconds to wait in all.
            poll_interval: seconds between polls (Gloo's own monitor polls every 15 s).
            on_poll: called with the statuses after each poll (for a progress display).

        Returns:
            The final status of each item, in the order given.

        Raises:
            IngestionTimeoutError: ``timeout`` passed with items still processing; its
                ``pending`` names them.
            InvalidArgumentError: no ids, or a timeout or interval that is not a positive
                number; nothing was sent.
        """
        segment(publisher_id, "publisher_id")
        if isinstance(item_ids, (str, bytes)):
            raise InvalidArgumentError("item_ids must be a list of ids (wrap one: [item_id]).")
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            raise InvalidArgumentError("item_ids is empty: there is nothing to wait for.")
        for item_id in ids:
            segment(item_id, "each item id")
        _positive("timeout", timeout, allow_zero=True)
        _positive("poll_interval", poll_interval)
        clock = self._requester.clock
        deadline = clock.monotonic() + timeout
        items = AsyncItems(self._requester)
        while True:
            result = await self._poll(items, publisher_id, ids)
            if on_poll is not None:
                on_poll(result)
            pending = result.pending
            if not pending:
                return result
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                shown = ", ".join(pending[:10]) + (" ..." if len(pending) > 10 else "")
                raise IngestionTimeoutError(
                    f"{len(pending)} of {len(ids)} item(s) still processing after "
                    f"{timeout:g} s: {shown}. Wait again for these ids.",
                    result=result,
                    timeout=timeout,
                )
            await clock.sleep(min(poll_interval, remaining))

    async def _poll(self, items: AsyncItems, publisher_id: str, ids: list[str]) -> ProcessingResult:
        statuses: dict[str, ItemStatus | None] = dict.fromkeys(ids)
        wanted = set(ids)
        async for item in items.list(publisher_id, page_size=MAX_PAGE_SIZE):
            if item.item_id in wanted:
                statuses[item.item_id] = item.status
                wanted.discard(item.item_id)
                if not wanted:
                    break
        return ProcessingResult(statuses=statuses)

    async def upload_text(self, **kwargs: Unpack[RealTimeUploadKwargs]) -> RealTimeUploadResult:
        """Ingest text given as JSON (``POST /ingestion/v1/real_time_upload``). Deprecated:
        Gloo's cookbook marks it so; upload a file with `upload_files` instead.

        Emits a `DeprecationWarning`. Retried like any POST (``retry="default"``): a repeat
        after the first attempt reached the server may ingest the text twice unless it has
        a ``producer_id``; pass ``max_retries=0`` to send it once.

        Args:
            **kwargs: `RealTimeUploadKwargs`: ``content`` and ``publisher_id`` (required),
                and the item's metadata in the reference's snake_case names (``filename``,
                ``producer_id``, ``item_title``, ``author``, ``item_tags``, ``tradition``,
                ``publication_date``, ``h2_*``, ``h3_*``...). Also ``extra_headers``,
                ``extra_query``, ``extra_body``, ``timeout``, ``max_retries``.

        Raises:
            InvalidArgumentError: a missing or unknown argument; nothing was sent.
        """
        where = "ingestion.upload_text"
        warn_deprecated(
            "The real-time upload (/ingestion/v1/real_time_upload) is deprecated by Gloo; "
            "use client.ingestion.upload_files()."
        )
        check_arguments(where, kwargs, RealTimeUploadKwargs)
        fields, options = split_call_options(kwargs)
        fields = {
            k: list(v) if isinstance(v, Sequence) and not isinstance(v, str) else v
            for k, v in fields.items()
        }
        try:
            params = RealTimeUploadParams.model_validate(fields)
        except pydantic.ValidationError as exc:
            raise invalid_arguments(where, exc) from None
        body: dict[str, Any] = params.model_dump(mode="json", exclude_unset=True)
        body.update(options.get("extra_body") or {})
        return await self._requester.call(
            "POST",
            REAL_TIME_PATH,
            cast_to=RealTimeUploadResult,
            body=body,
            options=call_options(options, retry="default"),
        )


def _file_list(files: object) -> list[FileInput]:
    if isinstance(files, (str, os.PathLike, tuple)) or hasattr(files, "read"):
        file_list: list[Any] = [files]
    elif isinstance(files, (bytes, bytearray, memoryview)):
        file_list = [files]
    elif isinstance(files, Iterable):
        file_list = list(files)
    else:
        raise InvalidArgumentError(
            f"files must be a file or a list of files, not {type(files).__name__}."
        )
    for file in file_list:
        if isinstance(file, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError(
                "Bytes need a file name (Gloo reads the type from it): pass "
                '("notes.txt", data) instead.'
            )
    return file_list


def _positive(name: str, value: object, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):  # type: ignore[operator]
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidArgumentError(f"{name} must be a number of seconds {bound}, not {value!r}.")
