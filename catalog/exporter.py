"""Write the database back to the content folder: plan first, then write file by file.

A file is rewritten only when what it says differs from its record: each existing file is
parsed and compared with the record as the file format describes it (catalog.records), so an
unchanged record leaves its file's bytes and modification time alone, whatever quoting style
the file was written in. Changed and new records are written in the canonical layout
(catalog.fileformat.serialise_*), each atomically. Files of renamed records are removed;
files of records that no longer exist are reported, and removed with ``prune``. Every file to
be written is first read back by the file format's own validator: if any record would make an
invalid file, nothing is written.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .fileformat import (
    ContentError,
    parse_category,
    parse_guide,
    serialise_category,
    serialise_guide,
)
from .files import write_atomic
from .models import SlugRedirect
from .records import stored_categories, stored_guides


@dataclass
class ExportPlan:
    write: list[tuple[Path, str, str]] = field(default_factory=list)  # path, text, "new"/"changed"
    remove: list[tuple[Path, str]] = field(default_factory=list)  # path, why
    orphans: list[Path] = field(default_factory=list)  # no record; kept without prune
    unchanged: int = 0
    problems: list = field(default_factory=list)  # records no file may hold: nothing written

    @property
    def changes(self):
        return len(self.write) + len(self.remove)


KINDS = (
    ("categories", stored_categories, parse_category, serialise_category),
    ("guides", stored_guides, parse_guide, serialise_guide),
)


def build_export_plan(root: str | Path, *, prune: bool = False) -> ExportPlan:
    root = Path(root)
    plan = ExportPlan()
    renamed = set(SlugRedirect.objects.values_list("old_slug", flat=True))
    for kind, stored, parse, serialise in KINDS:
        folder = root / kind
        records = stored()
        for slug, record in sorted(records.items()):
            path = folder / f"{slug}.md"
            try:
                current = parse(slug, path.read_bytes(), path)
            except FileNotFoundError:
                plan.write.append((path, serialise(record.file), "new"))
                continue
            except (ContentError, OSError):
                current = None
            if current == record.file:
                plan.unchanged += 1
            else:
                plan.write.append((path, serialise(record.file), "changed"))
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
    """Write and remove what the plan says; each file is replaced atomically."""
    for path, text, _ in plan.write:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text.encode("utf-8"))
        except OSError as exc:
            exc.filename = exc.filename or str(path)
            raise
    for path, _ in plan.remove:
        path.unlink(missing_ok=True)
