"""Each frontmatter key declared once: the guide's and the category's schema.

A :class:`Key` names a key as the file writes it, the attribute of the file form
(``GuideFile``, ``CategoryFile``) and the record's model field that hold it, the admin form's
field that edits it, its :class:`Kind` (how a value is read and checked, written back, and
kept as sync data, with its default and whether it is required) and how two changes to it
merge. Everything else follows from the declarations: the file-form classes themselves,
parsing and validation (catalog.fileformat.items), serialising (.serialise), the sync data
and three-way merge (.merge), the mapping between a record and its file form
(catalog.write.records) and the admin's forms. Adding a key is one declaration here, a model
field and its migration.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
from pathlib import Path
from typing import Any

from catalog.fileformat.characters import LINE_BREAK_RE, is_blank
from catalog.fileformat.files import file_inside
from catalog.fileformat.problems import describe_value
from catalog.fileformat.rules import (
    DATE_RE,
    MAX_DESCRIPTION_CHARS,
    MAX_SLUG_CHARS,
    MAX_TITLE_CHARS,
    image_reference,
    moment_text,
)
from catalog.fileformat.serialise import plain_slug, yaml_scalar
from catalog.fileformat.tags import tag_problem

MAX_IMAGE_CHARS = 1000


class Kind:
    """How the values of a key are read, checked, written and kept: text by default."""

    default: Any = ""
    required = False

    def read(self, data, key, report):
        """The key's value from a frontmatter mapping; problems go to ``report``."""
        raise NotImplementedError

    def line(self, key, value, quote):
        """The key's line(s) in a file, strings quoted with ``quote``; None: not written."""
        return f"{key}: {yaml_scalar(value, quote)}"

    def to_data(self, value):
        """The value as JSON-friendly data (sync bases, revisions)."""
        return value

    def from_data(self, value):
        return value


@dataclasses.dataclass(frozen=True)
class Text(Kind):
    required: bool = False
    max_chars: int | None = None
    # A title is one line: in a list of links (the README's table of contents, a page's
    # cards) a line break in it ends the item, and what follows ("# …", "- …") is markdown
    # of its own.
    one_line: bool = False

    def read(self, data, key, report):
        value = data.get(key)
        if value is None:
            if self.required:
                report.add(
                    key,
                    "is required" if key not in data else "must not be empty",
                    None if key in data else 1,
                )
            return ""
        if not isinstance(value, str):
            report.add(key, f"must be text, got {describe_value(value)}")
            return ""
        if self.required and not value.strip():
            report.add(key, "must not be empty")
        elif self.required and is_blank(value):
            report.add(key, f"{ascii(value)} shows nothing: it holds only invisible characters")
        if self.one_line and LINE_BREAK_RE.search(value):
            report.add(key, "must be one line; it holds a line break")
        if self.max_chars and len(value) > self.max_chars:
            report.add(
                key, f"is {len(value):,} characters long; at most {self.max_chars:,} are allowed"
            )
        return value


@dataclasses.dataclass(frozen=True)
class Image(Text):
    """A reference to an image as a browser reads it (:func:`image_reference`); a relative
    path must name a file inside the content folder."""

    max_chars: int | None = MAX_IMAGE_CHARS

    def read(self, data, key, report):
        value = super().read(data, key, report)
        kind, problem = image_reference(value)
        if problem:
            report.add(key, problem)
        elif kind == "relative" and report.root is not None:
            base = Path(report.path).parent
            if file_inside(base / value, report.root) is None:
                report.add(
                    key,
                    f"{value!r} is not an http(s):// URL or a site path starting with '/', and "
                    f"no file {base / value} exists in the content folder",
                )
        return value


