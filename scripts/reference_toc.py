"""Rewrite the contents of docs/reference.md: a list of its sections at the top, and under
each section the names it documents (its ``::: gloo_ai...`` entries), so that the page reads
well on GitHub too, where the mkdocstrings entries are not rendered.

Run ``python scripts/reference_toc.py`` after adding an entry; tests/test_docs_run.py fails
when the page is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference.md"
SUMMARY = "In this section: "
CONTENTS = "Contents:"


def _slug(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.lower()).strip().replace(" ", "-")


def render(text: str) -> str:
    """``text`` (the page) with its contents list and section summaries made anew."""
    lines = [
        line
        for line in text.split("\n")
        if not line.startswith(SUMMARY) and not line.startswith("- [") and line != CONTENTS
    ]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    lines = text.split("\n")
    sections: list[str] = []
    names: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if line.startswith("## "):
            current = line[3:]
            sections.append(current)
            names[current] = []
        elif line.startswith("::: ") and current is not None:
            names[current].append(line[4:].strip().rsplit(".", 1)[-1])
    result: list[str] = []
    for line in lines:
        if line.startswith("## ") and line[3:] == sections[0]:
            result += [CONTENTS, ""]
            result += [f"- [{s.replace('`', '')}](#{_slug(s)})" for s in sections]
            result.append("")
        result.append(line)
        if line.startswith("## ") and names[line[3:]]:
            listed = ", ".join(f"`{name}`" for name in names[line[3:]])
            result += ["", f"{SUMMARY}{listed}."]
    return "\n".join(result)


if __name__ == "__main__":
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote {PAGE.name}\n")
