"""Where each published guide stands in its categories' and tags' lists, and how many there are.

A category page, a tag page, a guide's previous and next, and the counts on the home page and
``/tags`` would otherwise scan every link row of a category or tag, so their cost would grow
with the collection (a page at 20,000 guides took several times as long as at 400). Instead,
every change to content (:meth:`catalog.models.SiteState.bump`, in the same transaction)
refreshes, per category and per tag,

- the 1-based ``rank`` of each published guide's link row, in README order (``createdAt``,
  then slug); drafts have none,
- the number of published guides (``Category.published_guides``, ``TagStats.published_guides``),

so pages read a bounded slice by an index on ``(category, rank)`` or ``(tag, rank)``. The
refresh computes the ranks with one window query over ``Guide.objects.published()`` (the one
definition of "published") and writes only the rows whose rank or count changed.
"""

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Case, Count, F, Max, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property


def _guide_of(link_model):
    """The link model's field that names the guide."""
    return "guide" if link_model._meta.model_name == "guidecategory" else "content_object"


def _ranked(link_model, partition, within):
    """``(id, shown, r)`` of the link rows in the partitions ``within`` (all partitions when
    None): whether the guide is published, and the row's 1-based place among its partition's
    rows of the same kind in README order; as SQL with its parameters."""
    from .models import Guide

    guide = _guide_of(link_model)
    rows = link_model.objects.all()
    if within is not None:
        rows = rows.filter(**{f"{partition}__in": sorted(within)})
    shown = Case(
        When(**{f"{guide}__in": Guide.objects.published()}, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rows = (
        rows.annotate(shown=shown)
        .annotate(
            r=Window(
                RowNumber(),
                partition_by=[F(partition), F("shown")],
                order_by=[F(f"{guide}__created_on").asc(), F(f"{guide}__slug").asc()],
            )
        )
        .values("id", "shown", "r")
    )
    return rows.query.sql_with_params()


def _refresh_ranks(link_model, partition, within):
    """Give each published guide's link row its rank and every other link row none, writing
    only the rows that change (one statement)."""
    if within is not None and not within:
        return
    table = connection.ops.quote_name(link_model._meta.db_table)
    sql, params = _ranked(link_model, partition, within)
    rank = "CASE WHEN ranked.shown THEN ranked.r END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET rank = {rank} FROM ({sql}) AS ranked "
            f"WHERE {table}.id = ranked.id AND {table}.rank IS DISTINCT FROM {rank}",
            params,
        )


def _counts(link_model, partition):
    """Published guides per partition, counted from the link rows (one aggregate)."""
    from .models import Guide

    guide = _guide_of(link_model)
    return dict(
        link_model.objects.filter(**{f"{guide}__in": Guide.objects.published()})
        .values_list(partition)
        .annotate(n=Count("id"))
        .values_list(partition, "n")
    )


def _partitions_of(link_model, partition, guides):
    links = link_model.objects.filter(**{f"{_guide_of(link_model)}_id__in": list(guides)})
    return set(links.values_list(partition, flat=True))


def refresh(guides=None):
    """Bring ranks and counts up to date after a change to content.

    ``guides`` names the guides a change touched (their links, dates, slugs or states); the
    lists they are in now, and every list whose count changed (one a guide left, or a deleted
    guide was in), are re-ranked. ``None`` re-ranks every list, as after an import.
    """
    from .models import Category, GuideCategory, TaggedGuide, TagStats

    category_counts = _counts(GuideCategory, "category_id")
    stored = dict(Category.objects.values_list("pk", "published_guides"))
    changed_categories = {
        pk
        for pk in stored.keys() | category_counts.keys()
        if stored.get(pk, 0) != category_counts.get(pk, 0)
    }
    tag_counts = _counts(TaggedGuide, "tag_id")
    stored_tags = dict(TagStats.objects.values_list("tag_id", "published_guides"))
    changed_tags = {
        pk
        for pk in stored_tags.keys() | tag_counts.keys()
        if stored_tags.get(pk, 0) != tag_counts.get(pk, 0)
    }
    if guides is None:
        category_scope = tag_scope = None
    else:
        category_scope = changed_categories | _partitions_of(GuideCategory, "category_id", guides)
        tag_scope = changed_tags | _partitions_of(TaggedGuide, "tag_id", guides)
    _refresh_ranks(GuideCategory, "category_id", category_scope)
    _refresh_ranks(TaggedGuide, "tag_id", tag_scope)

    Category.objects.bulk_update(
        [
            Category(pk=pk, published_guides=category_counts.get(pk, 0))
            for pk in changed_categories
            if pk in stored
        ],
        ["published_guides"],
    )
    counts, stored = tag_counts, stored_tags
    TagStats.objects.filter(tag_id__in=[t for t in stored if t not in counts]).exclude(
        published_guides=0
    ).update(published_guides=0)
    changed = [
        TagStats(tag_id=t, published_guides=n) for t, n in counts.items() if stored.get(t) != n
    ]
    TagStats.objects.bulk_create(
        changed,
        update_conflicts=True,
        unique_fields=["tag"],
        update_fields=["published_guides"],
        batch_size=500,
    )


class RankedPaginator(Paginator):
    """Pages of a category's or tag's guides by rank ranges, so page N costs what page 1 does.

    ``object_list`` holds published guides, ``links`` names their link rows
    (``"category_links"`` or ``"tagged_items"``), ``within`` the category or tag
    (``{"category": category}``) and ``count`` the number of its guides stored with it. The
    link's owner and rank are filtered in one ``filter()``, so they concern the same row.
    """

    def __init__(self, object_list, per_page, *, links, within, count):
        super().__init__(object_list, per_page)
        self.links, self.within = links, within
        self.__dict__["count"] = count

    def page(self, number):
        number = self.validate_number(number)
        low = (number - 1) * self.per_page
        rank = f"{self.links}__rank"
        rows = self.object_list.filter(
            **{f"{self.links}__{key}": value for key, value in self.within.items()},
            **{f"{rank}__gt": low, f"{rank}__lte": low + self.per_page},
        ).order_by(rank)
        return Page(rows, number, self)


class KeyRangePaginator(Paginator):
    """Sitemap pages by ranges of primary keys instead of offsets.

    Page N holds the items whose key falls in the Nth block of ``per_page`` keys, so no page
    holds more than ``per_page`` URLs and each is one index range scan; the number of pages
    comes from the highest key.
    """

    @cached_property
    def num_pages(self):
        top = self.object_list.aggregate(top=Max("pk"))["top"] or 0
        return max(1, -(-top // self.per_page))

    def page(self, number):
        number = self.validate_number(number)
        low = (number - 1) * self.per_page
        rows = self.object_list.filter(pk__gt=low, pk__lte=low + self.per_page)
        return Page(rows.order_by("pk"), number, self)
