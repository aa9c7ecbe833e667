"""Two views of one truth: how a record in the database and its file compare.

Every guide and category keeps a *sync base*: its file form when the database and the files
last agreed (``Content.synced``, written by every import and export). The base holds the slug,
so it also says where the record's file was then (``guides/<slug>.md``): a record is paired
with its file by that path, not by its current slug, so a rename on either side is a change
of the slug field like any other. A record deleted in the admin leaves a *deletion* holding
its base until the files have it too (catalog.models.Deletion).

Against its base, a pair of a record and a file (either may be missing) is

- ``IN_STEP``: the database and the file say the same;
- ``FILE_CHANGED``: only the file moved on since the base (a contributor's commit, a rename
  in git): an import takes it, an export leaves the file alone and says it is newer;
- ``DATABASE_CHANGED``: only the database moved on (an editor's save, a rename): an export
  writes it (under the new name, the old file removed), an import keeps it and says so;
- ``MERGED``: both moved on, in different fields: the field-by-field merge is taken by both;
- ``NEW_FILE`` / ``NEW_RECORD``: only one side has it and it was never in step: the other
  side gets it;
- ``FILE_DELETED`` / ``RECORD_DELETED``: one side deleted it and the other did not change it
  since the base: the deletion is carried over;
- ``CONFLICT``: both changed the same field differently, one side deleted what the other
  changed, or both made a record under one slug with different contents. Nothing is
  written for it unless someone chooses a side (the Content sync page, or
  ``--on-conflict files|database``; the losing side is kept as a revision); ``skip`` sets it
  aside and goes on with the rest.

Plain logic over the file format's dataclasses; the importer and the exporter act on it.
"""

import difflib
import enum
import json
from dataclasses import dataclass

from catalog.fileformat.bodies import body_digest, resolved
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


def merge(base, ours, theirs, *, prefer=None):
    """Three-way merge of two versions of one record, key by key, each as its schema says
    (``Key.merges``; every key today merges whole).

    A field changed on one side only takes that side's value; changed on both sides to the
    same value, that value; changed on both sides differently, it is a conflict. Returns
    ``(merged, conflicting file keys)``; ``merged`` is None when any field conflicts. The
    body and the extra keys merge whole too (a body changed on both sides is a conflict,
    however far apart). ``prefer`` (``"ours"`` or ``"theirs"``) takes that side's value of a
    conflicting field instead, and the field is still listed.
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
            values[name] = {"ours": o, "theirs": t}.get(prefer)
    if conflicts and prefer is None:
        return None, conflicts
    return type(base)(**values), conflicts


# --- where a record stands -----------------------------------------------------------------


class State(enum.Enum):
    IN_STEP = "in step"
    FILE_CHANGED = "changed in the file"
    DATABASE_CHANGED = "changed in the admin"
    MERGED = "changed on both sides, merged"
    NEW_FILE = "new in the files"
    NEW_RECORD = "new in the admin"
    FILE_DELETED = "deleted in the files"
    RECORD_DELETED = "deleted in the admin"
    CONFLICT = "changed in the file and in the admin"


@dataclass(frozen=True)
class Comparison:
    state: State
    merged: object = None  # the merged record, for MERGED
    fields: tuple = ()  # the conflicting keys, for CONFLICT
    why: str = ""  # for CONFLICT: what each side did, in words


def differing_keys(one, other):
    """The file keys whose values differ between two versions of a record."""
    schema = one.schema
    return tuple(
        schema.key_of(name)
        for name in schema.data_fields()
        if getattr(one, name) != getattr(other, name)
    )


def compare(base, database, file) -> Comparison:
    """Where a record stands: ``base``, ``database`` and ``file`` are its file forms.

    Without a base the record was made on both sides under one slug (or predates sync
    bases): the same on both sides is in step, anything else is a conflict over what
    differs, never a silent winner.
    """
    if database == file:
        return Comparison(State.IN_STEP)
    if base is None:
        return _conflict(differing_keys(database, file), "made in the file and in the admin")
    if database == base:
        return Comparison(State.FILE_CHANGED)
    if file == base:
        return Comparison(State.DATABASE_CHANGED)
    merged, fields = merge(base, database, file)
    if merged is not None:
        return Comparison(State.MERGED, merged=merged)
    return _conflict(fields, CONFLICT_WHY)


CONFLICT_WHY = "changed in the file and in the admin"


def _conflict(fields, why):
    return Comparison(State.CONFLICT, fields=tuple(fields), why=why)


@dataclass(frozen=True)
class Pair:
    """One record's two sides: ``record`` (with ``.file``, its file form, and ``.base``, its
    sync base) and ``item``, its file's form, either None; ``deleted``, the base of a
    pending admin deletion of the file's record."""

    record: object
    item: object
    comparison: Comparison
    deleted: object = None

    @property
    def state(self):
        return self.comparison.state

    @property
    def slug(self):
        """What the pair is known by: the record's slug, else its file's."""
        return self.record.file.slug if self.record is not None else self.item.slug

    @property
    def path_slug(self):
        """Where its file is now (None: no file)."""
        return self.item.slug if self.item is not None else None

    @property
    def base(self):
        if self.record is not None and self.record.base is not None:
            return self.record.base
        return self.deleted

    def conflict(self, path_of, who):
        """The pair's conflict as reported: ``path_of(slug)`` names its file, ``who(record)``
        who changed the record (a pair without a record was deleted in the admin)."""
        return Conflict(
            path_of(self.path_slug or self.slug),
            self.comparison.fields,
            who(self.record) if self.record is not None else "deleted in the admin",
            self.comparison.why,
        )


