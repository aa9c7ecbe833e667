"""The guide and category file forms, parsed from a file or validated from a form's values.

The slug is the file name without ``.md``. Parsing never stops at the first problem: every
problem of a file is collected, so that one run tells a maintainer everything that is wrong.
Which keys there are, and each key's rules, is the schema's (catalog.fileformat.schema).
"""

from __future__ import annotations

from pathlib import Path

from catalog.fileformat.problems import ContentError, FileReport
from catalog.fileformat.reading import (
    MAX_FILE_BYTES,
    check_body,
    check_value_controls,
    frontmatter_and_body,
)
from catalog.fileformat.rules import check_slug, extra_values, too_deep
from catalog.fileformat.schema import CATEGORY, GUIDE, CategoryFile, GuideFile
from catalog.fileformat.serialise import serialise

GUIDE_KEYS = GUIDE.file_keys
CATEGORY_KEYS = CATEGORY.file_keys


def parse_guide(slug: str, raw: bytes, path: str | Path = "") -> GuideFile:
    """Parse and validate one guide file; raise ContentError with every problem."""
    return _parsed(GUIDE, slug, raw, path, f"guides/{slug}.md")


def parse_category(slug: str, raw: bytes, path: str | Path = "") -> CategoryFile:
    """Parse and validate one category file; raise ContentError with every problem."""
    return _parsed(CATEGORY, slug, raw, path, f"categories/{slug}.md")


def _parsed(schema, slug, raw, path, name):
    report = FileReport(path or name, root=_root_of(path))
    item = read_item(schema, slug, raw, report)
    if report.problems:
        raise ContentError(report.problems)
    return item


def _root_of(path):
    """The content folder of a file at ``ROOT/guides/x.md`` or ``ROOT/categories/x.md``."""
    return Path(path).parent.parent if path else None


def validate_guide(slug, data, body="", *, root=None, where="form"):
    """Validate a guide given as frontmatter values, as the admin's form holds them.

    The same rules as a file (this is the step :func:`parse_guide` ends in); returns
    ``(GuideFile or None, problems)``. ``root`` is the content folder, for relative images.
    """
    return _validated(GUIDE, slug, data, body, root, where)


def validate_category(slug, data, body="", *, root=None, where="form"):
    """Validate a category given as frontmatter values: see :func:`validate_guide`."""
    return _validated(CATEGORY, slug, data, body, root, where)


def _validated(schema, slug, data, body, root, where):
    report = FileReport(where, root=root)
    check_slug(slug, report)
    item = from_mapping(schema, slug, data, body, report)
    if item is not None:  # a file's size limit holds for the file a form's values make
        size = len(serialise(item).encode("utf-8", "surrogatepass"))
        if size > MAX_FILE_BYTES:
            report.add(
                "body", f"makes a file of {size:,} bytes; the largest allowed is {MAX_FILE_BYTES:,}"
            )
            item = None
    return item, report.problems + report.warnings


def read_item(schema, slug, raw, report):
    """A file's bytes as the file form of ``schema``, or None; problems go to ``report``."""
    parts = frontmatter_and_body(slug, raw, report)
    return None if parts is None else from_mapping(schema, slug, *parts, report)


def read_guide(slug, raw, report):
    return read_item(GUIDE, slug, raw, report)


def read_category(slug, raw, report):
    return read_item(CATEGORY, slug, raw, report)


def from_mapping(schema, slug, data, body, report):
    """The file form of a frontmatter mapping and a body, every key read by its kind; None
    if any problem was found."""
    deep = set(too_deep(data, report))
    data = {key: value for key, value in data.items() if key not in deep}
    for key, value in data.items():
        check_value_controls(key, value, report)
    check_body(body, report)
    values = {key.attr: key.kind.read(data, key.key, report) for key in schema.keys}
    extra = extra_values(data, schema.file_keys, report)
    if report.problems:
        return None
    return schema.file_class(slug=slug, **values, body=body, extra=extra)
