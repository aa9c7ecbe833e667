"""The rules of each frontmatter field: text and its length, dates and moments, image
references as a browser reads them, slugs, lists and the extra keys the site keeps as read."""

from __future__ import annotations

import datetime as dt
import math
import posixpath
import re
from urllib.parse import quote, unquote, urlsplit

MAX_TITLE_CHARS = 300


MAX_DESCRIPTION_CHARS = 2_000


MAX_SLUG_CHARS = 200


# Lower-case ASCII letters and digits, with "-", "_", "'" and "+" inside: every one of them is
# allowed in a URL path as it is (RFC 3986), and the real collection uses "'" and "+"
# ("how-do-c++-java-python-work", "reddit's-core-architecture").
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9'+_-]*$")


DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


_BROWSER_TRIMS = "".join(chr(n) for n in range(0x21))  # what browsers strip from URL ends


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
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # "https://[oops/x.png": no browser loads it
        return None, f"is not a valid URL ({exc})"
    if scheme:
        if not parts.hostname:
            return None, "is an http(s) URL without a host"
        return "url", None
    if value.startswith("//"):
        return None, (
            f"starts with '//', which browsers read as the other host {parts.netloc!r}; "
            "write https://… for an image on another site"
        )
    if value.startswith("/"):
        return "site", None
    return "relative", None


# The folders of a content folder whose files the site shows: each guide and category at
# ``/guides/<slug>``, each file of ``public/`` at the site's root.
PAGE_FOLDERS = ("guides", "categories")
PUBLIC_FOLDER = "public"


def relative_target(reference):
    """``(folder, path)``: the file a relative link or image of a guide's or category's
    file names, as GitHub resolves it from the file's folder (``guides/`` or
    ``categories/``, both directly in the content folder, so either gives the same answer
    but for a bare name, which this takes as in ``guides/``): ``other.md`` is ``("guides",
    "other.md")``, ``../public/d.png`` ``("public", "d.png")``. None for a URL, a site path,
    a link within the page, or a path that leaves the content folder."""
    try:
        parts = urlsplit(reference)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    resolved = posixpath.normpath(posixpath.join(PAGE_FOLDERS[0], unquote(parts.path)))
    folder, _, path = resolved.partition("/")
    if folder in ("", ".", "..") or not path:
        return None
    return folder, path


def site_link(reference):
    """Where a relative link or image of a file (:func:`relative_target`) is on the site:
    a guide's or a category's file (``other.md``, ``../categories/net.md``, with its
    ``#section``) is its page, ``/guides/<slug>``; a file of ``public/`` (``../public/d.png``)
    is where the site serves it, at its root. None for anything else (the site does not
    serve it, or it is no relative path)."""
    target = relative_target(reference)
    if target is None:
        return None
    folder, path = target
    if folder in PAGE_FOLDERS and path.endswith(".md") and is_slug(path[:-3]):
        fragment = urlsplit(reference).fragment
        return f"/guides/{path[:-3]}" + (f"#{fragment}" if fragment else "")
    if folder == PUBLIC_FOLDER:
        return "/" + quote(path)
    return None


def is_public(draft: bool, publish_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether visitors see a guide at ``now``: the one rule. Not a draft, and not scheduled
    for a later moment (``publishAt``). ``GuideQuerySet.published()`` is this rule in SQL."""
    return not draft and (publish_at is None or publish_at <= now)


def moment_text(value: dt.datetime) -> str:
    """A ``publishAt`` as files write it: ISO 8601 in UTC, ``2026-12-01T09:00:00Z``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# How deep lists and mappings may nest in a value. Deeper values were read, then failed
# whatever walked them in turn (the checks at about 900 levels, writing the file back at
# about 400), so a file could stop an import or an export.
MAX_VALUE_DEPTH = 20


def too_deep(data, report):
    """The keys of ``data`` whose values nest deeper than ``MAX_VALUE_DEPTH``, each reported
    (measured without recursion, however deep)."""
    deep = []
    for key, value in data.items():
        stack, depth = [(value, 0)], 0
        while stack and depth <= MAX_VALUE_DEPTH:
            item, level = stack.pop()
            if isinstance(item, list | dict):
                depth = max(depth, level + 1)
                stack.extend(
                    (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
                )
        if depth > MAX_VALUE_DEPTH:
            report.add(key, f"nests lists or mappings more than {MAX_VALUE_DEPTH} levels deep")
            deep.append(key)
    return deep


def extra_values(data, known, report):
    """The keys the site does not model, as plain values (kept, and written back as read)."""
    return tuple(
        (key, _plain(value, key, report)) for key, value in data.items() if key not in known
    )


# The largest signed 64-bit whole number: what SQLite, PostgreSQL's bigint (every id) and most
# JSON readers hold exactly. It bounds the numbers an extra key may hold: YAML reads
# hexadecimal, octal and binary of any length (a line of "0x" and 5,000 digits is a number
# Python cannot even write out in decimal).
INT64_MAX = 2**63 - 1


def _plain(value, key, report):
    """A JSON-friendly copy of an extra value: text, finite numbers, whole numbers that fit
    64 bits, booleans, null, dates (as ISO text), and lists and text-keyed mappings of these.
    Anything else, such as ``!!binary``, ``!!set``, ``.nan`` or ``0x`` with forty digits, is
    reported: it could not be stored the same way on every database, nor written back as it
    was read."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            report.add(key, "holds a whole number that does not fit in 64 bits")
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


def is_slug(text):
    """Whether ``text`` could be a record's slug (a file name): the rule ``check_slug``
    explains, for a caller that only needs yes or no (a URL, a form value)."""
    return len(text) <= MAX_SLUG_CHARS and SLUG_RE.match(text) is not None


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


def slug_clash_problem(slug, other_kind, other_path=None):
    """The rule that one slug names one page: a guide and a category may not share it."""
    where = f" ({other_path})" if other_path else ""
    return f"{slug!r} is also the slug of a {other_kind}{where}; both would be /guides/{slug}"
