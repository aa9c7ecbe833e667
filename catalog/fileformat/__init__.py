"""The guide and category file format: read, validate and describe a content folder.

Plain Python that knows nothing of Django's ORM, so that validation can run in a content
repository's CI, in tests and in the importer alike.

A file is YAML frontmatter between two ``---`` lines, then a markdown body. The slug is the
file name without ``.md``. Parsing never stops at the first problem: every problem of every
file is collected as a :class:`Problem` naming the file, the line and the field, so that one
run tells a maintainer everything that is wrong.

The body is kept exactly as written, between one optional blank line after the closing
``---`` and the file's final newline, except that CRLF line endings are read as LF and a
UTF-8 byte-order mark is dropped. :func:`serialise_guide` and :func:`serialise_category`
write the canonical layout of the real collection, and ``parse(serialise(x)) == x``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import frontmatter
import yaml

MAX_FILE_BYTES = 1_000_000
MAX_TITLE_CHARS = 300
MAX_DESCRIPTION_CHARS = 2_000
MAX_TAG_CHARS = 100
MAX_SLUG_CHARS = 200

# Lower-case ASCII letters and digits, with "-", "_", "'" and "+" inside: every one of them is
# allowed in a URL path as it is (RFC 3986), and the real collection uses "'" and "+"
# ("how-do-c++-java-python-work", "reddit's-core-architecture").
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9'+_-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BOUNDARY_RE = re.compile(r"^---[ \t]*$", re.MULTILINE)

# Control characters (Unicode category Cc) other than tab and newline, and lone surrogates
# (which YAML's "\\ud800" escape can make): no field or body may hold one. PostgreSQL refuses
# NUL in text, so without this rule the default and the production database would disagree.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 11: "VT", 12: "FF", 13: "CR", 27: "ESC", 127: "DEL"}
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_BROWSER_TRIMS = "".join(chr(n) for n in range(0x21))  # what browsers strip from URL ends

GUIDE_KEYS = (
    "title",
    "description",
    "image",
    "createdAt",
    "draft",
    "publishAt",
    "categories",
    "tags",
)
CATEGORY_KEYS = ("title", "description", "image", "icon", "sort")

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, printed as ``path:line: field: message``."""

    path: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"

    def __str__(self):
        where = f"{self.path}:{self.line or 1}:"
        return f"{where} {self.field}: {self.message}" if self.field else f"{where} {self.message}"


