"""Guides, categories and their tags.

Both guides and categories live under ``/guides/<slug>``, so a slug names at most one of
them; ``clean()`` enforces it for forms and the importer checks it for files.

Order is part of the content: a guide's categories and tags are kept in the order its file
lists them (``position`` on the through rows), and :meth:`GuideQuerySet.in_readme_order` /
:meth:`CategoryQuerySet.in_readme_order` are the one definition of the order that the README
table of contents and the public pages share."""

import datetime
import re
from html import unescape as html_unescape
from urllib.parse import unquote

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from markdownx.models import MarkdownxField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from catalog.fileformat import MAX_SLUG_CHARS, SLUG_RE, image_reference, slug_clash_problem
from catalog.fileformat.rules import is_public, site_link
from catalog.infra.paths import slug_path
from catalog.infra.publicfiles import site_image_exists
from catalog.infra.uploads import generated_name, variant_name
from catalog.models.history import SlugRedirect
from catalog.models.querysets import CategoryQuerySet, GuideQuerySet

_LEADING_IMAGE_RE = re.compile(
    r'\A\s*<p>\s*<img (?=[^>]*\bsrc="(?P<src>[^"]*)")'
    r'(?:[^>]*\balt="(?P<alt>[^"]*)")?[^>]*>\s*</p>\s*'
)


def _rendering():
    """catalog.fileformat.rendering, imported on first use: loading Markdown, its extensions
    and Pygments is a cost a process that renders nothing (a command, a worker serving
    cached pages) need not pay."""
    from catalog.fileformat import rendering

    return rendering


slug_validator = RegexValidator(
    SLUG_RE,
    "Use lower-case ASCII letters, digits and '-' (also '_', \"'\", '+'), "
    "starting with a letter or digit.",
)


NOT_RENDERED = 0


# What a record stores while its body is not rendered.
NO_RENDERING = {"body_html": "", "body_text": "", "rendered_with": NOT_RENDERED}


