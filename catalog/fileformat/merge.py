"""Two views of one truth: how a record in the database and its file compare.

Every guide and category keeps a *sync base*: its file form when the database and the files
last agreed (``Content.synced``, written by every import and export). Against it, a record is

- ``IN_STEP``: the database and the file say the same;
- ``FILE_CHANGED``: only the file moved on since the base (a contributor's commit): an import
  takes it, an export leaves the file alone and says it is newer;
- ``DATABASE_CHANGED``: only the database moved on (an editor's save): an export writes it,
  an import keeps it and says so;
- ``MERGED``: both moved on, in different fields: the field-by-field merge is taken by both;
- ``CONFLICT``: both changed the same field differently: nothing is written unless the
  maintainer chooses a side (``--on-conflict files|database``), and the losing side is kept
  as a revision;
- ``NO_BASE``: the record was never in step with a file (it predates sync bases): the side the
  command reads from wins, as before sync bases existed, and the base is set from then on.

Plain logic over the file format's dataclasses; the importer and the exporter act on it.
"""

import difflib
import enum
from dataclasses import dataclass

from catalog.fileformat.serialise import serialise


# --- the file form as plain data, and three-way merges -------------------------------------
def to_data(item) -> dict:
    """A record's file form as JSON-friendly data (the sync base, a revision), each key's
    value as its kind keeps it."""
    schema = item.schema
    data = {"slug": item.slug}
    data.update((key.attr, key.kind.to_data(getattr(item, key.attr))) for key in schema.keys)
    data.update(body=item.body, extra=[list(pair) for pair in item.extra])
    return data


def from_data(kind: type, data: dict | None):
    """The inverse of :func:`to_data`; None for None (a record never in step with a file).
    A key missing from the data (added since it was stored) takes its default."""
    if data is None:
        return None
    values = {
        key.attr: key.kind.from_data(data[key.attr]) for key in kind.schema.keys if key.attr in data
    }
    for name in ("slug", "body"):
        if name in data:
            values[name] = data[name]
    if "extra" in data:
        values["extra"] = tuple((key, value) for key, value in data["extra"])
    return kind(**values)


def merge(base, ours, theirs):
    """Three-way merge of two versions of one record, key by key, each as its schema says
    (``Key.merges``; every key today merges whole).

    A field changed on one side only takes that side's value; changed on both sides to the
    same value, that value; changed on both sides differently, it is a conflict. Returns
    ``(merged, conflicting file keys)``; ``merged`` is None when any field conflicts. The
    body and the extra keys merge whole too (a body changed on both sides is a conflict,
    however far apart).
    """
    schema = base.schema
    values, conflicts = {}, []
    for name in schema.data_fields():
        b, o, t = getattr(base, name), getattr(ours, name), getattr(theirs, name)
        if o == t or t == b:
            values[name] = o
        elif o == b:
            values[name] = t
        else:
            conflicts.append(schema.key_of(name))
    return (None if conflicts else type(base)(**values)), conflicts


# --- where a record stands -----------------------------------------------------------------


class State(enum.Enum):
    IN_STEP = "in step"
    FILE_CHANGED = "changed in the file"
    DATABASE_CHANGED = "changed in the admin"
    MERGED = "changed on both sides, merged"
    CONFLICT = "changed in the file and in the admin"
    NO_BASE = "never synced"


@dataclass(frozen=True)
class Comparison:
    state: State
    merged: object = None  # the merged record, for MERGED
    fields: tuple = ()  # the conflicting keys, for CONFLICT


def compare(base, database, file) -> Comparison:
    """Where a record stands: ``base``, ``database`` and ``file`` are its file forms."""
    if database == file:
        return Comparison(State.IN_STEP)
    if base is None:
        return Comparison(State.NO_BASE)
    if database == base:
        return Comparison(State.FILE_CHANGED)
    if file == base:
        return Comparison(State.DATABASE_CHANGED)
    merged, fields = merge(base, database, file)
    if merged is not None:
        return Comparison(State.MERGED, merged=merged)
    return Comparison(State.CONFLICT, fields=tuple(fields))


@dataclass(frozen=True)
class Conflict:
    """A record changed on both sides, printed as the maintainer needs to find it."""

    path: str
    fields: tuple
    who: str  # "by alice, 2026-11-29 10:04 UTC", or where the change was made

    def __str__(self):
        fields = ", ".join(self.fields)
        return f"{self.path}: {fields}: changed in the file and in the admin ({self.who})"


ON_CONFLICT = ("stop", "files", "database")
ON_CONFLICT_HELP = (
    "a record changed both in its file and in the admin: stop (default, nothing is written), "
    "or take the files' or the database's version (the other is kept as a revision)"
)


def side_by_side(theirs, yours):
    """Rows ``(kind, their line, your line)`` of the two versions' files, for a table."""
    left = serialise(theirs).splitlines()
    right = serialise(yours).splitlines() if yours is not None else []
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right).get_opcodes():
        for n in range(max(i2 - i1, j2 - j1)):
            rows.append(
                (
                    tag,
                    left[i1 + n] if i1 + n < i2 else "",
                    right[j1 + n] if j1 + n < j2 else "",
                )
            )
    return rows
