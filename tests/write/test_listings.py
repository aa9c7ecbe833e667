"""Ranked listings: pages read bounded slices, and every change keeps ranks and counts right.

The reference for every assertion is the plain query over all guides (README order), so the
bounded reads are checked against what they replace, after imports, admin edits, publishing,
deleting and renaming. Query counts per page are pinned on factory data, so they run in any
clone, with or without the real corpus.
"""

import collections
import datetime as dt
import random
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache, caches

from catalog.infra.roles import ensure_editors_group
from catalog.models import (
    Category,
    Guide,
    GuideCategory,
    SitemapBlock,
    Tag,
    TaggedGuide,
    published_tags,
)
from catalog.write import listings
from catalog.write.changes import publish_guides

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _small_key_blocks(monkeypatch):
    """Blocks of 7 keys, so that 130 guides fill many (500 in production)."""
    monkeypatch.setattr(SitemapBlock, "SIZE", 7)


@pytest.fixture
def big(content):
    """Two categories and 130 guides with shuffled dates, a few drafts, several tags."""
    rng = random.Random(4)
    content.category("net", sort=1)
    content.category("db", sort=2)
    for n in range(130):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 900))
        content.guide(
            f"g{n:03d}",
            title=f"Guide {n}",
            created=day.isoformat(),
            draft=n % 17 == 0,
            categories=("net",) if n % 3 else ("db", "net"),
            tags=tuple(rng.sample(["Alpha", "Beta", "Gamma", "Delta"], k=1 + n % 3)),
        )
    content.import_()
    return content


def reference_slugs(category):
    return list(Guide.objects.for_category_page(category).values_list("slug", flat=True))


def page_slugs(client, url):
    for alias in ("default", "pages-local"):
        caches[alias].clear()
    body = client.get(url).content.decode()
    return re.findall(r'<a class="card-link" href="/guides/([^"]+)"', body)


