"""Atom feeds of published guides: the whole site, and one per category."""

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.timezone import make_aware

from catalog.models import Category, Guide

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
