"""The sitemap index and its sections: categories, published guides and used tags.

``/sitemap.xml`` is an index (Django's sitemaps framework) of section pages
``/sitemap-<section>.xml?p=N`` that hold at most ``PAGE_SIZE`` URLs each, so no sitemap
response grows with the collection. Pages are the blocks of primary keys that hold items
(catalog.write.listings.KeyRangePaginator), each read by one index range scan and none
empty, and each section's latest ``lastmod`` is one aggregate over an index rather than a
walk over every item. The guides' blocks are the ones the listings store with their counts
(``SitemapBlock``, catalog.write.listings.StoredBlockPaginator); the categories' and tags',
a few, are found by probing their keys.
"""

from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from catalog.infra.paths import slug_paths
from catalog.models import Category, Guide, SitemapBlock, published_tags
from catalog.write.listings import KeyRangePaginator, StoredBlockPaginator

PAGE_SIZE = SitemapBlock.SIZE


class _KeyPaged(Sitemap):
    """A section paged by blocks of keys, at most ``limit`` URLs a page. Items are rows of
    the values a URL needs, not model instances: making 500 instances (each announced to
    the init signals) was most of a page's cost."""

    limit = PAGE_SIZE
    route = None
    paginator_class = KeyRangePaginator

    @property
    def paginator(self):
        return self.paginator_class(self.items(), self.limit)

    def location(self, item):
        return self._paths(item.slug)

    @cached_property
    def _paths(self):
        return slug_paths(self.route)


class _Section(_KeyPaged):
    """A section of records that know when they last changed."""

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(_Section):
    route = "catalog:detail"

    def items(self):
        return Category.objects.in_readme_order().values_list(
            "pk", "slug", "updated_at", named=True
        )


class GuideSitemap(_Section):
    route = "catalog:detail"
    paginator_class = StoredBlockPaginator  # pages of the stored blocks' size

    def items(self):
        return (
            Guide.objects.published()
            .in_readme_order()
            .values_list("pk", "slug", "updated_at", named=True)
        )


class TagSitemap(_KeyPaged):
    route = "catalog:tag"

    def items(self):
        return published_tags().values_list("pk", "slug", named=True)


SITEMAPS = {"categories": CategorySitemap, "guides": GuideSitemap, "tags": TagSitemap}