class ContentError(Exception):
    """Raised with every problem found, when a folder or file cannot be used."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class CategoryFile:
    slug: str
    title: str
    description: str = ""
    image: str = ""
    icon: str = ""
    sort: int = 0
    body: str = ""
    extra: tuple = ()


@dataclass(frozen=True)
class GuideFile:
    slug: str
    title: str
    created: dt.date
    description: str = ""
    image: str = ""
    draft: bool = False
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    body: str = ""
    extra: tuple = ()
    publish_at: dt.datetime | None = None  # publishAt: not shown before then (UTC, aware)


@dataclass
class ContentFolder:
    """What a folder holds once read: the valid files, and every problem found."""

    root: Path
    categories: dict[str, CategoryFile] = field(default_factory=dict)
    guides: dict[str, GuideFile] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # dot-files and other non-content

    @property
    def errors(self):
        return [p for p in self.problems if p.severity == "error"]


class _FileReport:
    """Collects the problems of one file and finds the line on which a key stands."""

    def __init__(self, path, frontmatter_text="", *, root=None):
        self.path = str(path)
        self.frontmatter_text = frontmatter_text
        self.problems = []
        self.warnings = []
        # The content folder (relative image paths must name a file inside it), and the line
        # on which the body starts (for problems inside the body).
        self.root = Path(root) if root is not None else None
        self.body_line = 1

    def add(self, field_name, message, line=None, severity="error"):
        if line is None and field_name:
            line = self.line_of(field_name)
        problem = Problem(self.path, line, field_name, message, severity)
        found = self.problems if severity == "error" else self.warnings
        if problem not in found:  # one value can meet one rule by two paths (tags' controls)
            found.append(problem)

    def warn(self, field_name, message):
        self.add(field_name, message, severity="warning")

    def line_of(self, key):
        match = re.search(
            rf"^{re.escape(key)}[ \t]*:", self.frontmatter_text, re.MULTILINE
        ) or re.search(rf"^['\"]{re.escape(key)}['\"][ \t]*:", self.frontmatter_text, re.MULTILINE)
        if not match:
            return 1
        return self.frontmatter_text.count("\n", 0, match.start()) + 2


def decode(raw: bytes, report: _FileReport) -> str | None:
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
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, report: _FileReport) -> tuple[str, str] | None:
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


def load_yaml(fm: str, report: _FileReport) -> Any:
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


def describe_control(ch):
    code = ord(ch)
    name = _CONTROL_NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def control_problem(text):
    """The message for the first control character in ``text``, or None."""
    match = CONTROL_RE.search(text)
    if match is None:
        return None
    return (
        f"contains the control character {describe_control(match.group())}; "
        "only tab and newline may be used"
    )


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


def _check_value_controls(key, value, report):
    """Report control characters inside a loaded value (YAML escapes such as "\\0" make them)."""
    if isinstance(value, str):
        problem = control_problem(value)
        if problem:
            report.add(key, problem)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_value_controls(key, k, report)
            _check_value_controls(key, v, report)
    elif isinstance(value, list):
        for item in value:
            _check_value_controls(key, item, report)


def _check_body(body, report):
    match = CONTROL_RE.search(body)
    if match:
        line = report.body_line + body.count("\n", 0, match.start())
        report.add("body", control_problem(match.group()), line)


def image_reference(value):
    """What kind of image reference ``value`` is, as a browser reads it.

    Returns ``(kind, problem)``: kind is ``"empty"``, ``"url"`` (http or https), ``"site"``
    (a path on this site, starting with one ``/``) or ``"relative"`` (a file beside the
    markdown file), and problem is None; or kind is None and problem says why the value is
    refused. Browsers strip spaces and control characters from the ends of a URL, drop tabs
    and newlines inside it and read ``\\`` as ``/``, so ``" javascript:…"``, ``"java\\tscript:…"``,
    ``"/\\t/evil.example/x.png"`` and ``"/\\evil.example"`` are read as what they would do.
    """
    if not value:
        return "empty", None
    trimmed = value.strip(_BROWSER_TRIMS)
    read = re.sub("[\t\n\r]", "", trimmed).replace("\\", "/")
    scheme = _SCHEME_RE.match(read)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return None, (
            f"uses the '{scheme.group(1).lower()}:' scheme; an image must be an http(s):// URL, "
            "a site path starting with '/' or a relative path to a file"
        )
    if read != value:
        return None, (
            "has spaces, tabs, newlines or backslashes that browsers read differently "
            f"(as {read!r}); write it without them"
        )
    if scheme:
        if not urlsplit(value).hostname:
            return None, "is an http(s) URL without a host"
        return "url", None
    if value.startswith("//"):
        return None, (
            f"starts with '//', which browsers read as the other host {urlsplit(value).netloc!r}; "
            "write https://… for an image on another site"
        )
    if value.startswith("/"):
        return "site", None
    return "relative", None


def _image(data, key, report):
    value = _text(data, key, report, max_chars=1000)
    kind, problem = image_reference(value)
    if problem:
        report.add(key, problem)
    elif kind == "relative" and report.root is not None:
        base = Path(report.path).parent
        target = (base / value).resolve()
        if not target.is_relative_to(report.root.resolve()) or not target.is_file():
            report.add(
                key,
                f"{value!r} is not an http(s):// URL or a site path starting with '/', and no "
                f"file {base / value} exists in the content folder",
            )
    return value


def _text(data, key, report, *, required=False, max_chars=None):
    value = data.get(key)
    if value is None:
        if required:
            report.add(
                key,
                "is required" if key not in data else "must not be empty",
                None if key in data else 1,
            )
        return ""
    if not isinstance(value, str):
        report.add(key, f"must be text, got {_describe(value)}")
        return ""
    if required and not value.strip():
        report.add(key, "must not be empty")
    if max_chars and len(value) > max_chars:
        report.add(key, f"is {len(value):,} characters long; at most {max_chars:,} are allowed")
    return value


def _describe(value):
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"


def _date(data, key, report):
    value = data.get(key)
    if value is None:
        report.add(key, "is required (a date written YYYY-MM-DD)", None if key in data else 1)
        return None
    if isinstance(value, dt.datetime):
        report.add(key, f"must be a date written YYYY-MM-DD, not a date and time ({value})")
        return None
    if isinstance(value, dt.date):
        return _not_future(value, key, report)
    if isinstance(value, str) and DATE_RE.match(value.strip()):
        try:
            return _not_future(dt.date.fromisoformat(value.strip()), key, report)
        except ValueError:
            report.add(key, f"{value!r} is not a real date")
            return None
    report.add(key, f"must be a date written YYYY-MM-DD, got {_describe(value)}")
    return None


def _moment(data, key, report):
    """An optional date and time (``publishAt``) as an aware UTC datetime, or None.

    ISO 8601, as YAML writes it or quoted: ``2026-12-01T09:00:00Z``, ``2026-12-01 09:00+01:00``;
    without a time zone it is UTC; a date alone is midnight UTC.
    """
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
            f'must be a date and time such as "2026-12-01T09:00:00Z", got {_describe(data[key])}',
        )
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def moment_text(value: dt.datetime) -> str:
    """A ``publishAt`` as files write it: ISO 8601 in UTC, ``2026-12-01T09:00:00Z``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_future(day, key, report):
    """A future date is allowed (the guide is published now, dated then), with a warning."""
    if day > dt.date.today():
        report.warn(key, f"{day.isoformat()} is in the future; the guide is published now")
    return day


