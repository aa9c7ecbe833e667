"""Load a content folder into the database: first a plan, then one transaction that applies it.

:func:`build_plan` reads the folder (see :mod:`catalog.fileformat`) and the database and
decides, record by record, what to create, update, leave alone or delete; it writes nothing,
so ``--dry-run`` is simply a plan that is printed. :func:`apply_plan` carries a plan out in a
single transaction with bulk statements, so an import is all or nothing and its cost grows
with the number of changed records, not with the size of the collection.

"Unchanged" compares what a file says with what the database holds, field by field
(including the order of categories and tags and the extra frontmatter keys), so a record
edited in the admin is put back to what its file says, and an unchanged folder writes nothing.
"""

from __future__ import annotations

import datetime
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from django.db import transaction
from django.utils import timezone
from PIL import Image

from catalog.fileformat import (
    ContentError,
    ContentFolder,
    Problem,
    image_reference,
    slug_clash_problem,
    tag_text,
)
from catalog.fileformat.bodies import resolved
from catalog.fileformat.files import file_inside
from catalog.fileformat.merge import Conflict, State, pair_up
from catalog.fileformat.rendering import stored_rendering
from catalog.fileformat.rules import site_link
from catalog.infra.db import backend
from catalog.infra.git import last_commit_times
from catalog.models import (
    Category,
    Guide,
    GuideCategory,
    GuideRevision,
    Tag,
    TaggedGuide,
    TagStats,
)
from catalog.pipeline.searchdocs import SearchDocuments
from catalog.search import documents_given
from catalog.write import tasks, versions
from catalog.write.changes import (
    keep_losing_versions,
    rename_records,
    revision_values,
    settle_deletions,
    trash,
)
from catalog.write.links import create_tags, write_links
from catalog.write.records import (
    CATEGORY_FIELDS,
    GUIDE_FIELDS,
    SYNC_BASE_FIELDS,
    changed_by,
    pending_deletions,
    record_values,
    stored_categories,
    stored_guides,
    sync_base_values,
)


@dataclass
class KindPlan:
    """What an import does to one kind of record (categories or guides), pair by pair
    (catalog.fileformat.merge.pair_up).

    ``update`` holds what each changed record becomes (a file's content, or a merge of the
    file's and the admin's changes), ``renames`` ``(id, old slug, new slug)`` for those
    whose slug changes with it; ``bases`` the sync base each written record gets (the file's
    content); ``rebase`` records whose content stays but whose base moves to the file
    (``unbase``: whose base is cleared, so that the export writes their file again);
    ``kept`` admin edits the files do not have yet; ``new_records`` records made in the
    admin that have no file yet; ``delete`` records whose file was deleted (each kept as a
    Deletion, restorable); ``set_aside`` conflicts left as they are (``skip``); ``losers``
    the versions a chosen side of a conflict replaced, kept as revisions;
    ``undelete``/``redelete`` pending admin deletions a chosen side ends or moves on.
    """

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    renames: list = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    deleted: dict = field(default_factory=dict)  # slug -> (file form, source)
    ids: dict[str, int] = field(default_factory=dict)
    bases: dict = field(default_factory=dict)
    rebase: list = field(default_factory=list)
    unbase: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    new_records: list[str] = field(default_factory=list)
    awaiting_removal: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    set_aside: list[Conflict] = field(default_factory=list)
    losers: list = field(default_factory=list)
    undelete: list[str] = field(default_factory=list)
    redelete: list = field(default_factory=list)  # (slug, file form now in the file)
    deletions_done: list[str] = field(default_factory=list)  # pending deletions carried
    times: dict = field(default_factory=dict)  # slug -> when its content last changed

    @property
    def changes(self):
        return len(self.create) + len(self.update) + len(self.delete)


@dataclass
class ImportPlan:
    categories: KindPlan
    guides: KindPlan
    tags_create: list[str] = field(default_factory=list)
    tags_delete: list[str] = field(default_factory=list)
    tags_unchanged: int = 0
    image_sizes: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def changes(self):
        return (
            self.categories.changes
            + self.guides.changes
            + len(self.tags_create)
            + len(self.tags_delete)
        )

    @property
    def writes(self):
        """Changes, sync bases to move and deletions to settle: what apply_plan writes."""
        return self.changes + sum(
            len(kind.rebase)
            + len(kind.unbase)
            + len(kind.deletions_done)
            + len(kind.undelete)
            + len(kind.redelete)
            for kind in (self.categories, self.guides)
        )


