"""Guides, categories and their tags.

Both guides and categories live under ``/guides/<slug>``, so a slug names at most one of
them; ``clean()`` enforces it for forms and the importer checks it for files.

Order is part of the content: a guide's categories and tags are kept in the order its file
lists them (``position`` on the through rows), and :meth:`GuideQuerySet.in_readme_order` /
:meth:`CategoryQuerySet.in_readme_order` are the one definition of the order that the README
table of contents and the public pages share.
"""

import datetime
import re
import threading
from contextlib import contextmanager
from html import unescape as html_unescape
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models, transaction
from django.db.models import F
from django.db.models.functions import Abs, Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from markdownx.models import MarkdownxField
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItemBase

from catalog.fileformat import MAX_SLUG_CHARS, SLUG_RE, image_reference, slug_clash_problem
from catalog.infra.paths import slug_path

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
        """Annotate ``guide_count``: the number of published guides in each category (kept
        with the category by catalog.write.listings, so no page counts link rows)."""
        return self.annotate(guide_count=models.F("published_guides"))


def unique_tag_slugs(names):
    """A URL slug for each new tag name, never one already taken (suffix -2, -3 …)."""
    taken = set(Tag.objects.values_list("slug", flat=True))
    slugs = []
    for name in names:
        base = slugify(name) or "tag"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


def published_tags():
    """Tags used by at least one published guide, with ``guide_count``, by name (the counts
    are kept by catalog.write.listings)."""
    return (
        Tag.objects.filter(stats__published_guides__gt=0)
        .annotate(guide_count=models.F("stats__published_guides"))
        .order_by(Lower("name"))
    )


# What templates/catalog/_guide_card.html shows of a guide.
CARD_FIELDS = (
    "slug",
    "title",
    "description",
    "image",
    "diagram",
    "image_width",
    "image_height",
    "diagram_variants",
)

# How many places before and after a guide, in each of its tags' lists, related guides are
# looked for: enough to find guides of the same period sharing several tags, and a bound that
# keeps the guide page's cost flat.
RELATED_WINDOW = 200


class CardTag(NamedTuple):
    """A tag as a guide card shows it."""

    slug: str
    name: str


class CardIterable(models.query.ModelIterable):
    """Guides, each with ``card_tags``: its tags in its own order, read for all the guides
    in one query as plain values. Prefetched ``tagged_items`` made two model instances a tag,
    and the guides that rank best, which fill a large collection's pages, carry the most."""

    def __iter__(self):
        guides = list(super().__iter__())
        tags = {guide.pk: [] for guide in guides}
        if tags:
            rows = (
                TaggedGuide.objects.filter(content_object__in=tags)
                .order_by("position", "pk")
                .values_list("content_object_id", "tag__slug", "tag__name")
            )
            for pk, slug, name in rows:
                tags[pk].append(CardTag(slug, name))
        for guide in guides:
            guide.card_tags = tags[guide.pk]
        yield from guides