def _string_list(data, key, report, *, case_insensitive):
    """A list of text items: tags (any case, one rule: :func:`tag_problem`) or category slugs."""
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        report.add(key, f"must be a list (one '- item' per line), got {_describe(value)}")
        return ()
    items, seen = [], set()
    for item in value:
        if key == "tags":
            problem = tag_problem(item)
        elif not isinstance(item, str) or not item.strip():
            problem = f"every item must be non-empty text, got {_describe(item)}"
        elif len(item) > MAX_SLUG_CHARS:
            problem = f"item {item[:40]!r}… is longer than {MAX_SLUG_CHARS} characters"
        else:
            problem = None
        if problem:
            report.add(key, problem)
            continue
        identity = item.strip().casefold() if case_insensitive else item
        if identity in seen:
            report.add(key, f"{item!r} is listed twice")
            continue
        seen.add(identity)
        items.append(item)
    return tuple(items)


def _extra(data, known, report):
    """The keys the site does not model, as plain values (kept, and written back as read)."""
    return tuple(
        (key, _plain(value, key, report)) for key, value in data.items() if key not in known
    )


def _plain(value, key, report):
    """A JSON-friendly copy of an extra value: text, finite numbers, booleans, null, dates
    (as ISO text), and lists and text-keyed mappings of these. Anything else, such as
    ``!!binary``, ``!!set`` or ``.nan``, is reported: it could not be stored the same way on
    every database, nor written back as it was read."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            report.add(key, f"holds {value}; numbers must be finite (.nan and .inf are refused)")
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v, key, report) for v in value]
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, str):
                report.add(key, f"has the mapping key {k!r}; keys inside a value must be text")
        return {str(k): _plain(v, key, report) for k, v in value.items()}
    report.add(
        key,
        f"holds a {type(value).__name__} value; extra keys may hold text, numbers, "
        "true/false, dates, and lists and mappings of these",
    )
    return None


_INVALID = object()  # load_yaml's answer after reporting a problem (None means empty)


def _mapping(data, report):
    if data is _INVALID:
        return None
    if data is None:
        report.add(None, "frontmatter is empty: it must be a mapping with at least 'title'", 1)
        return None
    if not isinstance(data, dict):
        report.add(
            None, f"frontmatter must be a mapping of keys to values, got {_describe(data)}", 2
        )
        return None
    for key in data:
        if not isinstance(key, str):
            report.add(None, f"frontmatter key {key!r} must be text", 2)
            return None
    return data


def check_slug(slug, report):
    if len(slug) > MAX_SLUG_CHARS:
        report.add("slug", f"file name is longer than {MAX_SLUG_CHARS} characters", 1)
        return False
    if not SLUG_RE.match(slug):
        report.add(
            "slug",
            f"file name {slug!r} is not a URL-safe slug: use lower-case ASCII letters, digits "
            "and '-' (also '_', \"'\", '+'), starting with a letter or digit",
            1,
        )
        return False
    return True


def parse_guide(slug: str, raw: bytes, path: str | Path = "") -> GuideFile:
    """Parse and validate one guide file; raise ContentError with every problem."""
    report = _FileReport(path or f"guides/{slug}.md", root=_root_of(path))
    guide = _parse_guide(slug, raw, report)
    if report.problems:
        raise ContentError(report.problems)
    return guide


def parse_category(slug: str, raw: bytes, path: str | Path = "") -> CategoryFile:
    """Parse and validate one category file; raise ContentError with every problem."""
    report = _FileReport(path or f"categories/{slug}.md", root=_root_of(path))
    category = _parse_category(slug, raw, report)
    if report.problems:
        raise ContentError(report.problems)
    return category


def _root_of(path):
    """The content folder of a file at ``ROOT/guides/x.md`` or ``ROOT/categories/x.md``."""
    return Path(path).parent.parent if path else None


def validate_guide(slug, data, body="", *, root=None, where="form"):
    """Validate a guide given as frontmatter values, as the admin's form holds them.

    The same rules as a file (this is the function :func:`parse_guide` ends in); returns
    ``(GuideFile or None, problems)``. ``root`` is the content folder, for relative images.
    """
    report = _FileReport(where, root=root)
    check_slug(slug, report)
    guide = _guide_from_mapping(slug, data, body, report)
    return guide, report.problems + report.warnings


def validate_category(slug, data, body="", *, root=None, where="form"):
    """Validate a category given as frontmatter values: see :func:`validate_guide`."""
    report = _FileReport(where, root=root)
    check_slug(slug, report)
    category = _category_from_mapping(slug, data, body, report)
    return category, report.problems + report.warnings


def tag_problem(label):
    """Why ``label`` cannot be a tag, or None. One rule for files, forms and the tag admin."""
    if not isinstance(label, str) or not label.strip():
        return f"every item must be non-empty text, got {_describe(label)}"
    if len(label) > MAX_TAG_CHARS:
        return f"item {label[:40]!r}… is longer than {MAX_TAG_CHARS} characters"
    return control_problem(label)


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
    problems = []
    for family in users.values():
        if len(family) < 2:
            continue
        ranked = sorted(family.values(), key=lambda t: (-len(t["slugs"]), t["label"].casefold()))
        kept = ranked[0]
        for other in ranked[1:]:
            path = folder.root / "guides" / f"{other['slugs'][0]}.md"
            problems.append(
                Problem(
                    str(path),
                    _line_of(path, other["label"], after="tags:"),
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


def _line_of(path, text, *, after):
    """The first line holding ``text`` from the line that starts with ``after`` on, for
    pointing at a value; None if there is none."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    start = next((n for n, line in enumerate(lines) if line.startswith(after)), 0)
    return next((n for n, line in enumerate(lines[start:], start + 1) if text in line), None)


