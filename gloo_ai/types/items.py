"""Models of the data engine (``/engine/v2``): items, their updates and their deletion.

Responses are `GlooModel` (unknown fields kept, every field but the ids optional: Gloo's
documentation disagrees with itself in places); requests are `RequestModel` (an unknown
field is a typo). ``ItemStatus`` keeps a status this SDK does not know as a value of its own.
"""

# No ``from __future__ import annotations`` here: the keyword-argument TypedDicts are read at
# run time by `check_arguments`, and pydantic resolves the models' annotations either way.

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BeforeValidator, ConfigDict, Field, model_validator
from typing_extensions import Self, TypedDict

from .._call_options import CallOptions
from .._config import NotGiven, Timeout
from .._models import GlooModel, RequestModel

__all__ = [
    "EDITABLE_BOOL_FIELDS",
    "EDITABLE_LIST_FIELDS",
    "EDITABLE_STRING_FIELDS",
    "BulkUpdateItemResult",
    "BulkUpdateResult",
    "CollectionMembership",
    "DeleteItemResult",
    "DeleteResult",
    "DeletedFrom",
    "EditableField",
    "Item",
    "ItemFilter",
    "ItemFilterParam",
    "ItemPatchOp",
    "ItemPatchOpParam",
    "ItemStatus",
    "ItemSummary",
    "ItemUpdateKwargs",
    "ItemUpdateParams",
    "ItemUpdateResult",
    "PatchOpKind",
    "ReadOptions",
]


class ItemStatus(str, enum.Enum):
    """An item's processing status (§11.1). A status Gloo adds later is kept as a value of
    its own (``ItemStatus("NEW")`` works), so a listing never fails on it.

    Compare with the members or with plain strings: ``status == "COMPLETED"``.
    """

    STARTED = "STARTED"
    QUEUED = "QUEUED"
    FETCHING = "FETCHING"
    TRANSCRIBING = "TRANSCRIBING"
    NORMALIZING = "NORMALIZING"
    CHUNKING = "CHUNKING"
    EMBEDDING = "EMBEDDING"
    SYNCED = "SYNCED"
    ENRICHED = "ENRICHED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"

    @classmethod
    def _missing_(cls, value: object) -> "ItemStatus | None":
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    def __str__(self) -> str:
        return str(self.value)

    @property
    def is_terminal(self) -> bool:
        """Whether processing has ended: ``COMPLETED`` or ``FAILED``."""
        return self in (ItemStatus.COMPLETED, ItemStatus.FAILED)

    @property
    def is_known(self) -> bool:
        """Whether this SDK knows the status (False for one Gloo added later)."""
        return type(self).__members__.get(self.name) is self


def _names(value: object) -> object:
    """Gloo sends ``author`` and ``item_tags`` as lists, but some sources show a comma string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


_Names = Annotated[list[str] | None, BeforeValidator(_names)]


class ItemSummary(GlooModel):
    """An item as the publisher's listing shows it (§11.1)."""

    item_id: str
    item_title: str | None = None
    filename: str | None = None
    status: ItemStatus | None = None
    producer_id: str | None = None


class CollectionMembership(GlooModel):
    """A collection an item belongs to."""

    type: str | None = None
    id: str | None = None
    name: str | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class Item(GlooModel):
    """An item's full metadata (``GET /engine/v2/items/{item_id}``, §11.2).

    Gloo warns that the single item's ``status`` can stay ``QUEUED`` after a metadata update;
    the listing (`ItemSummary`) is the one to poll.
    """

    model_config = ConfigDict(coerce_numbers_to_str=True)

    item_id: str
    status: ItemStatus | None = None
    updated_at: str | None = None
    etag: str | None = None
    restore_by: str | None = None
    item_title: str | None = None
    item_subtitle: str | None = None
    filename: str | None = None
    publication_date: str | None = None
    type: str | None = None
    item_image: str | None = None
    item_url: str | None = None
    item_file: str | None = None
    item_summary: str | None = None
    item_number: str | None = None
    item_extra: str | None = None
    isbn: str | None = None
    author: _Names = None
    item_tags: _Names = None
    evergreen: bool | None = None
    visible_in_search: bool | None = None
    visible_in_chat: bool | None = None
    collection_memberships: list[CollectionMembership] | None = None


class ItemUpdateResult(GlooModel):
    """The answer to a single-item update: ``{"success": true, "message": "Item ... has been
    updated."}``."""

    success: bool | None = None
    message: str | None = None


# -- bulk updates (§11.4) ----------------------------------------------------------------------

EditableStringField: TypeAlias = Literal[
    "item_title",
    "item_subtitle",
    "item_summary",
    "item_image",
    "item_url",
    "item_number",
    "item_extra",
    "isbn",
    "publication_date",
]
EditableListField: TypeAlias = Literal["author", "item_tags"]
EditableBoolField: TypeAlias = Literal["evergreen", "visible_in_search", "visible_in_chat"]
EditableField: TypeAlias = EditableStringField | EditableListField | EditableBoolField
"""A field a bulk update may change: text, a list of names (``author``, ``item_tags``), or a
flag."""

EDITABLE_STRING_FIELDS: frozenset[str] = frozenset(get_args(EditableStringField))
"""The text fields a bulk update may change."""
EDITABLE_LIST_FIELDS: frozenset[str] = frozenset(get_args(EditableListField))
"""The list fields a bulk update may change (and ``append`` to or ``remove`` from)."""
EDITABLE_BOOL_FIELDS: frozenset[str] = frozenset(get_args(EditableBoolField))
"""The flags a bulk update may change."""

PatchOpKind: TypeAlias = Literal["replace", "append", "remove"]
"""``replace`` sets a field; ``append`` and ``remove`` add or take names from a list field."""


