"""``_request_id`` on response models: a property over pydantic's private slot.

A model class with pydantic private attributes runs a Python hook for every instance it
builds (nested models too), which made a stream chunk three times slower to validate; the
request id is therefore not a `PrivateAttr`. These tests pin what it must still do.
"""

from __future__ import annotations

import copy
import pickle

from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk, ChunkChoice

CHUNK = (
    '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"content":"Joy"},"finish_reason":null}]}'
)


def test_response_models_have_no_pydantic_private_attributes() -> None:
    for cls in (ChatCompletionChunk, ChunkChoice, ChatCompletion):
        assert cls.__private_attributes__ == {}, cls


def test_request_id_defaults_to_none_and_can_be_set() -> None:
    chunk = ChatCompletionChunk.model_validate_json(CHUNK)
    assert chunk._request_id is None
    assert chunk.__pydantic_private__ is None
    chunk._request_id = "req-1"
    assert chunk._request_id == "req-1"
    chunk._request_id = None
    assert chunk._request_id is None


def test_request_id_survives_copies_and_pickling() -> None:
    chunk = ChatCompletionChunk.model_validate_json(CHUNK)
    chunk._request_id = "req-1"
    assert chunk.model_copy()._request_id == "req-1"
    assert chunk.model_copy(deep=True)._request_id == "req-1"
    assert copy.copy(chunk)._request_id == "req-1"
    assert pickle.loads(pickle.dumps(chunk))._request_id == "req-1"


def test_request_id_is_not_data() -> None:
    chunk = ChatCompletionChunk.model_validate_json(CHUNK)
    chunk._request_id = "req-1"
    assert "_request_id" not in chunk.model_dump()
    assert "req-1" not in chunk.model_dump_json()
    assert "req-1" not in repr(chunk)
    assert chunk.model_extra == {}


def test_equality_counts_the_request_id_as_before() -> None:
    one = ChatCompletionChunk.model_validate_json(CHUNK)
    two = ChatCompletionChunk.model_validate_json(CHUNK)
    assert one == two
    one._request_id = "req-1"
    assert one != two
    two._request_id = "req-1"
    assert one == two