def split_tag_text(text):
    """Tags typed as a comma- or line-separated list, runs of spaces and tabs folded, repeats
    (in any case) dropped. Never split at spaces: "Consistent Hashing" is one tag. Other
    characters, control characters included, are kept for :func:`tag_problem` to judge."""
    labels, seen = [], set()
    for part in text.replace("\r\n", "\n").replace("\n", ",").split(","):
        label = re.sub("[ \t]+", " ", part).strip(" \t")
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            labels.append(label)
    return labels


def _parse_guide(slug, raw, report):
    parts = _frontmatter(slug, raw, report)
    return None if parts is None else _guide_from_mapping(slug, *parts, report)


def _parse_category(slug, raw, report):
    parts = _frontmatter(slug, raw, report)
    return None if parts is None else _category_from_mapping(slug, *parts, report)


def _guide_from_mapping(slug, data, body, report):
    for key, value in data.items():
        _check_value_controls(key, value, report)
    _check_body(body, report)
    title = _text(data, "title", report, required=True, max_chars=MAX_TITLE_CHARS)
    description = _text(data, "description", report, max_chars=MAX_DESCRIPTION_CHARS)
    image = _image(data, "image", report)
    created = _date(data, "createdAt", report)
    draft = data.get("draft", False)
    if draft is None:
        draft = False
    if not isinstance(draft, bool):
        report.add("draft", f"must be true or false, got {_describe(draft)}")
    publish_at = _moment(data, "publishAt", report)
    categories = _string_list(data, "categories", report, case_insensitive=False)
    tags = _string_list(data, "tags", report, case_insensitive=True)
    extra = _extra(data, GUIDE_KEYS, report)
    if report.problems:
        return None
    return GuideFile(
        slug=slug,
        title=title,
        created=created,
        description=description,
        image=image,
        draft=draft,
        categories=categories,
        tags=tuple(t.strip() for t in tags),
        body=body,
        extra=extra,
        publish_at=publish_at,
    )