class GuideQuerySet(models.QuerySet):
    @staticmethod
    def _published():
        """The guides visitors may see: the only definition of it. A guide scheduled with
        ``publish_at`` is not one of them before that moment (see SiteState.publish_due)."""
        return models.Q(draft=False) & (
            models.Q(publish_at__isnull=True) | models.Q(publish_at__lte=timezone.now())
        )

    def published(self):
        return self.filter(self._published())

    def scheduled(self):
        """Guides to be published at a later moment (not drafts, ``publish_at`` ahead)."""
        return self.filter(draft=False, publish_at__gt=timezone.now())

    def in_readme_order(self):
        return self.order_by("created_on", "slug")

    def visible_to(self, user):
        """Editors see drafts (with a banner); everyone else sees published guides only."""
        from catalog.infra.roles import may_see_drafts

        return self if may_see_drafts(user) else self.published()

    def with_cards(self, *also):
        """Everything a guide card shows, in a fixed number of queries; ``also``: more fields
        to load. Only the card's fields are read: a page of cards otherwise carries every
        guide's body, HTML, sync base and search document from the database. A card's tags
        are ``card_tags`` (see :class:`CardIterable`)."""
        cards = self.only(*CARD_FIELDS, *also)
        cards._iterable_class = CardIterable
        return cards

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

    def drafts(self):
        """Every guide not published (drafts and scheduled ones): the rows themselves tell,
        with no second pass over the table to list the published."""
        return self.exclude(self._published())

    def for_category_page(self, category):
        return self.published().filter(category_links__category=category).in_readme_order()

    def for_tag_page(self, tag):
        return self.published().filter(tagged_items__tag=tag).in_readme_order()

    def newest_in_category(self, category, limit):
        """The category's ``limit`` newest published guides, newest first, by rank."""
        return (
            self.published()
            .filter(
                category_links__category=category,
                category_links__rank__gt=category.published_guides - limit,
            )
            .order_by("-category_links__rank")
        )

    def neighbours(self, guide, category):
        """``(previous, next)`` of a published guide in ``category``'s list, each ``(slug,
        title)`` or None: the rows ranked one before and one after it."""
        link = next((x for x in guide.category_links.all() if x.category_id == category.pk), None)
        if link is None or link.rank is None:
            return None, None
        rows = dict(
            (rank, (slug, title))
            for slug, title, rank in self.published()
            .filter(
                category_links__category=category,
                category_links__rank__in=[link.rank - 1, link.rank + 1],
            )
            .values_list("slug", "title", "category_links__rank")
        )
        return rows.get(link.rank - 1), rows.get(link.rank + 1)

    def related_to(self, guide, limit=5, window=RELATED_WINDOW):
        """Up to ``limit`` published guides related to ``guide``: those sharing the most tags
        (:meth:`sharing_tags`), then, when fewer share a tag, the guides nearest to it in its
        home category's list, so every guide in a category shows some."""
        related = list(self.sharing_tags(guide, limit, window))
        if len(related) < limit:
            related += self.near_in_category(guide, limit - len(related), [g.pk for g in related])
        return related

    def near_in_category(self, guide, limit, exclude=()):
        """Published guides of ``guide``'s first category closest to it by rank (newest first
        for a draft, which has no rank): a bounded slice of the category's list."""
        link = next(iter(guide.category_links.all()), None)
        if link is None or limit <= 0:
            return []
        rows = self.published().exclude(pk__in=[guide.pk, *exclude])
        if link.rank is None:
            return list(rows.filter(category_links__category_id=link.category_id).latest()[:limit])
        span = limit + len(exclude) + 1
        return list(
            rows.filter(
                category_links__category_id=link.category_id,
                category_links__rank__range=(link.rank - span, link.rank + span),
            )
            .annotate(distance=Abs(F("category_links__rank") - link.rank))
            .order_by("distance", "-created_on")[:limit]
        )

    def sharing_tags(self, guide, limit=5, window=RELATED_WINDOW):
        """Published guides sharing the most tags with ``guide``; ties: the nearest to it in
        those tags' lists (README order, so of the same period), then the newest.

        Candidates are the guides within ``window`` places of ``guide`` in each of its tags'
        lists (by rank), so the cost stays the same however many guides a tag has. They are
        counted and compared on their link rows alone, and only the ``limit`` chosen are
        read whole: reading every candidate's guide row to compare dates cost more, at
        20,000 guides, than the rest of the guide page's queries together. So where more
        candidates tie than there are places, the later in their lists are chosen; the
        chosen are then shown newest first.
        """
        ranks = {i.tag_id: i.rank for i in guide.tagged_items.all() if i.rank is not None}
        if not ranks:
            return self.none()

        def near(link=""):
            """The candidates' link rows (``link``: the path to them)."""
            rows = models.Q()
            for tag_id, rank in ranks.items():
                rows |= models.Q(
                    **{
                        f"{link}tag_id": tag_id,
                        f"{link}rank__range": (rank - window, rank + window),
                    }
                )
            return rows

        def closeness(link=""):
            """``(shared tags, distance, latest rank)`` of a candidate, over its link rows."""
            distance = models.Case(
                *(
                    models.When(**{f"{link}tag_id": tag_id}, then=Abs(F(f"{link}rank") - rank))
                    for tag_id, rank in ranks.items()
                )
            )
            rows = near(link)
            return {
                "shared_tags": models.Count(f"{link}id", filter=rows),
                "distance": models.Min(distance, filter=rows),
                "latest": models.Max(f"{link}rank", filter=rows),
            }

        chosen = (
            TaggedGuide.objects.filter(near())
            .exclude(content_object_id=guide.pk)
            .values("content_object_id")
            .annotate(**closeness())
            .order_by("-shared_tags", "distance", "-latest", "-content_object_id")
            .values("content_object_id")[:limit]
        )
        return (
            self.published()
            .filter(pk__in=chosen)
            .annotate(**closeness("tagged_items__"))
            .order_by("-shared_tags", "distance", "-created_on", "slug")
        )