@dataclasses.dataclass(frozen=True)
class Date(Kind):
    """A day written YYYY-MM-DD, quoted or not; a future day is accepted with a warning."""

    required: bool = True

    def read(self, data, key, report):
        value = data.get(key)
        if value is None:
            report.add(key, "is required (a date written YYYY-MM-DD)", None if key in data else 1)
            return None
        if isinstance(value, dt.datetime):
            report.add(key, f"must be a date written YYYY-MM-DD, not a date and time ({value})")
            return None
        if isinstance(value, str) and DATE_RE.match(value.strip()):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                report.add(key, f"{value!r} is not a real date")
                return None
        if not isinstance(value, dt.date):
            report.add(key, f"must be a date written YYYY-MM-DD, got {describe_value(value)}")
            return None
        if value > dt.date.today():
            report.warn(key, f"{value.isoformat()} is in the future; the guide is published now")
        return value

    def line(self, key, value, quote):
        return f"{key}: {yaml_scalar(value.isoformat(), quote)}"

    def to_data(self, value):
        return value.isoformat()

    def from_data(self, value):
        return dt.date.fromisoformat(value)


@dataclasses.dataclass(frozen=True)
class Moment(Kind):
    """An optional date and time as an aware UTC datetime, or None.

    ISO 8601, as YAML writes it or quoted: ``2026-12-01T09:00:00Z``, ``2026-12-01 09:00+01:00``;
    without a time zone it is UTC; a date alone is midnight UTC. Written only when set.
    """

    default: Any = None

    def read(self, data, key, report):
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
            except ValueError:
                value = None
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        if not isinstance(value, dt.datetime):
            report.add(
                key,
                'must be a date and time such as "2026-12-01T09:00:00Z", '
                f"got {describe_value(data[key])}",
            )
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        try:
            return value.astimezone(dt.UTC).replace(microsecond=0)
        except OverflowError:  # "9999-12-31T23:00:00-12:00" is in the year 10000 in UTC
            report.add(key, f"{data[key]!s} is outside the years 1 to 9999 in UTC")
            return None

    def line(self, key, value, quote):
        return None if value is None else f"{key}: {quote}{moment_text(value)}{quote}"

    def to_data(self, value):
        return moment_text(value) if value else None

    def from_data(self, value):
        return dt.datetime.fromisoformat(value) if value else None


@dataclasses.dataclass(frozen=True)
class Flag(Kind):
    """true or false; missing or empty is ``default``."""

    default: Any = False

    def read(self, data, key, report):
        value = data.get(key)
        if value is None:
            return self.default
        if not isinstance(value, bool):
            report.add(key, f"must be true or false, got {describe_value(value)}")
        return value


@dataclasses.dataclass(frozen=True)
class Number(Kind):
    """A whole number a database integer holds; missing or empty is ``default``."""

    default: Any = 0

    def read(self, data, key, report):
        value = data.get(key)
        if value is None:
            return self.default
        if isinstance(value, bool) or not isinstance(value, int):
            report.add(key, f"must be a whole number, got {describe_value(value)}")
        elif not -(2**31) <= value < 2**31:
            report.add(key, f"{value} is out of range")
        return value

    def line(self, key, value, quote):
        return f"{key}: {value}"


# The most items a list may hold (a guide's categories or tags): the real guides have two at
# most, and every item costs rows and checks, so a file cannot make an import do millions.
MAX_LIST_ITEMS = 100


@dataclasses.dataclass(frozen=True)
class Slugs(Kind):
    """A list of slugs of other records (a guide's categories), each once, in file order."""

    default: Any = ()

    def problem(self, item):
        if not isinstance(item, str) or not item.strip():
            return f"every item must be non-empty text, got {describe_value(item)}"
        if len(item) > MAX_SLUG_CHARS:
            return f"item {item[:40]!r}… is longer than {MAX_SLUG_CHARS} characters"
        return None

    def identity(self, item):
        return item

    def read(self, data, key, report):
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            report.add(key, f"must be a list (one '- item' per line), got {describe_value(value)}")
            return ()
        if len(value) > MAX_LIST_ITEMS:
            report.add(key, f"lists {len(value):,} items; at most {MAX_LIST_ITEMS} are allowed")
            return ()
        items, seen = [], set()
        for item in value:
            problem = self.problem(item)
            if problem:
                report.add(key, problem)
                continue
            if self.identity(item) in seen:
                report.add(key, f"{item!r} is listed twice")
                continue
            seen.add(self.identity(item))
            items.append(item)
        # Interned: the same few hundred category and tag names recur across the files, and
        # an import holds every file's lists until it writes them.
        return tuple(sys.intern(self.clean(item)) for item in items)

    def clean(self, item):
        return item

    def item_text(self, item, quote):
        return plain_slug(item)

    def line(self, key, value, quote):
        if not value:
            return f"{key}: []"
        return f"{key}:" + "".join(f"\n  - {self.item_text(item, quote)}" for item in value)

    def to_data(self, value):
        return list(value)

    def from_data(self, value):
        return tuple(value)