def _category_from_mapping(slug, data, body, report):
    for key, value in data.items():
        _check_value_controls(key, value, report)
    _check_body(body, report)
    title = _text(data, "title", report, required=True, max_chars=MAX_TITLE_CHARS)
    description = _text(data, "description", report, max_chars=MAX_DESCRIPTION_CHARS)
    image = _image(data, "image", report)
    icon = _image(data, "icon", report)
    sort = data.get("sort", 0)
    if sort is None:
        sort = 0
    if isinstance(sort, bool) or not isinstance(sort, int):
        report.add("sort", f"must be a whole number, got {_describe(sort)}")
    elif not -(2**31) <= sort < 2**31:
        report.add("sort", f"{sort} is out of range")
    extra = _extra(data, CATEGORY_KEYS, report)
    if report.problems:
        return None
    return CategoryFile(
        slug=slug,
        title=title,
        description=description,
        image=image,
        icon=icon,
        sort=sort,
        body=body,
        extra=extra,
    )


def _frontmatter(slug, raw, report):
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


def _markdown_files(folder_data: ContentFolder, kind: str):
    """The ``.md`` files of ``root/kind`` to read; what is refused goes to ``problems``.

    Dot-files and dot-folders (macOS ``._x.md`` copies, editors' ``.x.md.swp`` and ``.#x.md``
    lock files) are never content: they are skipped, and listed in ``skipped``, as are other
    files that are not ``.md`` (a ``.git`` was refused before: ``repository_lookalikes``).
    """
    root, problems = folder_data.root, folder_data.problems
    folder = root / kind
    resolved_root = root.resolve()
    if folder.is_symlink() and not folder.resolve().is_relative_to(resolved_root):
        problems.append(
            Problem(
                str(folder), None, None, "is a symbolic link to a folder outside the data folder"
            )
        )
        return []
    if not folder.is_dir():
        problems.append(Problem(str(folder), None, None, f"no {kind}/ folder in {root}"))
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.suffix != ".md":
            folder_data.skipped.append(path)
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(resolved_root):
            problems.append(
                Problem(
                    str(path), None, None, "is a symbolic link to a file outside the data folder"
                )
            )
            continue
        if not path.is_file():
            problems.append(Problem(str(path), None, None, "is not a regular file"))
            continue
        files.append(path)
    return files


def read_limited(path: Path, report: _FileReport) -> bytes | None:
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


def read_folder(root: str | Path, progress=None, each=None) -> ContentFolder:
    """Read and validate ``root/categories/*.md`` and ``root/guides/*.md``.

    Every file is read; the result holds each valid file and every problem, including the
    rules that span files: categories named by a guide must exist, and no slug may name both
    a category and a guide (both are served at ``/guides/<slug>``). ``progress``, if given,
    is called as ``progress(kind, done, total)`` after each file; ``each``, if given, as
    ``each(kind, item)`` with each file that parsed, as soon as it has (before the rules that
    span files, which may still drop it).
    """
    root = Path(root)
    folder = ContentFolder(root=root)
    if not root.is_dir():
        folder.problems.append(Problem(str(root), None, None, "data folder does not exist"))
        return folder
    folder.problems.extend(
        Problem(str(path), None, None, REPOSITORY_PROBLEM) for path in repository_lookalikes(root)
    )
    if folder.problems:
        return folder
    for kind, parse, target in (
        ("categories", _parse_category, folder.categories),
        ("guides", _parse_guide, folder.guides),
    ):
        paths = _markdown_files(folder, kind)
        for done, path in enumerate(paths, 1):
            if progress:
                progress(kind, done, len(paths))
            report = _FileReport(path, root=root)
            raw = read_limited(path, report)
            item = parse(path.stem, raw, report) if raw is not None else None
            folder.problems.extend(report.problems + report.warnings)
            if item is not None:
                target[item.slug] = item
                if each:
                    each(kind, item)
    _check_references(folder)
    return folder


