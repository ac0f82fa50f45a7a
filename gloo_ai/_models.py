"""Base classes for the pydantic models: tolerant responses, strict requests."""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict

__all__ = ["GlooModel", "RequestModel", "validation_summary"]


class GlooModel(BaseModel):
    """Base of every response model.

    Unknown fields are kept (the platform adds fields over time) and reachable as attributes
    and through ``model_extra``; enum-like fields accept values this SDK does not know yet.
    ``_request_id`` holds the ``x-request-id`` of the response the model was parsed from.
    """

    model_config = ConfigDict(extra="allow", protected_namespaces=(), populate_by_name=True)

    # ``_request_id`` is a property over pydantic's private-state slot, not a `PrivateAttr`:
    # a model class with private attributes runs a Python hook for every instance pydantic
    # builds, nested ones included, which made validating a stream chunk (three models)
    # three times slower (see docs/performance.md). Unset (None), the slot stays None, as in
    # a model without private attributes; equality, copies and pickling carry it as before.
    @property
    def _request_id(self) -> str | None:
        private = self.__pydantic_private__
        return None if private is None else private.get("_request_id")

    @_request_id.setter
    def _request_id(self, value: str | None) -> None:
        object.__setattr__(
            self, "__pydantic_private__", None if value is None else {"_request_id": value}
        )

    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict, without the fields the server did not send."""
        return self.model_dump(mode="json", exclude_unset=True)


class RequestModel(BaseModel):
    """Base of every request model: an unknown field is a typo, so it is an error."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)


def validation_summary(exc: pydantic.ValidationError, limit: int = 5) -> str:
    """The first few errors of a validation error, as ``loc: message`` pairs.

    Args:
        exc: the validation error.
        limit: how many errors to show.

    Returns:
        For example ``"city: Field required; unit: Input should be 'c' or 'f'"``.
    """
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors]
    text = "; ".join(parts[:limit])
    return text + (f" (and {len(parts) - limit} more)" if len(parts) > limit else "")