def assert_sitemap_blocks_match_the_published_guides():
    """The stored count of each block of keys is a count of the published guides in it, and
    a block without one has no row."""
    keys = Guide.objects.published().values_list("pk", flat=True)
    expected = collections.Counter((pk - 1) // SitemapBlock.SIZE for pk in keys)
    assert dict(SitemapBlock.objects.values_list("block", "published_guides")) == expected


def feed_slugs(client, url):
    """The slugs of a feed's entries, in its order."""
    root = ET.fromstring(client.get(url).content)
    return [
        entry.find(f"{ATOM}link").get("href").rsplit("/", 1)[-1]
        for entry in root.iter(f"{ATOM}entry")
    ]


def assert_listings_match_the_plain_queries(client):
    assert_sitemap_blocks_match_the_published_guides()
    for category in Category.objects.all():
        expected = reference_slugs(category)
        assert category.published_guides == len(expected)
        pages = -(-len(expected) // 48) or 1
        seen = []
        for n in range(1, pages + 1):
            seen += page_slugs(client, f"/guides/{category.slug}?page={n}")
        assert seen == expected, category.slug
        assert feed_slugs(client, f"/guides/{category.slug}/feed.xml") == expected[::-1][:50]
    for tag in Tag.objects.all():
        expected = list(Guide.objects.for_tag_page(tag).values_list("slug", flat=True))
        counted = {t.slug: t.guide_count for t in published_tags()}
        assert counted.get(tag.slug, 0) == len(expected)
        if expected:
            seen = []
            for n in range(1, -(-len(expected) // 48) + 1):
                seen += page_slugs(client, f"/tags/{tag.slug}?page={n}")
            assert seen == expected, tag.slug
            assert feed_slugs(client, f"/tags/{tag.slug}/feed.xml") == expected[::-1][:50]
        else:
            assert client.get(f"/tags/{tag.slug}/feed.xml").status_code == 404
    for category in Category.objects.all():
        ordered = reference_slugs(category)
        for n, slug in enumerate(ordered):
            guide = Guide.objects.with_page().get(slug=slug)
            if guide.first_category() != category:
                continue
            previous, following = Guide.objects.neighbours(guide, category)
            assert (previous and previous[0]) == (ordered[n - 1] if n else None)
            assert (following and following[0]) == (
                ordered[n + 1] if n + 1 < len(ordered) else None
            )


def test_pages_and_neighbours_match_readme_order_after_import(client, big):
    assert_listings_match_the_plain_queries(client)
    assert GuideCategory.objects.filter(guide__draft=True, rank__isnull=False).count() == 0
    assert TaggedGuide.objects.filter(content_object__draft=True, rank__isnull=False).count() == 0


def test_every_kind_of_change_keeps_listings_right(client, big):
    editor = User.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(ensure_editors_group())
    admin = client.__class__()
    admin.force_login(editor)

    publish_guides(Guide.objects.filter(slug__in=["g001", "g002", "g050"]), False)
    assert_listings_match_the_plain_queries(client)
    publish_guides(Guide.objects.filter(slug__in=["g000", "g017"]))
    assert_listings_match_the_plain_queries(client)

    guide = Guide.objects.get(slug="g010")
    response = admin.post(
        f"/admin/catalog/guide/{guide.pk}/change/",
        {
            "title": guide.title,
            "slug": "g010-renamed",
            "description": "",
            "created_on": "1999-01-01",  # moves to the front of every list it is in
            "draft": "",
            "image": "",
            "body": "Body.",
            "tag_labels": "Alpha, Epsilon",
            "category_links-TOTAL_FORMS": "1",
            "category_links-INITIAL_FORMS": "0",
            "category_links-MIN_NUM_FORMS": "0",
            "category_links-MAX_NUM_FORMS": "1000",
            "category_links-0-category": Category.objects.get(slug="db").pk,
            "category_links-0-position": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert reference_slugs(Category.objects.get(slug="db"))[0] == "g010-renamed"
    assert_listings_match_the_plain_queries(client)

    Guide.objects.get(slug="g020").delete()
    Tag.objects.get(name="Beta").delete()
    assert_listings_match_the_plain_queries(client)


def test_refresh_writes_nothing_when_nothing_changed(big, django_assert_max_num_queries):
    # Four reads, one rank statement per list kind, and the key blocks' count and stored rows.
    with django_assert_max_num_queries(8):
        listings.refresh()
    assert not GuideCategory.objects.filter(rank__lt=1).exists()


PAGES = [
    "/",
    "/guides",
    "/guides/net",
    "/guides/net?page=2",
    "/guides/net?page=3",
    "/guides/g005",
    "/tags",
    "/tags/alpha",
    "/tags/alpha?page=2",
    "/search?q=guide",
    "/feed.xml",
    "/guides/net/feed.xml",
    "/tags/alpha/feed.xml",
    "/sitemap.xml",
    "/sitemap-guides.xml",
    "/sitemap-categories.xml",
    "/sitemap-tags.xml",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_type_runs_at_most_6_queries_on_factory_data(
    client, big, url, django_assert_max_num_queries
):
    cache.clear()
    caches["pages-local"].clear()
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/", "/guides/net", "/tags/alpha", "/search?q=guide"])
def test_card_lists_read_no_bodies_or_search_documents(client, big, url):
    cache.clear()
    caches["pages-local"].clear()
    response = client.get(url)
    context = response.context
    guides = list(context["latest"] if url == "/" else context["page"].object_list)
    assert guides
    for guide in guides:
        assert {"body_html", "synced_body", "search_document"} <= guide.get_deferred_fields()
        assert ("body_text" in guide.get_deferred_fields()) == (not url.startswith("/search"))


@pytest.mark.parametrize("url", ["/", "/guides/net", "/tags/alpha", "/search?q=guide"])
def test_every_card_lists_its_guides_tags(client, big, url):
    cache.clear()
    caches["pages-local"].clear()
    body = client.get(url).content.decode()
    cards = re.findall(
        r'<(?:article class="card"|li class="result")>(.*?)</(?:article|li)>\n', body, re.S
    )
    assert cards
    for card in cards:
        slug = re.search(
            r'(?:class="card-link"|class="result-title"><a) href="/guides/([^"]+)"', card
        )[1]
        shown = re.findall(r'<li class="tag"><a href="/tags/([^"]+)">([^<]+)</a>', card)
        expected = [  # in the guide's own order
            (item.tag.slug, item.tag.name)
            for item in TaggedGuide.objects.filter(content_object__slug=slug)
            .select_related("tag")
            .order_by("position")
        ]
        assert shown == expected and expected, (url, slug)


def test_related_guides_are_the_ones_sharing_most_tags_nearby(client, big):
    guide = Guide.objects.with_page().get(slug="g005")
    related = list(Guide.objects.related_to(guide))
    assert related and guide not in related
    mine = {i.tag_id for i in guide.tagged_items.all()}
    shared = [len(mine & {i.tag_id for i in g.tagged_items.all()}) for g in related]
    assert shared == sorted(shared, reverse=True) and min(shared) >= 1
    assert all(not g.draft for g in related)


def test_deleting_many_guides_bumps_once_and_keeps_listings_right(client, big, monkeypatch):
    from catalog.write import versions

    calls = []
    real_bump = versions.bump
    monkeypatch.setattr(versions, "bump", lambda *a: (calls.append(a), real_bump(*a)))
    editor = User.objects.create_user("ed", password="pw", is_staff=True, is_superuser=True)
    admin = client.__class__()
    admin.force_login(editor)
    doomed = list(Guide.objects.filter(slug__lt="g040").values_list("pk", flat=True))
    response = admin.post(
        "/admin/catalog/guide/",
        {"action": "delete_selected", "_selected_action": doomed, "post": "yes"},
    )
    assert response.status_code == 302
    assert len(calls) == 1 and not Guide.objects.filter(pk__in=doomed).exists()
    assert_listings_match_the_plain_queries(client)
