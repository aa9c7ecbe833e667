"""The Content sync page's view of the files and the database: where each record stands
against its sync base, side by side, and deciding a conflict for one record."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.fileformat import ContentError, parse_category, parse_guide, read_folder
from catalog.fileformat.merge import State, pair_up, side_by_side
from catalog.fileformat.rules import is_slug
from catalog.infra.git import Repo
from catalog.models import Category, Guide
from catalog.pipeline.exporter import is_held
from catalog.repository.sync import clone_data_dir, inside_clone
from catalog.write.changes import delete_many, keep_losing_versions, settle_deletions
from catalog.write.records import (
    changed_by,
    pending_deletions,
    stored_categories,
    stored_guides,
    sync_base_values,
)


@dataclass
class RecordStatus:
    kind: str  # "guides" or "categories"
    slug: str
    state: str
    rows: list = field(default_factory=list)  # side by side: (kind, database line, file line)
    who: str = ""
    fields: tuple = ()
    conflict: bool = False
    held: bool = False  # a draft kept out of the repository until published


def content_data_dir():
    """The folder the Content sync page compares with: the clone's, else GUIDES_DATA_DIR.
    SyncError if the clone's data folder leaves it."""
    if settings.GUIDES_CONTENT_REPO:
        repo = Repo(settings.GUIDES_CONTENT_REPO)
        if repo.is_work_tree():
            top = repo.top()
            return inside_clone(top, clone_data_dir(top))
    return Path(settings.GUIDES_DATA_DIR)


def sync_status(data_dir):
    """Every pair of a record and its file not in step, by kind and slug, with a side-by-side
    diff (catalog.fileformat.merge.pair_up: renames and deletions included)."""
    folder = read_folder(data_dir)
    unreadable = _unreadable(folder)
    deleted = pending_deletions()
    hold, now = settings.GUIDES_SYNC_DRAFTS == "hold", timezone.now()
    statuses = []
    for kind, files, rows in (
        ("categories", folder.categories, stored_categories()),
        ("guides", folder.guides, stored_guides()),
    ):
        for pair in sorted(pair_up(files, rows, deleted[kind]), key=lambda p: p.slug):
            if pair.state is State.IN_STEP:
                continue
            record, item = pair.record, pair.item
            if item is None and (kind, pair.slug) in unreadable:
                statuses.append(RecordStatus(kind, pair.slug, UNREADABLE))
                continue
            state = pair.comparison.why or pair.state.value
            if pair.path_slug is not None and record is not None and pair.path_slug != pair.slug:
                state += f" (its file: {pair.path_slug}.md)"
            held = hold and kind == "guides" and is_held(pair, now)
            if held:
                state += ": a draft, held out of the repository until it is published"
            statuses.append(
                RecordStatus(
                    kind,
                    pair.slug,
                    state,
                    _rows(record.file if record else None, item),
                    changed_by(record) if record is not None else "",
                    pair.comparison.fields,
                    conflict=pair.state is State.CONFLICT,
                    held=held,
                )
            )
    return statuses, folder.errors


# A record whose file is there but invalid is not "deleted in the files": nothing is decided
# for it until the file is fixed.
UNREADABLE = "its file cannot be read (see below); nothing is decided until it is fixed"


def _unreadable(folder):
    """The files present but invalid: {(kind, slug): their problems}."""
    found = {}
    for problem in folder.errors:
        path = Path(problem.path)
        if path.suffix == ".md" and path.parent.name in ("guides", "categories"):
            found.setdefault((path.parent.name, path.stem), []).append(problem)
    return found


def _rows(database, file):
    """Side by side: (kind, database line, file line); a missing side is empty."""
    if database is None:
        return [(kind, theirs, mine) for kind, mine, theirs in side_by_side(file, None)]
    return side_by_side(database, file)


class UnknownRecord(LookupError):
    """No such record, or no readable file of it inside the data folder, to decide for."""


def decide(kind, slug, side, data_dir, *, author=None):
    """Decide a conflict for one pair (known by its record's slug, else its file's): the next
    import (``"files"``) or export (``"database"``) takes that side, and the other is kept
    now, as a revision or a Deletion. Returns the record's title (the file's, if there is no
    record). UnknownRecord if there is no such conflict; ContentError if the file is invalid."""
    if not is_slug(slug):  # a name no file can have
        raise UnknownRecord(f"{kind}/{slug[:40]!r}: no such conflict")
    model = Guide if kind == "guides" else Category
    root = Path(os.path.realpath(data_dir))
    folder = read_folder(root)
    files = folder.guides if kind == "guides" else folder.categories
    rows = stored_guides() if kind == "guides" else stored_categories()
    pair = next(
        (
            p
            for p in pair_up(files, rows, pending_deletions()[kind])
            if p.slug == slug and p.state is State.CONFLICT
        ),
        None,
    )
    if pair is None:
        _raise_for_file(root / kind / f"{slug}.md", kind, slug)
        raise UnknownRecord(f"{kind}/{slug}: no such conflict")
    record, item = pair.record, pair.item
    if item is None and (kind, slug) in (unreadable := _unreadable(folder)):
        raise ContentError(unreadable[kind, slug])
    title = (record.file if record is not None else item).title
    with transaction.atomic():
        if record is None:
            if pair.deleted is None:  # a new file under a slug a record holds
                raise UnknownRecord(f"{kind}/{slug}: decide it with the record that holds it")
            if side == "files":  # the file comes back at the next import
                settle_deletions(model, done=[item.slug])
            else:  # the deletion stands: the file's version kept, the export removes it
                settle_deletions(model, moved=[(item.slug, item)])
            return title
        if item is None:
            if side == "files":  # deleted in the files: so is the record, kept restorable
                delete_many(model.objects.filter(pk=record.id), author=author)
            else:  # the export writes the admin's version again
                model.objects.filter(pk=record.id).update(synced=None, synced_at=None)
            return title
        if side == "files":
            keep, base = record.file, replace(record.file, slug=item.slug)
        else:
            keep, base = item, item
        keep_losing_versions(model, [(record.id, keep)])
        model.objects.filter(pk=record.id).update(**sync_base_values(base, timezone.now()))
    return title


def _raise_for_file(path, kind, slug):
    """An invalid file at the slug says why (ContentError), so the page can show it."""
    real = Path(os.path.realpath(path))
    if real.is_file() and real.is_relative_to(path.parent.parent):
        parse = parse_guide if kind == "guides" else parse_category
        parse(slug, real.read_bytes(), path)