def _plan_kind(files, rows, deleted, prune, on_conflict, path_of, who) -> KindPlan:
    """Decide, pair by pair, by the sync rules (catalog.fileformat.merge)."""
    plan = KindPlan(ids={slug: record.id for slug, record in rows.items()})

    def update(record, item, merged=None):
        plan.update.append(merged or item)
        new = (merged or item).slug
        plan.bases[new] = item
        if new != record.file.slug:
            plan.renames.append((record.id, record.file.slug, new))
            plan.ids[new] = record.id

    pairs = pair_up(files, rows, deleted)
    for pair in pairs:
        record, item, state = pair.record, pair.item, pair.state
        if state is State.IN_STEP:
            plan.unchanged.append(record.file.slug)
            if record.base != item:
                plan.rebase.append((record.file.slug, item))
        elif state is State.FILE_CHANGED:
            update(record, item)
        elif state is State.MERGED:
            update(record, item, pair.comparison.merged)
            plan.merged.append(record.file.slug)
        elif state is State.DATABASE_CHANGED:
            plan.kept.append(record.file.slug)
        elif state is State.NEW_RECORD:
            plan.new_records.append(record.file.slug)
        elif state is State.NEW_FILE:
            plan.create.append(item)
            plan.bases[item.slug] = item
        elif state is State.FILE_DELETED:
            plan.delete.append(record.file.slug)
            plan.deleted[record.file.slug] = (record.file, "files")
        elif state is State.RECORD_DELETED:
            plan.awaiting_removal.append(item.slug)
        else:
            _decide(plan, pair, pair.conflict(path_of, who), on_conflict, update)
    holding = {
        pair.path_slug
        for pair in pairs
        if pair.state in (State.RECORD_DELETED, State.DATABASE_CHANGED, State.CONFLICT)
    }
    plan.deletions_done = sorted(set(deleted) - (holding - set(plan.undelete)))
    if prune:
        for slug in plan.new_records:
            plan.delete.append(slug)
            plan.deleted[slug] = (rows[slug].file, "prune")
        plan.new_records = []
    return plan


def _decide(plan, pair, conflict, on_conflict, update):
    """A conflict: stopped, set aside, or decided for the side ``on_conflict`` names."""
    record, item = pair.record, pair.item
    if on_conflict == "stop":
        plan.conflicts.append(conflict)
    elif on_conflict == "skip" or (record is None and pair.deleted is None):
        # A new file under a slug a record holds is decided with that record.
        plan.set_aside.append(conflict)
    elif on_conflict == "files":
        if record is not None and item is not None:
            update(record, item)
            plan.losers.append((item.slug, record.file))
        elif record is not None:  # the file was deleted: so is the record (kept, restorable)
            plan.delete.append(record.file.slug)
            plan.deleted[record.file.slug] = (record.file, "conflict")
        else:  # deleted in the admin, changed in the file: it comes back
            plan.create.append(item)
            plan.bases[item.slug] = item
            plan.undelete.append(item.slug)
    elif record is not None and item is not None:
        plan.kept.append(record.file.slug)
        plan.rebase.append((record.file.slug, item))
        plan.losers.append((record.file.slug, item))
    elif record is not None:  # the admin's version is written again by the export
        plan.unbase.append(record.file.slug)
        plan.kept.append(record.file.slug)
    else:  # the deletion stands: the export removes the file, its version kept
        plan.redelete.append((item.slug, item))
        plan.awaiting_removal.append(item.slug)