NOT_RENDERED = 0
# What a record stores while its body is not rendered (an import clears the rendering).
NO_RENDERING = {"body_html": "", "body_text": "", "rendered_with": NOT_RENDERED}


class Content(models.Model):
    """What guides and categories share: identity, text, stored HTML and provenance.

    ``body_html`` is a cache of the rendered body and ``body_text`` of its plain text (search
    excerpts), valid when ``rendered_with`` is the current ``RENDERER_VERSION``
    (catalog.fileformat.rendering.stored_rendering): a save fills them, an import clears them
    (rendering costs several times more than the rest of an import) and ``render_guides`` fills
    them ahead of time. Pages read ``html`` and ``text``, which render a record whose cache is
    empty or stale; the page cache keeps the result, so a body is rendered about once per
    content version, not per request.
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
        from catalog.fileformat.rendering import stored_rendering  # Markdown loads only when used

        for name, value in stored_rendering(self.body).items():
            setattr(self, name, value)
        self.updated_at = timezone.now()
        self.__dict__.pop("html", None)
        self.__dict__.pop("text", None)
        with transaction.atomic():
            super().save(*args, **kwargs)
            old = getattr(self, "_loaded_slug", None)
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
        from catalog.fileformat.rendering import RENDERER_VERSION

        return self.rendered_with == RENDERER_VERSION

    @cached_property
    def html(self):
        """The body as safe HTML: the stored rendering if it is current, else rendered now."""
        from catalog.fileformat.rendering import render_markdown

        return self.body_html if self.rendering_is_stored else render_markdown(self.body)

    @cached_property
    def text(self):
        """The words of the rendered body on one line, as search excerpts quote them."""
        from catalog.fileformat.rendering import plain_text

        return self.body_text if self.rendering_is_stored else plain_text(self.html)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_slug = instance.__dict__.get("slug")
        return instance

    @property
    def image_url(self):
        """The image as a link a page may use: an upload, else http(s) URLs and site paths."""
        diagram = getattr(self, "diagram", None)
        if diagram:
            return diagram.url
        return page_link(self.image)


_batch = threading.local()


@contextmanager
def batch_of_changes():
    """ORM saves and deletes inside do not bump the content version one by one.

    Deleting 10,000 guides through a queryset sends 10,000 post_delete signals; a bump each
    (a new version and a listings refresh) would make the deletion quadratic. Inside a batch
    the caller bumps once, in the same transaction, when the batch is done.
    """
    _batch.depth = getattr(_batch, "depth", 0) + 1
    try:
        yield
    finally:
        _batch.depth -= 1


def in_batch_of_changes():
    return getattr(_batch, "depth", 0) > 0


class SiteState(models.Model):
    """One row whose version changes with every change to published content.

    Cached pages, ETags and Last-Modified headers derive from it. It lives in the database,
    bumped in the same transaction as the change, so every app server sees an edit or an
    import at once, whatever cache it uses.
    """

    version = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)
    # The next moment a scheduled guide becomes public: the first request after it publishes
    # (publish_due), so no cron job is needed.
    next_publish_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"content version {self.version}"

    @classmethod
    def current(cls):
        """The state, read with one plain query: every public request starts with it, and
        the ORM's own overhead would double its cost."""
        with connection.cursor() as cursor:
            cursor.execute(cls.state_sql(connection))
            row = cursor.fetchone()
        if row is None:
            return cls.objects.get_or_create(pk=1)[0]
        return cls.from_row(*row)

    @classmethod
    def state_sql(cls, conn):
        """The one query that reads the state (here and in catalog.write.versionwatch); its row
        is what :meth:`from_row` takes."""
        quote = conn.ops.quote_name
        columns = ", ".join(quote(name) for name in ("version", "changed_at", "next_publish_at"))
        return f"SELECT {columns} FROM {quote(cls._meta.db_table)} WHERE id = 1"

    @classmethod
    def from_row(cls, version, changed_at, next_publish_at):
        def moment(value):
            if isinstance(value, str):  # SQLite hands back text
                value = datetime.datetime.fromisoformat(value)
            if value is not None and timezone.is_naive(value):
                value = timezone.make_aware(value, datetime.UTC)
            return value

        return cls(
            pk=1,
            version=version,
            changed_at=moment(changed_at),
            next_publish_at=moment(next_publish_at),
        )

    @property
    def publish_is_due(self):
        return self.next_publish_at is not None and self.next_publish_at <= timezone.now()

    @classmethod
    def publish_due(cls):
        """Publish the scheduled guides whose moment has come: one content change (listings,
        version), made by the first request after that moment; others wait on the row lock
        and find nothing left to do. Returns the state after it."""
        with transaction.atomic():
            state = cls.objects.select_for_update().filter(pk=1).first()
            if state is not None and state.publish_is_due:
                due = Guide.objects.filter(
                    draft=False, publish_at__gt=state.changed_at, publish_at__lte=timezone.now()
                )
                cls.bump(list(due.values_list("pk", flat=True)))
        return cls.current()

    @classmethod
    def bump(cls, guides=None):
        """Content changed: a new version, and the listings' ranks and counts brought up to
        date in the same transaction (the version's row lock orders concurrent writers).

        ``guides``: the ids of the guides the change touched, when the caller knows them
        (catalog.write.listings.refresh then re-ranks only their lists); None for "anything".
        """
        from catalog.write import listings, versionwatch

        now = timezone.now()
        upcoming = Guide.objects.scheduled().aggregate(next=models.Min("publish_at"))["next"]
        if not cls.objects.filter(pk=1).update(
            version=models.F("version") + 1, changed_at=now, next_publish_at=upcoming
        ):
            cls.objects.get_or_create(
                pk=1, defaults={"changed_at": now, "next_publish_at": upcoming}
            )
        listings.refresh(guides)
        versionwatch.announce()


