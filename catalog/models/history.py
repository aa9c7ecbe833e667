"""What content was: revisions of guides and categories, and the redirects that renamed
records leave at their old slugs."""

from django.conf import settings
from django.db import models

from catalog.fileformat import MAX_SLUG_CHARS

# Where a guide's revision came from: the admin's revision list filters by these (its choices
# cost no query; a ``DISTINCT`` over every revision did).
REVISION_SOURCES = [
    ("admin", "saved in the admin"),
    ("import", "imported"),
    ("restore", "restored"),
    ("conflict", "lost a conflict"),
    ("publish", "published"),
    ("unpublish", "unpublished"),
]


class GuideRevision(models.Model):
    """A guide as it was saved: who, when, and every field its file would hold."""

    guide = models.ForeignKey("catalog.Guide", on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=20, default="admin", choices=REVISION_SOURCES)
    created_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=300)
    frontmatter = models.JSONField(default=dict)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The order itself, so that the newest revisions are read first: an import gives its
        # revisions one moment, and an index on the moment alone left 20,000 of them to sort.
        indexes = [models.Index(fields=["created_at", "id"], name="catalog_revision_order")]

    def __str__(self):
        return f"{self.guide.slug} at {self.created_at:%Y-%m-%d %H:%M}"


class CategoryRevision(models.Model):
    """A category's file form as it was, kept when a sync chose the other side of a conflict."""

    category = models.ForeignKey(
        "catalog.Category", on_delete=models.CASCADE, related_name="revisions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    data = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.category.slug} at {self.created_at:%Y-%m-%d %H:%M}"


class SlugRedirect(models.Model):
    """An old slug of a renamed guide or category: ``/guides/<old>`` answers 301.

    Published links (README tables of contents, other sites) keep working after a rename, and
    the next ``export_guides`` removes the file under the old name.
    """

    old_slug = models.CharField(max_length=MAX_SLUG_CHARS, unique=True)
    guide = models.ForeignKey("catalog.Guide", null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.target.slug if self.target else '?'}"

    @property
    def target(self):
        return self.guide or self.category


class Deletion(models.Model):
    """A guide or category that was deleted: what it held, so that it can be restored, and,
    while its file may still be in the content folder, the sync base to compare that file
    with (catalog.fileformat.merge).

    An admin deletion of a record that was in step with a file is ``pending`` until the
    files have it too: an export removes the file if it is unchanged since the base, and a
    file changed meanwhile is a conflict. A deletion carried from the files (the file was
    removed in git), a prune, or the losing side of a conflict is kept for restoring only.
    """

    KINDS = [("guides", "guide"), ("categories", "category")]
    SOURCES = [
        ("admin", "deleted in the admin"),
        ("files", "its file was deleted"),
        ("prune", "pruned by an import"),
        ("conflict", "the losing side of a conflict"),
    ]

    kind = models.CharField(max_length=10, choices=KINDS)
    slug = models.CharField(max_length=MAX_SLUG_CHARS)
    title = models.CharField(max_length=300)
    data = models.JSONField()  # its file form (catalog.fileformat.to_data)
    # The versions that lost a conflict, kept as its revisions were (they go with it).
    lost_versions = models.JSONField(default=list, blank=True)
    diagram = models.CharField(max_length=300, blank=True)  # its uploaded diagram's name
    base = models.JSONField(null=True, blank=True)  # the sync base, while pending
    pending = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=SOURCES)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    deleted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]
        indexes = [
            models.Index(
                fields=["kind", "slug"],
                name="catalog_deletion_pending",
                condition=models.Q(pending=True),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.slug} ({self.get_source_display()})"