# A file renamed in git is recognised when it holds at least this share of its old text (as
# git's own rename detection: a similarity index of 50%).
RENAME_SIMILARITY = 0.5
# Pairs of (file gone, new file) compared by similarity at most; past it only exact matches
# (the content unchanged but for the name) are recognised.
RENAME_CANDIDATES = 20_000


def pair_up(files: dict, records: dict, deleted: dict | None = None) -> list[Pair]:
    """Pair every record with its file and say where each pair stands.

    ``files``: slug -> file form; ``records``: slug -> record (``.file``, ``.base``);
    ``deleted``: path slug -> base of records deleted in the admin whose files may still be
    there. A record's file is the one at its base's path (its own slug without a base); a
    record whose file is gone is matched to a new file holding its base's content under
    another name (a rename in git); a new file under the slug of a record paired elsewhere,
    and a record renamed onto a slug a new file has, are conflicts.
    """
    deleted = deleted or {}
    pairs, unpaired = [], dict(files)
    gone = []  # records whose file is not at their base's path
    for slug, record in records.items():
        path = record.base.slug if record.base is not None else slug
        item = unpaired.pop(path, None)
        if item is None:
            gone.append(record)
        else:
            pairs.append((record, item))
    renamed = _renames(gone, unpaired)
    renamed_records = {record.file.slug for record, _ in renamed}
    for _, item in renamed:
        del unpaired[item.slug]
    result = []
    taken = {}  # a slug a record holds or will hold
    for record, item in pairs + renamed:
        result.append(_pair(record, item, deleted.get(record.file.slug)))
        taken[record.file.slug] = len(result) - 1
    for record in gone:
        if record.file.slug not in renamed_records:
            result.append(_pair(record, None, deleted.get(record.file.slug)))
            taken[record.file.slug] = len(result) - 1
    for slug, item in sorted(unpaired.items()):
        if slug in taken:
            other = result[taken[slug]]
            why = f"a new file has the slug the admin gave {_was(other)}"
            result[taken[slug]] = Pair(
                other.record, other.item, _conflict(("slug",), why), other.deleted
            )
            result.append(Pair(None, item, _conflict(("slug",), why)))
        elif slug in deleted:
            base = deleted[slug]
            if item == base:
                result.append(Pair(None, item, Comparison(State.RECORD_DELETED), base))
            else:
                result.append(
                    Pair(
                        None,
                        item,
                        _conflict(
                            differing_keys(base, item), "deleted in the admin, changed in the file"
                        ),
                        base,
                    )
                )
        else:
            result.append(Pair(None, item, Comparison(State.NEW_FILE)))
    return result


def _was(pair):
    base = pair.base
    return f"{base.slug!r}" if base is not None and base.slug != pair.slug else "its record"


