"""The Content sync page's view of the files and the database: where each record stands
against its sync base, side by side, and deciding a conflict for one record."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.fileformat import parse_category, parse_guide, read_folder
from catalog.fileformat.merge import State, compare, side_by_side
from catalog.infra.git import Repo
from catalog.models import Category, Guide
from catalog.repository.sync import clone_data_dir, inside_clone
from catalog.write.changes import keep_losing_versions
from catalog.write.records import changed_by, stored_categories, stored_guides, sync_base_values


@dataclass
class RecordStatus:
    kind: str  # "guides" or "categories"
    slug: str
    state: str
    rows: list = field(default_factory=list)  # side by side: (kind, database line, file line)
    who: str = ""
    fields: tuple = ()


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
    """Every record not in step with its file, by kind and slug, with a side-by-side diff."""
    folder = read_folder(data_dir)
    statuses = []
    for kind, files, rows in (
        ("categories", folder.categories, stored_categories()),
        ("guides", folder.guides, stored_guides()),
    ):
        for slug in sorted(set(files) | set(rows)):
            item, record = files.get(slug), rows.get(slug)
            if record is None:
                statuses.append(RecordStatus(kind, slug, "only in the files: import it"))
                continue
            if item is None:
                statuses.append(RecordStatus(kind, slug, "only in the database: export it"))
                continue
            comparison = compare(record.base, record.file, item)
            if comparison.state is State.IN_STEP:
                continue
            statuses.append(
                RecordStatus(
                    kind,
                    slug,
                    comparison.state.value,
                    side_by_side(record.file, item),
                    changed_by(record),
                    comparison.fields,
                )
            )
    return statuses, folder.errors


class UnknownRecord(LookupError):
    """No such record, or no readable file of it inside the data folder, to decide for."""


def decide(kind, slug, side, data_dir):
    """Decide a conflict for one record: the next import (``"files"``) or export
    (``"database"``) takes that side. The other side is kept as a revision now.
    UnknownRecord if the record or its file is not there; ContentError if the file is
    invalid."""
    model = Guide if kind == "guides" else Category
    record = (stored_guides() if kind == "guides" else stored_categories()).get(slug)
    path = Path(data_dir) / kind / f"{slug}.md"
    real = Path(os.path.realpath(path))
    if record is None or not real.is_relative_to(os.path.realpath(data_dir)):
        raise UnknownRecord(f"{kind}/{slug}: no such record")
    parse = parse_guide if kind == "guides" else parse_category
    try:
        raw = real.read_bytes()
    except OSError:
        raise UnknownRecord(f"{path}: cannot be read") from None
    item = parse(slug, raw, path)
    keep, base = (record.file, record.file) if side == "files" else (item, item)
    with transaction.atomic():
        keep_losing_versions(model, [(record.id, keep)])
        model.objects.filter(pk=record.id).update(**sync_base_values(base, timezone.now()))
