"""Querysets: the one definition of the guides visitors may see (``published()``), and the
queries each page is shaped by, each a bounded slice however large the collection."""

from typing import NamedTuple

from django.db import models
from django.db.models import F
from django.db.models.functions import Abs, Lower
from django.utils import timezone
from taggit.models import Tag

from catalog.infra.roles import may_see_drafts


class CategoryQuerySet(models.QuerySet):
    def in_readme_order(self):
        return self.order_by("sort", "slug")

    def with_guide_counts(self):
        """Annotate ``guide_count``: the number of published guides in each category (kept
        with the category by catalog.write.listings, so no page counts link rows)."""
        return self.annotate(guide_count=models.F("published_guides"))


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


def _through(model, accessor):
    """The model of a reverse relation's rows (``Guide``'s ``tagged_items``: TaggedGuide):
    querysets reach link rows through the model they query, which imports them."""
    return getattr(model, accessor).rel.related_model


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
                _through(self.queryset.model, "tagged_items")
                .objects.filter(content_object__in=tags)
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
        """The guides visitors may see: the file format's rule (``is_public``) in SQL, the only
        definition of it for queries. A guide scheduled with ``publish_at`` is not one of them
        before that moment (see catalog.write.versions.publish_due)."""
        return models.Q(draft=False) & (
            models.Q(publish_at__isnull=True) | models.Q(publish_at__lte=timezone.now())
        )

    def published(self):
        return self.filter(self._published())

    def scheduled(self):
        """Guides to be published at a later moment: neither drafts nor published."""
        return self.filter(draft=False).exclude(self._published())

    def in_readme_order(self):
        return self.order_by("created_on", "slug")

    def visible_to(self, user):
        """Editors see drafts (with a banner); everyone else sees published guides only."""
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
                "category_links",
                queryset=_through(self.model, "category_links").objects.select_related("category"),
            ),
            models.Prefetch(
                "tagged_items",
                queryset=_through(self.model, "tagged_items").objects.select_related("tag"),
            ),
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
        return self._newest_listed(
            "category_links", "category", category, category.published_guides, limit
        )

    def newest_with_tag(self, tag, limit):
        """The ``limit`` newest published guides with ``tag`` (from :func:`published_tags`,
        which counts them), newest first, by rank."""
        return self._newest_listed("tagged_items", "tag", tag, tag.guide_count, limit)

    def _newest_listed(self, links, owner, value, count, limit):
        """The last ``limit`` of a list's ``count`` published guides (ranked oldest first,
        as the README lists them) read by rank: the index on (owner, rank) gives them
        whatever the list's length."""
        return (
            self.published()
            .filter(**{f"{links}__{owner}": value, f"{links}__rank__gt": count - limit})
            .order_by(f"-{links}__rank")
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
            _through(self.model, "tagged_items")
            .objects.filter(near())
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
