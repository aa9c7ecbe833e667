"""Write the database back to the content folder: plan first, then write file by file.

A file is rewritten only when what it says differs from its record: each existing file is
parsed and compared with the record as the file format describes it (catalog.write.records), so an
unchanged record leaves its file's bytes and modification time alone, whatever quoting style
the file was written in. Changed and new records are written in the canonical layout
(catalog.fileformat.serialise_*), each atomically. Files of renamed records are removed;
files of records that no longer exist are reported, and removed with ``prune``. Every file to
be written is first read back by the file format's own validator: if any record would make an
invalid file, nothing is written.

Against each record's sync base (catalog.fileformat.merge) the export writes only what changed
in the admin, merges changes to different fields, leaves files that changed since the base alone
(they are newer: import them), and stops on conflicts unless told which side wins.
"""

from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from catalog.fileformat import (
    ContentError,
    GuideFile,
    parse_category,
    parse_guide,
    serialise_category,
    serialise_guide,
)
from catalog.fileformat.files import write_atomic
from catalog.fileformat.merge import Conflict, State, pair_up
from catalog.fileformat.rules import is_public
from catalog.models import Category, Guide
from catalog.pipeline.media import plan_copies, write_copies
from catalog.write.changes import keep_losing_versions, settle_deletions
from catalog.write.records import (
    SYNC_BASE_FIELDS,
    changed_by,
    pending_deletions,
    stored_categories,
    stored_guides,
    sync_base_values,
)


@dataclass
class ExportPlan:
    root: Path = None
    write: list[tuple[Path, str, str]] = field(default_factory=list)  # path, text, "new"/"changed"
    remove: list[tuple[Path, str]] = field(default_factory=list)  # path, why
    unchanged: int = 0
    problems: list = field(default_factory=list)  # records no file may hold: nothing written
    newer: list[Path] = field(default_factory=list)  # files changed since the base: import them
    conflicts: list[Conflict] = field(default_factory=list)
    # After the files are written: (model, id, new base) for each record, and the versions a
    # chosen side of a conflict replaced, kept as revisions.
    bases: list = field(default_factory=list)
    losers: list = field(default_factory=list)
    set_aside: list[Conflict] = field(default_factory=list)  # conflicts left as they are
    copies: list = field(default_factory=list)  # uploads to copy into public/ (pipeline.media)
    held: list[str] = field(default_factory=list)  # drafts kept out of the files
    # Pending admin deletions: carried to the files (model, slug); a file's version that lost
    # to one (model, slug, file form); deletions undone because the file's side won.
    deletions_done: list = field(default_factory=list)
    moved: list = field(default_factory=list)
    undeleted: list = field(default_factory=list)

    @property
    def changes(self):
        return len(self.write) + len(self.remove) + len(self.copies)


KINDS = (
    ("categories", Category, stored_categories, parse_category, serialise_category),
    ("guides", Guide, stored_guides, parse_guide, serialise_guide),
)


def is_held(pair, now):
    """Whether a guide's pair is a draft made in the admin (or one scheduled for later) that
    no file has held yet: with ``hold_drafts`` it stays out of the files until published."""
    item = pair.record.file if pair.record is not None else None
    return (
        pair.state is State.NEW_RECORD
        and isinstance(item, GuideFile)
        and not is_public(item.draft, item.publish_at, now)
    )


def build_export_plan(
    root: str | Path, *, prune: bool = False, on_conflict="stop", hold_drafts=False
) -> ExportPlan:
    """Decide, pair by pair by the sync rules (catalog.fileformat.merge), what to write.

    ``prune`` is kept for scripts and changes nothing: a deletion in the admin is carried to
    the files by every export, and a file no record claims is a new file to import.
    ``hold_drafts``: drafts made in the admin stay out of the files until published
    (``plan.held``); a draft that came from the files is written like any record.
    """
    root = Path(root)
    plan = ExportPlan(root=root)
    deleted = pending_deletions()
    held = (lambda pair: is_held(pair, timezone.now())) if hold_drafts else (lambda pair: False)
    for kind, model, stored, parse, serialise in KINDS:
        records = stored()
        folder = root / kind
        _plan_kind(plan, folder, deleted[kind], model, records, parse, serialise, on_conflict, held)
        plan.copies += plan_copies((record.file for record in records.values()), root)
    return plan


