"""A file's bytes to its frontmatter mapping and body.

The body is kept exactly as written, between one optional blank line after the closing
``---`` and the file's final newline, except that CRLF line endings are read as LF and a
UTF-8 byte-order mark is dropped. YAML is loaded safely: no tags that build objects, no
aliases (so no "billion laughs"), no key given twice, timestamps kept as text."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from catalog.fileformat.characters import (
    CONTROL_RE,
    control_problem,
    heavy_problem,
    normalise_newlines,
)
from catalog.fileformat.problems import FileReport, describe_value
from catalog.fileformat.rules import check_slug

MAX_FILE_BYTES = 1_000_000


BOUNDARY_RE = re.compile(r"^---[ \t]*$", re.MULTILINE)


_yaml = frontmatter.YAMLHandler()


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextDatesLoader(_BaseLoader):
    """The safe loader, reading timestamps as text.

    Dates are validated by :func:`_date` with a message naming the field (PyYAML's own
    constructor raises a bare ValueError on ``2024-02-30``), and extra keys keep the exact
    text they were written with.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node, deep=False):
        """A value, or a YAML problem at its line where its explicit tag cannot build it.

        PyYAML's own constructors fail on some tagged values with a bare Python error and no
        line (``!!bool maybe`` a KeyError, ``!!timestamp x`` an AttributeError, ``!!int x`` a
        ValueError): any file may say so, so each becomes a ConstructorError at the value.
        """
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever a constructor raises
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            what = "this value"
            if isinstance(node, yaml.ScalarNode):
                what = repr(node.value[:40]) + ("…" if len(node.value) > 40 else "")
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {tag}", node.start_mark
            ) from exc

    def construct_mapping(self, node, deep=False):
        """A mapping, refusing a key given twice (PyYAML would silently keep the last)."""
        if isinstance(node, yaml.MappingNode):
            first_seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    earlier = first_seen.setdefault(key, key_node.start_mark)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                if earlier is not key_node.start_mark:
                    raise DuplicateKeyError(key, earlier.line, key_node.start_mark.line)
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key, first_line, second_line):
        super().__init__(f"key {key!r} is given twice")
        self.key, self.first_line, self.second_line = key, first_line, second_line


def decode(raw: bytes, report: FileReport) -> str | None:
    """UTF-8 text with any BOM dropped and CRLF read as LF, or None after a problem."""
    if len(raw) > MAX_FILE_BYTES:
        report.add(None, f"file is {len(raw):,} bytes; the largest allowed is {MAX_FILE_BYTES:,}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        report.add(
            None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line
        )
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
    return normalise_newlines(text)


def split(text: str, report: FileReport) -> tuple[str, str] | None:
    """Split text into (frontmatter, body), or None after a problem."""
    if not text.strip():
        report.add(None, "file is empty; a guide needs frontmatter between two '---' lines")
        return None
    if not _yaml.detect(text) or not BOUNDARY_RE.match(text):
        report.add(None, "no frontmatter: the first line must be '---'", 1)
        return None
    opening_end = text.index("\n") + 1 if "\n" in text else len(text)
    closing = BOUNDARY_RE.search(text, opening_end)
    if closing is None:
        report.add(None, "frontmatter is not closed: no second '---' line", 1)
        return None
    fm = text[opening_end : closing.start()]
    body = text[closing.end() :]
    report.body_line = text.count("\n", 0, closing.end()) + 1
    for _ in range(2):  # the closing line's end, then one blank line
        if body.startswith("\n"):
            body = body[1:]
            report.body_line += 1
    if body.endswith("\n"):  # the file's final newline is the format's, not the body's
        body = body[:-1]
    return fm, body


def load_yaml(fm: str, report: FileReport) -> Any:
    """Load frontmatter with python-frontmatter's safe loader; aliases are refused.

    Aliases are refused before anything is built, so that an alias bomb ("billion laughs")
    costs one pass over its text rather than memory and time without bound.
    """
    report.frontmatter_text = fm
    try:
        if "&" in fm or "*" in fm:
            for event in yaml.parse(fm, Loader=_TextDatesLoader):
                if isinstance(event, yaml.AliasEvent):
                    report.add(
                        None,
                        "YAML aliases (*name) are not allowed in frontmatter",
                        event.start_mark.line + 2,
                    )
                    return _INVALID
        return _yaml.load(fm, Loader=_TextDatesLoader)
    except DuplicateKeyError as exc:
        first, second = exc.first_line + 2, exc.second_line + 2
        report.add(
            exc.key if isinstance(exc.key, str) else None,
            f"is given twice (lines {first} and {second}); a key may appear once",
            second,
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        context = getattr(exc, "context_mark", None)
        if mark is not None and context is not None and mark.line >= fm.count("\n"):
            mark = context  # the problem shows only at the end: point where it began
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
        report.add(None, message, line)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        report.add(None, f"invalid YAML value: {exc}", 1)
    return _INVALID


def _check_frontmatter_controls(fm, report):
    """Report raw control characters in frontmatter text, each under the key of its line."""
    found = False
    for match in CONTROL_RE.finditer(fm):
        found = True
        line_start = fm.rfind("\n", 0, match.start()) + 1
        key = re.match(r"['\"]?([A-Za-z_][\w-]*)['\"]?[ \t]*:", fm[line_start:])
        report.add(
            key.group(1) if key else None,
            control_problem(match.group()),
            fm.count("\n", 0, match.start()) + 2,
        )
    return found


def check_value_controls(key, value, report):
    """Report control characters inside a loaded value (YAML escapes such as "\\0" make them)."""
    if isinstance(value, str):
        problem = control_problem(value)
        if problem:
            report.add(key, problem)
    elif isinstance(value, dict):
        for k, v in value.items():
            check_value_controls(key, k, report)
            check_value_controls(key, v, report)
    elif isinstance(value, list):
        for item in value:
            check_value_controls(key, item, report)


def check_body(body, report):
    match = CONTROL_RE.search(body)
    if match:
        line = report.body_line + body.count("\n", 0, match.start())
        report.add("body", control_problem(match.group()), line)
    heavy = heavy_problem(body)
    if heavy:
        message, at = heavy
        report.add("body", message, report.body_line + body.count("\n", 0, at))


_INVALID = object()  # load_yaml's answer after reporting a problem (None means empty)


def _mapping(data, report):
    if data is _INVALID:
        return None
    if data is None:
        report.add(None, "frontmatter is empty: it must be a mapping with at least 'title'", 1)
        return None
    if not isinstance(data, dict):
        report.add(
            None, f"frontmatter must be a mapping of keys to values, got {describe_value(data)}", 2
        )
        return None
    for key in data:
        if not isinstance(key, str):
            report.add(None, f"frontmatter key {key!r} must be text", 2)
            return None
    return data


def frontmatter_and_body(slug, raw, report):
    check_slug(slug, report)
    text = decode(raw, report)
    if text is None:
        return None
    parts = split(text, report)
    if parts is None:
        return None
    fm, body = parts
    if _check_frontmatter_controls(fm, report):
        return None
    data = _mapping(load_yaml(fm, report), report)
    if data is None:
        return None
    return data, body


def read_limited(path: Path, report: FileReport) -> bytes | None:
    """The file's bytes, its size checked before anything is read (a 3 GB file costs nothing)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                report.add(
                    None, f"file is {size:,} bytes; the largest allowed is {MAX_FILE_BYTES:,}"
                )
                return None
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        report.add(None, f"cannot read: {exc}")
        return None
