"""`Gloo`, the sync client: generated from the async classes (no drift), the same methods
with the same signatures, and working against the emulator from scripts and threads."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import gloo_ai
from gloo_ai import AsyncGloo, BadRequestError, Gloo, InvalidArgumentError
from gloo_ai._sync._generated import Stream, SyncPage
from gloo_ai._sync._wrappers import ASYNC_TO_SYNC
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.chat import ChatCompletion, ChatCompletionChunk

ROOT = Path(__file__).parent.parent
ASK = [{"role": "user", "content": "How can I be joyful in hard times?"}]
V2 = "/ai/v2/chat/completions"
SPECIAL = {"__aiter__": "__iter__", "__aenter__": "__enter__", "__aexit__": "__exit__"}
NO_SYNC_MEANING = {"__await__", "__anext__"}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_sync", ROOT / "scripts" / "gen_sync.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_sync"] = module
    spec.loader.exec_module(module)
    return module


def sync_client(emulator: GlooEmulator, **kwargs: Any) -> Gloo:
    return Gloo(
        base_url=emulator.BASE_URL,
        http_client=emulator.http_client(),
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        **kwargs,
    )


# -- no drift -------------------------------------------------------------------------------------


def test_the_generated_module_is_up_to_date() -> None:
    generated = ROOT / "gloo_ai" / "_sync" / "_generated.py"
    assert generated.read_text(encoding="utf-8") == _generator().generate(), (
        "gloo_ai/_sync/_generated.py is stale: run python scripts/gen_sync.py"
    )


def _async_classes() -> list[tuple[type[Any], type[Any]]]:
    pairs = []
    for qualified, twin in ASYNC_TO_SYNC.items():
        module, _, name = qualified.rpartition(".")
        pairs.append((getattr(importlib.import_module(module), name), twin))
    return pairs


def _public(cls: type[Any]) -> dict[str, Any]:
    found = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("gloo_ai"):
            for name, value in vars(klass).items():
                if (not name.startswith("_") or name in SPECIAL) and name not in NO_SYNC_MEANING:
                    found[name] = value
    return found


def test_every_async_area_has_a_sync_twin() -> None:
    twins = {cls.__name__ for cls, _ in _async_classes()}
    client = AsyncGloo(api_key="k")
    for name, value in _public(AsyncGloo).items():
        if isinstance(value, property | __import__("functools").cached_property):
            resource = getattr(client, name)
            if type(resource).__module__.startswith("gloo_ai.resources"):
                assert type(resource).__name__ in twins, f"client.{name} has no sync twin"


@pytest.mark.parametrize(("async_cls", "sync_cls"), _async_classes(), ids=lambda c: c.__name__)
def test_each_public_async_member_has_a_sync_counterpart_with_the_same_signature(
    async_cls: type[Any], sync_cls: type[Any]
) -> None:
    for name, value in _public(async_cls).items():
        sync_name = SPECIAL.get(name, "close" if name == "aclose" else name)
        assert hasattr(sync_cls, sync_name), f"{sync_cls.__name__} lacks {sync_name}"
        if not callable(value) or isinstance(value, type):
            continue
        theirs = inspect.signature(value)
        ours = inspect.signature(getattr(sync_cls, sync_name))
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ], f"{sync_cls.__name__}.{sync_name} differs from {async_cls.__name__}.{name}"


def test_the_constructor_takes_the_async_client_s_arguments() -> None:
    assert list(inspect.signature(Gloo).parameters) == list(inspect.signature(AsyncGloo).parameters)


# -- behaviour ------------------------------------------------------------------------------------


def test_create_stream_and_the_stream_helper_work_in_a_script() -> None:
    emulator = GlooEmulator()
    with sync_client(emulator) as client:
        completion = client.chat.completions.create(messages=ASK)
        assert isinstance(completion, ChatCompletion)
        with client.chat.completions.create(messages=ASK, stream=True) as stream:
            assert isinstance(stream, Stream)
            chunks = list(stream)
        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
        with client.chat.completions.stream(messages=ASK) as helper:
            text = "".join(helper.text_stream)
            final = helper.get_final_completion()
        assert text == final.choices[0].message.content == completion.choices[0].message.content
        raw = client.chat.completions.with_raw_response.create(messages=ASK)
        assert raw.status_code == 200
        assert raw.parse().choices[0].message.content == text
    assert emulator.counts["/oauth2/token"] == 1
    assert client._portal.closed


def test_errors_are_the_same_and_nothing_is_sent_for_bad_arguments() -> None:
    emulator = GlooEmulator()
    client = sync_client(emulator, max_retries=0)
    try:
        with pytest.raises(InvalidArgumentError):
            client.chat.completions.create(messages=ASK, max_tokens=0)
        with pytest.raises(BadRequestError):
            client.chat.completions.create(messages=ASK, model="gloo-not-a-model")
    finally:
        client.close()
        client.close()  # twice is fine
    assert emulator.counts[V2] == 1


def test_pages_models_items_and_with_options() -> None:
    emulator = GlooEmulator()
    publisher = "00000000-0000-4000-8000-000000000001"
    emulator.engine.add_items(publisher, 5)
    with sync_client(emulator) as client:
        items = list(client.items.list(publisher, page_size=2))
        assert len(items) == 5
        first = client.items.list(publisher, page_size=2).get_page(1)
        assert isinstance(first, SyncPage)
        assert first.has_next_page()
        following = first.get_next_page()
        assert following is not None
        assert following.number == 2
        assert client.models.list().data
        copy = client.with_options(max_retries=0)
        assert isinstance(copy, Gloo)
        assert copy.max_retries == 0
        assert copy.chat.completions.create(messages=ASK).choices
    assert emulator.counts["/oauth2/token"] == 1  # the copy shares the token


def test_one_token_request_for_a_hundred_threads() -> None:
    emulator = GlooEmulator()
    results: list[str] = []
    errors: list[BaseException] = []
    with sync_client(emulator) as client:
        barrier = threading.Barrier(100)

        def work() -> None:
            try:
                barrier.wait()
                results.append(client.chat.completions.create(messages=ASK).id)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(results) == 100
    assert emulator.counts["/oauth2/token"] == 1
    assert emulator.counts[V2] == 100


def test_a_call_from_inside_an_event_loop_says_to_use_async_gloo() -> None:
    emulator = GlooEmulator()
    client = sync_client(emulator)

    async def inside() -> None:
        with pytest.raises(RuntimeError, match="use AsyncGloo"):
            client.chat.completions.create(messages=ASK)

    asyncio.run(inside())
    client.close()
    assert emulator.counts[V2] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_loop_thread() -> None:
    emulator = GlooEmulator()
    client = sync_client(emulator)
    client.chat.completions.create(messages=ASK)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            code = 0 if client.chat.completions.create(messages=ASK).choices else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    client.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_public_name() -> None:
    assert gloo_ai.Gloo is Gloo
    assert "Gloo(" in repr(sync_client(GlooEmulator()))


def test_every_area_works_synchronously() -> None:
    emulator = GlooEmulator()
    with sync_client(emulator) as client:
        grounded = client.chat.grounded.create(messages=ASK, include_citations=True)
        assert grounded.citations
        with client.chat.grounded.stream(messages=ASK, include_citations=True) as stream:
            assert "".join(stream.text_stream)
            assert stream.get_final_completion().citations
        response = client.responses.create(model="gloo-openai-gpt-5-mini", input="What is hope?")
        assert response.output_text
        with client.responses.stream(model="gloo-openai-gpt-5-mini", input="Hope?") as events:
            assert "".join(events.text_stream) == events.get_final_response().output_text
        vectors = client.embeddings.create(model="gloo-baai-bge-base-en-v1.5", input=["a", "b"])
        assert len(vectors.data) == 2
        assert client.search.query(query="hope", tenant="TestOrg").data is not None