def page_link(reference):
    """A file's image or icon as a page may link it: http(s) URLs, and site paths to images the
    site holds (the file format's rule, catalog.fileformat.image_reference, and
    catalog.infra.publicfiles.site_image_exists); anything else, nothing: pages show a
    placeholder."""
    from catalog.infra.publicfiles import site_image_exists

    kind = image_reference(reference)[0]
    if kind == "url" or (kind == "site" and site_image_exists(reference)):
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


class TagStats(models.Model):
    """How many published guides a tag has (kept by catalog.write.listings)."""

    tag = models.OneToOneField(
        Tag, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )
    published_guides = models.PositiveIntegerField(default=0, db_index=True)

    def __str__(self):
        return f"{self.tag}: {self.published_guides}"


def diagram_upload_to(instance, filename):
    """A generated name: nothing of the uploader's file name reaches the file system."""
    from catalog.infra.uploads import generated_name

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
        from catalog.fileformat.rendering import table_of_contents

        alt, html = f"Diagram: {self.title}", self.html
        match = _LEADING_IMAGE_RE.match(html)
        if match and self.image_url and html_unescape(match["src"]) == self.image_url:
            alt = html_unescape(match["alt"]) or alt
            html = html[match.end() :]
        return {"alt": alt, "body_html": html, "toc": table_of_contents(html)}

    @property
    def scheduled(self):
        """Not a draft, but not public before ``publish_at``."""
        return not self.draft and bool(self.publish_at) and self.publish_at > timezone.now()

    @property
    def diagram_srcset(self):
        """``srcset`` for an uploaded diagram: its smaller copies and itself; "" otherwise."""
        from catalog.infra.uploads import variant_name

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

    def set_categories(self, categories):
        GuideCategory.objects.filter(guide=self).delete()
        GuideCategory.objects.bulk_create(
            GuideCategory(guide=self, category=c, position=n) for n, c in enumerate(categories)
        )

    def set_tags(self, labels):
        """Tag this guide with ``labels`` in order, each spelt as given.

        Labels match existing tags case-insensitively (“system design” is the tag “System
        Design”); only labels no tag matches create a tag. Part of a content change
        (catalog.write.changes.save_guide), which sets ``tag_text`` and bumps the version.
        """
        existing = {tag.name.casefold(): tag for tag in Tag.objects.all()}
        new = [label for label in dict.fromkeys(labels) if label.casefold() not in existing]
        new = list({label.casefold(): label for label in new}.values())
        for name, slug in zip(new, unique_tag_slugs(new), strict=True):
            existing[name.casefold()] = Tag.objects.create(name=name, slug=slug)
        TaggedGuide.objects.filter(content_object=self).delete()
        seen, rows = set(), []
        for label in labels:
            tag = existing[label.casefold()]
            if tag.pk not in seen:
                seen.add(tag.pk)
                rows.append(
                    TaggedGuide(content_object=self, tag=tag, label=label, position=len(rows))
                )
        TaggedGuide.objects.bulk_create(rows)