class ItemPatchOpParam(TypedDict):
    """One operation of a bulk update, as a dict: ``{"op", "field", "value"}``."""

    op: PatchOpKind
    field: EditableField
    value: str | Sequence[str] | bool | None


class ItemPatchOp(RequestModel):
    """One operation of a bulk update.

    ``replace`` takes a string (or None) for a text field, a list of strings (or None) for
    ``author`` and ``item_tags``, and a bool for a flag; ``append`` and ``remove`` work on
    ``author`` and ``item_tags`` only, with a string or a list of strings.
    """

    op: PatchOpKind
    field: EditableField
    value: str | list[str] | bool | None = None

    @model_validator(mode="after")
    def _value_fits_field(self) -> Self:
        field, value = self.field, self.value
        if self.op != "replace":
            if field not in EDITABLE_LIST_FIELDS:
                raise ValueError(f"{self.op!r} works on author and item_tags only, not {field!r}")
            if not (isinstance(value, str) or _strings(value)) or value in ("", []):
                raise ValueError(f"{self.op!r} on {field!r} needs a name or a list of names")
        elif field in EDITABLE_BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ValueError(f"{field!r} takes True or False")
        elif field in EDITABLE_LIST_FIELDS:
            if isinstance(value, str):
                self.value = [value]
            elif value is not None and not _strings(value):
                raise ValueError(f"{field!r} takes a list of strings (or None)")
        elif value is not None and not isinstance(value, str):
            raise ValueError(f"{field!r} takes a string (or None)")
        return self


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class ItemFilterParam(TypedDict, total=False):
    """Which items a bulk update changes, as a dict (every criterion must hold)."""

    item_ids: Sequence[str]
    types: Sequence[str]
    statuses: Sequence[ItemStatus | str]
    authors: Sequence[str]
    tags: Sequence[str]
    evergreen: bool
    visible_in_search: bool
    visible_in_chat: bool
    search: str
    created_after: datetime | str
    created_before: datetime | str
    updated_after: datetime | str
    updated_before: datetime | str


class ItemFilter(RequestModel):
    """Which items a bulk update changes (§11.4); every criterion given must hold.

    An empty filter matches every item of the publisher, so `AsyncItems.bulk_update` refuses
    it unless called with ``match_all=True``.
    """

    item_ids: list[str] | None = None
    types: list[str] | None = None
    statuses: list[ItemStatus] | None = None
    authors: list[str] | None = None
    tags: list[str] | None = None
    evergreen: bool | None = None
    visible_in_search: bool | None = None
    visible_in_chat: bool | None = None
    search: str | None = None
    created_after: datetime | str | None = None
    created_before: datetime | str | None = None
    updated_after: datetime | str | None = None
    updated_before: datetime | str | None = None

    @property
    def is_empty(self) -> bool:
        """Whether no criterion is set (the filter matches every item)."""
        return not self.model_dump(exclude_none=True)


class BulkUpdateItemResult(GlooModel):
    """What a bulk update did to one item."""

    item_id: str
    success: bool | None = None
    error: Any = None
    etag: str | None = None
    updated_at: str | None = None


class BulkUpdateResult(GlooModel):
    """The answer to a bulk update: the counts and the result per item."""

    success: bool | None = None
    total_matched: int | None = None
    total_patched: int | None = None
    total_failed: int | None = None
    results: list[BulkUpdateItemResult] = Field(default_factory=list)
    message: str | None = None
    filter_applied: dict[str, Any] | None = None


# -- deletion (§11.5) --------------------------------------------------------------------------


class DeletedFrom(GlooModel):
    """Which stores an item was removed from."""

    weaviate: bool | str | None = None
    s3: bool | str | None = None
    chunk_enrichments: bool | str | None = None
    files: bool | str | None = None
    database: bool | str | None = None


class DeleteItemResult(GlooModel):
    """What the permanent deletion did to one item."""

    item_id: str
    success: bool | None = None
    error: Any = None
    deleted_from: DeletedFrom | None = None


class DeleteResult(GlooModel):
    """The answer to a permanent deletion: the counts and the result per item."""

    success: bool | None = None
    mode: str | None = None
    total_requested: int | None = None
    total_deleted: int | None = None
    total_failed: int | None = None
    results: list[DeleteItemResult] = Field(default_factory=list)
    message: str | None = None


# -- keyword arguments -------------------------------------------------------------------------


class ReadOptions(TypedDict, total=False):
    """The per-call options of a call without a JSON body (a read, an upload): those of
    `CallOptions` without ``extra_body``."""

    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    timeout: float | Timeout | NotGiven | None
    max_retries: int | NotGiven
    max_rate_limit_retries: int | NotGiven
    retry_read_errors: bool | NotGiven


class ItemUpdateKwargs(CallOptions, total=False):
    """The fields `AsyncItems.update` may set (§11.3); None clears a field."""

    item_title: str | None
    item_subtitle: str | None
    publication_date: str | None
    item_image: str | None
    item_url: str | None
    item_summary: str | None
    item_number: str | None
    item_extra: str | None
    author: Sequence[str] | None
    item_tags: Sequence[str] | None


class ItemUpdateParams(RequestModel):
    """The body of ``PATCH /engine/v2/item``: the keys and the fields to set."""

    publisher_id: str = Field(min_length=1)
    item_id: str | None = Field(default=None, min_length=1)
    producer_id: str | None = Field(default=None, min_length=1)
    item_title: str | None = None
    item_subtitle: str | None = None
    publication_date: str | None = None
    item_image: str | None = None
    item_url: str | None = None
    item_summary: str | None = None
    item_number: str | None = None
    item_extra: str | None = None
    author: list[str] | None = None
    item_tags: list[str] | None = None
