"""The database's guides and categories as the file format describes them.

Import and export both compare a file with what the database holds; they do it through these
functions, so "unchanged" means the same thing in both directions. An uploaded diagram is
described by the URL that serves it, which is what an exported file's ``image`` says.
"""

import datetime
import functools
import gc
from collections import defaultdict
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import Case, F, TextField, Value, When

from catalog.fileformat import CATEGORY, GUIDE, CategoryFile, GuideFile, from_data, to_data
from catalog.models import (
    Category,
    Deletion,
    Guide,
    GuideCategory,
    GuideRevision,
    TaggedGuide,
)

# The record's fields that hold what its file holds: each key's model field (the schema's),
# then the body and the extra keys. Categories and tags are links, read and written apart.
CATEGORY_FIELDS = (*CATEGORY.model_fields, "body", "extra")
GUIDE_FIELDS = (*GUIDE.model_fields, "body", "extra")


@dataclass(frozen=True)
class StoredRecord:
    id: int
    file: CategoryFile | GuideFile  # what the record says, in the file form
    rendered_with: int
    base: CategoryFile | GuideFile | None = None  # the sync base (catalog.fileformat.merge)


def record_values(item, names):
    """Model field values for a file-form ``item``: the one mapping from file to record."""
    attrs = {key.model_field: key.attr for key in item.schema.keys if key.model_field}
    values = {}
    for name in names:
        if name == "extra":
            values[name] = [list(pair) for pair in item.extra]
        else:
            values[name] = getattr(item, attrs.get(name, name))
    return values


def _file_values(schema, field_value):
    """The file form's values of the keys a record holds in fields, ``field_value(name)``
    giving each model field's value: the one mapping from record to file."""
    return {key.attr: field_value(key.model_field) for key in schema.keys if key.model_field}


def _extra(value):
    return tuple((key, item) for key, item in value or ())


SYNC_BASE_FIELDS = ("synced", "synced_body", "synced_at")


def sync_base_values(base, now) -> dict:
    """The field values (``SYNC_BASE_FIELDS``) that make the file form ``base`` a record's
    sync base as of ``now``: the one way a base is written.

    The body is kept apart from the rest of the base, as text: it is most of a base, and for
    every record in step with its file it is the record's own, so reading it back (and
    decoding it from JSON) for every record was most of what an import that changes nothing
    spent after reading the files. :func:`_stored_rows` reads it only where it differs.
    """
    data = to_data(base)
    body = data.pop("body")
    return {"synced": data, "synced_body": body, "synced_at": now}


def _stored_rows(model, *names):
    """The rows of ``model`` with ``names``, ``body``, the sync base's ``synced`` and
    ``base_body``: the base's body, None where it is the record's own.

    An import reads every row, so what it reads is kept to what deciding needs: ``extra``
    is None where it is empty (most records: no JSON decoded), and when a record last
    changed is asked only for a conflict (:func:`changed_by`).
    """
    return (
        model.objects.order_by()
        .annotate(
            base_body=Case(
                When(synced_body=F("body"), then=Value(None)),
                default=F("synced_body"),
                output_field=TextField(),
            ),
            extra_items=Case(When(extra=[], then=Value(None)), default=F("extra")),
        )
        .values(
            *dict.fromkeys(
                ("id", "rendered_with", "slug", "body", "synced", "base_body")
                + tuple("extra_items" if name == "extra" else name for name in names)
            )
        )
    )


def _base(kind, row):
    """The sync base of a row of :func:`_stored_rows` (None for a record never in step)."""
    if row["synced"] is None:
        return None
    body = row["body"] if row["base_body"] is None else row["base_body"]
    return from_data(kind, {**row["synced"], "body": body})


def _without_cycle_collection(build):
    """Run ``build`` with Python's cyclic garbage collector paused.

    Building every stored record allocates a dozen objects per record, none of them in a
    reference cycle (refcounting frees whatever is dropped), yet each allocation burst sets
    off full collections that walk the whole heap, the files just read included. Cycles made
    meanwhile are collected after.
    """

    @functools.wraps(build)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return build(*args, **kwargs)
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@_without_cycle_collection
def stored_categories() -> dict[str, StoredRecord]:
    rows = _stored_rows(Category, *CATEGORY_FIELDS)
    return {
        row["slug"]: StoredRecord(
            row["id"],
            CategoryFile(
                slug=row["slug"],
                **_file_values(CATEGORY, row.__getitem__),
                body=row["body"],
                extra=_extra(row["extra_items"]),
            ),
            row["rendered_with"],
            _base(CategoryFile, row),
        )
        for row in rows
    }