REPOSITORY_PROBLEM = (
    "looks like a git repository (.git, or HEAD with objects/ or refs/); git would take its "
    "configuration and hooks as its own, so a data folder may not hold one: remove it"
)


def repository_lookalikes(root: Path) -> list[Path]:
    """Everything under ``root`` (itself included, no link followed) that git would take for
    a repository of its own: a ``.git`` below the root, or a folder holding ``HEAD`` beside
    ``objects/`` or ``refs/``. Content comes from contributors; such a folder could name a
    command for git to run (``core.fsmonitor``), so the folder is refused whole. The root's
    own ``.git`` is the work tree's (a commit cannot carry one)."""
    found = []
    for folder, dirs, files in os.walk(root):
        names = set(dirs) | set(files)
        if ".git" in names and Path(folder) != Path(root):
            found.append(Path(folder) / ".git")
        if "HEAD" in names and ({"objects", "refs"} & names):
            found.append(Path(folder))
        dirs[:] = [name for name in dirs if name != ".git"]  # reported, or the root's own
    return sorted(found)


def slug_clash_problem(slug, other_kind, other_path=None):
    """The rule that one slug names one page: a guide and a category may not share it."""
    where = f" ({other_path})" if other_path else ""
    return f"{slug!r} is also the slug of a {other_kind}{where}; both would be /guides/{slug}"


def _check_references(folder: ContentFolder):
    root = folder.root
    for slug, guide in list(folder.guides.items()):
        path = str(root / "guides" / f"{slug}.md")
        report = None
        if slug in folder.categories:
            report = report or _FileReport(path)
            report.add(
                "slug",
                slug_clash_problem(slug, "category", root / "categories" / f"{slug}.md"),
                1,
            )
        missing = [c for c in guide.categories if c not in folder.categories]
        if missing:
            report = report or _FileReport(path)
            report.frontmatter_text = _frontmatter_text_of(root / "guides" / f"{slug}.md")
            for name in missing:
                report.add(
                    "categories", f"names category {name!r}, which has no file categories/{name}.md"
                )
        if report:
            folder.problems.extend(report.problems)
            del folder.guides[slug]


def _frontmatter_text_of(path: Path) -> str:
    """Frontmatter text of a file that has already parsed, for locating a key's line."""
    text = path.read_bytes().decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    closing = BOUNDARY_RE.search(text, text.index("\n") + 1)
    return text[text.index("\n") + 1 : closing.start()]


_LINE_BREAKS = "\x85\u2028\u2029"


def _plain_slug(slug):
    """A category slug as the real files write it: bare, unless YAML would read it otherwise."""
    if SLUG_RE.match(slug):
        try:
            if yaml.safe_load(slug) == slug:
                return slug
        except (yaml.YAMLError, ValueError):  # "0x_": PyYAML takes it for a number it can't read
            pass
    return _yaml_scalar(slug, '"')


