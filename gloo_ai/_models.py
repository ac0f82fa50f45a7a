"""Base classes for the pydantic models: tolerant responses, strict requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

__all__ = ["GlooModel", "RequestModel"]


class GlooModel(BaseModel):
    """Base of every response model.

    Unknown fields are kept (the platform adds fields over time) and reachable as attributes
    and through ``model_extra``; enum-like fields accept values this SDK does not know yet.
    ``_request_id`` holds the ``x-request-id`` of the response the model was parsed from.
    """

    model_config = ConfigDict(extra="allow", protected_namespaces=(), populate_by_name=True)

    _request_id: str | None = PrivateAttr(default=None)

    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict, without the fields the server did not send."""
        return self.model_dump(mode="json", exclude_unset=True)


class RequestModel(BaseModel):
    """Base of every request model: an unknown field is a typo, so it is an error."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)