def build_plan(folder: ContentFolder, *, prune: bool = False, on_conflict="stop") -> ImportPlan:
    """Decide what importing ``folder`` changes.

    Raises ContentError if a file cannot be imported, and ConflictError if a record changed
    both in its file and in the admin and ``on_conflict`` is ``"stop"``.
    """
    problems = list(folder.errors)
    category_rows = stored_categories()
    guide_rows = stored_guides()
    deleted = pending_deletions()

    plan = ImportPlan(
        *(
            _plan_kind(
                files,
                rows,
                deleted[kind],
                prune,
                on_conflict,
                lambda slug, kind=kind: str(folder.root / kind / f"{slug}.md"),
                changed_by,
            )
            for kind, files, rows in (
                ("categories", folder.categories, category_rows),
                ("guides", folder.guides, guide_rows),
            )
        )
    )

    kept_categories = {  # the categories as they will be once the plan is applied
        *(s for s in category_rows if s not in _gone(plan.categories)),
        *(c.slug for c in plan.categories.create + plan.categories.update),
    }
    kept_guides = {
        **{s: r.file for s, r in guide_rows.items() if s not in _gone(plan.guides)},
        **{g.slug: g for g in plan.guides.create + plan.guides.update},
    }
    for slug in kept_guides:
        if slug in kept_categories and not (slug in folder.guides and slug in folder.categories):
            where = folder.root / "guides" / f"{slug}.md" if slug in folder.guides else None
            problems.append(
                Problem(
                    str(where or folder.root / "categories" / f"{slug}.md"),
                    1,
                    "slug",
                    slug_clash_problem(slug, "category" if slug in folder.guides else "guide"),
                )
            )
    deleted_categories = set(plan.categories.delete)
    users_of = defaultdict(list)  # a deleted category -> the kept guides that name it
    if deleted_categories:
        for guide_slug, guide in kept_guides.items():
            for category in deleted_categories.intersection(guide.categories):
                users_of[category].append(guide_slug)
    for slug in plan.categories.delete:
        users = sorted(users_of[slug])
        if users:
            problems.append(
                Problem(
                    str(folder.root / "categories"),
                    None,
                    None,
                    f"cannot delete category {slug!r}: guides {users[:5]} use it",
                )
            )
    if problems:
        raise ContentError(problems)
    conflicts = plan.categories.conflicts + plan.guides.conflicts
    if conflicts:
        raise ConflictError(conflicts)

    existing_tags = {name.casefold(): name for name in Tag.objects.values_list("name", flat=True)}
    spellings = defaultdict(Counter)  # a new tag is named by its most used spelling
    for slug in sorted(kept_guides):
        for label in kept_guides[slug].tags:
            spellings[label.casefold()][label] += 1
    used = {key: counts.most_common(1)[0][0] for key, counts in spellings.items()}
    plan.tags_create = [name for key, name in used.items() if key not in existing_tags]
    plan.tags_delete = sorted(name for key, name in existing_tags.items() if key not in used)
    plan.tags_unchanged = len(existing_tags) - len(plan.tags_delete)
    _content_times(folder, plan)
    public = folder.root / "public"
    plan.image_sizes = {
        g.slug: local_image_size(public, g.image) for g in plan.guides.create + plan.guides.update
    }
    return plan


def _gone(kind_plan):
    """Slugs a plan takes from the records: deleted, or renamed away from."""
    return {*kind_plan.delete, *(old for _, old, _ in kind_plan.renames)}


def _content_times(folder, plan):
    """When each written record's content last changed, for its "updated" date: the last
    commit of its file where git knows it, else for a new guide its ``createdAt`` (not the
    moment of the import), else now."""
    written = [
        (kind, plan_kind, item, is_new)
        for kind, plan_kind in (("categories", plan.categories), ("guides", plan.guides))
        for items, is_new in ((plan_kind.create, True), (plan_kind.update, False))
        for item in items
        if item.slug not in plan_kind.merged  # a merge is new content: it changed now
    ]
    if not written:
        return
    committed = last_commit_times(folder.root)
    root = Path(os.path.realpath(folder.root))
    for kind, plan_kind, item, is_new in written:
        when = committed.get(root / kind / f"{item.slug}.md") if committed else None
        if when is None and kind == "guides" and is_new:
            when = datetime.datetime.combine(item.created, datetime.time(), datetime.UTC)
        if when is not None:
            plan_kind.times[item.slug] = when


class ConflictError(Exception):
    """Records changed both in their files and in the admin: nothing was written."""

    def __init__(self, conflicts):
        self.conflicts = list(conflicts)
        super().__init__("\n".join(str(c) for c in self.conflicts))


def local_image_size(public: Path, image: str) -> tuple[int | None, int | None]:
    """Width and height of an image served from ``public/`` (a site path, or a relative path
    into ``public/``: catalog.fileformat.rules.site_link); (None, None) otherwise.

    Only the image header is read. Remote images are never fetched: their size stays unknown.
    """
    if image_reference(image)[0] == "relative":
        image = site_link(image) or ""
    if not image.startswith("/") or image.startswith("//"):
        return None, None
    path = file_inside(public / unquote(image.lstrip("/").split("?")[0]), public)
    if path is None:
        return None, None
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, Image.DecompressionBombError, ValueError):
        return None, None


