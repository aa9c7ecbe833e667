"""Guides, categories and their tags.

Both guides and categories live under ``/guides/<slug>``, so a slug names at most one of
them; ``clean()`` enforces it for forms and the importer checks it for files.

Order is part of the content: a guide's categories and tags are kept in the order its file
lists them (``position`` on the through rows), and :meth:`GuideQuerySet.in_readme_order` /
:meth:`CategoryQuerySet.in_readme_order` are the one definition of the order that the README
table of contents and the public pages share.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from markdownx.models import MarkdownxField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from .fileformat import MAX_SLUG_CHARS, SLUG_RE

slug_validator = RegexValidator(
    SLUG_RE,
    "Use lower-case ASCII letters, digits and '-' (also '_', \"'\", '+'), "
    "starting with a letter or digit.",
)


class CategoryQuerySet(models.QuerySet):
    def in_readme_order(self):
        return self.order_by("sort", "slug")


class GuideQuerySet(models.QuerySet):
    def published(self):
        """The guides visitors may see: the only definition of it."""
        return self.filter(draft=False)

    def in_readme_order(self):
        return self.order_by("created_on", "slug")

    def visible_to(self, user):
        """Staff see drafts (with a banner); everyone else sees published guides only."""
        return self if user.is_staff else self.published()

    def with_cards(self):
        """Everything a guide card shows, in a fixed number of queries."""
        return self.prefetch_related(
            models.Prefetch("tagged_items", queryset=TaggedGuide.objects.select_related("tag"))
        )


class Content(models.Model):
    """What guides and categories share: identity, text, stored HTML and provenance."""

    slug = models.CharField(max_length=MAX_SLUG_CHARS, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    image = models.CharField(max_length=1000, blank=True, help_text="URL or site path")
    body = MarkdownxField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    rendered_with = models.PositiveIntegerField(default=0, editable=False)
    extra = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Frontmatter keys the site does not model, as [key, value] pairs in file order",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from .rendering import RENDERER_VERSION, render_markdown  # Markdown loads only when used

        self.body_html = render_markdown(self.body)
        self.rendered_with = RENDERER_VERSION
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("catalog:detail", args=[self.slug])

    @property
    def image_url(self):
        """The image as a link a page may use: http(s) URLs and site paths only."""
        image = self.image.strip()
        if image.startswith(("https://", "http://")) or (
            image.startswith("/") and not image.startswith("//")
        ):
            return image
        return ""


class Category(Content):
    icon = models.CharField(max_length=1000, blank=True)
    sort = models.IntegerField(default=0, db_index=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["sort", "slug"]

    def clean(self):
        super().clean()
        if self.slug and Guide.objects.filter(slug=self.slug).exists():
            raise ValidationError({"slug": f"A guide already uses the slug “{self.slug}”."})


class TaggedGuide(TaggedItemBase):
    """A guide's tag, at its place in the guide's list, spelt as the guide's file spells it.

    Tags match case-insensitively ("System Design" and "system design" are one Tag), but
    each guide keeps its own spelling and order so that its file can be written back as read.
    """

    content_object = models.ForeignKey(
        "Guide", on_delete=models.CASCADE, related_name="tagged_items"
    )
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_guide_tag"),
        ]


class Guide(Content):
    created_on = models.DateField(help_text="createdAt in the file")
    draft = models.BooleanField(default=True, db_index=True)
    categories = models.ManyToManyField(
        Category, through="GuideCategory", related_name="guides", blank=True
    )
    tags = TaggableManager(through=TaggedGuide, blank=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["created_on", "slug"]
        indexes = [models.Index(fields=["created_on", "slug"], name="guide_readme_order")]

    def clean(self):
        super().clean()
        if self.slug and Category.objects.filter(slug=self.slug).exists():
            raise ValidationError({"slug": f"A category already uses the slug “{self.slug}”."})

    @property
    def is_published(self):
        return not self.draft


class GuideCategory(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="category_links")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="guide_links")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "category"], name="unique_guide_category"),
        ]

    def __str__(self):
        return f"{self.guide} in {self.category}"


__all__ = ["Category", "Guide", "GuideCategory", "Tag", "TaggedGuide"]