def _pair(record, item, deleted_base):
    """A record and its file (or None); a pending deletion at the record's slug stands in for
    the base of a record made again in the admin after one was deleted there."""
    base = record.base if record.base is not None else deleted_base
    if item is None:
        if base is None:
            return Pair(record, None, Comparison(State.NEW_RECORD), deleted_base)
        if record.file == base:
            return Pair(record, None, Comparison(State.FILE_DELETED), deleted_base)
        return Pair(
            record,
            None,
            _conflict(
                differing_keys(base, record.file), "deleted in the files, changed in the admin"
            ),
            deleted_base,
        )
    return Pair(record, item, compare(base, record.file, item), deleted_base)


def _renames(gone, new_files):
    """``(record, file)`` for files renamed in git: a record whose file is gone, and a new
    file with its base's content under another slug (exactly, else the most similar above
    ``RENAME_SIMILARITY``)."""
    candidates = [r for r in gone if r.base is not None]
    if not candidates or not new_files:
        return []
    matches, free = [], dict(new_files)
    by_content = {}
    for item in free.values():
        by_content.setdefault(_without_slug(item), []).append(item)
    left = []
    for record in candidates:
        same = by_content.get(_without_slug(record.base))
        if same:
            item = same.pop(0)
            free.pop(item.slug)
            matches.append((record, item))
        else:
            left.append(record)
    if left and free and len(left) * len(free) <= RENAME_CANDIDATES:
        scored = []
        texts = {slug: _Chunks(serialise(resolved(item))) for slug, item in free.items()}
        for record in left:
            old = _Chunks(serialise(record.base))
            for slug, text in texts.items():
                ratio = old.similarity(text)
                if ratio >= RENAME_SIMILARITY:
                    scored.append((-ratio, record.file.slug, slug, record))
        used_records, used_files = set(), set()
        for _, record_slug, slug, record in sorted(scored, key=lambda s: s[:3]):
            if record_slug in used_records or slug in used_files:
                continue
            used_records.add(record_slug)
            used_files.add(slug)
            matches.append((record, free[slug]))
    return matches


class _Chunks:
    """A file's text as git's rename detection sees it: the bytes of each chunk (a line, or
    64 bytes of a longer one), counted by the chunk's content."""

    SIZE = 64

    def __init__(self, text):
        self.size = 0
        self.counts = {}
        for line in text.encode("utf-8", "surrogatepass").splitlines(keepends=True):
            for start in range(0, len(line), self.SIZE):
                chunk = line[start : start + self.SIZE]
                self.counts[chunk] = self.counts.get(chunk, 0) + len(chunk)
            self.size += len(line)

    def similarity(self, other):
        """The share of the larger text that the other holds too, chunk for chunk (git's
        similarity index), in time in proportion to the texts, whatever they hold: a
        character-level match took hours on two megabyte files of a repeated pattern."""
        larger = max(self.size, other.size)
        if not larger or min(self.size, other.size) < RENAME_SIMILARITY * larger:
            return 0.0 if larger else 1.0
        small, big = sorted((self.counts, other.counts), key=len)
        common = sum(min(n, big[chunk]) for chunk, n in small.items() if chunk in big)
        return common / larger


def _without_slug(item):
    """A record's content but for its name, as a key (extra values may be lists or maps;
    the body by its digest, held as text or on disk: catalog.fileformat.bodies)."""
    data = {**to_data(item), "slug": "", "body": body_digest(item.body).hex()}
    return json.dumps(data, sort_keys=True, default=str)


@dataclass(frozen=True)
class Conflict:
    """A record changed on both sides, printed as the maintainer needs to find it."""

    path: str
    fields: tuple
    who: str  # "by alice, 2026-11-29 10:04 UTC", or where the change was made
    why: str = CONFLICT_WHY

    def __str__(self):
        fields = f"{', '.join(self.fields)}: " if self.fields else ""
        return f"{self.path}: {fields}{self.why} ({self.who})"


ON_CONFLICT = ("stop", "skip", "files", "database")
ON_CONFLICT_HELP = (
    "a record changed both in its file and in the admin: stop (nothing is written), skip "
    "(set it aside, write the rest; decide it on the Content sync page), or take the files' "
    "or the database's version (the other is kept as a revision)"
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
