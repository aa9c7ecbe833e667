"""A guide's category and tag links: the one way they are written, for one guide (an admin
save, a restore, a tag merge) or thousands (an import).

Links keep the file's order (``position``). Tags match case-insensitively ("system design"
is the tag "System Design"), and each guide keeps its own spelling (``label``), so that its
file is written back as read; a label no tag matches creates one, with a slug no other tag
has. Ranks are the listings' (catalog.write.listings), refreshed by the change's bump.
"""

from django.utils.text import slugify

from catalog.infra.db import backend
from catalog.models import GuideCategory, Tag, TaggedGuide


def unique_tag_slugs(names):
    """A URL slug for each new tag name, never one already taken (suffix -2, -3 …). A base
    taken again goes on from its last suffix, not from -2: the same slugs, but 40,000 tags
    that slugify alike ("a!", "a?" …) cost 40,000 steps, not 800 million."""
    taken = set(Tag.objects.values_list("slug", flat=True))
    last = {}  # base -> the suffix it last tried
    slugs = []
    for name in names:
        base = slugify(name) or "tag"
        n = last.get(base, 1)
        slug = base if n == 1 else f"{base}-{n}"
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        last[base] = n
        taken.add(slug)
        slugs.append(slug)
    return slugs


def new_tag_names(labels, existing):
    """The labels no tag matches (``existing``: names already tags, case-folded), each once,
    spelt as first given: the tags a change creates."""
    new = {}
    for label in labels:
        if label.casefold() not in existing:
            new.setdefault(label.casefold(), label)
    return list(new.values())


def create_tags(names):
    """Create a tag for each of ``names`` (none of them a tag yet), with unique slugs."""
    slugs = unique_tag_slugs(names)
    backend().insert_rows(
        Tag, ({"name": name, "slug": slug} for name, slug in zip(names, slugs, strict=True))
    )


def write_links(*, categories=None, tags=None, replacing=None):
    """Write guides' links: ``categories`` maps a guide id to its category ids in order,
    ``tags`` a guide id to its tag labels in order (their tags must exist: see
    :func:`create_tags`). The guides' links of that kind are replaced; ``replacing``, if
    given, names the only guides that may have links already (an import's new guides have
    none)."""
    if categories:
        old = replacing if replacing is not None else list(categories)
        if old:
            GuideCategory.objects.filter(guide_id__in=old).delete()
        backend().insert_rows(
            GuideCategory,
            (
                {"guide_id": guide_id, "category_id": category_id, "position": n}
                for guide_id, ids in categories.items()
                for n, category_id in enumerate(ids)
            ),
        )
    if tags:
        old = replacing if replacing is not None else list(tags)
        if old:
            TaggedGuide.objects.filter(content_object_id__in=old).delete()
        tag_ids = {name.casefold(): pk for pk, name in Tag.objects.values_list("id", "name")}
        backend().insert_rows(TaggedGuide, _tag_rows(tags, tag_ids))


def _tag_rows(tags, tag_ids):
    for guide_id, labels in tags.items():
        seen = set()
        for label in labels:
            tag_id = tag_ids[label.casefold()]
            if tag_id not in seen:  # two spellings of one tag: the first is the guide's
                seen.add(tag_id)
                yield {
                    "content_object_id": guide_id,
                    "tag_id": tag_id,
                    "position": len(seen) - 1,
                    "label": label,
                }


def set_links(guide, *, categories=None, labels=None):
    """One guide's links (an admin save): ``categories``, Category objects in order, and
    ``labels``, tag labels in order; None leaves that kind as it is."""
    if labels is not None:
        existing = {name.casefold() for name in Tag.objects.values_list("name", flat=True)}
        create_tags(new_tag_names(labels, existing))
    write_links(
        categories={guide.pk: [c.pk for c in categories]} if categories is not None else None,
        tags={guide.pk: labels} if labels is not None else None,
    )
