"""The one content-change step: how a guide or a category changes, whoever changes it.

An admin save, a restore, a publish or unpublish, an import and a sync all change content the
same way, in one transaction:

1. the record's row is written once, with its stored HTML rendered (``Content.save``) and its
   tags' search text already set, so PostgreSQL's search document (a trigger on the row,
   catalog.search) is computed once;
2. its category and tag links are written in file order;
3. the content version is bumped once (``versions.bump``), which re-ranks the lists the
   change touched (catalog.write.listings) and makes every cached page stale;
4. a revision records what the guide became, who made the change and how
   (:func:`revision_of`, the one mapping from the file form to a revision);
5. the sync base (catalog.fileformat.merge) is left alone: a change made here is an admin change
until a
   sync writes it to the files; the importer, which brings files in, sets the base itself.

The importer does the same steps for many records at once
(catalog.pipeline.importer.apply_plan), with the same revision mapping and one bump. ORM writes
made outside this module (a shell, a data migration, taggit's own tag admin) still bump the
content version through catalog.write.signals.
"""

from django.db import transaction
from django.utils import timezone

from catalog.fileformat import (
    CategoryFile,
    GuideFile,
    from_data,
    serialise_guide,
    tag_text,
    to_data,
)
from catalog.infra.uploads import make_variants
from catalog.models import (
    Category,
    CategoryRevision,
    Deletion,
    Guide,
    GuideRevision,
    SlugRedirect,
    Tag,
    TaggedGuide,
)
from catalog.write import tasks, versions
from catalog.write.links import create_tags, set_links, write_links
from catalog.write.records import CATEGORY_FIELDS, GUIDE_FIELDS, file_form, record_values

_REVISION_FIELDS = ("title", "body", "slug")


def revision_values(guide_id, item: GuideFile, *, diagram="", author=None, source) -> dict:
    """The field values of a revision holding a guide's file form ``item`` (and the name of
    its uploaded diagram, which the file form does not hold): the one mapping to a revision."""
    data = {k: v for k, v in to_data(item).items() if k not in _REVISION_FIELDS}
    return {
        "guide_id": guide_id,
        "author": author,
        "source": source,
        "title": item.title,
        "body": item.body,
        "frontmatter": {**data, "diagram": diagram},
    }


def revision_of(guide_id, item: GuideFile, *, diagram="", author=None, source):
    """An unsaved revision holding ``item`` (see :func:`revision_values`)."""
    return GuideRevision(
        **revision_values(guide_id, item, diagram=diagram, author=author, source=source)
    )


def revision_file(revision) -> GuideFile:
    """The inverse of :func:`revision_of`: the file form a revision holds."""
    data = {"slug": revision.guide.slug, "title": revision.title, "body": revision.body}
    return from_data(GuideFile, {**revision.frontmatter, **data})


def revision_text(revision) -> str:
    """A revision as the guide's file would read (its uploaded diagram, if it had one, noted
    after it), for comparing two versions."""
    diagram = revision.frontmatter.get("diagram")
    return serialise_guide(revision_file(revision)) + (
        f"(uploaded diagram: {diagram})\n" if diagram else ""
    )


def snapshot(guide, *, author=None, source="admin"):
    """An unsaved revision of ``guide`` as it is now (links prefetched)."""
    return revision_of(
        guide.pk,
        file_form(guide, uploads_as_urls=False),
        diagram=guide.diagram.name if guide.diagram else "",
        author=author,
        source=source,
    )


def _same_version(saved, revision):
    """Whether two revisions hold the same version of a guide (who and how aside)."""
    return saved is not None and (saved.title, saved.body, saved.frontmatter) == (
        revision.title,
        revision.body,
        revision.frontmatter,
    )


def save_guide(guide, *, tags=None, categories=None, links=None, author=None, source="admin"):
    """Save ``guide`` with its links as one content change; return it reloaded.

    ``tags``: labels in order (None leaves the tags); ``categories``: Category objects in
    order (None leaves them); ``links``: a callable that writes further links once the row
    exists (the admin's category inline).
    """
    with transaction.atomic(), versions.batch_of_changes():
        slug_was = guide.loaded_slug
        if tags is not None:
            guide.tag_text = tag_text(tags)
        if guide.diagram and not guide.diagram._committed:
            # Store the new upload first (as the row's save would), so that its smaller
            # copies are known before the row is written, once.
            guide.diagram.save(guide.diagram.name, guide.diagram.file, save=False)
            guide.diagram_variants = make_variants(guide.diagram.name)
        guide.save()
        if links is not None:
            links()
        set_links(guide, categories=categories, labels=tags)
        versions.bump([guide.pk])
        guide = Guide.objects.with_page().get(pk=guide.pk)
        revision = snapshot(guide, author=author, source=source)
        # A save that changed nothing ("Save and preview" of an unchanged form) adds no
        # revision; a rename does (the slug is the file's name, not in the revision's text).
        if slug_was != guide.slug or not _same_version(guide.revisions.first(), revision):
            revision.save()
        if not guide.draft:
            tasks.publish_at([guide.publish_at])
    return guide


