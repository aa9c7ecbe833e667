"""The README table of contents: what it lists, how it is written, where it goes.

The block between ``<!-- TOC -->`` and ``<!-- /TOC -->`` lists every category in README order
with its published guides under it. The order comes from the same queryset methods that the
category pages use, so the README and the site never disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from catalog.models import Category, Guide

START_MARKER = "<!-- TOC -->"
END_MARKER = "<!-- /TOC -->"
# The largest README read (the seed's is about 100 KB): it comes from the content repository,
# so its size is a contributor's to choose, and it is read whole.
MAX_README_BYTES = 10_000_000


class ReadmeError(Exception):
    """The README cannot be read, or holds no single table-of-contents block; the message
    says which."""


class TocMarkerError(ReadmeError):
    pass


def read_readme(path) -> str:
    """The README's text; ReadmeError, naming the file, if it is missing, unreadable, larger
    than ``MAX_README_BYTES`` or not UTF-8."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_README_BYTES:
            raise ReadmeError(
                f"{path}: is {size:,} bytes; the largest README read is {MAX_README_BYTES:,}"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadmeError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadmeError(f"{path}: not valid UTF-8 (offset {exc.start})") from None


@dataclass(frozen=True)
class TocSection:
    title: str
    slug: str
    guides: tuple[tuple[str, str], ...]  # (title, slug) in README order


def toc_sections() -> list[TocSection]:
    """Categories in README order, each with its published guides in README order."""
    by_category = defaultdict(list)
    rows = (
        Guide.objects.published()
        .in_readme_order()
        .values_list("category_links__category_id", "title", "slug")
    )
    for category_id, title, slug in rows:
        by_category[category_id].append((title, slug))
    return [
        TocSection(title, slug, tuple(by_category[pk]))
        for pk, title, slug in Category.objects.in_readme_order().values_list("id", "title", "slug")
    ]


# What markdown would read as markup in a link's text: a backslash before each makes it text.
_MARKUP = frozenset("\\`*_~[]<")
_REFERENCE_RE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")  # "&amp;" would show as "&"


def escape_title(title: str) -> str:
    """A title as a link's text that GitHub shows exactly as the site does: brackets and
    ``<`` cannot end the link or forge a marker, a final backslash cannot eat its ``]``,
    and ``*``, ``_``, ``~``, backticks and character references are shown, not applied."""
    escaped = "".join(f"\\{c}" if c in _MARKUP else c for c in title)
    return _REFERENCE_RE.sub(r"\\&", escaped)


def toc_lines(sections, base_url: str) -> list[str]:
    base = base_url.rstrip("/")
    lines = []
    for section in sections:
        lines.append(f"* [{escape_title(section.title)}]({base}/{section.slug})")
        lines.extend(
            f"  * [{escape_title(title)}]({base}/{slug})" for title, slug in section.guides
        )
    return lines


def toc_block(sections, base_url: str, newline: str = "\n") -> str:
    lines = [START_MARKER, "", *toc_lines(sections, base_url), "", "", END_MARKER]
    return newline.join(lines)


def replace_toc(text: str, sections, base_url: str) -> str:
    """``text`` with its TOC block rewritten; every byte outside the block stays as it was."""
    lines = text.splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if line.rstrip("\r\n") == START_MARKER]
    ends = [n for n, line in enumerate(lines) if line.rstrip("\r\n") == END_MARKER]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise TocMarkerError(
            f"expected exactly one line {START_MARKER!r} followed later by exactly one line "
            f"{END_MARKER!r}; found {len(starts)} start and {len(ends)} end marker(s)"
            + (" in the wrong order" if len(starts) == len(ends) == 1 else "")
        )
    start, end = starts[0], ends[0]
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    ending = lines[end][len(END_MARKER) :]
    block = toc_block(sections, base_url, newline) + ending
    return "".join(lines[:start]) + block + "".join(lines[end + 1 :])


def readme_with_current_toc(path, base_url: str) -> tuple[str, str]:
    """``(current, updated)`` text of the README at ``path``: what it says, and what it says
    with its table of contents rewritten from the database. Raises ReadmeError."""
    current = read_readme(path)
    return current, replace_toc(current, toc_sections(), base_url)
