"""Where each published guide stands in its categories' and tags' lists, and how many there are.

A category page, a tag page, a guide's previous and next, and the counts on the home page and
``/tags`` would otherwise scan every link row of a category or tag, so their cost would grow
with the collection. Instead, every change to content (catalog.write.versions.bump, in the
same transaction)
refreshes, per category and per tag,

- the 1-based ``rank`` of each published guide's link row, in README order (``createdAt``,
  then slug); drafts have none,
- the number of published guides (``Category.published_guides``, ``TagStats.published_guides``),

and the number of published guides in each block of keys (``SitemapBlock``), by which the
guides' sitemap is paged,

so pages read a bounded slice by an index on ``(category, rank)`` or ``(tag, rank)``. The
refresh computes the ranks with one window query over ``Guide.objects.published()`` (the one
definition of "published") and writes only the rows whose rank or count changed.
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property

from catalog.models import Category, Guide, GuideCategory, SitemapBlock, TaggedGuide, TagStats


def _guide_of(link_model):
    """The link model's field that names the guide."""
    return "guide" if link_model._meta.model_name == "guidecategory" else "content_object"


def _ranked(link_model, partition, within):
    """``(id, shown, r)`` of the link rows in the partitions ``within`` (all partitions when
    None): whether the guide is published, and the row's 1-based place among its partition's
    rows of the same kind in README order; as SQL with its parameters."""

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
        rows.order_by()  # no sort but the window's (the link models order by position)
        .annotate(shown=shown)
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

    guide = _guide_of(link_model)
    return dict(
        link_model.objects.filter(**{f"{guide}__in": Guide.objects.published()})
        .values_list(partition)
        .annotate(n=Count("id"))
        .values_list(partition, "n")
    )


def _changed_counts(link_model, partition, stored):
    """The partitions whose number of published guides differs from ``stored`` (pk -> n)."""
    counts = _counts(link_model, partition)
    return {pk for pk in stored.keys() | counts.keys() if stored.get(pk, 0) != counts.get(pk, 0)}


def _partitions_of(link_model, partition, guides):
    links = link_model.objects.filter(**{f"{_guide_of(link_model)}_id__in": list(guides)})
    return set(links.values_list(partition, flat=True))


def _within(column, scope):
    """SQL restricting ``column`` to ``scope`` (None: no restriction), with its parameters."""
    if scope is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(scope))})", sorted(scope)


def _write_counts(category_scope, tag_scope):
    """Store each category's and tag's number of published guides in the scopes (None: all),
    counted from the ranks just written (a link has a rank exactly when its guide is
    published), writing only the counts that changed."""

    quote = connection.ops.quote_name
    category, links = quote(Category._meta.db_table), quote(GuideCategory._meta.db_table)
    stats, tagged = quote(TagStats._meta.db_table), quote(TaggedGuide._meta.db_table)
    counted = (
        f"(SELECT COUNT(*) FROM {links} AS l WHERE l.category_id = {category}.id "
        "AND l.rank IS NOT NULL)"
    )
    with connection.cursor() as cursor:
        if category_scope is None or category_scope:
            where, params = _within("id", category_scope)
            cursor.execute(
                f"UPDATE {category} SET published_guides = {counted} "
                f"WHERE published_guides <> {counted}{where}",
                params,
            )
        if tag_scope is None or tag_scope:
            where, params = _within("tag_id", tag_scope)
            cursor.execute(
                f"INSERT INTO {stats} (tag_id, published_guides) SELECT tag_id, COUNT(*) "
                f"FROM {tagged} WHERE rank IS NOT NULL{where} GROUP BY tag_id "
                "ON CONFLICT (tag_id) DO UPDATE SET published_guides = excluded.published_guides "
                f"WHERE {stats}.published_guides <> excluded.published_guides",
                params,
            )
            cursor.execute(
                f"UPDATE {stats} SET published_guides = 0 WHERE published_guides <> 0{where} "
                f"AND NOT EXISTS (SELECT 1 FROM {tagged} AS l "
                f"WHERE l.tag_id = {stats}.tag_id AND l.rank IS NOT NULL)",
                params,
            )


def block_of(key, size):
    """The block of ``size`` keys that ``key`` is in: block n holds keys n * size + 1 to
    (n + 1) * size (``in_block``)."""
    return (key - 1) // size


def in_block(block, size):
    """The condition for the keys of ``block`` (see ``block_of``)."""
    return Q(pk__gt=block * size, pk__lte=(block + 1) * size)


def _write_blocks(guides):
    """Store the number of published guides in each block of keys: every block (``guides``
    None), or the blocks of ``guides`` (ids, deleted guides' too), writing only the counts
    that changed; a block without one has no row."""
    size = SitemapBlock.SIZE
    published, stored = Guide.objects.published().order_by(), SitemapBlock.objects.all()
    if guides is not None:
        scope = {block_of(pk, size) for pk in guides}
        if not scope:
            return
        ranges = Q()
        for block in scope:
            ranges |= in_block(block, size)
        published, stored = published.filter(ranges), stored.filter(block__in=scope)
    # block_of in SQL: integer division on both databases
    block = ExpressionWrapper((F("pk") - 1) / size, output_field=BigIntegerField())
    counts = dict(
        published.annotate(block=block)
        .values("block")
        .annotate(n=Count("pk"))
        .values_list("block", "n")
    )
    before = dict(stored.values_list("block", "published_guides"))
    if gone := before.keys() - counts.keys():
        SitemapBlock.objects.filter(block__in=gone).delete()
    if changed := [
        SitemapBlock(block=b, published_guides=n) for b, n in counts.items() if before.get(b) != n
    ]:
        SitemapBlock.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["block"],
            update_fields=["published_guides"],
        )