def restore_guide(guide, revision, *, author=None):
    """Make ``guide`` what ``revision`` holds again; the restore is itself a new revision."""
    item = revision_file(revision)
    for name, value in record_values(item, GUIDE_FIELDS).items():
        setattr(guide, name, value)
    guide.diagram = revision.frontmatter.get("diagram", "") or None
    guide.full_clean(exclude=["slug"])
    categories = {c.slug: c for c in Category.objects.filter(slug__in=item.categories)}
    return save_guide(
        guide,
        tags=list(item.tags),
        categories=[categories[s] for s in item.categories if s in categories],
        author=author,
        source="restore",
    )


def publish_guides(queryset, publish=True, *, author=None) -> int:
    """Publish (or unpublish) guides in bulk: one row update, a revision each, one bump."""
    with transaction.atomic(), versions.batch_of_changes():
        pks = list(queryset.exclude(draft=not publish).values_list("pk", flat=True))
        if not pks:
            return 0
        Guide.objects.filter(pk__in=pks).update(draft=not publish, updated_at=timezone.now())
        versions.bump(pks)
        _record_revisions(pks, author, "publish" if publish else "unpublish")
    return len(pks)


def _record_revisions(guide_ids, author, source):
    """A revision of each of these guides as they are now (one query for all of them)."""
    GuideRevision.objects.bulk_create(
        [
            snapshot(guide, author=author, source=source)
            for guide in Guide.objects.filter(pk__in=guide_ids).with_page()
        ]
    )


def merge_tags(tags, name, *, author=None):
    """Merge ``tags`` into one tag called ``name`` (an existing tag of that name, matched
    case-insensitively, or a new one); return ``(kept tag, number of guides changed)``.

    Every guide tagged with any of them is tagged with the kept tag once, at the place of its
    first merged tag, and spelt ``name`` (so its file says so at the next export); its search
    text and revision follow, and the version is bumped once. The merged tags are deleted.
    """
    with transaction.atomic(), versions.batch_of_changes():
        kept = Tag.objects.filter(name__iexact=name).first()
        if kept is None:
            create_tags([name])
            kept = Tag.objects.get(name=name)
        elif kept.name != name:
            kept.name = name
            kept.save()
        merged = {tag.pk for tag in tags} | {kept.pk}
        links = TaggedGuide.objects.filter(tag_id__in=merged)
        guide_ids = set(links.values_list("content_object_id", flat=True))
        now = timezone.now()
        labels = {}
        for guide in Guide.objects.filter(pk__in=guide_ids).with_page():
            spelt = [
                name if item.tag_id in merged else item.spelling
                for item in guide.tagged_items.all()
            ]
            labels[guide.pk] = list(dict.fromkeys(spelt))
            Guide.objects.filter(pk=guide.pk).update(
                tag_text=tag_text(labels[guide.pk]), updated_at=now
            )
        write_links(tags=labels)
        Tag.objects.filter(pk__in=merged - {kept.pk}).delete()
        versions.bump(sorted(guide_ids))
        _record_revisions(guide_ids, author, "merge")
    return kept, len(guide_ids)


def keep_losing_versions(model, versions):
    """Keep ``(id, file form)`` versions that a chosen side of a conflict replaced, as
    revisions of their records (source ``"conflict"``): a sync never drops an edit."""
    if model is Guide:
        GuideRevision.objects.bulk_create(
            [revision_of(pk, item, source="conflict") for pk, item in versions]
        )
    else:
        CategoryRevision.objects.bulk_create(
            [
                CategoryRevision(category_id=pk, source="conflict", data=to_data(item))
                for pk, item in versions
            ]
        )


def delete_many(queryset, *, author=None):
    """Delete many records (guides, categories, tags) as one content change: one version
    bump, not one per row (see catalog.write.versions.batch_of_changes).

    Each guide or category is kept as a Deletion first, restorable; one that was in step
    with a file keeps its sync base there, pending, so that the next export removes the file
    (unless a contributor changed it meanwhile: a conflict) and no import brings it back.
    """
    with transaction.atomic(), versions.batch_of_changes():
        model = queryset.model
        if model in (Guide, Category):
            records = model.objects.filter(pk__in=queryset.values("pk"))
            records = records.with_page() if model is Guide else records
            trash(
                model,
                [
                    (record.pk, file_form(record, uploads_as_urls=False), "admin")
                    for record in records
                ],
                author=author,
            )
        deleted = queryset.delete()
        versions.bump()
    return deleted


# What goes with a guide or category when it is deleted: its history, links and review links.
# Whoever may delete the record may delete these with it (the record itself is kept whole, a
# Deletion, restorable); the admin asks for no permission on them of its own.
OWNED_BY_RECORDS = (
    "guiderevision",
    "categoryrevision",
    "guidecategory",
    "taggedguide",
    "reviewlink",
    "slugredirect",
)