def _plan_kind(plan, folder, deleted, model, records, parse, serialise, on_conflict, held):
    """One kind's part of an export plan."""
    files, unreadable = _read_files(folder, parse)
    written = set()

    def write(record, item, how, path_slug, *, base=None):
        path = folder / f"{item.slug}.md"
        plan.write.append((path, serialise(item), how))
        written.add(path)
        plan.bases.append((model, record.id, base or record.file))
        if path_slug is not None and path_slug != item.slug:
            plan.remove.append((folder / f"{path_slug}.md", "renamed"))

    for pair in pair_up(files, records, deleted):
        record, item, state = pair.record, pair.item, pair.state
        where = record and (record.base.slug if record.base else record.file.slug)
        if record is not None and item is None and where in unreadable:
            path = unreadable[where]
            if record.base is not None and record.file == record.base:
                plan.newer.append(path)  # changed (and invalid): import_guides --check says how
            else:
                write(record, record.file, "changed", None)
            continue
        if state is State.IN_STEP:
            plan.unchanged += 1
            if record.base != record.file:
                plan.bases.append((model, record.id, record.file))
        elif state is State.NEW_RECORD and held(pair):
            plan.held.append(record.file.slug)
        elif state is State.NEW_RECORD:
            write(record, record.file, "new", None)
        elif state is State.DATABASE_CHANGED:
            write(record, record.file, "changed", pair.path_slug)
        elif state is State.MERGED and pair.comparison.merged.slug == item.slug:
            write(record, pair.comparison.merged, "merged", pair.path_slug)
        elif state is State.RECORD_DELETED:
            plan.remove.append((folder / f"{item.slug}.md", "deleted in the admin"))
            plan.deletions_done.append((model, item.slug))
        elif state is not State.CONFLICT:  # changed, new or deleted in the files
            plan.newer.append(folder / f"{pair.path_slug or pair.slug}.md")
        else:
            _decide(plan, pair, on_conflict, write, folder, model)
    for path, text, _ in plan.write:
        if path.parent == folder:
            _check_written(parse, path, text, plan.problems)
    # A file written by one pair is never removed for another (a slug given up by one
    # record and taken by another in the same run).
    plan.remove = [(path, why) for path, why in plan.remove if path not in written]


def _read_files(folder, parse):
    """The folder's files by slug, and the paths of those that cannot be read as files of
    this kind (their records are compared with nothing)."""
    files, unreadable = {}, {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        try:
            files[path.stem] = parse(path.stem, path.read_bytes(), path)
        except (ContentError, OSError):
            unreadable[path.stem] = path
    return files, unreadable


def _decide(plan, pair, on_conflict, write, folder, model):
    """A conflict: stopped, set aside, or written for the side ``on_conflict`` names; the
    other side is kept (as a revision, or a Deletion)."""
    record, item = pair.record, pair.item
    conflict = pair.conflict(lambda slug: str(folder / f"{slug}.md"), changed_by)
    if on_conflict == "stop":
        plan.conflicts.append(conflict)
    elif on_conflict == "skip" or (record is None and pair.deleted is None):
        plan.set_aside.append(conflict)
    elif on_conflict == "database":
        if record is not None:
            write(record, record.file, "changed", pair.path_slug)
            if item is not None:
                plan.losers.append((model, record.id, item))
        else:  # the deletion stands: the file goes, its version kept
            plan.remove.append((folder / f"{item.slug}.md", "deleted in the admin"))
            plan.deletions_done.append((model, item.slug))
            plan.moved.append((model, item.slug, item))
    elif record is not None:  # the files' side: the import takes it
        plan.newer.append(folder / f"{pair.path_slug or pair.slug}.md")
        if item is not None:
            # The base the record will be taken from: the record as it is, where the file is.
            plan.bases.append((model, record.id, dataclass_replace(record.file, slug=item.slug)))
        else:  # the import deletes it (kept, restorable)
            plan.bases.append((model, record.id, record.file))
        plan.losers.append((model, record.id, record.file))
    else:  # the file comes back: the admin's deletion no longer stands
        plan.newer.append(folder / f"{item.slug}.md")
        plan.undeleted.append((model, item.slug))


def _check_written(parse, path, text, problems):
    """A file is written only if the file format accepts it back: the same validator as the
    importer's, so a record stored before a rule existed (or by hand) is reported instead."""
    try:
        parse(path.stem, text.encode("utf-8", "surrogatepass"), path)
    except ContentError as exc:
        problems.extend(p for p in exc.problems if p.severity == "error")


def apply_export_plan(plan: ExportPlan) -> None:
    """Write and remove what the plan says; each file is replaced atomically.

    Then the sync bases move to what the files now hold. If the run stops in between, the
    next export finds files and records in step and only moves the bases. Uploads are
    copied first, so that no file names an image the folder does not hold yet.
    """
    root = plan.root
    write_copies(plan.copies, root)
    for path, text, _ in plan.write:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            exc.filename = exc.filename or str(path)
            raise
    for path, _ in plan.remove:
        path.unlink(missing_ok=True)
    now = timezone.now()
    with transaction.atomic():
        for model in (Category, Guide):
            settle_deletions(
                model,
                done=[slug for m, slug in plan.deletions_done + plan.undeleted if m is model],
                moved=[(slug, item) for m, slug, item in plan.moved if m is model],
            )
        for model in (Category, Guide):
            model.objects.bulk_update(
                [
                    model(pk=pk, **sync_base_values(base, now))
                    for m, pk, base in plan.bases
                    if m is model
                ],
                SYNC_BASE_FIELDS,
                batch_size=500,
            )
            keep_losing_versions(model, [(pk, item) for m, pk, item in plan.losers if m is model])