def refresh(guides=None):
    """Bring ranks and counts up to date after a change to content.

    ``guides`` names the guides a change touched (their links, dates, slugs or states); the
    lists they are in now, and every list whose count changed (one a guide left, or a deleted
    guide was in), are re-ranked. ``None`` re-ranks every list, as after an import. Counts are
    then written from the ranks, and the key blocks of the guides touched (all: ``None``)
    counted again.
    """

    if guides is None:
        category_scope = tag_scope = None
    else:
        stored = dict(Category.objects.values_list("pk", "published_guides"))
        category_scope = _changed_counts(GuideCategory, "category_id", stored)
        category_scope |= _partitions_of(GuideCategory, "category_id", guides)
        stored = dict(TagStats.objects.values_list("tag_id", "published_guides"))
        tag_scope = _changed_counts(TaggedGuide, "tag_id", stored)
        tag_scope |= _partitions_of(TaggedGuide, "tag_id", guides)
    _refresh_ranks(GuideCategory, "category_id", category_scope)
    _refresh_ranks(TaggedGuide, "tag_id", tag_scope)
    _write_counts(category_scope, tag_scope)
    _write_blocks(guides)


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
    """Sitemap pages by blocks of primary keys instead of offsets.

    Keys are cut into blocks of ``per_page`` (1-500, 501-1000, ...) and page N holds the
    items of the Nth block that holds any, so no page holds more than ``per_page`` URLs,
    each is one index range scan, and none is empty: deleted guides and drafts leave gaps
    in the keys (on PostgreSQL keys run on after a collection is deleted and imported
    again), and a sitemap without a URL is invalid. Which blocks hold items is one query
    (``_blocks_to``) that jumps from each block to the next one's first item, as far as the
    page asked for: an index probe a page up to it, however many items there are.
    """

    def _blocks_to(self, most):
        """The first ``most`` blocks holding an item (None: all; ``block_of``): a page
        needs only the blocks before it, so the first costs one probe however many there
        are; the index of pages, and a page past the end, need them all. What was read is
        kept for the page's later questions."""
        asked, found = self.__dict__.get("_read", (0, []))
        if asked is None or len(found) < asked or (most is not None and asked >= most):
            return found if most is None else found[:most]
        found = self._read_blocks(most)
        self._read = (most, found)
        return found

    def _read_blocks(self, most):
        sql, params = self.object_list.order_by().values(k=F("pk")).query.sql_with_params()
        size = int(self.per_page)
        key = self.object_list.model._meta.pk.cast_db_type(connection)
        bound = "" if most is None else f" AND blocks.n < {int(most)}"
        with connection.cursor() as cursor:  # from 0 (before every key), block end to block end
            cursor.execute(
                f"WITH RECURSIVE blocks(k, n) AS (SELECT CAST(0 AS {key}), 0 UNION ALL "
                f"SELECT (SELECT MIN(items.k) FROM ({sql}) AS items "
                f"WHERE items.k > (blocks.k + {size - 1}) / {size} * {size}), blocks.n + 1 "
                f"FROM blocks WHERE blocks.k IS NOT NULL{bound}"
                ") SELECT k FROM blocks WHERE k > 0",
                params,
            )
            return [block_of(k, size) for (k,) in cursor.fetchall()]

    @cached_property
    def num_pages(self):
        return max(1, len(self._blocks_to(None)))

    def validate_number(self, number):
        """Django's rules, against the blocks up to ``number`` only."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if number > max(1, len(self._blocks_to(number))):
            raise EmptyPage(self.error_messages["no_results"])
        return number

    def page(self, number):
        number = self.validate_number(number)
        blocks = self._blocks_to(number)
        if not blocks:  # nothing at all: the one page Paginator allows, empty
            return Page(self.object_list.none(), number, self)
        rows = self.object_list.filter(in_block(blocks[number - 1], int(self.per_page)))
        return Page(rows.order_by("pk"), number, self)


class StoredBlockPaginator(KeyRangePaginator):
    """The published guides' sitemap pages: the blocks that hold guides are the stored
    ``SitemapBlock`` rows (a few hundred at 100,000 guides, kept by :func:`refresh`), read
    in one query, where probing the keys would cost an index probe a block for the index of
    pages and the last page. A page is a stored block, so its size is theirs
    (``SitemapBlock.SIZE``), whatever ``per_page`` the caller names."""

    def __init__(self, object_list, per_page=None, *args, **kwargs):
        super().__init__(object_list, SitemapBlock.SIZE, *args, **kwargs)

    def _read_blocks(self, most):
        blocks = SitemapBlock.objects.order_by("block")  # a block with no guide has no row
        if most is not None:  # a page number may be any size: the database's limit is not
            blocks = blocks[: min(most, 2**31 - 1)]
        return list(blocks.values_list("block", flat=True))
