"""Guides, categories and their tags.

Both guides and categories live under ``/guides/<slug>``, so a slug names at most one of
them; ``clean()`` enforces it for forms and the importer checks it for files.

Order is part of the content: a guide's categories and tags are kept in the order its file
lists them (``position`` on the through rows), and :meth:`GuideQuerySet.in_readme_order` /
:meth:`CategoryQuerySet.in_readme_order` are the one definition of the order that the README
table of contents and the public pages share.
"""

import re
from html import unescape as html_unescape

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from markdownx.models import MarkdownxField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from .fileformat import MAX_SLUG_CHARS, SLUG_RE

_LEADING_IMAGE_RE = re.compile(
    r'\A\s*<p>\s*<img (?=[^>]*\bsrc="(?P<src>[^"]*)")'
    r'(?:[^>]*\balt="(?P<alt>[^"]*)")?[^>]*>\s*</p>\s*'
)

slug_validator = RegexValidator(
    SLUG_RE,
    "Use lower-case ASCII letters, digits and '-' (also '_', \"'\", '+'), "
    "starting with a letter or digit.",
)


class CategoryQuerySet(models.QuerySet):
    def in_readme_order(self):
        return self.order_by("sort", "slug")

    def with_guide_counts(self):
        """Annotate ``guide_count``: the number of published guides in each category."""
        published = Guide.objects.published().filter(category_links__category=models.OuterRef("pk"))
        count = (
            published.order_by()
            .values("category_links__category")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.annotate(guide_count=Coalesce(models.Subquery(count), 0))


def published_tags():
    """Tags used by at least one published guide, with ``guide_count``, by name."""
    published = Guide.objects.published().filter(tagged_items__tag=models.OuterRef("pk"))
    count = (
        published.order_by().values("tagged_items__tag").annotate(n=models.Count("pk")).values("n")
    )
    return (
        Tag.objects.annotate(guide_count=models.Subquery(count))
        .filter(guide_count__gt=0)
        .order_by(Lower("name"))
    )


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

    def with_page(self):
        """Everything a guide page shows about the guide itself."""
        return self.prefetch_related(
            models.Prefetch(
                "category_links", queryset=GuideCategory.objects.select_related("category")
            ),
            models.Prefetch("tagged_items", queryset=TaggedGuide.objects.select_related("tag")),
        )

    def latest(self):
        return self.published().order_by("-created_on", "-slug")

    def for_category_page(self, category):
        return self.published().filter(category_links__category=category).in_readme_order()

    def for_tag_page(self, tag):
        return self.published().filter(tagged_items__tag=tag).in_readme_order()

    def related_to(self, guide, limit=5):
        """Published guides sharing the most tags with ``guide`` (ties: newest first)."""
        tag_ids = [item.tag_id for item in guide.tagged_items.all()]
        return (
            self.published()
            .filter(tagged_items__tag_id__in=tag_ids)
            .exclude(pk=guide.pk)
            .annotate(shared_tags=models.Count("tagged_items"))
            .order_by("-shared_tags", "-created_on", "slug")[:limit]
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


class SiteState(models.Model):
    """One row whose version changes with every change to published content.

    Cached pages, ETags and Last-Modified headers derive from it. It lives in the database,
    bumped in the same transaction as the change, so every app server sees an edit or an
    import at once, whatever cache it uses.
    """

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"content version {self.version}"

    @classmethod
    def current(cls):
        state = cls.objects.filter(pk=1).first()
        return state or cls.objects.get_or_create(pk=1)[0]

    @classmethod
    def bump(cls):
        now = timezone.now()
        if not cls.objects.filter(pk=1).update(version=models.F("version") + 1, changed_at=now):
            cls.objects.get_or_create(pk=1, defaults={"changed_at": now})


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
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
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

    @property
    def hero(self):
        """The diagram shown above the text, and the body with that diagram not repeated.

        Bodies usually open with the same image as the ``image`` key (every real guide does);
        the page shows it once, as the hero, with the body image's alt text.
        """
        alt, html = f"Diagram: {self.title}", self.body_html
        match = _LEADING_IMAGE_RE.match(html)
        if match and self.image_url and html_unescape(match["src"]) == self.image_url:
            alt = html_unescape(match["alt"]) or alt
            html = html[match.end() :]
        return {"alt": alt, "body_html": html}

    @property
    def reading_minutes(self):
        return max(1, round(len(self.body.split()) / 200))

    def first_category(self):
        links = self.category_links.all()
        return links[0].category if links else None


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