def tag_text(labels):
    """A guide's tags as one text for search: each tag once, spelt as first given."""
    first = {}
    for label in labels:
        first.setdefault(label.casefold(), label)
    return ", ".join(first.values())


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


class GuideRevision(models.Model):
    """A guide as it was saved: who, when, and every field its file would hold."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="revisions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=20, default="admin")
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

    def as_text(self):
        """The revision as the guide's file would read (its uploaded diagram, if it had one,
        noted after it), for comparing two versions."""
        from catalog.fileformat import serialise_guide
        from catalog.write.changes import revision_file

        diagram = self.frontmatter.get("diagram")
        return serialise_guide(revision_file(self)) + (
            f"(uploaded diagram: {diagram})\n" if diagram else ""
        )


class CategoryRevision(models.Model):
    """A category's file form as it was, kept when a sync chose the other side of a conflict."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="revisions")
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
    guide = models.ForeignKey(Guide, null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.target.slug if self.target else '?'}"

    @property
    def target(self):
        return self.guide or self.category


def render_stored_html(*, everything=False) -> int:
    """Fill the stored HTML of records that have none or an older renderer's; return how many.

    With ``everything``, re-render every record. Rendering happens outside any transaction;
    each record is then written only if its body is still the one rendered, so an edit made
    meanwhile is never paired with HTML of the old text. Pages look the same before and after
    (they render what is not stored), so no cached page needs to be refreshed.
    """
    from catalog.fileformat.rendering import RENDERER_VERSION, stored_rendering

    count = 0
    for model in (Category, Guide):
        records = model.objects.all()
        if not everything:
            records = records.exclude(rendered_with=RENDERER_VERSION)
        for pk, body in list(records.values_list("pk", "body")):
            count += model.objects.filter(pk=pk, body=body).update(**stored_rendering(body))
    return count


class LoginThrottle(models.Model):
    """Admin login attempts counted for one key (an address, or an address and a user name).

    Kept in the database, not the cache, so that every app server counts together whether or
    not Redis is configured, and no flood of page requests can evict a counter
    (catalog.admin.security).
    """

    key = models.CharField(max_length=100, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.attempts} since {self.window_start:%Y-%m-%d %H:%M}"


class SyncRun(models.Model):
    """One ``sync_content`` run started from the admin's "Sync now": its progress as it goes
    and its result (catalog.repository.sync.start_run). The run is a separate process, so a
    request never waits for git, and the page follows it by polling."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    lines = models.JSONField(default=list, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"sync run {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class ReviewLink(models.Model):
    """A secret link that shows one guide, draft or not, to anyone holding it (a reviewer
    without an account), until it expires or is revoked (catalog.site.review).

    Only a hash of the secret is stored: the link is shown once, when it is made.
    """

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="review_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"review link {self.pk} for {self.guide.slug}"

    @property
    def active(self):
        return self.revoked_at is None and self.expires_at > timezone.now()
