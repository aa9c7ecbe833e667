"""The sitemap: categories, published guides and used tags, each with its lastmod."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Category, Guide, published_tags


class CategorySitemap(Sitemap):
    def items(self):
        return list(Category.objects.in_readme_order())

    def lastmod(self, item):
        return item.updated_at


class GuideSitemap(Sitemap):
    def items(self):
        return list(Guide.objects.published().in_readme_order().only("slug", "updated_at"))

    def lastmod(self, item):
        return item.updated_at


class TagSitemap(Sitemap):
    def items(self):
        return list(published_tags())

    def location(self, item):
        return reverse("catalog:tag", args=[item.slug])


SITEMAPS = {"categories": CategorySitemap, "guides": GuideSitemap, "tags": TagSitemap}
