"""A body kept on disk instead of in memory, for a large folder's import.

Bodies are most of what a read folder holds (about 1.3 KB a guide in the real collection), and
an import compares them only for equality until it writes them. So beyond a number of files a
folder read for an import keeps each guide's body as a :class:`FileBody`: the file it is in
and a digest of it. It compares equal to the same text (another FileBody, or a ``str``, whose
digest is taken), and :func:`resolved` reads it again, checked against the digest, when the
record is written; a file changed in between is a problem, and the import writes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from catalog.fileformat.problems import ContentError, FileReport, Problem
from catalog.fileformat.reading import decode, read_limited, split

CHANGED = "changed while the import was reading the folder; nothing was imported: run it again"


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class FileBody:
    """A body as its file holds it: equal to the same text, read again by :meth:`text`."""

    __slots__ = ("path", "digest")

    def __init__(self, path: Path | str, text: str):
        self.path, self.digest = str(path), digest(text)

    def __eq__(self, other):
        if isinstance(other, FileBody):
            return self.digest == other.digest
        if isinstance(other, str):
            return self.digest == digest(other)
        return NotImplemented

    def __hash__(self):
        return hash(self.digest)

    def __repr__(self):
        return f"FileBody({self.path!r})"

    def text(self) -> str:
        """The body, read from its file again; ContentError if it is not the text read."""
        report = FileReport(self.path)
        raw = read_limited(Path(self.path), report)
        text = decode(raw, report) if raw is not None else None
        parts = split(text, report) if text is not None else None
        if parts is None or digest(parts[1]) != self.digest:
            raise ContentError([Problem(self.path, None, "body", CHANGED)])
        return parts[1]


def on_disk(item, path: Path):
    """``item`` with its body kept as a :class:`FileBody` of ``path``."""
    return dataclasses.replace(item, body=FileBody(path, item.body))


def resolved(item):
    """``item`` with its body as text (read again if it was kept on disk); None for None."""
    if item is None or not isinstance(item.body, FileBody):
        return item
    return dataclasses.replace(item, body=item.body.text())


def body_digest(body) -> bytes:
    """The digest of a body, held as text or on disk."""
    return body.digest if isinstance(body, FileBody) else digest(body)