class Content(models.Model):
    """What guides and categories share: identity, text, stored HTML and provenance.

    ``body_html`` is a cache of the rendered body and ``body_text`` of its plain text (search
    excerpts), valid when ``rendered_with`` is the current ``RENDERER_VERSION``
    (catalog.fileformat.rendering.stored_rendering): every save and every import fills them,
    and ``render_guides --all`` renders everything again after a renderer change. Pages read
    ``html`` and ``text``, which render a record whose cache is empty or stale (only after a
    renderer change, until ``render_guides`` has run); the page cache keeps the result.
    """

    slug = models.CharField(max_length=MAX_SLUG_CHARS, unique=True, validators=[slug_validator])
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    image = models.CharField(max_length=1000, blank=True, help_text="URL or site path")
    body = MarkdownxField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    body_text = models.TextField(blank=True, editable=False)
    rendered_with = models.PositiveIntegerField(default=NOT_RENDERED, editable=False)
    extra = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Frontmatter keys the site does not model, as [key, value] pairs in file order",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    # When the content last changed: a save now, an import when its file was last committed
    # (catalog.pipeline.importer), so set by the code that changes content rather than auto_now.
    updated_at = models.DateTimeField(default=timezone.now)
    # The sync base (catalog.fileformat.merge): the record's file form when the database and the
    # files last agreed on it (its body apart, as text), and when. None: never in step with a file
    # (new in the admin, or from before sync bases existed). Written by
    # catalog.write.records.sync_base_values only.
    synced = models.JSONField(null=True, blank=True, editable=False)
    synced_body = models.TextField(default="", blank=True, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        for name, value in _rendering().stored_rendering(self.body).items():
            setattr(self, name, value)
        self.updated_at = timezone.now()
        self.__dict__.pop("html", None)
        self.__dict__.pop("text", None)
        with transaction.atomic():
            super().save(*args, **kwargs)
            old = self.loaded_slug
            SlugRedirect.objects.filter(old_slug=self.slug).delete()
            if old and old != self.slug:
                target = {"guide": None, "category": None, self._meta.model_name: self}
                SlugRedirect.objects.update_or_create(old_slug=old, defaults=target)
            self._loaded_slug = self.slug

    def get_absolute_url(self):
        return slug_path("catalog:detail", self.slug)

    @property
    def rendering_is_stored(self):
        """Whether ``body_html`` and ``body_text`` hold the current renderer's output."""
        return self.rendered_with == _rendering().RENDERER_VERSION

    @cached_property
    def html(self):
        """The body as safe HTML: the stored rendering if it is current, else rendered now."""
        if self.rendering_is_stored:
            return self.body_html
        return _rendering().render_markdown(self.body)

    @cached_property
    def text(self):
        """The words of the rendered body on one line, as search excerpts quote them."""
        return self.body_text if self.rendering_is_stored else _rendering().plain_text(self.html)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_slug = instance.__dict__.get("slug")
        return instance

    @property
    def loaded_slug(self):
        """The slug as the database held it when this record was read or last saved (None
        for one never saved): a save under another slug is a rename."""
        return getattr(self, "_loaded_slug", None)

    @property
    def image_url(self):
        """The image as a link a page may use: an upload, else http(s) URLs and site paths."""
        diagram = getattr(self, "diagram", None)
        if diagram:
            return diagram.url
        return page_link(self.image)


def page_link(reference):
    """A file's image or icon as a page may link it: http(s) URLs, and site paths to images the
    site holds (the file format's rule, catalog.fileformat.image_reference, and
    catalog.infra.publicfiles.site_image_exists), a relative path to one as its site path
    (``../public/d.png`` is ``/d.png``: catalog.fileformat.rules.site_link); anything else,
    nothing: pages show a placeholder."""
    kind = image_reference(reference)[0]
    if kind == "relative":
        reference, kind = site_link(reference) or "", "site"
    if kind == "url" or (kind == "site" and reference and site_image_exists(unquote(reference))):
        return reference
    return ""


class Category(Content):
    icon = models.CharField(max_length=1000, blank=True)
    sort = models.IntegerField(default=0, db_index=True)
    published_guides = models.PositiveIntegerField(default=0, editable=False)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["sort", "slug"]

    @property
    def icon_url(self):
        return page_link(self.icon)

    def clean(self):
        super().clean()
        if self.slug and Guide.objects.filter(slug=self.slug).exists():
            raise ValidationError({"slug": slug_clash_problem(self.slug, "guide")})


class TaggedGuide(TaggedItemBase):
    """A guide's tag, at its place in the guide's list, spelt as the guide's file spells it.

    Tags match case-insensitively ("System Design" and "system design" are one Tag), but
    each guide keeps its own spelling and order so that its file can be written back as read.
    """

    # No single-column indexes on the two keys: unique_guide_tag leads with the guide and
    # tag_listing with the tag, and every index is written again when ranks are refreshed.
    content_object = models.ForeignKey(
        "Guide", on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )
    tag = models.ForeignKey(
        Tag,
        on_delete=models.CASCADE,
        related_name="%(app_label)s_%(class)s_items",
        db_index=False,
    )
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(max_length=100, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_guide_tag"),
        ]
        indexes = [models.Index(fields=["tag", "rank"], name="tag_listing")]

    @property
    def spelling(self):
        """The tag as this guide spells it: its file's label, else the tag's own name."""
        return self.label or self.tag.name


class TagStats(models.Model):
    """How many published guides a tag has (kept by catalog.write.listings)."""

    tag = models.OneToOneField(
        Tag, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    published_guides = models.PositiveIntegerField(default=0, db_index=True)

    def __str__(self):
        return f"{self.tag}: {self.published_guides}"


class SitemapBlock(models.Model):
    """How many published guides have their key in one block of ``SIZE`` keys (block ``n``:
    keys ``n * SIZE + 1`` to ``(n + 1) * SIZE``); kept by catalog.write.listings. The guides'
    sitemap has a page for each block that holds any, which its index lists and a page finds
    from these few rows instead of probing the keys (200 probes at 100,000 guides)."""

    SIZE = 500

    block = models.PositiveIntegerField(primary_key=True)
    published_guides = models.PositiveIntegerField()

    def __str__(self):
        return f"block {self.block}: {self.published_guides}"


def diagram_upload_to(instance, filename):
    """A generated name: nothing of the uploader's file name reaches the file system."""
    return generated_name(filename)


class Guide(Content):
    created_on = models.DateField(default=datetime.date.today, help_text="createdAt in the file")
    diagram = models.ImageField(
        upload_to=diagram_upload_to,
        blank=True,
        width_field="image_width",
        height_field="image_height",
        help_text="An uploaded diagram (PNG, JPEG, GIF or WebP); shown instead of the image URL.",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Smaller copies of the uploaded diagram (catalog.infra.uploads.make_variants): the name they
    # were made from and their widths; pages use them only while that is still the diagram.
    diagram_variants = models.JSONField(default=dict, blank=True, editable=False)
    tag_text = models.TextField(
        blank=True, editable=False, help_text="The guide's tags as one text, for full-text search"
    )
    # PostgreSQL keeps the weighted search document here (catalog.search); elsewhere it is
    # unused and stays empty.
    search_document = SearchVectorField(null=True, blank=True, editable=False)
    draft = models.BooleanField(default=True, db_index=True)
    publish_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="publishAt in the file: a guide that is not a draft appears on every page, "
        "feed, sitemap, search and the README from this moment (UTC); empty: at once.",
    )
    categories = models.ManyToManyField(
        Category, through="GuideCategory", related_name="guides", blank=True
    )
    tags = TaggableManager(through=TaggedGuide, blank=True)

    objects = GuideQuerySet.as_manager()

    class Meta:
        ordering = ["created_on", "slug"]
        indexes = [
            models.Index(fields=["created_on", "slug"], name="guide_readme_order"),
            models.Index(fields=["updated_at"], name="guide_updated_at"),
        ]
        permissions = [
            ("upload_image", "Can upload diagrams and images"),
            ("sync_content", "Can sync content with the repository"),
        ]

    def clean(self):
        super().clean()
        if self.slug and Category.objects.filter(slug=self.slug).exists():
            raise ValidationError({"slug": slug_clash_problem(self.slug, "category")})

    @property
    def hero(self):
        """The diagram shown above the text, and the body with that diagram not repeated.

        Bodies usually open with the same image as the ``image`` key (every real guide does);
        the page shows it once, as the hero, with the body image's alt text. ``toc``: the
        body's headings, for a table of contents when there are enough of them.
        """
        alt, html = f"Diagram: {self.title}", self.html
        match = _LEADING_IMAGE_RE.match(html)
        if match and self.image_url and html_unescape(match["src"]) == self.image_url:
            alt = html_unescape(match["alt"]) or alt
            html = html[match.end() :]
        return {"alt": alt, "body_html": html, "toc": _rendering().table_of_contents(html)}

    @property
    def scheduled(self):
        """Not a draft, but not public before ``publish_at``."""
        return not self.draft and not self.is_published

    @property
    def is_published(self):
        """Whether visitors see the guide now (the rule ``published()`` queries)."""
        return is_public(self.draft, self.publish_at, timezone.now())

    @property
    def diagram_srcset(self):
        """``srcset`` for an uploaded diagram: its smaller copies and itself; "" otherwise."""
        if not self.diagram or self.diagram_variants.get("name") != self.diagram.name:
            return ""
        storage = self.diagram.storage
        sizes = [
            f"{storage.url(variant_name(self.diagram.name, width))} {width}w"
            for width in self.diagram_variants.get("widths", [])
        ]
        if not sizes or not self.image_width:
            return ""
        return ", ".join([*sizes, f"{self.diagram.url} {self.image_width}w"])

    @property
    def reading_minutes(self):
        return max(1, round(len(self.body.split()) / 200))

    def first_category(self):
        links = self.category_links.all()
        return links[0].category if links else None


class GuideCategory(models.Model):
    # Indexed by unique_guide_category (guide first) and category_listing (category first).
    guide = models.ForeignKey(
        Guide, on_delete=models.CASCADE, related_name="category_links", db_index=False
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="guide_links", db_index=False
    )
    position = models.PositiveIntegerField(default=0)
    rank = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "category"], name="unique_guide_category"),
        ]
        indexes = [models.Index(fields=["category", "rank"], name="category_listing")]

    def __str__(self):
        return f"{self.guide} in {self.category}"
