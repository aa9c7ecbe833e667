"""What is wrong with a file, named so that a maintainer finds it: path, line, field."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


def printable(path) -> str:
    """A file's name on one line, whatever it is named: its newlines and other control
    characters written as escapes (``a\\nb.md``), so a CI log keeps one problem a line and
    no name moves the cursor or erases a line in a maintainer's terminal."""
    path = str(path)
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, printed as ``path:line: field: message``; ``kind``
    names what sort of problem one without a field is, for :func:`count_by_kind`."""

    path: str
    line: int | None
    field: str | None
    message: str
    severity: str = "error"
    kind: str = ""

    def __str__(self):
        where = f"{printable(self.path)}:{self.line or 1}:"
        return f"{where} {self.field}: {self.message}" if self.field else f"{where} {self.message}"


def count_by_kind(problems) -> str:
    """How many of ``problems`` there are of each kind (their field's name where they have
    one), the most first: "image without alt text 351, icon 15, tags 10". A folder's
    hundreds of warnings are listed one a line; this says at the end what they are."""
    counts = Counter(problem.kind or problem.field or "other" for problem in problems)
    ordered = sorted(counts.items(), key=lambda count: (-count[1], count[0]))
    return ", ".join(f"{kind} {n}" for kind, n in ordered)


class ContentError(Exception):
    """Raised with every problem found, when a folder or file cannot be used."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FileReport:
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
        self._added = set()  # every problem and warning, for finding repeats at once

    @property
    def frontmatter_text(self):
        return self._frontmatter_text

    @frontmatter_text.setter
    def frontmatter_text(self, text):
        self._frontmatter_text, self._lines = text, {}  # key -> its line (line_of)

    def add(self, field_name, message, line=None, severity="error"):
        if line is None and field_name:
            line = self.line_of(field_name)
        problem = Problem(self.path, line, field_name, message, severity)
        if problem not in self._added:  # one value can meet one rule by two paths (tags' controls)
            self._added.add(problem)
            (self.problems if severity == "error" else self.warnings).append(problem)

    def warn(self, field_name, message):
        self.add(field_name, message, severity="warning")

    def line_of(self, key):
        """The line on which ``key`` stands in the frontmatter (1 if it is not found); found
        once a key, however many problems it has."""
        if key not in self._lines:
            self._lines[key] = self._find_line(key)
        return self._lines[key]

    def _find_line(self, key):
        match = re.search(
            rf"^{re.escape(key)}[ \t]*:", self.frontmatter_text, re.MULTILINE
        ) or re.search(rf"^['\"]{re.escape(key)}['\"][ \t]*:", self.frontmatter_text, re.MULTILINE)
        if not match:
            return 1
        return self.frontmatter_text.count("\n", 0, match.start()) + 2


def describe_value(value):
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"