def _apply_kind(model, names, kind_plan, now, derived=None, documents=None):
    """Create, update and delete one kind of record in bulk; return every slug's id.

    ``derived`` maps an item to extra field values that are not in the file (image sizes);
    ``documents`` (a SearchDocuments) gives the search documents of created records.
    """

    def values(item):
        # A body kept on disk (a large folder's) is read again here, as the row is written.
        base = kind_plan.bases[item.slug]
        written = resolved(item)
        base = written if base is item else resolved(base)
        return {
            **stored_rendering(written.body),
            "updated_at": kind_plan.times.get(item.slug, now),
            **sync_base_values(base, now),
            **record_values(written, names),
            **(derived(written) if derived else {}),
        }

    ids = dict(kind_plan.ids)
    if kind_plan.delete:  # first: a deleted record's slug may be taken again below
        trash(model, [(ids[slug], *kind_plan.deleted[slug]) for slug in kind_plan.delete])
        model.objects.filter(slug__in=kind_plan.delete).delete()
    if kind_plan.renames:
        rename_records(model, kind_plan.renames)
    if kind_plan.create:
        slugs = [i.slug for i in kind_plan.create]
        new_ids = backend().new_ids(model, len(slugs))
        rows = ({"slug": i.slug, "added_at": now, **values(i)} for i in kind_plan.create)
        if new_ids:
            rows = ({"id": pk, **row} for pk, row in zip(new_ids, rows, strict=True))
        given = bool(documents and documents.active)
        if given:
            rows = ({**row, "search_document": documents.given(row)} for row in rows)
        with documents_given(transaction.get_connection(), given):
            backend().insert_rows(model, rows)
        if new_ids:
            ids.update(zip(slugs, new_ids, strict=True))
        else:
            ids.update(model.objects.filter(slug__in=slugs).values_list("slug", "id"))
    if kind_plan.update:
        updates = [model(id=ids[i.slug], **values(i)) for i in kind_plan.update]
        model.objects.bulk_update(updates, list(values(kind_plan.update[0])), batch_size=200)
    if kind_plan.rebase:
        model.objects.bulk_update(
            [
                model(id=ids[slug], **sync_base_values(resolved(base), now))
                for slug, base in kind_plan.rebase
            ],
            SYNC_BASE_FIELDS,
            batch_size=500,
        )
    if kind_plan.unbase:
        model.objects.filter(slug__in=kind_plan.unbase).update(synced=None, synced_at=None)
    settle_deletions(
        model,
        done=[*kind_plan.deletions_done, *kind_plan.undelete],
        moved=[(slug, resolved(item)) for slug, item in kind_plan.redelete],
    )
    return ids


def apply_plan(plan: ImportPlan, documents: SearchDocuments | None = None) -> None:
    """Carry out a plan in one transaction; nothing is written if any statement fails.

    ``documents``, the SearchDocuments the files were read with, gives the search documents
    of new guides computed while reading; without it the trigger computes them.

    Every written record's body is rendered here (cmark-gfm: a fraction of a millisecond a
    body), so its stored HTML and plain text are current and no page, feed or search
    excerpt renders a body on a reader's request.
    """
    if not plan.writes:
        return
    now = timezone.now()
    with transaction.atomic(), versions.batch_of_changes():
        backend().bulk_write_settings()
        category_ids = _apply_kind(Category, CATEGORY_FIELDS, plan.categories, now)
        guide_ids = _apply_kind(
            Guide,
            GUIDE_FIELDS,
            plan.guides,
            now,
            derived=lambda g: {
                "tag_text": tag_text(g.tags),
                **dict(zip(("image_width", "image_height"), plan.image_sizes[g.slug], strict=True)),
            },
            documents=documents,
        )

        if plan.tags_create:
            create_tags(plan.tags_create)
        changed = plan.guides.create + plan.guides.update
        if changed:
            write_links(
                categories={
                    guide_ids[g.slug]: [category_ids[c] for c in g.categories] for g in changed
                },
                tags={guide_ids[g.slug]: g.tags for g in changed},
                replacing=[guide_ids[g.slug] for g in plan.guides.update],
            )
            backend().insert_rows(
                GuideRevision,
                (revision_values(guide_ids[g.slug], resolved(g), source="import") for g in changed),
            )
        keep_losing_versions(
            Category, [(category_ids[slug], item) for slug, item in plan.categories.losers]
        )
        keep_losing_versions(
            Guide, [(guide_ids[slug], resolved(item)) for slug, item in plan.guides.losers]
        )
        if plan.tags_delete:
            Tag.objects.filter(
                name__in=plan.tags_delete, catalog_taggedguide_items__isnull=True
            ).delete()
        if plan.changes:
            versions.bump()
        tasks.publish_at(g.publish_at for g in changed if not g.draft)
        analysed = [
            *((Category,) if _changes_much(plan.categories) else ()),
            *(GUIDE_TABLES if _changes_much(plan.guides) else ()),
        ]
        if analysed:
            transaction.on_commit(lambda: backend().analyse(analysed))


