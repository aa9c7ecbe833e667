"""Atom feeds of published guides: the whole site, one per category and one per tag."""

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.timezone import make_aware

from catalog.infra.paths import slug_path
from catalog.models import Category, Guide, published_tags

FEED_SIZE = 50


def _midnight(day):
    return make_aware(dt.datetime.combine(day, dt.time()))


class LatestGuidesFeed(Feed):
    feed_type = Atom1Feed
    title = "Visual guides: latest"
    subtitle = "The newest published guides."
    description_template = None

    def link(self):
        return "/"

    def items(self):
        return Guide.objects.latest()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        """Atom's ``<summary type="html">`` is read as HTML: the plain-text description is
        escaped for it, so a feed reader shows its angle brackets as text."""
        return escape(item.description)

    def item_pubdate(self, item):
        return _midnight(item.created_on)

    def item_updateddate(self, item):
        return item.updated_at

    def item_guid(self, item):
        return f"{settings.GUIDES_BASE_URL}/{item.slug}"

    item_guid_is_permalink = False


class CategoryFeed(LatestGuidesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj):
        return f"Visual guides: {obj.title}"

    def subtitle(self, obj):
        return obj.description

    def link(self, obj):
        return obj.get_absolute_url()

    def items(self, obj):
        return Guide.objects.newest_in_category(obj, FEED_SIZE)


class TagFeed(LatestGuidesFeed):
    """A tag's newest guides: a reader follows a tag as they follow a category."""

    def get_object(self, request, slug):
        return get_object_or_404(published_tags(), slug=slug)

    def title(self, obj):
        return f"Visual guides tagged {obj.name}"

    def subtitle(self, obj):
        return f"The newest published guides tagged {obj.name}."

    def link(self, obj):
        return slug_path("catalog:tag", obj.slug)

    def items(self, obj):
        return Guide.objects.newest_with_tag(obj, FEED_SIZE)