def _yaml_scalar(value, quote):
    """One YAML scalar, quoted as the real files quote it, escaped by PyYAML's emitter."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return yaml.safe_dump(value, default_flow_style=True).removesuffix("\n...\n").strip()
    if quote == "'" and any(ch in _LINE_BREAKS for ch in value):
        quote = '"'  # PyYAML's single-quoted style folds these; the double-quoted escapes them
    return yaml.safe_dump(
        str(value), default_style=quote, allow_unicode=True, width=float("inf")
    ).rstrip("\n")


class _ExtraDumper(yaml.SafeDumper):
    """Safe YAML out, with strings holding NEL/LS/PS double-quoted (PyYAML folds them else)."""


def _represent_str(dumper, value):
    style = '"' if any(ch in _LINE_BREAKS for ch in value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ExtraDumper.add_representer(str, _represent_str)


def _yaml_extra(key, value):
    """An extra key as YAML (block style), in the form it came in as far as YAML allows."""
    return yaml.dump(
        {key: value},
        Dumper=_ExtraDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=float("inf"),
    ).rstrip("\n")


def _document(lines, extra, body):
    lines = ["---", *lines, *(_yaml_extra(k, v) for k, v in extra), "---"]
    text = "\n".join(lines) + "\n"
    return text + "\n" + body + "\n" if body else text


def serialise_guide(guide: GuideFile) -> str:
    """The guide's file in the layout of the real collection (double-quoted strings)."""
    q = '"'
    lines = [
        f"title: {_yaml_scalar(guide.title, q)}",
        f"description: {_yaml_scalar(guide.description, q)}",
        f"image: {_yaml_scalar(guide.image, q)}",
        f"createdAt: {_yaml_scalar(guide.created.isoformat(), q)}",
        f"draft: {_yaml_scalar(guide.draft, q)}",
        *([f"publishAt: {q}{moment_text(guide.publish_at)}{q}"] if guide.publish_at else []),
        "categories:" + "".join(f"\n  - {_plain_slug(c)}" for c in guide.categories)
        if guide.categories
        else "categories: []",
        "tags:" + "".join(f"\n  - {_yaml_scalar(t, q)}" for t in guide.tags)
        if guide.tags
        else "tags: []",
    ]
    return _document(lines, guide.extra, guide.body)


def serialise_category(category: CategoryFile) -> str:
    """The category's file in the layout of the real collection (single-quoted strings)."""
    q = "'"
    lines = [
        f"title: {_yaml_scalar(category.title, q)}",
        f"description: {_yaml_scalar(category.description, q)}",
        f"image: {_yaml_scalar(category.image, q)}",
        f"icon: {_yaml_scalar(category.icon, q)}",
        f"sort: {category.sort}",
    ]
    return _document(lines, category.extra, category.body)


# --- the file form as plain data, and three-way merges -------------------------------------

_DATA_FIELDS = {
    GuideFile: (
        "slug",
        "title",
        "created",
        "description",
        "image",
        "draft",
        "categories",
        "tags",
        "body",
        "extra",
        "publish_at",
    ),
    CategoryFile: ("slug", "title", "description", "image", "icon", "sort", "body", "extra"),
}


def to_data(item: GuideFile | CategoryFile) -> dict:
    """A record's file form as JSON-friendly data (the sync base; see catalog.fileformat.merge)."""
    data = {}
    for name in _DATA_FIELDS[type(item)]:
        value = getattr(item, name)
        if name == "created":
            value = value.isoformat()
        elif name == "publish_at":
            value = moment_text(value) if value else None
        elif name == "extra":
            value = [list(pair) for pair in value]
        elif isinstance(value, tuple):
            value = list(value)
        data[name] = value
    return data


def from_data(kind: type, data: dict | None):
    """The inverse of :func:`to_data`; None for None (a record never in step with a file)."""
    if data is None:
        return None
    values = {}
    for name in _DATA_FIELDS[kind]:
        if name not in data:
            continue  # a field added since this data was stored: its default
        value = data[name]
        if name == "created":
            value = dt.date.fromisoformat(value)
        elif name == "publish_at":
            value = dt.datetime.fromisoformat(value) if value else None
        elif name == "extra":
            value = tuple((key, item) for key, item in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return kind(**values)


def merge(base, ours, theirs):
    """Three-way merge of two versions of one record, field by field.

    A field changed on one side only takes that side's value; changed on both sides to the
    same value, that value; changed on both sides differently, it is a conflict. Returns
    ``(merged, conflicting field names)``; ``merged`` is None when any field conflicts. Fields
    are merged whole (a body changed on both sides is a conflict, however far apart).
    """
    values, conflicts = {}, []
    for name in _DATA_FIELDS[type(base)]:
        b, o, t = getattr(base, name), getattr(ours, name), getattr(theirs, name)
        if o == t or t == b:
            values[name] = o
        elif o == b:
            values[name] = t
        else:
            conflicts.append(FILE_KEYS.get(name, name))
    return (None if conflicts else type(base)(**values)), conflicts


FILE_KEYS = {"created": "createdAt", "publish_at": "publishAt"}