@_without_cycle_collection
def stored_guides() -> dict[str, StoredRecord]:
    categories = defaultdict(list)
    for guide_id, slug in GuideCategory.objects.order_by("guide_id", "position").values_list(
        "guide_id", "category__slug"
    ):
        categories[guide_id].append(slug)
    tags = defaultdict(list)
    for guide_id, label in TaggedGuide.objects.order_by(
        "content_object_id", "position"
    ).values_list("content_object_id", "label"):
        tags[guide_id].append(label)
    rows = _stored_rows(Guide, "diagram", *GUIDE_FIELDS)
    return {
        row["slug"]: StoredRecord(
            row["id"],
            GuideFile(
                slug=row["slug"],
                **{
                    **_file_values(GUIDE, row.__getitem__),
                    "image": default_storage.url(row["diagram"])
                    if row["diagram"]
                    else row["image"],
                },
                categories=tuple(categories[row["id"]]),
                tags=tuple(tags[row["id"]]),
                body=row["body"],
                extra=_extra(row["extra_items"]),
            ),
            row["rendered_with"],
            _base(GuideFile, row),
        )
        for row in rows
    }


def pending_deletions() -> dict:
    """The sync bases of records deleted in the admin whose files may still be there: by
    kind ("guides", "categories"), then by the slug of that file (the newest deletion of a
    slug). One query for both kinds."""
    bases = {"guides": {}, "categories": {}}
    file_class = {"guides": GuideFile, "categories": CategoryFile}
    for kind, base in Deletion.objects.filter(pending=True).values_list("kind", "base"):
        bases[kind].setdefault(base["slug"], from_data(file_class[kind], base))
    return bases


def changed_by(record):
    """Who made a stored record's latest change in the admin, and when, for a conflict
    report."""
    is_guide = isinstance(record.file, GuideFile)
    model = Guide if is_guide else Category
    updated_at = model.objects.values_list("updated_at", flat=True).get(pk=record.id)
    revision = _revision_behind(record.id, updated_at) if is_guide else None
    if revision is not None and revision.source != "import":
        who = revision.author.get_username() if revision.author else "someone"
        return f"by {who}, {revision.created_at:%Y-%m-%d %H:%M} UTC"
    return f"in the admin, {updated_at:%Y-%m-%d %H:%M} UTC"


def file_form(record, *, uploads_as_urls=True):
    """One record (a Guide or Category instance, links prefetched) in the file form.

    An uploaded diagram is its URL in ``image`` (what an exported file says), unless
    ``uploads_as_urls`` is false (a revision, which keeps the upload's name apart).
    """
    common = {"slug": record.slug, "body": record.body, "extra": _extra(record.extra)}
    field = functools.partial(getattr, record)
    if not isinstance(record, Guide):
        return CategoryFile(**_file_values(CATEGORY, field), **common)
    values = _file_values(GUIDE, field)
    if record.diagram and uploads_as_urls:
        values["image"] = record.diagram.url
    return GuideFile(
        **values,
        categories=tuple(link.category.slug for link in record.category_links.all()),
        tags=tuple(item.spelling for item in record.tagged_items.all()),
        **common,
    )


def last_author(record):
    """The user whose admin change made a record (a Guide instance) what it is now, or None
    (an import, a sync, a category, or no revision to say)."""
    if not isinstance(record, Guide):
        return None
    revision = _revision_behind(record.pk, record.updated_at)
    return revision.author if revision is not None else None


def last_change(record):
    """Who last changed a record (a Guide or Category instance), how and when, in words."""
    when = f"{record.updated_at:%Y-%m-%d %H:%M:%S} UTC"
    revision = _revision_behind(record.pk, record.updated_at) if isinstance(record, Guide) else None
    if revision is not None:
        who = revision.author.get_username() if revision.author else "an import or a sync"
        return f"{who} ({revision.source}), {when}"
    return when


def _revision_behind(guide_id, updated_at):
    """The guide's latest revision if it is the change that made the guide what it is now
    (written with it), else None: an older revision does not say who made a newer change."""
    revision = GuideRevision.objects.filter(guide_id=guide_id).select_related("author").first()
    if revision is not None and revision.created_at >= updated_at - SAME_CHANGE:
        return revision
    return None


SAME_CHANGE = datetime.timedelta(seconds=5)  # a save and its revision, written together
