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
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from catalog.fileformat import (
    ContentError,
    parse_category,
    parse_guide,
    serialise_category,
    serialise_guide,
)
from catalog.fileformat.files import write_atomic
from catalog.fileformat.merge import Conflict, State, compare
from catalog.models import Category, Guide, SlugRedirect
from catalog.write.changes import keep_losing_versions
from catalog.write.records import (
    SYNC_BASE_FIELDS,
    changed_by,
    stored_categories,
    stored_guides,
    sync_base_values,
)


@dataclass
class ExportPlan:
    write: list[tuple[Path, str, str]] = field(default_factory=list)  # path, text, "new"/"changed"
    remove: list[tuple[Path, str]] = field(default_factory=list)  # path, why
    orphans: list[Path] = field(default_factory=list)  # no record; kept without prune
    unchanged: int = 0
    problems: list = field(default_factory=list)  # records no file may hold: nothing written
    newer: list[Path] = field(default_factory=list)  # files changed since the base: import them
    conflicts: list[Conflict] = field(default_factory=list)
    # After the files are written: (model, id, new base) for each record, and the versions a
    # chosen side of a conflict replaced, kept as revisions.
    bases: list = field(default_factory=list)
    losers: list = field(default_factory=list)

    @property
    def changes(self):
        return len(self.write) + len(self.remove)


KINDS = (
    ("categories", Category, stored_categories, parse_category, serialise_category),
    ("guides", Guide, stored_guides, parse_guide, serialise_guide),
)


def build_export_plan(root: str | Path, *, prune: bool = False, on_conflict="stop") -> ExportPlan:
    """Decide, record by record by the sync rules (catalog.fileformat.merge), what to write."""
    root = Path(root)
    plan = ExportPlan()
    renamed = set(SlugRedirect.objects.values_list("old_slug", flat=True))
    for kind, model, stored, parse, serialise in KINDS:
        folder = root / kind
        records = stored()
        for slug, record in sorted(records.items()):
            path = folder / f"{slug}.md"
            try:
                current = parse(slug, path.read_bytes(), path)
            except FileNotFoundError:
                plan.write.append((path, serialise(record.file), "new"))
                plan.bases.append((model, record.id, record.file))
                continue
            except (ContentError, OSError):
                current = None
            if current is None:
                if record.base is not None and record.file == record.base:
                    plan.newer.append(path)  # changed (and invalid): import_guides --check says how
                else:
                    plan.write.append((path, serialise(record.file), "changed"))
                    plan.bases.append((model, record.id, record.file))
                continue
            comparison = compare(record.base, record.file, current)
            state = comparison.state
            if state is State.IN_STEP:
                plan.unchanged += 1
                if record.base != record.file:
                    plan.bases.append((model, record.id, record.file))
            elif state in (State.NO_BASE, State.DATABASE_CHANGED) or (
                state is State.CONFLICT and on_conflict == "database"
            ):
                plan.write.append((path, serialise(record.file), "changed"))
                plan.bases.append((model, record.id, record.file))
                if state is State.CONFLICT:
                    plan.losers.append((model, record.id, current))
            elif state is State.MERGED:
                plan.write.append((path, serialise(comparison.merged), "merged"))
                plan.bases.append((model, record.id, record.file))
            elif state is State.FILE_CHANGED:
                plan.newer.append(path)
            elif on_conflict == "files":
                plan.newer.append(path)
                plan.bases.append((model, record.id, record.file))
                plan.losers.append((model, record.id, record.file))
            else:
                plan.conflicts.append(Conflict(str(path), comparison.fields, changed_by(record)))
        for path, text, _ in plan.write:
            if path.parent == folder:
                _check_written(parse, path, text, plan.problems)
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else ():
            if path.stem in records:
                continue
            if path.stem in renamed:
                plan.remove.append((path, "renamed"))
            elif prune:
                plan.remove.append((path, "no record"))
            else:
                plan.orphans.append(path)
    return plan


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
    next export finds files and records in step and only moves the bases.
    """
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
