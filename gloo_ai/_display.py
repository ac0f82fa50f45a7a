"""Markdown for Jupyter: the pure builders behind the models' ``_repr_markdown_``.

A model's answer and a citation's fields are untrusted text: whatever the model wrote, or a
publisher's page says. The builders escape them so that they cannot inject HTML (``<`` and
``&`` become entities), load a remote image (``![...](...)`` is shown as text), or break out
of a table cell (``|`` and newlines). Links are made only of ``http(s)`` URLs. The answer's
own Markdown (emphasis, lists, code) is kept, so an answer reads as it was meant to.

No I/O and no API area: each model assembles its own parts (types/) with these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

__all__ = [
    "answer_text",
    "code",
    "facts",
    "inline",
    "link",
    "markdown",
    "number",
    "table",
]

_INLINE_LIMIT = 200
_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+!|~>])")
# A fenced code block, from its opening line to the first line that could close it. Where
# this and a Markdown parser could disagree, this closes earlier (so more text is escaped).
_FENCE = re.compile(
    r"(^(`{3,}(?=[^`\n]*\n)|~{3,})[^\n]*\n(?:.*\n)*? {0,3}\2[`~]*[ \t]*$)", re.MULTILINE
)
_URL = re.compile(r"https?://[^\s<>\"'()\[\]`]+\Z", re.IGNORECASE)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def answer_text(text: str | None) -> str:
    """A model's text as a Markdown block: its Markdown kept, HTML and images neutralised.

    Args:
        text: the text, as the model wrote it (None or empty gives ``*(no text)*``).

    Returns:
        Markdown that renders the text without raw HTML or remote images.
    """
    if not text or not text.strip():
        return "*(no text)*"
    # A closed fenced code block is shown as written (code is never rendered as HTML);
    # everything else is escaped.
    parts = _FENCE.split(text)
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 3 == 1:  # a whole fenced block
            out.append(part)
        elif i % 3 == 0:
            out.append(_html(part).replace("![", "!\\["))
    return "".join(out)


def inline(text: object, limit: int = _INLINE_LIMIT) -> str:
    """Untrusted text for one line or table cell: every Markdown and HTML character escaped,
    newlines folded, cut at ``limit`` characters (with an ellipsis).
    """
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return _SPECIALS.sub(r"\\\1", _html(value))


def code(text: object) -> str:
    """A short value (an id, a name) as inline code, safe whatever backticks it holds."""
    value = " ".join(str(text).split())[:_INLINE_LIMIT].replace("|", "\\|")
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def link(title: str | None, url: str | None) -> str:
    """``[title](url)`` where ``url`` is a plain http(s) URL; else the escaped title (and the
    escaped URL after it), never a link to anything else (``javascript:``, ``data:``...).
    """
    label = inline(title) if title else ""
    if url and _URL.match(url):
        return f"[{label or inline(url)}]({url})"
    if url:
        return f"{label} ({inline(url)})" if label else inline(url)
    return label or "*(untitled)*"


def number(value: float | int | Decimal | None, digits: int = 2) -> str:
    """A number for a table (``—`` where absent); floats rounded to ``digits`` places,
    decimals (prices) as exact as they were sent, booleans as yes / no.
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, Decimal):
        return str(value)
    return f"{value:,}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; the cells are already escaped by the caller."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def facts(items: Iterable[tuple[str, str | None]]) -> str:
    """A one-row table of the facts that are present (``(name, escaped value)``; a None
    value leaves its column out). Empty when no fact is present.
    """
    present = [(name, value) for name, value in items if value is not None]
    if not present:
        return ""
    return table([name for name, _ in present], [[value for _, value in present]])


def markdown(*blocks: str | None) -> str:
    """The blocks that are not empty, separated by blank lines."""
    return "\n\n".join(block for block in blocks if block)
