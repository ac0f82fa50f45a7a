"""Models of ingestion: file uploads (``/ingestion/v2/files``), waiting for processing, and
the legacy real-time text upload (``/ingestion/v1/real_time_upload``)."""

# No ``from __future__ import annotations`` here: `RealTimeUploadKwargs` is read at run time.

from collections.abc import Sequence

from pydantic import Field
from typing_extensions import Required

from .._call_options import CallOptions
from .._models import GlooModel, RequestModel
from .items import ItemStatus

__all__ = [
    "ProcessingResult",
    "RealTimeUploadKwargs",
    "RealTimeUploadParams",
    "RealTimeUploadResult",
    "UploadResult",
]


class UploadResult(GlooModel):
    """The answer to a file upload (§12.1): the items queued, and the duplicates.

    Attributes:
        success: whether the upload was accepted.
        message: for example ``"File processing started in background."``.
        ingesting: the ids of the items now being processed.
        duplicates: the ids of existing items whose content a file repeats (nothing new is
            ingested for those files).
    """

    success: bool | None = None
    message: str | None = None
    ingesting: list[str] = Field(default_factory=list)
    duplicates: list[str] = Field(default_factory=list)


class ProcessingResult(GlooModel):
    """The statuses `AsyncIngestion.wait_until_processed` ended with (or saw at a poll).

    Attributes:
        statuses: every item asked about, in the order given, and its status (None while the
            listing does not show the item yet).
    """

    statuses: dict[str, ItemStatus | None]

    @property
    def completed(self) -> list[str]:
        """The ids of the items that are ``COMPLETED``."""
        return [i for i, s in self.statuses.items() if s == ItemStatus.COMPLETED]

    @property
    def failed(self) -> list[str]:
        """The ids of the items that are ``FAILED``."""
        return [i for i, s in self.statuses.items() if s == ItemStatus.FAILED]

    @property
    def pending(self) -> list[str]:
        """The ids of the items still being processed (or not listed yet)."""
        return [i for i, s in self.statuses.items() if s is None or not s.is_terminal]

    @property
    def ok(self) -> bool:
        """Whether every item is ``COMPLETED``."""
        return len(self.completed) == len(self.statuses)


class RealTimeUploadParams(RequestModel):
    """The body of the legacy ``POST /ingestion/v1/real_time_upload`` (§12.3), in the
    reference's snake_case."""

    content: str = Field(min_length=1)
    publisher_id: str = Field(min_length=1)
    filename: str | None = None
    producer_id: str | None = None
    tradition: str | None = None
    denomination: str | None = None
    evergreen: bool | None = None
    drm: list[str] | None = None
    author: list[str] | str | None = None
    isbn: str | None = None
    item_title: str | None = None
    item_subtitle: str | None = None
    item_image: str | None = None
    item_url: str | None = None
    item_file: str | None = None
    item_summary: str | None = None
    item_number: str | None = None
    item_extra: str | None = None
    item_tags: list[str] | str | None = None
    h2_title: str | None = None
    h2_subtitle: str | None = None
    h2_image: str | None = None
    h2_url: str | None = None
    h2_file: str | None = None
    h2_summary: str | None = None
    h2_number: str | None = None
    h2_extra: str | None = None
    h3_title: str | None = None
    h3_subtitle: str | None = None
    h3_image: str | None = None
    h3_url: str | None = None
    h3_file: str | None = None
    h3_summary: str | None = None
    h3_number: str | None = None
    h3_extra: str | None = None
    type: str | None = None
    pub_type: str | None = None
    publication_date: str | None = None
    hosted_url: str | None = None
    pages: str | int | None = None
    duration: str | int | None = None


class RealTimeUploadKwargs(CallOptions, total=False):
    """The keyword arguments of `AsyncIngestion.upload_text` (the fields of
    `RealTimeUploadParams`)."""

    content: Required[str]
    publisher_id: Required[str]
    filename: str
    producer_id: str
    tradition: str
    denomination: str
    evergreen: bool
    drm: Sequence[str]
    author: Sequence[str] | str
    isbn: str
    item_title: str
    item_subtitle: str
    item_image: str
    item_url: str
    item_file: str
    item_summary: str
    item_number: str
    item_extra: str
    item_tags: Sequence[str] | str
    h2_title: str
    h2_subtitle: str
    h2_image: str
    h2_url: str
    h2_file: str
    h2_summary: str
    h2_number: str
    h2_extra: str
    h3_title: str
    h3_subtitle: str
    h3_image: str
    h3_url: str
    h3_file: str
    h3_summary: str
    h3_number: str
    h3_extra: str
    type: str
    pub_type: str
    publication_date: str
    hosted_url: str
    pages: str | int
    duration: str | int


class RealTimeUploadResult(GlooModel):
    """The answer to a real-time upload. Gloo's reference does not show it, so every field
    is optional and whatever the platform sends is kept (``model_extra``)."""

    success: bool | None = None
    message: str | None = None
    item_id: str | None = None