@dataclasses.dataclass(frozen=True)
class Tags(Slugs):
    """A list of tags, each spelt as the file spells it; two spellings that differ in case
    only are one tag, listed twice (:func:`tag_problem` is what a tag may be)."""

    def problem(self, item):
        return tag_problem(item)

    def identity(self, item):
        return item.strip().casefold()

    def clean(self, item):
        return item.strip()

    def item_text(self, item, quote):
        return yaml_scalar(item, quote)


@dataclasses.dataclass(frozen=True)
class Key:
    """One frontmatter key. ``model_field``: the record's field holding it (None: the record
    holds it as links, which catalog.write.records reads and writes); ``form_field``: the
    admin form's field editing it (None: not edited there as a field). ``merges``: how two
    changes merge; ``"whole"``: changed on one side only, that side's value; changed on both
    to different values, a conflict."""

    key: str
    attr: str
    kind: Kind
    model_field: str | None = None
    form_field: str | None = None
    merges: str = "whole"


@dataclasses.dataclass(frozen=True)
class Schema:
    """The keys of one kind of file, in the order files write them, and how its strings are
    quoted (guides "double", categories 'single', as the real collection writes them)."""

    name: str
    keys: tuple[Key, ...]
    quote: str

    @property
    def file_keys(self):
        return tuple(k.key for k in self.keys)

    @property
    def model_fields(self):
        """The record's fields that hold keys, in schema order."""
        return tuple(k.model_field for k in self.keys if k.model_field)

    def data_fields(self):
        """Every attribute of the file form: what sync data holds and merges compare."""
        return ("slug", *(k.attr for k in self.keys), "body", "extra")

    def key_of(self, attr):
        """The file key of a file-form attribute (``created`` is ``createdAt``)."""
        return next((k.key for k in self.keys if k.attr == attr), attr)

    @functools.cached_property
    def file_class(self):
        """The frozen dataclass of this kind's file form (``GuideFile``): the slug, each key's
        attribute with its default, the body and the extra keys (as ``(key, value)`` pairs in
        file order). Its ``schema`` is this one."""
        fields = [("slug", str)]
        for key in self.keys:
            default = key.kind.default
            fields.append(
                (key.attr, Any)
                if key.kind.required
                else (key.attr, Any, dataclasses.field(default=default))
            )
        fields += [
            ("body", str, dataclasses.field(default="")),
            ("extra", tuple, dataclasses.field(default=())),
        ]
        class_name = f"{self.name.title()}File"
        cls = dataclasses.make_dataclass(class_name, fields, frozen=True, kw_only=True, slots=True)
        cls.__module__ = "catalog.fileformat.schema"
        cls.schema = self
        return cls


# The keys guides and categories share, declared once for both.
TITLE = Key(
    "title",
    "title",
    Text(required=True, max_chars=MAX_TITLE_CHARS, one_line=True),
    "title",
    "title",
)
DESCRIPTION = Key(
    "description",
    "description",
    Text(max_chars=MAX_DESCRIPTION_CHARS),
    "description",
    "description",
)
IMAGE = Key("image", "image", Image(), "image", "image")

GUIDE = Schema(
    "guide",
    (
        TITLE,
        DESCRIPTION,
        IMAGE,
        Key("createdAt", "created", Date(), "created_on", "created_on"),
        Key("draft", "draft", Flag(), "draft", "draft"),
        Key("publishAt", "publish_at", Moment(), "publish_at", "publish_at"),
        Key("categories", "categories", Slugs()),
        Key("tags", "tags", Tags(), form_field="tag_labels"),
    ),
    quote='"',
)

CATEGORY = Schema(
    "category",
    (
        TITLE,
        DESCRIPTION,
        IMAGE,
        Key("icon", "icon", Image(), "icon", "icon"),
        Key("sort", "sort", Number(), "sort", "sort"),
    ),
    quote="'",
)

GuideFile = GUIDE.file_class
CategoryFile = CATEGORY.file_class
