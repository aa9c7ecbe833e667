"""Tags: what a tag may be (one rule for files, forms and the tag admin), how a typed list of
tags splits, and which spellings look like one tag."""

from __future__ import annotations

import re

from catalog.fileformat.characters import LINE_BREAK_RE, control_problem, is_blank
from catalog.fileformat.problems import Problem, describe_value

MAX_TAG_CHARS = 100


def tag_problem(label):
    """Why ``label`` cannot be a tag, or None. One rule for files, forms and the tag admin."""
    if not isinstance(label, str) or not label.strip():
        return f"every item must be non-empty text, got {describe_value(label)}"
    if is_blank(label):
        return f"item {ascii(label)} shows nothing: it holds only invisible characters"
    if len(label) > MAX_TAG_CHARS:
        return f"item {label[:40]!r}… is longer than {MAX_TAG_CHARS} characters"
    if problem := control_problem(label):
        return problem
    if LINE_BREAK_RE.search(label):
        return f"item {ascii(label)} must be one line; it holds a line break"
    return None


def tag_family(label):
    """The key near-duplicate tags share: case, separators and a plural ending ignored
    ("APIs" and "API", "Databases" and "database", "system-design" and "System Design").
    A word in capitals is an acronym, not a plural: "HTTPS" is not "HTTP"s."""
    original = re.sub(r"[\s_-]+", " ", label).strip().split(" ")
    words = [word.casefold() for word in original]
    last = words[-1]
    if original[-1].isupper():
        pass
    elif last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    else:  # "caches" and "cache" both end as "cach", "boxes" and "box" as "box"
        if last.endswith("s") and not last.endswith("ss") and len(last) > 3:
            last = last[:-1]
        if last.endswith("e") and len(last) > 3:
            last = last[:-1]
    return " ".join([*words[:-1], last])


def near_duplicate_tags(folder) -> list[Problem]:
    """Warnings for tags that look like one tag spelt several ways (API and APIs), each on
    the first file using a less used spelling, naming the most used one to merge into."""
    users = {}  # family -> tag (case-insensitive) -> files using it
    for slug in sorted(folder.guides):
        for label in folder.guides[slug].tags:
            family = users.setdefault(tag_family(label), {})
            family.setdefault(label.casefold(), {"label": label, "slugs": []})["slugs"].append(slug)
    problems, lines = [], {}  # lines: each file's lines from its "tags:", read once
    for family in users.values():
        if len(family) < 2:
            continue
        ranked = sorted(family.values(), key=lambda t: (-len(t["slugs"]), t["label"].casefold()))
        kept = ranked[0]
        for other in ranked[1:]:
            path = folder.root / "guides" / f"{other['slugs'][0]}.md"
            if path not in lines:
                lines[path] = _lines_from(path, "tags:")
            problems.append(
                Problem(
                    str(path),
                    _line_of(lines[path], other["label"]),
                    "tags",
                    f"{other['label']!r} ({_guides(len(other['slugs']))}) looks like the tag "
                    f"{kept['label']!r} ({_guides(len(kept['slugs']))}); use one spelling, or "
                    "merge them in the admin (Tags › Merge selected tags)",
                    "warning",
                )
            )
    return problems


def _guides(count):
    return f"{count} guide{'s' if count != 1 else ''}"


def _lines_from(path, after):
    """``(number, line)`` of a file's lines from the first that starts with ``after`` on
    (from the top if none does); none if it cannot be read."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    start = next((n for n, line in enumerate(lines) if line.startswith(after)), 0)
    return list(enumerate(lines[start:], start + 1))


def _line_of(lines, text):
    """The number of the first of ``lines`` holding ``text``, for pointing at a value; None
    if none does."""
    return next((n for n, line in lines if text in line), None)


def split_tag_text(text):
    """Tags typed as a comma- or line-separated list, runs of spaces and tabs folded, repeats
    (in any case) dropped. Never split at spaces: "Consistent Hashing" is one tag. The list
    is one-line text, where a lone CR is no line ending (see ``normalise_newlines``): it and
    other control characters are kept for :func:`tag_problem` to judge."""
    labels, seen = [], set()
    for part in text.replace("\r\n", "\n").replace("\n", ",").split(","):
        label = re.sub("[ \t]+", " ", part).strip(" \t")
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    return labels


def tag_text(labels):
    """A guide's tags as one text for search: each tag once, spelt as first given."""
    first = {}
    for label in labels:
        first.setdefault(label.casefold(), label)
    return ", ".join(first.values())