# The tables a large change of the guides changes, whose planner statistics the import
# refreshes once it is committed.
GUIDE_TABLES = (Guide, GuideCategory, TaggedGuide, Tag, TagStats, GuideRevision)


def _changes_much(kind_plan):
    """Whether the plan changes a large share of its table: more than 50 rows plus a tenth
    of those there were (PostgreSQL's own threshold for analysing a table again), so that
    the pages read right after it are planned for the table as it now is."""
    return kind_plan.changes > 50 + len(kind_plan.ids) // 10


def _listed(what, slugs, every=False):
    """One line naming ``slugs`` (the first ten), or, ``every``, a line each; none for none."""
    if not slugs:
        return []
    if every:
        return [f"{len(slugs)} {what}:", *(f"  {slug}" for slug in slugs)]
    more = " …" if len(slugs) > 10 else ""
    return [f"{len(slugs)} {what}: {', '.join(slugs[:10])}{more}"]


def plan_summary(plan: ImportPlan) -> list[str]:
    """Human-readable lines: counts per kind, then the records whose file has gone."""
    lines = []
    for label, kind in (("categories", plan.categories), ("guides", plan.guides)):
        lines.append(
            f"{label}: {len(kind.create)} created, {len(kind.update)} updated, "
            f"{len(kind.unchanged)} unchanged, {len(kind.delete)} deleted"
        )
    lines.append(
        f"tags: {len(plan.tags_create)} created, {plan.tags_unchanged} unchanged, "
        f"{len(plan.tags_delete)} deleted"
    )
    for label, kind in (("categories", plan.categories), ("guides", plan.guides)):
        if kind.kept:
            lines.append(
                f"kept {len(kind.kept)} admin edit(s) of {label} not yet in the files "
                f"(export them): {', '.join(kind.kept[:10])}"
                + (" …" if len(kind.kept) > 10 else "")
            )
        if kind.merged:
            lines.append(
                f"merged the file's and the admin's changes to {len(kind.merged)} {label}: "
                + ", ".join(kind.merged[:10])
            )
        if kind.losers:
            lines.append(
                f"{len(kind.losers)} conflict(s) in {label} decided for one side; the other "
                "side is kept as a revision: " + ", ".join(slug for slug, _ in kind.losers[:10])
            )
    for label, kind in (("categories", plan.categories), ("guides", plan.guides)):
        lines += _listed(f"renamed {label}", [f"{old} → {new}" for _, old, new in kind.renames])
        lines += _listed(
            f"deleted {label} whose file was deleted (restorable under Deleted records)",
            [slug for slug in kind.delete if kind.deleted[slug][1] != "prune"],
        )
        lines += _listed(
            f"pruned {label} that had no file (restorable under Deleted records)",
            [slug for slug in kind.delete if kind.deleted[slug][1] == "prune"],
        )
        lines += _listed(
            f"{label} new in the admin; the export writes their files", kind.new_records
        )
        lines += _listed(
            f"{label} deleted in the admin; the export removes their files", kind.awaiting_removal
        )
        lines += _listed(
            f"conflicts in {label} set aside (decide each on the Content sync page)",
            [str(conflict) for conflict in kind.set_aside],
            every=True,
        )
    return lines


__all__ = ["ConflictError", "ImportPlan", "KindPlan", "apply_plan", "build_plan", "plan_summary"]