def _kind(model):
    return "guides" if model is Guide else "categories"


def trash(model, deleted, *, author=None):
    """Keep records about to be deleted, ``(id, file form, source)`` each, as Deletions:
    their content and uploaded diagram's name, restorable; an admin deletion of a record
    that was in step with a file also keeps its sync base, pending (see :func:`delete_many`)."""
    rows = model.objects.in_bulk([pk for pk, _, _ in deleted])
    kind = _kind(model)
    lost = _lost_versions(model, list(rows))
    entries = []
    for pk, item, source in deleted:
        row = rows.get(pk)
        base = None
        if source == "admin" and row is not None and row.synced is not None:
            base = {**row.synced, "body": row.synced_body}
        diagram = getattr(row, "diagram", None)
        entries.append(
            _deletion(
                kind,
                item,
                source,
                lost_versions=lost.get(pk, []),
                diagram=diagram.name if diagram else "",
                base=base,
                pending=base is not None,
                deleted_by=author,
            )
        )
    Deletion.objects.bulk_create(entries)


def _deletion(kind, item, source, **fields):
    """An unsaved Deletion keeping the file form ``item``."""
    return Deletion(
        kind=kind,
        slug=item.slug,
        title=item.title[:300],
        data=to_data(item),
        source=source,
        **fields,
    )


def _lost_versions(model, ids):
    """The versions of these records that lost a conflict (their revisions go with them), as
    file-form data by record id."""
    lost = {}
    if model is Guide:
        for revision in GuideRevision.objects.filter(
            guide_id__in=ids, source="conflict"
        ).select_related("guide"):
            lost.setdefault(revision.guide_id, []).append(to_data(revision_file(revision)))
    else:
        for revision in CategoryRevision.objects.filter(category_id__in=ids, source="conflict"):
            lost.setdefault(revision.category_id, []).append(revision.data)
    return lost


def settle_deletions(model, *, done=(), moved=()):
    """Pending deletions the files now have (``done``: slugs), or whose file's changed
    version lost a conflict (``moved``: ``(slug, file form)``): that version is kept as a
    Deletion of its own and becomes the base the export removes the file against."""
    kind = _kind(model)
    if done:
        Deletion.objects.filter(kind=kind, pending=True, base__slug__in=list(done)).update(
            pending=False
        )
    for slug, item in moved:
        Deletion.objects.filter(kind=kind, pending=True, base__slug=slug).update(base=to_data(item))
        _deletion(kind, item, "conflict").save()


def rename_records(model, renames):
    """Give records new slugs, ``(id, old, new)`` each, as a sync brings renames: the old
    slug answers 301 (a SlugRedirect), as after a rename in the admin. Two passes, so that
    records may trade slugs."""
    for pk, _, _ in renames:
        model.objects.filter(pk=pk).update(slug=f"~renaming-{pk}")
    target = "guide" if model is Guide else "category"
    for pk, old, new in renames:
        model.objects.filter(pk=pk).update(slug=new)
        SlugRedirect.objects.filter(old_slug=new).delete()
        SlugRedirect.objects.update_or_create(
            old_slug=old, defaults={"guide": None, "category": None, f"{target}_id": pk}
        )


def restore_deletion(deletion, *, author=None):
    """Make a deleted guide or category again from its Deletion, with the versions that had
    lost a conflict kept as its revisions again; the Deletion goes. Its slug must be free.
    A guide comes back with the links its categories still allow."""
    model = Guide if deletion.kind == "guides" else Category
    kind = GuideFile if model is Guide else CategoryFile
    item = from_data(kind, deletion.data)
    if (
        Guide.objects.filter(slug=item.slug).exists()
        or Category.objects.filter(slug=item.slug).exists()
    ):
        raise ValueError(f"{item.slug}: the slug is taken; rename the other record first")
    names = GUIDE_FIELDS if model is Guide else CATEGORY_FIELDS
    with transaction.atomic(), versions.batch_of_changes():
        record = model(slug=item.slug, **record_values(item, names))
        Deletion.objects.filter(pk=deletion.pk).delete()
        if model is Guide:
            record.diagram = deletion.diagram or None
            record.full_clean(exclude=["slug"])
            categories = {c.slug: c for c in Category.objects.filter(slug__in=item.categories)}
            record = save_guide(
                record,
                tags=list(item.tags),
                categories=[categories[s] for s in item.categories if s in categories],
                author=author,
                source="restore",
            )
        else:
            record = save_category(record)
        keep_losing_versions(
            model, [(record.pk, from_data(kind, data)) for data in deletion.lost_versions]
        )
        return record


def save_category(category):
    """Save a category as one content change (a row write and one bump)."""
    with transaction.atomic(), versions.batch_of_changes():
        category.save()
        versions.bump([])
    return category
