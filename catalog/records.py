"""The database's guides and categories as the file format describes them.

Import and export both compare a file with what the database holds; they do it through these
functions, so "unchanged" means the same thing in both directions. An uploaded diagram is
described by the URL that serves it, which is what an exported file's ``image`` says.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.files.storage import default_storage

from .fileformat import CategoryFile, GuideFile
from .models import Category, Guide, GuideCategory, TaggedGuide

CATEGORY_FIELDS = ("title", "description", "image", "icon", "sort", "body", "extra")
GUIDE_FIELDS = ("title", "description", "image", "created_on", "draft", "body", "extra")


@dataclass(frozen=True)
class StoredRecord:
    id: int
    file: CategoryFile | GuideFile
    rendered_with: int


def _extra(value):
    return tuple((key, item) for key, item in value or ())


def stored_categories() -> dict[str, StoredRecord]:
    rows = Category.objects.values("id", "rendered_with", "slug", *CATEGORY_FIELDS)
    return {
        row["slug"]: StoredRecord(
            row["id"],
            CategoryFile(
                slug=row["slug"],
                title=row["title"],
                description=row["description"],
                image=row["image"],
                icon=row["icon"],
                sort=row["sort"],
                body=row["body"],
                extra=_extra(row["extra"]),
            ),
            row["rendered_with"],
        )
        for row in rows
    }


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
    rows = Guide.objects.values("id", "rendered_with", "slug", "diagram", *GUIDE_FIELDS)
    return {
        row["slug"]: StoredRecord(
            row["id"],
            GuideFile(
                slug=row["slug"],
                title=row["title"],
                created=row["created_on"],
                description=row["description"],
                image=default_storage.url(row["diagram"]) if row["diagram"] else row["image"],
                draft=row["draft"],
                categories=tuple(categories[row["id"]]),
                tags=tuple(tags[row["id"]]),
                body=row["body"],
                extra=_extra(row["extra"]),
            ),
            row["rendered_with"],
        )
        for row in rows
    }
